// The Web API surface of the emulator, driven through web_api::handle as the server drives it.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "api_client.hpp"

namespace emulator::test {
namespace {

namespace json = boost::json;

std::string const select3 = "$select=sample_bookcode,sample_name,sample_author";

std::map<std::string, std::string> ids_by_code(json::array const& value) {
  std::map<std::string, std::string> ids;
  for (auto const& v : value) ids[text(v.as_object(), "sample_bookcode")] = text(v.as_object(), "sample_bookid");
  return ids;
}

TEST(web_api_sample, golden_change_tracking_scenario) {
  web_api api({});
  api_client c{api};
  api.seed_sample();

  auto const initial = c.get(books + "?" + select3, {{"Prefer", "odata.track-changes"}});
  ASSERT_EQ(initial.status, 200) << initial.body;
  EXPECT_EQ(header(initial, "Preference-Applied"), "odata.track-changes");
  EXPECT_EQ(header(initial, "OData-Version"), "4.0");
  EXPECT_EQ(header(initial, "Content-Type"), "application/json; odata.metadata=minimal");
  auto const first = json_of(initial);
  EXPECT_EQ(text(first, "@odata.context"),
            std::string(origin) + "/api/data/v9.2/$metadata#sample_books(sample_bookcode,sample_name,sample_author)");
  EXPECT_FALSE(first.contains("@odata.nextLink"));
  auto const& rows = first.at("value").as_array();
  ASSERT_EQ(rows.size(), 10u);
  for (auto const& v : rows) {
    auto const& o = v.as_object();
    EXPECT_EQ(o.size(), 5u);  // etag, three columns, primary key
    EXPECT_TRUE(std::regex_match(text(o, "@odata.etag"), std::regex(R"(W/"\d+")")));
    EXPECT_TRUE(std::regex_match(text(o, "sample_bookid"), std::regex("[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")));
  }
  auto const ids = ids_by_code(rows);
  ASSERT_EQ(ids.size(), 10u);
  EXPECT_EQ(text(rows[0].as_object(), "sample_name").substr(0, 10), "Demo Book ");
  std::string const d1 = text(first, "@odata.deltaLink");
  EXPECT_TRUE(std::regex_match(
      d1,
      std::regex(std::string(origin) + R"(/api/data/v9\.2/sample_books\?\$select=sample_bookcode,sample_name,)"
                                       R"(sample_author&\$deltatoken=\d+%21\d\d%2f\d\d%2f\d{4}%20\d\d%3a\d\d%3a\d\d)")))
      << d1;

  for (int i = 10; i < 20; ++i) {
    std::string const n = std::to_string(i);
    auto const created = c.send("POST", books,
                                R"({"sample_name":"Demo Book )" + n + R"(","sample_bookcode":"BookCode)" + n +
                                    R"(","sample_author":"Author)" + n + R"("})",
                                {{"Content-Type", "application/json"}});
    ASSERT_EQ(created.status, 204) << created.body;
    EXPECT_TRUE(std::regex_match(header(created, "OData-EntityId"),
                                 std::regex(std::string(origin) + R"(/api/data/v9\.2/sample_books\([0-9a-f-]{36}\))")));
  }
  auto const updated =
      c.send("PATCH", books + "(sample_bookcode='BookCode0')", R"({"sample_name":"Demo Book 0 updated 10:42 AM"})");
  ASSERT_EQ(updated.status, 204) << updated.body;
  auto const deleted = c.send("DELETE", books + "(sample_bookcode='BookCode1')");
  ASSERT_EQ(deleted.status, 204) << deleted.body;

  auto const delta = c.follow(d1);
  ASSERT_EQ(delta.status, 200) << delta.body;
  auto const second = json_of(delta);
  EXPECT_EQ(
      text(second, "@odata.context"),
      std::string(origin) + "/api/data/v9.2/$metadata#sample_books(sample_bookcode,sample_name,sample_author)/$delta");
  auto const& changes = second.at("value").as_array();
  ASSERT_EQ(changes.size(), 12u) << delta.body;
  std::int64_t previous = 0;
  for (int i = 0; i < 11; ++i) {
    auto const& o = changes[static_cast<std::size_t>(i)].as_object();
    std::string const expected = i < 10 ? "Demo Book " + std::to_string(i + 10) : "Demo Book 0 updated 10:42 AM";
    EXPECT_EQ(text(o, "sample_name"), expected);
    EXPECT_GT(etag_version(o), previous);
    previous = etag_version(o);
  }
  EXPECT_EQ(text(changes[10].as_object(), "sample_bookid"), ids.at("BookCode0"));
  auto const& gone = changes[11].as_object();
  EXPECT_TRUE(is_deleted_entry(gone));
  EXPECT_EQ(text(gone, "@odata.context"), std::string(origin) + "/api/data/v9.2/$metadata#sample_books/$deletedEntity");
  EXPECT_EQ(text(gone, "id"), ids.at("BookCode1"));
  EXPECT_EQ(text(gone, "reason"), "deleted");
  EXPECT_EQ(gone.size(), 3u);

  std::string const d2 = text(second, "@odata.deltaLink");
  ASSERT_FALSE(d2.empty());
  auto const empty = c.follow(d2);
  ASSERT_EQ(empty.status, 200) << empty.body;
  auto const third = json_of(empty);
  EXPECT_TRUE(third.at("value").as_array().empty());
  EXPECT_FALSE(text(third, "@odata.deltaLink").empty());
}

TEST(web_api_routes, accepts_v90_and_v91_and_builds_links_with_the_same_version) {
  web_api api({});
  api_client c{api};
  api.seed_sample();
  for (std::string v : {"v9.0", "v9.1"}) {
    auto const r = c.get("/api/data/" + v + "/sample_books?$select=sample_name", {{"Prefer", "odata.track-changes"}});
    ASSERT_EQ(r.status, 200) << r.body;
    std::string const link = text(json_of(r), "@odata.deltaLink");
    EXPECT_EQ(link.find(std::string(origin) + "/api/data/" + v + "/sample_books?$select=sample_name&$deltatoken="), 0u)
        << link;
  }
}

TEST(web_api_routes, unknown_entity_set_is_404_and_case_sensitive) {
  web_api api({});
  api_client c{api};
  auto const r = c.get("/api/data/v9.2/Sample_books");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_code(r), "0x8006088a");
  EXPECT_EQ(error_message(r), "Resource not found for the segment 'Sample_books'.");
  EXPECT_EQ(c.get("/api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)").status, 404);
}

TEST(web_api_routes, path_outside_the_web_api_is_404) {
  web_api api({});
  api_client c{api};
  auto const r = c.get("/api/data/v8.2/sample_books");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_code(r), "");
}

TEST(web_api_routes, unsupported_method_is_405) {
  web_api api({});
  api_client c{api};
  EXPECT_EQ(c.send("PUT", books, "{}").status, 405);
  EXPECT_EQ(c.send("DELETE", books).status, 405);
}

TEST(web_api_select, unknown_column_is_400_with_the_documented_message) {
  web_api api({});
  api_client c{api};
  auto const r = c.get(books + "?$select=sample_name,Name");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code(r), "0x0");
  EXPECT_EQ(error_message(r), "Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.sample_book'.");
  EXPECT_EQ(c.get(books + "?$select=sample_name,Name", {{"Prefer", "odata.track-changes"}}).status, 400);
}

TEST(web_api_select, no_select_returns_every_column_and_system_columns) {
  web_api api({});
  api_client c{api};
  api.seed_sample();
  auto const r = c.get(books);
  ASSERT_EQ(r.status, 200);
  auto const body = json_of(r);
  EXPECT_EQ(text(body, "@odata.context"), std::string(origin) + "/api/data/v9.2/$metadata#sample_books");
  auto const& row = body.at("value").as_array().at(0).as_object();
  for (char const* key : {"sample_name", "sample_bookcode", "sample_author", "sample_bookid", "versionnumber",
                          "createdon", "modifiedon", "@odata.etag"})
    EXPECT_TRUE(row.contains(key)) << key;
  EXPECT_EQ(row.at("versionnumber").as_int64(), etag_version(row));
  EXPECT_TRUE(std::regex_match(text(row, "createdon"), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
}

TEST(web_api_select, null_columns_are_explicit_nulls) {
  web_api api({});
  api_client c{api};
  ASSERT_EQ(c.send("POST", books, R"({"sample_name":"No author","sample_bookcode":"X1"})").status, 204);
  auto const r = c.get(books + "?$select=sample_name,sample_author");
  auto const body = json_of(r);
  auto const& row = body.at("value").as_array().at(0).as_object();
  ASSERT_TRUE(row.contains("sample_author"));
  EXPECT_TRUE(row.at("sample_author").is_null());
}

TEST(web_api_tracking, rejects_filter_orderby_expand_top_with_the_documented_message) {
  web_api api({});
  api_client c{api};
  for (std::string option : {"$filter", "$orderby", "$expand", "$top"}) {
    std::string const value = option == "$top" ? "5" : option == "$filter" ? "sample_name%20eq%20'x'" : "sample_name";
    auto const r = c.get(books + "?$select=sample_name&" + option + "=" + value,
                         {{"Prefer", "odata.track-changes,odata.maxpagesize=10"}});
    EXPECT_EQ(r.status, 400) << option;
    EXPECT_EQ(error_message(r),
              "The \"" + option + "\" query parameter isn't supported when Change Tracking is enabled.");
  }
}

TEST(web_api_tracking, prefer_as_repeated_headers_or_a_comma_list) {
  web_api api({});
  api_client c{api};
  api.seed_sample();
  auto const list = c.get(books + "?$select=sample_name", {{"Prefer", "odata.track-changes, odata.maxpagesize=4"}});
  auto const repeated =
      c.get(books + "?$select=sample_name", {{"prefer", "odata.maxpagesize=4"}, {"Prefer", "odata.track-changes"}});
  for (auto const* r : {&list, &repeated}) {
    ASSERT_EQ(r->status, 200);
    auto const body = json_of(*r);
    EXPECT_EQ(body.at("value").as_array().size(), 4u);
    EXPECT_TRUE(body.contains("@odata.nextLink"));
    EXPECT_EQ(header(*r, "Preference-Applied"), "odata.track-changes,odata.maxpagesize=4");
  }
}

TEST(web_api_tracking, malformed_delta_token_is_400) {
  web_api api({});
  api_client c{api};
  for (std::string token : {"garbage", "12%2101%2f01%2f2024", "abc%2101%2f01%2f2024%2000%3a00%3a00",
                            "12%2113%2f45%2f2024%2000%3a00%3a00"}) {
    auto const r = c.get(books + "?$select=sample_name&$deltatoken=" + token);
    EXPECT_EQ(r.status, 400) << token;
    EXPECT_EQ(error_code(r), "0x0") << token;
  }
}

TEST(web_api_tracking, malformed_or_foreign_skiptoken_is_400) {
  web_api api({});
  api_client c{api};
  std::string const not_ours =
      "%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e"
      "%253ccontactid%2520last%253d%2522%257bD5026A4D-D01C-ED11-B83E-000D3A572421%257d%2522"
      "%2520first%253d%2522%257b49B0BE2E-D01C-ED11-B83E-000D3A572421%257d%2522%2520%252f%253e"
      "%253c%252fcookie%253e%22%20istracking=%22False%22%20/%3E";
  for (std::string token : {std::string("abc"), std::string("%3Ccookie%20/%3E"), not_ours}) {
    auto const r = c.get(books + "?$select=sample_name&$skiptoken=" + token);
    EXPECT_EQ(r.status, 400) << token;
    EXPECT_EQ(error_code(r), "0x0");
  }
}

TEST(web_api_writes, post_with_return_representation_is_201_with_the_row) {
  web_api api({});
  api_client c{api};
  auto const r = c.send("POST", books + "?$select=sample_name,sample_bookcode",
                        R"({"sample_name":"Repr","sample_bookcode":"R1"})", {{"Prefer", "return=representation"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(header(r, "Preference-Applied"), "return=representation");
  auto const body = json_of(r);
  EXPECT_EQ(text(body, "sample_name"), "Repr");
  EXPECT_EQ(text(body, "sample_bookcode"), "R1");
  EXPECT_EQ(header(r, "OData-EntityId"),
            std::string(origin) + "/api/data/v9.2/sample_books(" + text(body, "sample_bookid") + ")");
  EXPECT_EQ(etag_version(body), api.current_version());
}

TEST(web_api_writes, duplicate_alternate_key_is_412) {
  web_api api({});
  api_client c{api};
  api.seed_sample();
  auto const r = c.send("POST", books, R"({"sample_name":"Again","sample_bookcode":"BookCode3"})");
  EXPECT_EQ(r.status, 412);
  EXPECT_EQ(error_code(r), "0x80060892");
  EXPECT_EQ(error_message(r),
            "Entity Key sample_bookcode violated. A record with the same value for sample_bookcode already exists. "
            "A duplicate record cannot be created. Select one or more unique values and try again.");
  // Changing another row's key onto an existing one is refused the same way.
  auto const patch = c.send("PATCH", books + "(sample_bookcode='BookCode4')", R"({"sample_bookcode":"BookCode3"})");
  EXPECT_EQ(patch.status, 412);
  EXPECT_EQ(api.row_count("sample_books"), 10);
}

TEST(web_api_writes, upsert_by_alternate_key_creates_then_updates) {
  web_api api({});
  api_client c{api};
  auto const created = c.send("PATCH", books + "(sample_bookcode='NEW1')", R"({"sample_name":"First"})");
  ASSERT_EQ(created.status, 204) << created.body;
  EXPECT_EQ(api.row_count("sample_books"), 1);
  auto const v1 = api.current_version();
  auto const updated = c.send("PATCH", books + "(sample_bookcode='NEW1')", R"({"sample_name":"Second"})");
  ASSERT_EQ(updated.status, 204) << updated.body;
  EXPECT_EQ(header(updated, "OData-EntityId"), header(created, "OData-EntityId"));
  EXPECT_EQ(api.row_count("sample_books"), 1);
  EXPECT_GT(api.current_version(), v1);
  auto const row = json_of(c.get(books + "(sample_bookcode='NEW1')?$select=sample_name,sample_bookcode"));
  EXPECT_EQ(text(row, "sample_name"), "Second");
  EXPECT_EQ(text(row, "sample_bookcode"), "NEW1");
}

TEST(web_api_writes, if_match_star_does_not_create) {
  web_api api({});
  api_client c{api};
  auto const r = c.send("PATCH", books + "(sample_bookcode='MISSING')", R"({"sample_name":"x"})", {{"If-Match", "*"}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(api.row_count("sample_books"), 0);
}

TEST(web_api_writes, if_match_with_a_stale_etag_is_412) {
  web_api api({});
  api_client c{api};
  api.seed_sample();
  auto const row = json_of(c.get(books + "(sample_bookcode='BookCode2')?$select=sample_name"));
  std::string const etag = text(row, "@odata.etag");
  ASSERT_EQ(
      c.send("PATCH", books + "(sample_bookcode='BookCode2')", R"({"sample_name":"a"})", {{"If-Match", etag}}).status,
      204);
  auto const stale =
      c.send("PATCH", books + "(sample_bookcode='BookCode2')", R"({"sample_name":"b"})", {{"If-Match", etag}});
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(error_code(stale), "0x80060882");
}

TEST(web_api_writes, upsert_by_id_creates_with_that_id) {
  web_api api({});
  api_client c{api};
  std::string const id = "0c67748a-b78d-e711-811c-000d3a75bdf1";
  ASSERT_EQ(c.send("PATCH", books + "(" + id + ")", R"({"sample_name":"By id","sample_bookcode":"ID1"})").status, 204);
  auto const row = json_of(c.get(books + "(" + id + ")?$select=sample_name"));
  EXPECT_EQ(text(row, "sample_bookid"), id);
  EXPECT_EQ(text(row, "sample_name"), "By id");
  auto const upper = c.get(books + "(sample_bookid=0C67748A-B78D-E711-811C-000D3A75BDF1)");
  EXPECT_EQ(upper.status, 200);
}

TEST(web_api_writes, quotes_in_key_values_are_doubled_and_percent_encoded) {
  web_api api({});
  api_client c{api};
  ASSERT_EQ(c.send("PATCH", books + "(sample_bookcode='O''Brien')", R"({"sample_name":"Irish"})").status, 204);
  auto const row = c.get(books + "(sample_bookcode=%27O%27%27Brien%27)?$select=sample_bookcode");
  ASSERT_EQ(row.status, 200) << row.body;
  EXPECT_EQ(text(json_of(row), "sample_bookcode"), "O'Brien");
  EXPECT_EQ(c.send("DELETE", books + "(sample_bookcode='O%27%27Brien')").status, 204);
  EXPECT_EQ(api.row_count("sample_books"), 0);
}

TEST(web_api_writes, delete_of_a_missing_row_is_404) {
  web_api api({});
  api_client c{api};
  auto const by_key = c.send("DELETE", books + "(sample_bookcode='nope')");
  EXPECT_EQ(by_key.status, 404);
  EXPECT_EQ(error_code(by_key), "0x80040217");
  auto const by_id = c.send("DELETE", books + "(00000000-0000-0000-0000-000000000001)");
  EXPECT_EQ(by_id.status, 404);
  EXPECT_EQ(error_message(by_id), "sample_book With Id = 00000000-0000-0000-0000-000000000001 Does Not Exist");
}

TEST(web_api_writes, required_column_missing_on_create_is_400) {
  web_api api({});
  api_client c{api};
  auto const r = c.send("POST", books, R"({"sample_bookcode":"NoName"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(error_message(r).find("sample_name"), std::string::npos);
  EXPECT_EQ(api.row_count("sample_books"), 0);
  options relaxed;
  relaxed.enforce_required = false;
  web_api lenient(relaxed);
  api_client l{lenient};
  EXPECT_EQ(l.send("POST", books, R"({"sample_bookcode":"NoName"})").status, 204);
}

TEST(web_api_writes, invalid_bodies_are_400) {
  web_api api({});
  api_client c{api};
  EXPECT_EQ(c.send("POST", books, "not json").status, 400);
  EXPECT_EQ(c.send("POST", books, "[]").status, 400);
  auto const unknown = c.send("POST", books, R"({"sample_name":"x","sample_colour":"red"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(error_message(unknown),
            "The property 'sample_colour' does not exist on type 'Microsoft.Dynamics.CRM.sample_book'. "
            "Make sure to only use property names that are defined by the type.");
  EXPECT_EQ(c.send("POST", books, R"({"sample_name":42})").status, 400);
  auto const too_long = c.send("POST", books, R"({"sample_name":")" + std::string(101, 'a') + "\"}");
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(error_code(too_long), "0x80044331");
  EXPECT_EQ(c.send("POST", books, R"({"sample_name":")" + std::string(100, 'a') + "\"}").status, 204);
}

TEST(web_api_writes, an_empty_string_is_stored_as_null) {
  web_api api({});
  api_client c{api};
  ASSERT_EQ(c.send("POST", books, R"({"sample_name":"x","sample_author":""})").status, 204);
  auto const body = json_of(c.get(books + "?$select=sample_author"));
  auto const& row = body.at("value").as_array().at(0).as_object();
  EXPECT_TRUE(row.at("sample_author").is_null());
}

TEST(web_api_writes, every_write_bumps_the_global_version) {
  web_api api({});
  api_client c{api};
  auto const v0 = api.current_version();
  ASSERT_EQ(c.send("POST", books, R"({"sample_name":"a","sample_bookcode":"A"})").status, 204);
  ASSERT_EQ(c.send("PATCH", books + "(sample_bookcode='A')", R"({"sample_name":"b"})").status, 204);
  ASSERT_EQ(c.send("DELETE", books + "(sample_bookcode='A')").status, 204);
  EXPECT_EQ(api.current_version(), v0 + 3);
  EXPECT_EQ(api.tombstone_count("sample_books"), 1);
}

TEST(web_api_writes, get_single_row_by_id_and_key) {
  web_api api({});
  api_client c{api};
  api.seed_sample();
  auto const by_key = c.get(books + "(sample_bookcode='BookCode5')?$select=sample_name");
  ASSERT_EQ(by_key.status, 200);
  auto const row = json_of(by_key);
  EXPECT_EQ(text(row, "@odata.context"),
            std::string(origin) + "/api/data/v9.2/$metadata#sample_books(sample_name)/$entity");
  EXPECT_EQ(text(row, "sample_name"), "Demo Book 5");
  EXPECT_FALSE(row.contains("sample_author"));
  auto const by_id = json_of(c.get(books + "(" + text(row, "sample_bookid") + ")"));
  EXPECT_EQ(text(by_id, "sample_author"), "Author5");
  auto const bad_key = c.get(books + "(sample_author='Author5')");
  EXPECT_EQ(bad_key.status, 400);
  EXPECT_NE(error_message(bad_key).find("The key in the request URI is not valid for resource"), std::string::npos);
}

TEST(web_api_organization, reports_the_change_retention) {
  options o;
  o.change_retention_days = 30;
  web_api api(o);
  api_client c{api};
  auto const r = c.get("/api/data/v9.2/organizations?$select=expirechangetrackingindays");
  ASSERT_EQ(r.status, 200) << r.body;
  auto const body = json_of(r);
  auto const& value = body.at("value").as_array();
  ASSERT_EQ(value.size(), 1u);
  EXPECT_EQ(value[0].as_object().at("expirechangetrackingindays").as_int64(), 30);
  EXPECT_FALSE(text(value[0].as_object(), "organizationid").empty());
  EXPECT_EQ(c.get("/api/data/v9.2/organizations?$select=nosuch").status, 400);

  std::string const id = text(value[0].as_object(), "organizationid");
  ASSERT_EQ(c.send("PATCH", "/api/data/v9.2/organizations(" + id + ")", R"({"expirechangetrackingindays":3})").status,
            204);
  EXPECT_EQ(api.retention_days(), 3);
}

TEST(web_api_organization, whoami_and_entity_definitions) {
  web_api api({});
  api_client c{api};
  auto const who = c.get("/api/data/v9.2/WhoAmI");
  ASSERT_EQ(who.status, 200);
  EXPECT_FALSE(text(json_of(who), "UserId").empty());
  auto const defs = c.get(
      "/api/data/v9.2/"
      "EntityDefinitions?$select=LogicalName,ChangeTrackingEnabled&$filter=ChangeTrackingEnabled%20eq%20true");
  ASSERT_EQ(defs.status, 200) << defs.body;
  auto const body = json_of(defs);
  auto const& value = body.at("value").as_array();
  ASSERT_EQ(value.size(), 3u);  // every built-in table but sample_note
  EXPECT_EQ(text(value[0].as_object(), "LogicalName"), "sample_book");
  auto const one = c.get("/api/data/v9.2/EntityDefinitions(LogicalName='sample_book')?$select=EntitySetName");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(text(json_of(one), "EntitySetName"), "sample_books");
}

TEST(web_api_control, dump_lists_every_row_by_id) {
  web_api api({});
  api.seed_sample();
  auto const dump = boost::json::parse(api.dump("sample_books")).as_array();
  ASSERT_EQ(dump.size(), 10u);
  std::string previous;
  std::set<std::string> codes;
  for (auto const& v : dump) {
    auto const& o = v.as_object();
    EXPECT_GT(text(o, "id"), previous);
    previous = text(o, "id");
    EXPECT_GT(o.at("version").as_int64(), 0);
    codes.insert(text(o, "sample_bookcode"));
    EXPECT_TRUE(o.contains("sample_name") && o.contains("sample_author") && o.contains("modifiedon"));
  }
  EXPECT_EQ(codes.size(), 10u);
  EXPECT_THROW((void)api.dump("nosuch"), std::invalid_argument);
}

TEST(web_api_control, seed_sample_twice_keeps_ten_books) {
  web_api api({});
  api.seed_sample();
  api.seed_sample();
  EXPECT_EQ(api.row_count("sample_books"), 10);
}

TEST(web_api_control, row_helpers_write_like_the_web_api) {
  web_api api({});
  std::string const id = api.create_row("sample_books", R"({"sample_name":"helper","sample_bookcode":"H1"})");
  EXPECT_TRUE(api.update_row("sample_books", id, R"({"sample_author":"someone"})"));
  EXPECT_THROW(api.create_row("sample_books", R"({"sample_name":"dup","sample_bookcode":"H1"})"),
               std::invalid_argument);
  EXPECT_TRUE(api.delete_row("sample_books", id));
  EXPECT_FALSE(api.delete_row("sample_books", id));
  EXPECT_FALSE(api.update_row("sample_books", id, R"({"sample_author":"x"})"));
}

TEST(web_api_control, reset_empties_tables_keeps_versions_and_expires_tokens) {
  web_api api({});
  api_client c{api};
  api.seed_sample();
  auto const link =
      text(json_of(c.get(books + "?$select=sample_name", {{"Prefer", "odata.track-changes"}})), "@odata.deltaLink");
  auto const v = api.current_version();
  api.reset();
  EXPECT_EQ(api.row_count("sample_books"), 0);
  EXPECT_GT(api.current_version(), v);
  EXPECT_EQ(error_code(c.follow(link)), "0x80044352");
}

TEST(web_api_control, a_removed_table_answers_as_one_that_never_existed) {
  web_api api({});
  api_client c{api};
  api.seed_sample();
  auto const link =
      text(json_of(c.get(books + "?$select=sample_name", {{"Prefer", "odata.track-changes"}})), "@odata.deltaLink");
  api.remove_table("sample_books");
  for (auto const& url : {books + "?$select=sample_name", link}) {
    auto const r = url == link ? c.follow(url) : c.get(url);
    EXPECT_EQ(r.status, 404) << url;
    EXPECT_EQ(error_code(r), "0x8006088a") << url;
    EXPECT_EQ(error_message(r), "Resource not found for the segment 'sample_books'.") << url;
  }
  auto const definition = c.get("/api/data/v9.2/EntityDefinitions(LogicalName='sample_book')");
  EXPECT_EQ(definition.status, 404);
  EXPECT_EQ(error_message(definition), "Could not find entity with key 'sample_book'.");
  auto const sets = api.entity_sets();
  EXPECT_EQ(std::count(sets.begin(), sets.end(), "sample_books"), 0);
  EXPECT_FALSE(sets.empty()) << "the other tables stay";
  EXPECT_THROW(api.remove_table("sample_books"), std::invalid_argument);
}

TEST(web_api_options, a_bad_schema_is_refused_with_a_clear_message) {
  options o;
  o.schema_json = R"({"tables":[{"entity_set":"x","logical_name":"x","columns":[{"name":"a","type":"text"}]}]})";
  try {
    web_api api(o);
    FAIL() << "accepted a bad schema";
  } catch (std::runtime_error const& e) {
    EXPECT_NE(std::string(e.what()).find("tables[0].columns[0]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'text'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace emulator::test
