// Paged reads, change-tracking reads and deltas: paging, stateless resume, changes while paging,
// expiry, and a million-row table.

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <set>

#include "api_client.hpp"

namespace emulator::test {
namespace {

namespace json = boost::json;

header_list tracked(int page_size) {
  return {{"Prefer", "odata.track-changes"}, {"Prefer", "odata.maxpagesize=" + std::to_string(page_size)}};
}

struct collected {
  std::vector<json::object> records;     // new or updated rows, in order
  std::vector<std::string> deleted_ids;  // $deletedEntity ids, in order
  std::vector<http_response> pages;
  std::string delta_link;
};

// Follows nextLinks until a page carries the delta link.
collected read_all(api_client& c, http_response first, header_list const& headers) {
  collected out;
  http_response page = std::move(first);
  for (int guard = 0; guard < 100000; ++guard) {
    EXPECT_EQ(page.status, 200) << page.body;
    if (page.status != 200) return out;
    auto const body = json_of(page);
    for (auto const& v : body.at("value").as_array()) {
      if (is_deleted_entry(v.as_object()))
        out.deleted_ids.push_back(text(v.as_object(), "id"));
      else
        out.records.push_back(v.as_object());
    }
    out.pages.push_back(page);
    std::string const next = text(body, "@odata.nextLink");
    if (next.empty()) {
      out.delta_link = text(body, "@odata.deltaLink");
      return out;
    }
    EXPECT_FALSE(body.contains("@odata.deltaLink"));
    page = c.follow(next, headers);
  }
  ADD_FAILURE() << "paging did not end";
  return out;
}

web_api ten_books() {
  options o;
  o.guid_seed = 42;  // the same ids in every instance
  web_api api(o);
  api.seed_sample();
  return api;
}

TEST(collection_reads_paging, page_size_3_over_10_rows_gives_4_pages) {
  auto api = ten_books();
  api_client c{api};
  auto const all = read_all(c, c.get(books + "?$select=sample_name", tracked(3)), tracked(3));
  ASSERT_EQ(all.pages.size(), 4u);
  std::vector<std::size_t> sizes;
  for (auto const& p : all.pages) {
    sizes.push_back(json_of(p).at("value").as_array().size());
    EXPECT_EQ(header(p, "Preference-Applied"), "odata.track-changes,odata.maxpagesize=3");
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 3, 3, 1}));
  std::set<std::string> ids;
  std::string previous;
  for (auto const& r : all.records) {
    std::string const id = text(r, "sample_bookid");
    EXPECT_GT(id, previous);  // id order: a stable walk that new rows cannot disturb
    previous = id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 10u);
  EXPECT_FALSE(all.delta_link.empty());
  std::string const next = text(json_of(all.pages[0]), "@odata.nextLink");
  EXPECT_EQ(next.find(std::string(origin) +
                      "/api/data/v9.2/"
                      "sample_books?$select=sample_name&$skiptoken=%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22"),
            0u)
      << next;
  EXPECT_NE(next.find("istracking=%22True%22%20/%3E"), std::string::npos) << next;
}

TEST(collection_reads_paging, plain_read_pages_without_a_delta_link) {
  auto api = ten_books();
  api_client c{api};
  header_list const prefer = {{"Prefer", "odata.maxpagesize=4"}};
  auto const all = read_all(c, c.get(books + "?$select=sample_name", prefer), prefer);
  ASSERT_EQ(all.pages.size(), 3u);
  EXPECT_EQ(all.records.size(), 10u);
  EXPECT_TRUE(all.delta_link.empty());
  EXPECT_EQ(header(all.pages[0], "Preference-Applied"), "odata.maxpagesize=4");
  EXPECT_NE(text(json_of(all.pages[0]), "@odata.nextLink").find("istracking=%22False%22"), std::string::npos);
}

TEST(collection_reads_paging, page_size_is_capped_by_the_maximum) {
  options o;
  o.max_page_size = 4;
  web_api api(o);
  api.seed_sample();
  api_client c{api};
  auto const r = c.get(books, {{"Prefer", "odata.maxpagesize=100"}});
  EXPECT_EQ(json_of(r).at("value").as_array().size(), 4u);
  EXPECT_EQ(header(r, "Preference-Applied"), "odata.maxpagesize=4");
  EXPECT_EQ(json_of(c.get(books)).at("value").as_array().size(), 4u);
}

TEST(collection_reads_paging, top_limits_a_plain_read) {
  auto api = ten_books();
  api_client c{api};
  auto const body = json_of(c.get(books + "?$select=sample_name&$top=2"));
  EXPECT_EQ(body.at("value").as_array().size(), 2u);
  EXPECT_FALSE(body.contains("@odata.nextLink"));
}

TEST(collection_reads_paging, resuming_from_a_saved_next_link_is_stateless) {
  auto a = ten_books();
  auto b = ten_books();
  api_client ca{a};
  api_client cb{b};
  auto const reference = read_all(ca, ca.get(books + "?$select=sample_name,sample_bookcode", tracked(3)), tracked(3));
  ASSERT_EQ(reference.pages.size(), 4u);
  // A client that saved page 2's link and restarted: the link alone, on an emulator that never
  // saw page 1, continues exactly where the first one would have.
  std::string const saved = text(json_of(reference.pages[1]), "@odata.nextLink");
  auto const resumed = read_all(cb, cb.follow(saved, tracked(3)), tracked(3));
  ASSERT_EQ(resumed.pages.size(), 2u);
  EXPECT_EQ(resumed.pages[0].body, reference.pages[2].body);
  EXPECT_EQ(resumed.pages[1].body, reference.pages[3].body);
  EXPECT_EQ(resumed.delta_link, reference.delta_link);
  // Unrelated requests in between change nothing either.
  (void)ca.get(books + "?$select=sample_name", tracked(7));
  EXPECT_EQ(ca.follow(saved, tracked(3)).body, reference.pages[2].body);
}

TEST(collection_reads_paging, a_next_link_without_the_prefer_header_keeps_its_page_size) {
  auto api = ten_books();
  api_client c{api};
  auto const first = json_of(c.get(books + "?$select=sample_name", tracked(3)));
  auto const second = c.follow(text(first, "@odata.nextLink"));
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(json_of(second).at("value").as_array().size(), 3u);
}

TEST(collection_reads_tracking, changes_during_paging_show_up_in_the_next_delta) {
  auto api = ten_books();
  api_client c{api};
  auto const first_page = c.get(books + "?$select=sample_name,sample_bookcode", tracked(3));
  auto const first = json_of(first_page);
  std::string const seen_id = text(first.at("value").as_array()[0].as_object(), "sample_bookid");
  auto const dump = json::parse(api.dump("sample_books")).as_array();
  std::string const last_id = text(dump.back().as_object(), "id");  // served on the last page

  ASSERT_EQ(c.send("PATCH", books + "(" + seen_id + ")", R"({"sample_name":"changed after being read"})").status, 204);
  ASSERT_EQ(c.send("PATCH", books + "(" + last_id + ")", R"({"sample_name":"changed before being read"})").status, 204);
  std::string const victim = text(dump[dump.size() - 2].as_object(), "id");
  ASSERT_EQ(c.send("DELETE", books + "(" + victim + ")").status, 204);
  auto const created = c.send("POST", books, R"({"sample_name":"created while paging","sample_bookcode":"P1"})");
  ASSERT_EQ(created.status, 204);

  auto const rest = read_all(c, c.follow(text(first, "@odata.nextLink"), tracked(3)), tracked(3));
  ASSERT_FALSE(rest.delta_link.empty());
  auto const delta = read_all(c, c.follow(rest.delta_link, tracked(3)), tracked(3));
  std::set<std::string> upserted;
  for (auto const& r : delta.records) upserted.insert(text(r, "sample_bookid"));
  EXPECT_TRUE(upserted.count(seen_id));
  EXPECT_TRUE(upserted.count(last_id));
  EXPECT_EQ(upserted.size(), 3u);  // the two updates and the create
  EXPECT_EQ(delta.deleted_ids, std::vector<std::string>{victim});
  for (auto const& r : delta.records) {
    if (text(r, "sample_bookid") == seen_id) {
      EXPECT_EQ(text(r, "sample_name"), "changed after being read");
    }
  }
}

TEST(collection_reads_tracking, a_delta_is_paged_and_later_changes_wait_for_the_next_delta) {
  auto api = ten_books();
  api_client c{api};
  auto const initial = read_all(c, c.get(books + "?$select=sample_name", tracked(100)), tracked(100));
  auto const dump = json::parse(api.dump("sample_books")).as_array();
  std::vector<std::string> ids;
  for (auto const& v : dump) ids.push_back(text(v.as_object(), "id"));
  // Five updates (versions ascending in this order) and two deletes.
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(c.send("PATCH", books + "(" + ids[static_cast<std::size_t>(i)] + ")",
                     R"({"sample_name":"u)" + std::to_string(i) + "\"}")
                  .status,
              204);
  ASSERT_EQ(c.send("DELETE", books + "(" + ids[8] + ")").status, 204);
  ASSERT_EQ(c.send("DELETE", books + "(" + ids[9] + ")").status, 204);

  auto const page1 = c.follow(initial.delta_link, tracked(2));
  ASSERT_EQ(page1.status, 200);
  auto const body1 = json_of(page1);
  EXPECT_EQ(body1.at("value").as_array().size(), 2u);
  EXPECT_EQ(text(body1, "@odata.context"),
            std::string(origin) + "/api/data/v9.2/$metadata#sample_books(sample_name)/$delta");
  // ids[3] has not been served yet; changing it now moves it past this delta's window.
  ASSERT_EQ(c.send("PATCH", books + "(" + ids[3] + ")", R"({"sample_name":"late"})").status, 204);
  auto const rest = read_all(c, c.follow(text(body1, "@odata.nextLink"), tracked(2)), tracked(2));
  std::vector<std::string> served;
  for (auto const& v : body1.at("value").as_array()) served.push_back(text(v.as_object(), "sample_bookid"));
  for (auto const& r : rest.records) served.push_back(text(r, "sample_bookid"));
  EXPECT_EQ(served, (std::vector<std::string>{ids[0], ids[1], ids[2], ids[4]}));
  EXPECT_EQ(rest.deleted_ids, (std::vector<std::string>{ids[8], ids[9]}));
  EXPECT_EQ(rest.pages.size(), 2u);  // [u2, u4] [d8, d9]

  auto const next = read_all(c, c.follow(rest.delta_link), {});
  ASSERT_EQ(next.records.size(), 1u);
  EXPECT_EQ(text(next.records[0], "sample_bookid"), ids[3]);
  EXPECT_EQ(text(next.records[0], "sample_name"), "late");
  EXPECT_TRUE(next.deleted_ids.empty());
}

TEST(collection_reads_tracking, a_row_changed_twice_appears_once_in_its_latest_state) {
  auto api = ten_books();
  api_client c{api};
  auto const initial = read_all(c, c.get(books + "?$select=sample_name", tracked(50)), tracked(50));
  ASSERT_EQ(c.send("PATCH", books + "(sample_bookcode='BookCode7')", R"({"sample_name":"one"})").status, 204);
  ASSERT_EQ(c.send("PATCH", books + "(sample_bookcode='BookCode7')", R"({"sample_name":"two"})").status, 204);
  auto const delta = read_all(c, c.follow(initial.delta_link), {});
  ASSERT_EQ(delta.records.size(), 1u);
  EXPECT_EQ(text(delta.records[0], "sample_name"), "two");
}

TEST(collection_reads_tracking, created_and_deleted_between_tokens_is_only_a_delete) {
  auto api = ten_books();
  api_client c{api};
  auto const initial = read_all(c, c.get(books + "?$select=sample_name", tracked(50)), tracked(50));
  auto const created = c.send("POST", books, R"({"sample_name":"ephemeral","sample_bookcode":"E1"})",
                              {{"Prefer", "return=representation"}});
  std::string const id = text(json_of(created), "sample_bookid");
  ASSERT_EQ(c.send("DELETE", books + "(" + id + ")").status, 204);
  auto const delta = read_all(c, c.follow(initial.delta_link), {});
  EXPECT_TRUE(delta.records.empty());
  EXPECT_EQ(delta.deleted_ids, std::vector<std::string>{id});
}

TEST(collection_reads_tracking, a_deleted_id_that_comes_back_is_an_upsert_not_a_delete) {
  auto api = ten_books();
  api_client c{api};
  auto const initial = read_all(c, c.get(books + "?$select=sample_name", tracked(50)), tracked(50));
  std::string const id = text(initial.records[0], "sample_bookid");
  ASSERT_EQ(c.send("DELETE", books + "(" + id + ")").status, 204);
  ASSERT_EQ(c.send("PATCH", books + "(" + id + ")", R"({"sample_name":"back","sample_bookcode":"B1"})").status, 204);
  auto const delta = read_all(c, c.follow(initial.delta_link), {});
  ASSERT_EQ(delta.records.size(), 1u);
  EXPECT_EQ(text(delta.records[0], "sample_bookid"), id);
  EXPECT_TRUE(delta.deleted_ids.empty());
}

TEST(collection_reads_expiry, tombstones_purged_by_the_clock_expire_the_token) {
  auto api = ten_books();
  api_client c{api};
  auto const initial = read_all(c, c.get(books + "?$select=sample_name", tracked(50)), tracked(50));
  ASSERT_EQ(c.send("DELETE", books + "(sample_bookcode='BookCode2')").status, 204);
  api.advance_clock(std::chrono::hours(24 * 6));
  EXPECT_EQ(c.follow(initial.delta_link).status, 200);  // inside the 7-day window
  EXPECT_EQ(api.tombstone_count("sample_books"), 1);
  api.advance_clock(std::chrono::hours(24 * 2));
  EXPECT_EQ(api.tombstone_count("sample_books"), 0);
  auto const expired = c.follow(initial.delta_link);
  EXPECT_EQ(expired.status, 400);
  EXPECT_EQ(error_code(expired), "0x80044352");
  EXPECT_EQ(error_message(expired),
            "Version stamp associated with the client has expired. Please perform a full sync.");
  // A full resync gets a token that works.
  auto const again = read_all(c, c.get(books + "?$select=sample_name", tracked(50)), tracked(50));
  EXPECT_EQ(again.records.size(), 9u);
  EXPECT_EQ(c.follow(again.delta_link).status, 200);
}

TEST(collection_reads_expiry, an_old_token_expires_even_without_deletes) {
  auto api = ten_books();
  api_client c{api};
  auto const initial = read_all(c, c.get(books + "?$select=sample_name", tracked(50)), tracked(50));
  api.advance_clock(std::chrono::hours(24 * 7 + 1));
  EXPECT_EQ(error_code(c.follow(initial.delta_link)), "0x80044352");
}

TEST(collection_reads_expiry, expire_tokens_expires_every_token_issued_so_far) {
  auto api = ten_books();
  api_client c{api};
  auto const before = read_all(c, c.get(books + "?$select=sample_name", tracked(50)), tracked(50));
  api.expire_tokens();
  EXPECT_EQ(error_code(c.follow(before.delta_link)), "0x80044352");
  auto const after = read_all(c, c.get(books + "?$select=sample_name", tracked(50)), tracked(50));
  EXPECT_EQ(c.follow(after.delta_link).status, 200);
}

TEST(collection_reads_expiry, the_status_is_configurable) {
  options o;
  o.expired_token_status = 410;
  web_api api(o);
  api.seed_sample();
  api_client c{api};
  auto const initial = read_all(c, c.get(books + "?$select=sample_name", tracked(50)), tracked(50));
  api.expire_tokens();
  auto const r = c.follow(initial.delta_link);
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(error_code(r), "0x80044352");
}

TEST(collection_reads_expiry, a_next_link_of_an_expired_delta_is_refused) {
  auto api = ten_books();
  api_client c{api};
  auto const initial = read_all(c, c.get(books + "?$select=sample_name", tracked(50)), tracked(50));
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(c.send("DELETE", books + "(sample_bookcode='BookCode" + std::to_string(i) + "')").status, 204);
  auto const page1 = json_of(c.follow(initial.delta_link, tracked(2)));
  api.expire_tokens();
  EXPECT_EQ(error_code(c.follow(text(page1, "@odata.nextLink"), tracked(2))), "0x80044352");
}

TEST(collection_reads_expiry, a_token_from_the_future_is_expired) {
  auto api = ten_books();
  api_client c{api};
  auto const r = c.get(books + "?$select=sample_name&$deltatoken=999999%2101%2f01%2f2030%2000%3a00%3a00");
  EXPECT_EQ(error_code(r), "0x80044352");
}

TEST(collection_reads_schema, other_column_types_and_tables) {
  options o;
  o.schema_json = R"({"tables":[
    {"entity_set":"widgets","logical_name":"widget","columns":[
      {"name":"name","type":"string","max_length":10,"required":true},
      {"name":"count","type":"integer","min_value":0,"max_value":100},
      {"name":"price","type":"decimal","precision":4},
      {"name":"active","type":"boolean"},
      {"name":"due","type":"datetime"},
      {"name":"ownerid","type":"lookup","target":"owners"}],
     "alternate_keys":[{"name":"name_count","attributes":["name","count"]}]},
    {"entity_set":"owners","logical_name":"owner","columns":[{"name":"name","type":"string"}]}]})";
  web_api api(o);
  api_client c{api};
  EXPECT_EQ(api.entity_sets(), (std::vector<std::string>{"widgets", "owners"}));
  std::string const owner = "70bf4d48-34cb-ed11-b596-0022481d68cd";
  auto const created = c.send("POST", "/api/data/v9.2/widgets",
                              R"({"name":"w","count":3,"price":20000,"active":true,"due":"2024-02-29T13:14:15+01:00",)"
                              R"x("ownerid@odata.bind":"/owners()x" +
                                  owner + R"x()"})x",
                              {{"Prefer", "return=representation"}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_NE(created.body.find(R"("price":20000.0000)"), std::string::npos) << created.body;
  auto const row = json_of(created);
  EXPECT_EQ(row.at("count").as_int64(), 3);
  EXPECT_TRUE(row.at("active").as_bool());
  EXPECT_EQ(text(row, "due"), "2024-02-29T12:14:15Z");
  EXPECT_EQ(text(row, "_ownerid_value"), owner);
  ASSERT_FALSE(text(row, "widgetid").empty());

  auto const by_key = c.get("/api/data/v9.2/widgets(count=3,name='w')?$select=_ownerid_value");
  ASSERT_EQ(by_key.status, 200) << by_key.body;
  EXPECT_EQ(text(json_of(by_key), "_ownerid_value"), owner);
  EXPECT_EQ(c.send("POST", "/api/data/v9.2/widgets", R"({"name":"w2","count":101})").status, 400);
  EXPECT_EQ(c.send("POST", "/api/data/v9.2/widgets", R"({"name":"w2","active":"yes"})").status, 400);
  EXPECT_EQ(c.send("POST", "/api/data/v9.2/widgets", R"({"name":"w","count":3})").status, 412);

  // A skip token of one table is refused by another.
  api.seed("owners", 5, 1);
  api.seed("widgets", 5, 1);
  auto const owners = json_of(c.get("/api/data/v9.2/owners", {{"Prefer", "odata.maxpagesize=2"}}));
  std::string const next = text(owners, "@odata.nextLink");
  std::string const token = next.substr(next.find("$skiptoken="));
  EXPECT_EQ(c.get("/api/data/v9.2/widgets?" + token).status, 400);
}

TEST(collection_reads_scale, a_million_rows_seed_page_and_delta) {
  web_api api({});
  api_client c{api};
  auto const t0 = std::chrono::steady_clock::now();
  api.seed("sample_books", 1000000, 7);
  auto const t1 = std::chrono::steady_clock::now();
  ASSERT_EQ(api.row_count("sample_books"), 1000000);
  std::cout << "[ scale    ] seeded 1,000,000 rows in " << std::chrono::duration<double>(t1 - t0).count() << " s\n";

  // Walk the initial tracked read without parsing every page: the links are at the edges.
  header_list const prefer = tracked(5000);
  http_response page = c.get(books + "?$select=sample_name,sample_bookcode,sample_author", prefer);
  std::int64_t rows = 0;
  int pages = 0;
  std::string delta_link;
  std::string bytes_note;
  std::size_t bytes = 0;
  while (true) {
    ASSERT_EQ(page.status, 200);
    ++pages;
    bytes += page.body.size();
    for (std::size_t at = page.body.find("\"@odata.etag\""); at != std::string::npos;
         at = page.body.find("\"@odata.etag\"", at + 1))
      ++rows;
    auto const next_at = page.body.rfind("\"@odata.nextLink\":\"");
    if (next_at == std::string::npos) {
      delta_link = text(json_of(page), "@odata.deltaLink");
      break;
    }
    std::string const next = page.body.substr(next_at + 19, page.body.size() - 2 - (next_at + 19));
    page = c.follow(next, prefer);
  }
  auto const t2 = std::chrono::steady_clock::now();
  double const seconds = std::chrono::duration<double>(t2 - t1).count();
  std::cout << "[ scale    ] served " << rows << " rows in " << pages << " pages (" << bytes / 1000000 << " MB) in "
            << seconds << " s: " << static_cast<double>(rows) / seconds << " rows/s\n";
  EXPECT_EQ(rows, 1000000);
  EXPECT_EQ(pages, 200);
  ASSERT_FALSE(delta_link.empty());

  auto const counts = api.mutate("sample_books", 0.01, 99, 0.2, 0.6, 0.2);
  EXPECT_EQ(counts.created + counts.updated + counts.deleted, 10000);
  EXPECT_EQ(api.row_count("sample_books"), 1000000 + counts.created - counts.deleted);
  auto const t3 = std::chrono::steady_clock::now();
  auto const delta = read_all(c, c.follow(delta_link, prefer), prefer);
  auto const t4 = std::chrono::steady_clock::now();
  std::cout << "[ scale    ] delta of " << delta.records.size() + delta.deleted_ids.size() << " changes in "
            << std::chrono::duration<double>(t4 - t3).count() << " s\n";
  EXPECT_EQ(static_cast<std::int64_t>(delta.records.size()), counts.created + counts.updated);
  EXPECT_EQ(static_cast<std::int64_t>(delta.deleted_ids.size()), counts.deleted);
  std::set<std::string> distinct;
  for (auto const& r : delta.records) distinct.insert(text(r, "sample_bookid"));
  for (auto const& id : delta.deleted_ids) {
    distinct.insert(id);
    EXPECT_EQ(c.get(books + "(" + id + ")").status, 404);
  }
  EXPECT_EQ(static_cast<std::int64_t>(distinct.size()), 10000);
  auto const after = read_all(c, c.follow(delta.delta_link), {});
  EXPECT_TRUE(after.records.empty() && after.deleted_ids.empty());
}

}  // namespace
}  // namespace emulator::test
