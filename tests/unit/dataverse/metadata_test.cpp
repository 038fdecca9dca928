// Metadata as the service answers it, and the rules that turn it into a mirrored table.
#include "dataverse/metadata.hpp"
#include "dataverse/resolve.hpp"

#include <gtest/gtest.h>

namespace dvsync::dataverse {
namespace {

using config::column_type;

// EntityDefinitions(LogicalName='account')?$select=...&$expand=Attributes(...),Keys(...), trimmed
// to a few attributes of each kind, shaped as in Microsoft's query-metadata examples.
constexpr std::string_view account_body = R"({
  "@odata.context": "https://org.example/api/data/v9.2/$metadata#EntityDefinitions(LogicalName,Attributes(LogicalName),Keys(LogicalName))/$entity",
  "LogicalName": "account", "EntitySetName": "accounts", "PrimaryIdAttribute": "accountid",
  "PrimaryNameAttribute": "name", "ChangeTrackingEnabled": true, "MetadataId": "70816501-edb9-4740-a16c-6a5efbc05d84",
  "Attributes": [
    {"@odata.type": "#Microsoft.Dynamics.CRM.UniqueidentifierAttributeMetadata", "LogicalName": "accountid", "AttributeType": "Uniqueidentifier", "AttributeTypeName": {"Value": "UniqueidentifierType"}, "IsValidForRead": true, "AttributeOf": null},
    {"LogicalName": "name", "AttributeType": "String", "AttributeTypeName": {"Value": "StringType"}, "IsValidForRead": true, "AttributeOf": null},
    {"LogicalName": "revenue", "AttributeType": "Money", "AttributeTypeName": {"Value": "MoneyType"}, "IsValidForRead": true, "AttributeOf": null},
    {"LogicalName": "numberofemployees", "AttributeType": "Integer", "AttributeTypeName": {"Value": "IntegerType"}, "IsValidForRead": true, "AttributeOf": null},
    {"LogicalName": "industrycode", "AttributeType": "Picklist", "AttributeTypeName": {"Value": "PicklistType"}, "IsValidForRead": true, "AttributeOf": null},
    {"LogicalName": "industrycodename", "AttributeType": "Virtual", "AttributeTypeName": {"Value": "VirtualType"}, "IsValidForRead": true, "AttributeOf": "industrycode"},
    {"LogicalName": "primarycontactid", "AttributeType": "Lookup", "AttributeTypeName": {"Value": "LookupType"}, "IsValidForRead": true, "AttributeOf": null},
    {"LogicalName": "primarycontactidname", "AttributeType": "String", "AttributeTypeName": {"Value": "StringType"}, "IsValidForRead": true, "AttributeOf": "primarycontactid"},
    {"LogicalName": "ownerid", "AttributeType": "Owner", "AttributeTypeName": {"Value": "OwnerType"}, "IsValidForRead": true, "AttributeOf": null},
    {"LogicalName": "sample_foundedon", "AttributeType": "DateTime", "AttributeTypeName": {"Value": "DateTimeType"}, "IsValidForRead": true, "AttributeOf": null},
    {"LogicalName": "modifiedon", "AttributeType": "DateTime", "AttributeTypeName": {"Value": "DateTimeType"}, "IsValidForRead": true, "AttributeOf": null},
    {"LogicalName": "sample_channels", "AttributeType": "Virtual", "AttributeTypeName": {"Value": "MultiSelectPicklistType"}, "IsValidForRead": true, "AttributeOf": null},
    {"LogicalName": "entityimage", "AttributeType": "Virtual", "AttributeTypeName": {"Value": "ImageType"}, "IsValidForRead": true, "AttributeOf": null},
    {"LogicalName": "secret", "AttributeType": "String", "AttributeTypeName": {"Value": "StringType"}, "IsValidForRead": false, "AttributeOf": null}
  ],
  "Keys": []
})";

constexpr std::string_view datetime_body = R"({"value": [
  {"LogicalName": "sample_foundedon", "DateTimeBehavior": {"Value": "DateOnly"}},
  {"LogicalName": "modifiedon", "DateTimeBehavior": {"Value": "UserLocal"}}]})";
constexpr std::string_view lookup_body = R"({"value": [
  {"LogicalName": "primarycontactid", "Targets": ["contact"]},
  {"LogicalName": "ownerid", "Targets": ["systemuser", "team"]}]})";
constexpr std::string_view picklist_body = R"({"value": [{"LogicalName": "industrycode",
  "OptionSet": {"Options": [
    {"Value": 1, "Label": {"LocalizedLabels": [{"Label": "Accounting", "LanguageCode": 1033}], "UserLocalizedLabel": {"Label": "Accounting", "LanguageCode": 1033}}},
    {"Value": 2, "Label": {"LocalizedLabels": [{"Label": "Agriculture", "LanguageCode": 1033}], "UserLocalizedLabel": null}}]},
  "GlobalOptionSet": null}]})";

table_metadata account() {
  auto t = parse_table(account_body, "account");
  EXPECT_TRUE(t) << t.error().message;
  EXPECT_TRUE(merge_cast(*t, attribute_cast::datetime, datetime_body));
  EXPECT_TRUE(merge_cast(*t, attribute_cast::lookup, lookup_body));
  EXPECT_TRUE(merge_cast(*t, attribute_cast::picklist, picklist_body));
  return *t;
}

config::table_config entry(std::string logical_name) {
  config::table_config c;
  c.logical_name = logical_name;
  c.table = logical_name;
  return c;
}

TEST(Metadata, QueriesAreTheDocumentedOnes) {
  EXPECT_EQ(table_query("account").substr(0, 40), "EntityDefinitions(LogicalName='account')");
  EXPECT_EQ(cast_query("account", attribute_cast::picklist),
            "EntityDefinitions(LogicalName='account')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
            "?$select=LogicalName&$expand=OptionSet($select=Options),GlobalOptionSet($select=Options)");
}

TEST(Metadata, ATableWithoutAKeyMirrorsEveryReadableAttributeByItsType) {
  auto resolved = resolve(entry("account"), account());
  ASSERT_TRUE(resolved) << resolved.error().message;
  auto const& s = resolved->spec;
  EXPECT_EQ(s.entity_set, "accounts");
  EXPECT_EQ(s.id, "accountid");
  EXPECT_EQ(s.key, "");
  std::vector<config::column_spec> expected{
      {"name", "name", column_type::text},
      {"revenue", "revenue", column_type::decimal},
      {"numberofemployees", "numberofemployees", column_type::integer},
      {"industrycode", "industrycode", column_type::choice},
      {"primarycontactid", "_primarycontactid_value", column_type::lookup, false},
      {"ownerid", "_ownerid_value", column_type::lookup, true},
      {"sample_foundedon", "sample_foundedon", column_type::date},
      {"modifiedon", "modifiedon", column_type::datetime},
      {"sample_channels", "sample_channels", column_type::choices}};
  EXPECT_EQ(s.columns, expected) << "no id, no AttributeOf parts, no image, nothing unreadable";
  ASSERT_EQ(resolved->labels.size(), 2u);
  EXPECT_EQ(resolved->labels[1].label, "Agriculture") << "the first localized label when the user's is null";
}

TEST(Metadata, OverridesExclusionsAndExplicitColumns) {
  auto c = entry("account");
  c.exclude_columns = {"revenue", "modifiedon"};
  auto resolved = resolve(c, account());
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->spec.columns.size(), 7u);

  c = entry("account");
  c.columns = std::vector<std::string>{"name", "_primarycontactid_value"};
  c.key = "name";
  resolved = resolve(c, account());
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->spec.key, "name");
  EXPECT_EQ(resolved->spec.columns[1], (config::column_spec{"_primarycontactid_value", "_primarycontactid_value",
                                                             column_type::lookup, false}));
}

TEST(Metadata, WhatCannotBeMirroredIsAClearErrorNamingTableAndAttribute) {
  auto c = entry("account");
  c.columns = std::vector<std::string>{"entityimage"};
  auto r = resolve(c, account());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::errc::metadata_invalid);
  EXPECT_NE(r.error().message.find("table account: attribute entityimage cannot be mirrored: it is an Image column"),
            std::string::npos)
      << r.error().message;

  c.columns = std::vector<std::string>{"nosuchcolumn"};
  r = resolve(c, account());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("attribute nosuchcolumn does not exist"), std::string::npos);

  auto odd = account();
  odd.attributes.push_back({"sample_vector", "Vector", "VectorType", true, "", {}, "", {}});
  r = resolve(entry("account"), odd);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("attribute sample_vector has AttributeType Vector"), std::string::npos);
  EXPECT_NE(r.error().message.find("exclude_columns"), std::string::npos);
  c = entry("account");
  c.exclude_columns = {"sample_vector"};
  EXPECT_TRUE(resolve(c, odd)) << "left out, the rest of the table goes on";
}

TEST(Metadata, ATableWithoutChangeTrackingIsRefusedWithHowToTurnItOn) {
  auto m = account();
  m.entity.change_tracking = false;
  auto r = resolve(entry("account"), m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::errc::not_tracked);
  EXPECT_NE(r.error().message.find("Track changes"), std::string::npos);
}

TEST(Metadata, BadMetadataNamesWhatIsWrong) {
  auto missing = parse_table(R"({"LogicalName": "account", "Attributes": []})", "account");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, core::errc::metadata_invalid);
  EXPECT_NE(missing.error().message.find("table account: the table's metadata has no EntitySetName, PrimaryIdAttribute"),
            std::string::npos)
      << missing.error().message;
  auto no_type = parse_table(R"({"LogicalName": "account", "EntitySetName": "accounts", "PrimaryIdAttribute": "accountid",
                                 "Attributes": [{"LogicalName": "name"}]})",
                             "account");
  ASSERT_FALSE(no_type);
  EXPECT_NE(no_type.error().message.find("table account: attribute name has no AttributeType"), std::string::npos);
  EXPECT_FALSE(parse_table("<html>", "account"));
  EXPECT_FALSE(parse_entity_list(R"({"value": 3})"));
  auto t = account();
  auto bad_options = merge_cast(t, attribute_cast::picklist,
                                R"({"value": [{"LogicalName": "industrycode", "OptionSet": {"Options": [{"Label": {}}]}}]})");
  ASSERT_FALSE(bad_options);
  EXPECT_NE(bad_options.error().message.find("attribute industrycode"), std::string::npos);
}

TEST(Metadata, TheTableListCarriesChangeTrackingAndKeys) {
  auto list = parse_entity_list(R"({"value": [
    {"LogicalName": "sample_book", "EntitySetName": "sample_books", "PrimaryIdAttribute": "sample_bookid",
     "ChangeTrackingEnabled": true, "Keys": [{"LogicalName": "sample_bookcode", "KeyAttributes": ["sample_bookcode"]}]},
    {"LogicalName": "account", "EntitySetName": "accounts", "PrimaryIdAttribute": "accountid", "ChangeTrackingEnabled": false}]})");
  ASSERT_TRUE(list) << list.error().message;
  auto const& tables = list->tables;
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].logical_name, "account") << "sorted by logical name";
  EXPECT_FALSE(tables[0].change_tracking);
  ASSERT_EQ(tables[1].keys.size(), 1u);
  EXPECT_EQ(tables[1].keys[0].attributes, (std::vector<std::string>{"sample_bookcode"}));
  EXPECT_TRUE(list->left_out.empty());
}

// Real organizations list internal and intersect tables with a null EntitySetName: the Web API
// cannot read them, and one of them must not make the whole list (discover, lookups by entity
// set) fail.
TEST(Metadata, TheTableListLeavesOutTablesTheWebApiCannotRead) {
  auto list = parse_entity_list(R"({"value": [
    {"LogicalName": "account", "EntitySetName": "accounts", "PrimaryIdAttribute": "accountid", "ChangeTrackingEnabled": true},
    {"LogicalName": "sample_intersect", "EntitySetName": null, "PrimaryIdAttribute": "sample_intersectid"},
    {"LogicalName": "sample_internal", "PrimaryIdAttribute": null},
    {"LogicalName": "contact", "EntitySetName": "contacts", "PrimaryIdAttribute": "contactid"}]})");
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->tables.size(), 2u);
  EXPECT_EQ(list->tables[0].logical_name, "account");
  EXPECT_EQ(list->tables[1].logical_name, "contact");
  EXPECT_EQ(list->left_out, (std::vector<std::string>{"sample_internal", "sample_intersect"})) << "sorted";
  // An entry without even a LogicalName is not a table at all: the answer is broken.
  EXPECT_FALSE(parse_entity_list(R"({"value": [{"EntitySetName": "accounts", "PrimaryIdAttribute": "accountid"}]})"));
  // The configured table itself being such a table stays an error naming it and the field.
  auto configured = parse_table(R"({"LogicalName": "sample_intersect", "EntitySetName": null,
                                    "PrimaryIdAttribute": "sample_intersectid", "Attributes": []})",
                                "sample_intersect");
  ASSERT_FALSE(configured);
  EXPECT_EQ(configured.error().code, core::errc::metadata_invalid);
  EXPECT_NE(configured.error().message.find("table sample_intersect: the table's metadata has no EntitySetName"),
            std::string::npos)
      << configured.error().message;
}

}  // namespace
}  // namespace dvsync::dataverse
