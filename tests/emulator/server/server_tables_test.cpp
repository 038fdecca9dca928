// The built-in account/contact/sample_note tables, table definitions and run-time column changes,
// over real HTTP against the dataverse-emulator binary.
#include "web_client.hpp"

#include <gtest/gtest.h>

#include <string>

namespace dvsync::test {
namespace {

namespace json = boost::json;

// The JSON text of a member as sent (numbers are compared digit for digit).
std::string raw_member(std::string const& body, std::string const& name) {
  std::string const key = "\"" + name + "\":";
  auto const at = body.find(key);
  if (at == std::string::npos) return "<missing>";
  auto const start = at + key.size();
  return body.substr(start, body.find_first_of(",}", start) - start);
}

std::string error_message(http_reply const& r) {
  return std::string(json_of(r).as_object().at("error").as_object().at("message").as_string());
}

TEST(emulator_tables, exact_money_digits_survive_a_write_and_a_tracked_read) {
  emulator_process emu;
  auto const token = emu.token();
  auto const initial = read_all(emu.api_url("accounts?$select=name,revenue,sample_ledgerbalance"), token,
                                "odata.track-changes");
  ASSERT_FALSE(initial.delta_link.empty());
  auto const created = api_call("POST", emu.api_url("accounts"), token,
                                R"({"name":"Exact","revenue":0.1,"sample_ledgerbalance":922337203685477.5807})");
  ASSERT_EQ(created.status, 204) << created.body;
  auto const delta = api_call("GET", initial.delta_link, token);
  ASSERT_EQ(delta.status, 200) << delta.body;
  EXPECT_EQ(raw_member(delta.body, "sample_ledgerbalance"), "922337203685477.5807");
  EXPECT_EQ(raw_member(delta.body, "revenue"), "0.1000");
}

TEST(emulator_tables, seeded_tables_page_with_every_type_and_the_ct_off_table_has_no_delta_link) {
  emulator_process emu;
  auto const token = emu.token();
  ASSERT_EQ(emu.control("seed", R"({"entity_set":"contacts","count":30,"seed":5})").status, 200);
  ASSERT_EQ(emu.control("seed", R"({"entity_set":"accounts","count":40,"seed":5})").status, 200);
  auto const read = read_all(emu.api_url("accounts"), token, "odata.track-changes,odata.maxpagesize=15");
  EXPECT_EQ(read.rows.size(), 40u);
  EXPECT_EQ(read.pages.size(), 3u);
  ASSERT_FALSE(read.delta_link.empty());
  auto const& row = read.rows.front().as_object();
  for (auto const* name : {"name", "description", "revenue", "numberofemployees", "sample_externalid", "creditonhold",
                           "address1_latitude", "exchangerate", "industrycode", "statecode", "statuscode",
                           "_primarycontactid_value", "sample_foundedon", "sample_channels", "_ownerid_value",
                           "entityimage", "sample_contractfile", "versionnumber", "createdon", "modifiedon"})
    EXPECT_TRUE(row.contains(name)) << name;
  ASSERT_EQ(emu.control("mutate", R"({"entity_set":"accounts","fraction":0.5,"seed":2})").status, 200);
  auto const changes = read_all(read.delta_link, token, "odata.track-changes");
  EXPECT_EQ(changes.rows.size(), 20u);

  ASSERT_EQ(emu.control("seed", R"({"entity_set":"sample_notes","count":5})").status, 200);
  auto const notes = api_call("GET", emu.api_url("sample_notes"), token, {}, {{"Prefer", "odata.track-changes"}});
  ASSERT_EQ(notes.status, 200) << notes.body;
  EXPECT_FALSE(json_of(notes).as_object().contains("@odata.deltaLink"));
}

TEST(emulator_tables, metadata_endpoints_over_http) {
  emulator_process emu;
  auto const token = emu.token();
  auto const defs = api_call("GET",
                             emu.api_url("EntityDefinitions?$select=LogicalName,EntitySetName&$filter="
                                         "ChangeTrackingEnabled%20eq%20true"),
                             token);
  ASSERT_EQ(defs.status, 200) << defs.body;
  EXPECT_EQ(json_of(defs).as_object().at("value").as_array().size(), 3u);
  auto const options = api_call(
      "GET",
      emu.api_url("EntityDefinitions(LogicalName='account')/Attributes/"
                  "Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select="
                  "Options),GlobalOptionSet($select=Options)"),
      token);
  ASSERT_EQ(options.status, 200) << options.body;
  EXPECT_EQ(json_of(options).as_object().at("value").as_array().size(), 2u);
  auto const attrs = api_call(
      "GET", emu.api_url("EntityDefinitions(LogicalName='contact')/Attributes?$select=LogicalName,AttributeOf"), token);
  ASSERT_EQ(attrs.status, 200) << attrs.body;
}

TEST(emulator_tables, columns_added_and_removed_at_run_time) {
  emulator_process emu;
  auto const token = emu.token();
  ASSERT_EQ(emu.control("seed", R"({"entity_set":"accounts","count":5,"seed":1})").status, 200);
  auto const first_page = api_call("GET", emu.api_url("accounts?$select=name,accountnumber"), token, {},
                                   {{"Prefer", "odata.track-changes,odata.maxpagesize=2"}});
  ASSERT_EQ(first_page.status, 200) << first_page.body;
  std::string const next = std::string(json_of(first_page).as_object().at("@odata.nextLink").as_string());
  auto const initial = read_all(emu.api_url("accounts?$select=name"), token, "odata.track-changes");
  std::string const delta_name = initial.delta_link;
  auto const initial_number = read_all(emu.api_url("accounts?$select=name,accountnumber"), token, "odata.track-changes");

  // Add: null in existing rows, listed in metadata, delta links still valid.
  auto const added = emu.control("columns", R"({"entity_set":"accounts","add":{"name":"sample_region","type":"Picklist",)"
                                            R"("options":[{"value":1,"label":"North"},{"value":2,"label":"South"}]}})");
  ASSERT_EQ(added.status, 200) << added.body;
  auto const rows = read_all(emu.api_url("accounts?$select=name,sample_region"), token, "");
  ASSERT_EQ(rows.rows.size(), 5u);
  EXPECT_TRUE(rows.rows[0].as_object().at("sample_region").is_null());
  auto const meta = api_call(
      "GET", emu.api_url("EntityDefinitions(LogicalName='account')/Attributes(LogicalName='sample_region')"), token);
  EXPECT_EQ(meta.status, 200) << meta.body;
  auto const after_add = api_call("GET", delta_name, token);
  EXPECT_EQ(after_add.status, 200) << after_add.body;
  auto const write = api_call("PATCH", emu.api_url("accounts(" +
                                                   std::string(rows.rows[0].as_object().at("accountid").as_string()) + ")"),
                              token, R"({"sample_region":2})");
  EXPECT_EQ(write.status, 204) << write.body;

  // Remove: initial read, nextLink and delta link naming it get the unknown-property error.
  auto const removed = emu.control("columns", R"({"entity_set":"accounts","remove":"accountnumber"})");
  ASSERT_EQ(removed.status, 200) << removed.body;
  std::string const expected = "Could not find a property named 'accountnumber' on type 'Microsoft.Dynamics.CRM.account'.";
  for (auto const& url : {emu.api_url("accounts?$select=name,accountnumber"), next, initial_number.delta_link}) {
    auto const r = api_call("GET", url, token, {}, {{"Prefer", "odata.track-changes"}});
    EXPECT_EQ(r.status, 400) << url;
    EXPECT_EQ(error_message(r), expected) << url;
    EXPECT_EQ(std::string(json_of(r).as_object().at("error").as_object().at("code").as_string()), "0x0");
  }
  EXPECT_EQ(api_call("GET", delta_name, token).status, 200);
  EXPECT_EQ(api_call("GET",
                     emu.api_url("EntityDefinitions(LogicalName='account')/Attributes(LogicalName='accountnumber')"),
                     token)
                .status,
            404);
  EXPECT_EQ(emu.control("columns", R"({"entity_set":"accounts","remove":"name"})").status, 400);
  EXPECT_EQ(emu.control("columns", R"({"entity_set":"sample_books","remove":"sample_bookcode"})").status, 400);
  EXPECT_EQ(emu.control("columns", R"({"entity_set":"accounts","add":{"name":"revenue","type":"Money"}})").status, 400);
  EXPECT_EQ(emu.control("columns", R"({"entity_set":"nosuch","remove":"x"})").status, 400);
}

}  // namespace
}  // namespace dvsync::test
