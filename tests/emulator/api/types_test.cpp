// Column types of the built-in account and contact tables: how each value is written, stored and
// rendered, exact decimals, option sets and the annotations odata.include-annotations asks for.

#include <gtest/gtest.h>

#include "api_client.hpp"
#include "decimal_text.hpp"

namespace emulator::test {
namespace {

std::string const accounts = "/api/data/v9.2/accounts";
std::string const contacts = "/api/data/v9.2/contacts";

header_list tracked() {
  return {{"Prefer", "odata.track-changes"}};
}

// "<nav>@odata.bind":"/<set>(<id>)"
std::string bind_ref(std::string const& nav, std::string const& set, std::string const& id) {
  return "\"" + nav + "@odata.bind\":\"/" + set + "(" + id + ")\"";
}

// The raw text of a member in a record body: numbers are compared as sent, not as doubles.
std::string raw_member(std::string const& body, std::string const& name) {
  std::string const key = "\"" + name + "\":";
  auto const at = body.find(key);
  if (at == std::string::npos) return "<missing>";
  auto const start = at + key.size();
  auto end = body.find_first_of(",}", start);
  if (body[start] == '"') {
    end = start + 1;
    while (body[end] != '"') end += body[end] == '\\' ? 2 : 1;
    ++end;
  }
  return body.substr(start, end - start);
}

TEST(decimal_text, normalizes_rounds_and_compares_exactly) {
  EXPECT_EQ(normalize_decimal("922337203685477.5807", 4), "922337203685477.5807");
  EXPECT_EQ(normalize_decimal("0.1", 4), "0.1000");
  EXPECT_EQ(normalize_decimal("1e2", 2), "100.00");
  EXPECT_EQ(normalize_decimal("1.005", 2), "1.01");
  EXPECT_EQ(normalize_decimal("-0.005", 2), "-0.01");
  EXPECT_EQ(normalize_decimal("-0.001", 2), "0.00");
  EXPECT_EQ(normalize_decimal("9.999", 2), "10.00");
  EXPECT_EQ(normalize_decimal("12", 0), "12");
  EXPECT_EQ(normalize_decimal("2.5E-3", 4), "0.0025");
  EXPECT_FALSE(normalize_decimal("01", 2));
  EXPECT_FALSE(normalize_decimal("1.", 2));
  EXPECT_FALSE(normalize_decimal("abc", 2));
  EXPECT_LT(compare_decimal("922337203685477.5807", "922337203685477.5808"), 0);
  EXPECT_GT(compare_decimal("-1", "-2"), 0);
  EXPECT_EQ(compare_decimal("1.50", "1.5"), 0);
  EXPECT_EQ(group_thousands("20000", 2), "20,000.00");
  EXPECT_EQ(group_thousands("-1234567.891", 2), "-1,234,567.89");
}

TEST(types, exact_money_digits_round_trip_through_a_write_and_tracked_reads) {
  web_api api({});
  api_client c{api};
  auto const initial = c.get(accounts + "?$select=name,revenue,sample_ledgerbalance", tracked());
  ASSERT_EQ(initial.status, 200) << initial.body;
  std::string const delta = text(json_of(initial), "@odata.deltaLink");
  ASSERT_FALSE(delta.empty());

  auto const created = c.send("POST", accounts,
                              R"({"name":"Exact","revenue":0.1,"sample_ledgerbalance":922337203685477.5807})",
                              {{"Prefer", "return=representation"}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(raw_member(created.body, "sample_ledgerbalance"), "922337203685477.5807");
  EXPECT_EQ(raw_member(created.body, "revenue"), "0.1000");

  auto const changes = c.follow(delta);
  ASSERT_EQ(changes.status, 200) << changes.body;
  EXPECT_EQ(raw_member(changes.body, "sample_ledgerbalance"), "922337203685477.5807");
  EXPECT_EQ(raw_member(changes.body, "revenue"), "0.1000");
  // A currency column brings the currency lookup along, as the documented response shows.
  EXPECT_NE(changes.body.find("\"_transactioncurrencyid_value\":"), std::string::npos) << changes.body;

  auto const low = c.send("POST", accounts, R"({"name":"Low","sample_ledgerbalance":-922337203685477.5808})",
                          {{"Prefer", "return=representation"}});
  ASSERT_EQ(low.status, 201) << low.body;
  EXPECT_EQ(raw_member(low.body, "sample_ledgerbalance"), "-922337203685477.5808");
  auto const over = c.send("POST", accounts, R"({"name":"Over","sample_ledgerbalance":922337203685477.5808})");
  EXPECT_EQ(over.status, 400);
  EXPECT_EQ(error_code(over), "0x80044331");
  // revenue has precision 2: written digits are rounded to it, rendered with money's four.
  auto const rounded = c.send("POST", accounts, R"({"name":"R","revenue":12.345})", {{"Prefer", "return=representation"}});
  EXPECT_EQ(raw_member(rounded.body, "revenue"), "12.3500");
  EXPECT_EQ(c.send("POST", accounts, R"({"name":"Neg","revenue":-1})").status, 400);
}

TEST(types, every_type_renders_as_the_web_api_does) {
  web_api api({});
  api_client c{api};
  std::string const contact = api.create_row("contacts", R"({"fullname":"Susanna Stubberod","birthdate":"1980-02-29"})");
  auto const r = c.send(
      "POST", accounts,
      std::string(R"({"name":"Litware","accountnumber":"A-1","description":"line 1\nline 2","revenue":20000,)"
      R"("numberofemployees":120,"sample_externalid":9007199254740993,"creditonhold":true,"address1_latitude":47.64,)"
      R"("exchangerate":1,"industrycode":7,"statecode":0,"statuscode":1,"sample_foundedon":"2023-04-07",)"
      R"("lastonholdtime":"2023-04-07T14:59:01-07:00","sample_channels":"3, 1",)") +
          bind_ref("primarycontactid", "contacts", contact) + "}",
      {{"Prefer", "return=representation"}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto const& b = r.body;
  EXPECT_EQ(raw_member(b, "name"), R"("Litware")");
  EXPECT_EQ(raw_member(b, "description"), R"("line 1\nline 2")");
  EXPECT_EQ(raw_member(b, "revenue"), "20000.0000");
  EXPECT_EQ(raw_member(b, "numberofemployees"), "120");
  EXPECT_EQ(raw_member(b, "sample_externalid"), "9007199254740993");
  EXPECT_EQ(raw_member(b, "creditonhold"), "true");
  EXPECT_EQ(raw_member(b, "address1_latitude"), "47.64");
  EXPECT_EQ(raw_member(b, "exchangerate"), "1.000000000000");
  EXPECT_EQ(raw_member(b, "industrycode"), "7");
  EXPECT_EQ(raw_member(b, "sample_foundedon"), R"("2023-04-07")");
  EXPECT_EQ(raw_member(b, "lastonholdtime"), R"("2023-04-07T21:59:01Z")");
  EXPECT_EQ(raw_member(b, "sample_channels"), R"("1,3")");
  EXPECT_EQ(raw_member(b, "_primarycontactid_value"), "\"" + contact + "\"");
  EXPECT_EQ(raw_member(b, "_transactioncurrencyid_value"), "null");
  // Dataverse makes the caller the owner of a row created without one.
  EXPECT_EQ(raw_member(b, "_ownerid_value"), R"("22cc22cc-dd33-ee44-ff55-66aa66aa66aa")");
  EXPECT_EQ(raw_member(b, "entityimage"), "null");
  EXPECT_EQ(raw_member(b, "sample_contractfile"), "null");

  auto const person = c.get(contacts + "(" + contact + ")?$select=birthdate,statecode,statuscode");
  EXPECT_EQ(raw_member(person.body, "birthdate"), R"("1980-02-29")");
  EXPECT_EQ(raw_member(person.body, "statecode"), "0");  // defaults of a create
  EXPECT_EQ(raw_member(person.body, "statuscode"), "1");

  // Choices: an empty string clears the column; values outside the option set are refused.
  auto const id = text(json_of(r), "accountid");
  ASSERT_EQ(c.send("PATCH", accounts + "(" + id + ")", R"({"sample_channels":""})").status, 204);
  EXPECT_EQ(raw_member(c.get(accounts + "(" + id + ")?$select=sample_channels").body, "sample_channels"), "null");
  EXPECT_EQ(error_code(c.send("PATCH", accounts + "(" + id + ")", R"({"industrycode":99})")), "0x80044331");
  EXPECT_EQ(c.send("PATCH", accounts + "(" + id + ")", R"({"sample_channels":"1,9"})").status, 400);
  EXPECT_EQ(c.send("PATCH", accounts + "(" + id + ")", R"({"sample_foundedon":"2023-04-07T10:00:00Z"})").status, 400);
  EXPECT_EQ(c.send("PATCH", accounts + "(" + id + ")", R"({"sample_contractfile":"x"})").status, 400);
}

TEST(types, polymorphic_lookups_bind_by_target) {
  web_api api({});
  api_client c{api};
  std::string const account = api.create_row("accounts", R"({"name":"Parent"})");
  auto const r = c.send("POST", contacts,
                        std::string(R"({"fullname":"Kid",)") + bind_ref("parentcustomerid_account", "accounts", account) + "}",
                        {{"Prefer", "return=representation"},
                         {"Prefer", R"(odata.include-annotations="*")"}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto const row = json_of(r);
  EXPECT_EQ(text(row, "_parentcustomerid_value"), account);
  EXPECT_EQ(text(row, "_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"), "account");
  EXPECT_EQ(text(row, "_parentcustomerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"),
            "parentcustomerid_account");
  EXPECT_EQ(text(row, "_parentcustomerid_value@OData.Community.Display.V1.FormattedValue"), "Parent");
  // A bind naming one target with another's set is refused.
  EXPECT_EQ(c.send("POST", contacts,
                   std::string(R"({"fullname":"X",)") + bind_ref("parentcustomerid_contact", "accounts", account) + "}")
                .status,
            400);
  auto const owned = c.send("PATCH", contacts + "(" + text(row, "contactid") + ")",
                            "{" + bind_ref("ownerid", "teams", "39e0dbe4-131b-e111-ba7e-78e7d1620f5e") + "}");
  ASSERT_EQ(owned.status, 204) << owned.body;
}

TEST(types, annotations_follow_the_documented_shapes) {
  web_api api({});
  api_client c{api};
  std::string const contact = api.create_row("contacts", R"x({"fullname":"Susanna Stubberod (sample)"})x");
  api.create_row("accounts", std::string(R"x({"name":"Litware, Inc. (sample)","revenue":20000,"customertypecode":1,)x"
                             R"("creditonhold":false,"sample_channels":"1,3","sample_foundedon":"2023-04-07",)") +
                                 bind_ref("primarycontactid", "contacts", contact) + "}");
  std::string const select =
      "?$select=name,revenue,_primarycontactid_value,customertypecode,creditonhold,sample_channels,sample_"
      "foundedon,_ownerid_value,modifiedon";
  auto const formatted =
      c.get(accounts + select, {{"Prefer", R"(odata.include-annotations="OData.Community.Display.V1.FormattedValue")"}});
  ASSERT_EQ(formatted.status, 200) << formatted.body;
  EXPECT_EQ(header(formatted, "Preference-Applied"),
            R"(odata.include-annotations="OData.Community.Display.V1.FormattedValue")");
  auto const row = json_of(formatted).at("value").as_array().at(0).as_object();
  char const* fv = "@OData.Community.Display.V1.FormattedValue";
  EXPECT_EQ(text(row, (std::string("revenue") + fv).c_str()), "$20,000.00");
  EXPECT_EQ(text(row, (std::string("_primarycontactid_value") + fv).c_str()), "Susanna Stubberod (sample)");
  EXPECT_EQ(text(row, (std::string("customertypecode") + fv).c_str()), "Competitor");
  EXPECT_EQ(text(row, (std::string("creditonhold") + fv).c_str()), "No");
  EXPECT_EQ(text(row, (std::string("sample_channels") + fv).c_str()), "Email; Web");
  EXPECT_EQ(text(row, (std::string("sample_foundedon") + fv).c_str()), "4/7/2023");
  EXPECT_FALSE(text(row, (std::string("modifiedon") + fv).c_str()).empty());
  EXPECT_FALSE(row.contains("_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"));
  // The annotation precedes its property, as in the documented response.
  EXPECT_LT(formatted.body.find("\"revenue@OData"), formatted.body.find("\"revenue\":"));

  auto const lookups = c.get(accounts + "?$select=name,_ownerid_value",
                             {{"Prefer", R"(odata.include-annotations="Microsoft.Dynamics.CRM.associatednavigationproperty,Microsoft.Dynamics.CRM.lookuplogicalname")"}});
  auto const owner = json_of(lookups).at("value").as_array().at(0).as_object();
  EXPECT_EQ(text(owner, "_ownerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"), "ownerid");
  EXPECT_EQ(text(owner, "_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"), "systemuser");
  EXPECT_FALSE(owner.contains("_ownerid_value@OData.Community.Display.V1.FormattedValue"));

  // Annotations on a tracked read keep the delta link (see README: issue #439).
  auto const tracked_read = c.get(accounts + select, {{"Prefer", "odata.track-changes"},
                                                      {"Prefer", R"(odata.include-annotations="*")"}});
  auto const page = json_of(tracked_read);
  EXPECT_FALSE(text(page, "@odata.deltaLink").empty()) << tracked_read.body;
  EXPECT_TRUE(page.at("value").as_array().at(0).as_object().contains(
      "_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname"));
  // Without the preference: no annotations.
  EXPECT_EQ(c.get(accounts + select).body.find("@OData.Community"), std::string::npos);
}

TEST(types, generated_rows_fill_every_type_and_point_lookups_at_existing_rows) {
  web_api api({});
  api.seed("contacts", 20, 3);
  api.seed("accounts", 50, 3);
  auto const contact_ids = boost::json::parse(api.dump("contacts")).as_array();
  std::set<std::string> ids;
  for (auto const& v : contact_ids) ids.insert(text(v.as_object(), "id"));
  auto const rows = boost::json::parse(api.dump("accounts")).as_array();
  ASSERT_EQ(rows.size(), 50u);
  int pointing = 0;
  for (auto const& v : rows) {
    auto const& o = v.as_object();
    if (o.at("_primarycontactid_value").is_string()) {
      EXPECT_TRUE(ids.count(text(o, "_primarycontactid_value")));
      ++pointing;
    }
    EXPECT_TRUE(o.at("statecode").is_int64());
    EXPECT_EQ(o.at("statuscode").as_int64(), o.at("statecode").as_int64() + 1);
    EXPECT_TRUE(o.at("sample_contractfile").is_null());
    if (o.at("sample_foundedon").is_string()) {
      EXPECT_EQ(text(o, "sample_foundedon").size(), 10u);
    }
  }
  EXPECT_GT(pointing, 40);
  // Same seed, same rows.
  web_api again({});
  again.seed("contacts", 20, 3);
  again.seed("accounts", 50, 3);
  auto strip = [](std::string dump) {
    auto rows = boost::json::parse(dump).as_array();
    for (auto& r : rows) {
      r.as_object().erase("createdon");
      r.as_object().erase("modifiedon");
    }
    return boost::json::serialize(rows);
  };
  EXPECT_EQ(strip(api.dump("accounts")), strip(again.dump("accounts")));
  api.mutate("accounts", 0.5, 4, 0.2, 0.7, 0.1);
}

TEST(types, a_table_without_change_tracking_has_no_delta_link) {
  web_api api({});
  api_client c{api};
  api.seed("sample_notes", 3, 1);
  auto const r = c.get("/api/data/v9.2/sample_notes", tracked());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(json_of(r).contains("@odata.deltaLink"));
  EXPECT_EQ(header(r, "Preference-Applied"), "");
}

}  // namespace
}  // namespace emulator::test
