// Table definitions: EntityDefinitions, Attributes, casts, option sets and keys, shaped as
// query-metadata-web-api.md shows them.

#include <gtest/gtest.h>

#include "api_client.hpp"

namespace emulator::test {
namespace {

std::string const defs = "/api/data/v9.2/EntityDefinitions";
std::string const account = defs + "(LogicalName='account')";

boost::json::object const* find_by(boost::json::array const& list, char const* key, std::string const& value) {
  for (auto const& v : list)
    if (text(v.as_object(), key) == value) return &v.as_object();
  return nullptr;
}

TEST(metadata, entity_definitions_select_filter_and_single) {
  web_api api({});
  api_client c{api};
  auto const all = c.get(defs + "?$select=LogicalName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,"
                                "ChangeTrackingEnabled,OwnershipType");
  ASSERT_EQ(all.status, 200) << all.body;
  auto const body = json_of(all);
  EXPECT_EQ(text(body, "@odata.context"),
            std::string(origin) + "/api/data/v9.2/$metadata#EntityDefinitions(LogicalName,EntitySetName,"
                                  "PrimaryIdAttribute,PrimaryNameAttribute,ChangeTrackingEnabled,OwnershipType)");
  auto const& value = body.at("value").as_array();
  ASSERT_EQ(value.size(), 4u);
  auto const* acc = find_by(value, "LogicalName", "account");
  ASSERT_TRUE(acc);
  EXPECT_EQ(text(*acc, "EntitySetName"), "accounts");
  EXPECT_EQ(text(*acc, "PrimaryIdAttribute"), "accountid");
  EXPECT_EQ(text(*acc, "PrimaryNameAttribute"), "name");
  EXPECT_EQ(text(*acc, "OwnershipType"), "UserOwned");
  EXPECT_FALSE(text(*acc, "MetadataId").empty());  // always returned
  EXPECT_FALSE(find_by(value, "LogicalName", "sample_note")->at("ChangeTrackingEnabled").as_bool());

  auto const filtered =
      json_of(c.get(defs + "?$select=LogicalName&$filter=ChangeTrackingEnabled%20eq%20false"));
  ASSERT_EQ(filtered.at("value").as_array().size(), 1u);
  auto const eligible = c.get(defs + "?$select=LogicalName&$filter=CanChangeTrackingBeEnabled/Value%20eq%20true");
  EXPECT_EQ(json_of(eligible).at("value").as_array().size(), 4u);

  auto const one = c.get(account + "?$select=LogicalName,EntitySetName");
  ASSERT_EQ(one.status, 200) << one.body;
  auto const o = json_of(one);
  EXPECT_EQ(text(o, "@odata.context"),
            std::string(origin) + "/api/data/v9.2/$metadata#EntityDefinitions(LogicalName,EntitySetName)/$entity");
  EXPECT_EQ(text(o, "EntitySetName"), "accounts");
  EXPECT_EQ(c.get(defs + "(" + text(o, "MetadataId") + ")?$select=LogicalName").status, 200);
  EXPECT_EQ(c.get(defs + "(LogicalName='nosuch')").status, 404);
  auto const bad = c.get(account + "?$select=NoSuchProperty");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_message(bad), "Could not find a property named 'NoSuchProperty' on type 'Microsoft.Dynamics.CRM.EntityMetadata'.");
}

TEST(metadata, attributes_list_with_types_and_attribute_of) {
  web_api api({});
  api_client c{api};
  auto const r = c.get(account + "/Attributes?$select=LogicalName,AttributeType,AttributeTypeName,IsValidForRead,AttributeOf");
  ASSERT_EQ(r.status, 200) << r.body;
  auto const body = json_of(r);
  EXPECT_EQ(text(body, "@odata.context"),
            std::string(origin) + "/api/data/v9.2/$metadata#EntityDefinitions('account')/"
                                  "Attributes(LogicalName,AttributeType,AttributeTypeName,IsValidForRead,AttributeOf)");
  auto const& list = body.at("value").as_array();
  auto type_of = [&](std::string const& name) {
    auto const* a = find_by(list, "LogicalName", name);
    return a ? text(*a, "AttributeType") + "/" + text(a->at("AttributeTypeName").as_object(), "Value") : "<missing>";
  };
  EXPECT_EQ(type_of("accountid"), "Uniqueidentifier/UniqueidentifierType");
  EXPECT_EQ(type_of("name"), "String/StringType");
  EXPECT_EQ(type_of("description"), "Memo/MemoType");
  EXPECT_EQ(type_of("revenue"), "Money/MoneyType");
  EXPECT_EQ(type_of("numberofemployees"), "Integer/IntegerType");
  EXPECT_EQ(type_of("sample_externalid"), "BigInt/BigIntType");
  EXPECT_EQ(type_of("creditonhold"), "Boolean/BooleanType");
  EXPECT_EQ(type_of("address1_latitude"), "Double/DoubleType");
  EXPECT_EQ(type_of("exchangerate"), "Decimal/DecimalType");
  EXPECT_EQ(type_of("industrycode"), "Picklist/PicklistType");
  EXPECT_EQ(type_of("statecode"), "State/StateType");
  EXPECT_EQ(type_of("statuscode"), "Status/StatusType");
  EXPECT_EQ(type_of("primarycontactid"), "Lookup/LookupType");
  EXPECT_EQ(type_of("ownerid"), "Owner/OwnerType");
  EXPECT_EQ(type_of("sample_foundedon"), "DateTime/DateTimeType");
  EXPECT_EQ(type_of("sample_channels"), "Virtual/MultiSelectPicklistType");
  EXPECT_EQ(type_of("entityimage"), "Virtual/ImageType");
  EXPECT_EQ(type_of("sample_contractfile"), "Virtual/FileType");
  EXPECT_EQ(type_of("owneridtype"), "EntityName/EntityNameType");
  EXPECT_EQ(type_of("industrycodename"), "Virtual/VirtualType");
  EXPECT_EQ(type_of("versionnumber"), "BigInt/BigIntType");
  auto const* name_of_contact = find_by(list, "LogicalName", "primarycontactidname");
  ASSERT_TRUE(name_of_contact);
  EXPECT_EQ(text(*name_of_contact, "AttributeOf"), "primarycontactid");
  EXPECT_TRUE(find_by(list, "LogicalName", "name")->at("AttributeOf").is_null());
  EXPECT_EQ(text(*find_by(list, "LogicalName", "name"), "@odata.type"), "#Microsoft.Dynamics.CRM.StringAttributeMetadata");
  // An AttributeOf attribute is no property of the entity type: selecting it is the usual 400.
  auto const sel = c.get("/api/data/v9.2/accounts?$select=primarycontactidname");
  EXPECT_EQ(error_message(sel), "Could not find a property named 'primarycontactidname' on type 'Microsoft.Dynamics.CRM.account'.");
  // Without a cast, only AttributeMetadata's own properties can be selected.
  EXPECT_EQ(c.get(account + "/Attributes?$select=LogicalName,MaxLength").status, 400);
  auto const picklists = json_of(c.get(account + "/Attributes?$select=LogicalName&$filter=AttributeType%20eq%20"
                                                 "Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist'"));
  EXPECT_EQ(picklists.at("value").as_array().size(), 2u);
}

TEST(metadata, single_attribute_and_casts) {
  web_api api({});
  api_client c{api};
  auto const one = c.get(account + "/Attributes(LogicalName='name')?$select=LogicalName,AttributeType");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(text(json_of(one), "AttributeType"), "String");
  EXPECT_EQ(c.get(account + "/Attributes(LogicalName='nosuch')").status, 404);

  auto const money = json_of(c.get(account + "/Attributes/Microsoft.Dynamics.CRM.MoneyAttributeMetadata?$select=LogicalName,Precision,MaxValue"));
  auto const* ledger = find_by(money.at("value").as_array(), "LogicalName", "sample_ledgerbalance");
  ASSERT_TRUE(ledger);
  EXPECT_EQ(ledger->at("Precision").as_int64(), 4);
  EXPECT_EQ(find_by(money.at("value").as_array(), "LogicalName", "revenue")->at("Precision").as_int64(), 2);

  auto const dates = json_of(c.get(account + "/Attributes/Microsoft.Dynamics.CRM.DateTimeAttributeMetadata?$select=LogicalName,Format,DateTimeBehavior"));
  auto const* founded = find_by(dates.at("value").as_array(), "LogicalName", "sample_foundedon");
  ASSERT_TRUE(founded);
  EXPECT_EQ(text(*founded, "Format"), "DateOnly");
  EXPECT_EQ(text(founded->at("DateTimeBehavior").as_object(), "Value"), "DateOnly");

  auto const lookups = json_of(c.get("/api/data/v9.2/EntityDefinitions(LogicalName='contact')/Attributes/Microsoft.Dynamics.CRM.LookupAttributeMetadata?$select=LogicalName,Targets"));
  auto const* parent = find_by(lookups.at("value").as_array(), "LogicalName", "parentcustomerid");
  ASSERT_TRUE(parent);
  EXPECT_EQ(boost::json::serialize(parent->at("Targets")), R"(["account","contact"])");
  EXPECT_FALSE(parent->contains("@odata.type"));

  auto const picklist = c.get(account + "/Attributes(LogicalName='industrycode')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options),GlobalOptionSet");
  ASSERT_EQ(picklist.status, 200) << picklist.body;
  auto const p = json_of(picklist);
  auto const& options = p.at("OptionSet").as_object().at("Options").as_array();
  ASSERT_EQ(options.size(), 33u);
  auto const& first = options[0].as_object();
  EXPECT_EQ(first.at("Value").as_int64(), 1);
  auto const& label = first.at("Label").as_object();
  EXPECT_EQ(text(label.at("LocalizedLabels").as_array()[0].as_object(), "Label"), "Accounting");
  EXPECT_EQ(label.at("LocalizedLabels").as_array()[0].as_object().at("LanguageCode").as_int64(), 1033);
  EXPECT_EQ(text(label.at("UserLocalizedLabel").as_object(), "Label"), "Accounting");
  EXPECT_TRUE(p.at("GlobalOptionSet").is_null());

  auto const channels = json_of(c.get(account + "/Attributes/Microsoft.Dynamics.CRM.MultiSelectPicklistAttributeMetadata?$select=LogicalName&$expand=GlobalOptionSet($select=Name,Options)"));
  auto const& global = channels.at("value").as_array().at(0).as_object().at("GlobalOptionSet").as_object();
  EXPECT_EQ(text(global, "Name"), "sample_channel");
  EXPECT_EQ(global.at("Options").as_array().size(), 5u);

  auto const states = json_of(c.get(account + "/Attributes/Microsoft.Dynamics.CRM.StateAttributeMetadata?$expand=OptionSet"));
  auto const& state_options = states.at("value").as_array().at(0).as_object().at("OptionSet").as_object().at("Options").as_array();
  EXPECT_EQ(state_options[1].as_object().at("DefaultStatus").as_int64(), 2);
  auto const statuses = json_of(c.get(account + "/Attributes/Microsoft.Dynamics.CRM.StatusAttributeMetadata?$expand=OptionSet"));
  EXPECT_EQ(statuses.at("value").as_array().at(0).as_object().at("OptionSet").as_object().at("Options").as_array()[1].as_object().at("State").as_int64(), 1);

  auto const only_options = c.get(account + "/Attributes(LogicalName='industrycode')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata/OptionSet?$select=Options");
  ASSERT_EQ(only_options.status, 200) << only_options.body;
  EXPECT_EQ(json_of(only_options).at("Options").as_array().size(), 33u);

  auto const booleans = json_of(c.get(account + "/Attributes(LogicalName='creditonhold')/Microsoft.Dynamics.CRM.BooleanAttributeMetadata?$expand=OptionSet"));
  EXPECT_EQ(text(booleans.at("OptionSet").as_object().at("TrueOption").as_object().at("Label").as_object().at("UserLocalizedLabel").as_object(), "Label"), "Yes");
  EXPECT_EQ(c.get(account + "/Attributes/Microsoft.Dynamics.CRM.NoSuchAttributeMetadata").status, 404);
  EXPECT_EQ(c.get(account + "/ManyToOneRelationships").status, 501);
}

TEST(metadata, keys_and_expands) {
  web_api api({});
  api_client c{api};
  auto const keys = json_of(c.get(defs + "(LogicalName='sample_book')/Keys?$select=LogicalName,KeyAttributes,EntityKeyIndexStatus"));
  auto const& k = keys.at("value").as_array().at(0).as_object();
  EXPECT_EQ(text(k, "LogicalName"), "sample_bookcode");
  EXPECT_EQ(boost::json::serialize(k.at("KeyAttributes")), R"(["sample_bookcode"])");
  EXPECT_EQ(text(k, "EntityKeyIndexStatus"), "Active");
  EXPECT_TRUE(json_of(c.get(account + "/Keys")).at("value").as_array().empty());

  auto const expanded = c.get(account + "?$select=LogicalName&$expand=Attributes($select=LogicalName,AttributeOf;$filter=IsValidForRead%20eq%20true),Keys");
  ASSERT_EQ(expanded.status, 200) << expanded.body;
  auto const e = json_of(expanded);
  EXPECT_TRUE(e.at("Keys").as_array().empty());
  auto const& attrs = e.at("Attributes").as_array();
  EXPECT_TRUE(find_by(attrs, "LogicalName", "name"));
  EXPECT_FALSE(find_by(attrs, "LogicalName", "industrycodename"));  // Virtual: not readable

  auto const global = c.get("/api/data/v9.2/GlobalOptionSetDefinitions(Name='sample_channel')");
  ASSERT_EQ(global.status, 200) << global.body;
  EXPECT_EQ(text(json_of(global), "@odata.type"), "#Microsoft.Dynamics.CRM.OptionSetMetadata");
}

}  // namespace
}  // namespace emulator::test
