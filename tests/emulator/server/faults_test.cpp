#include "server/faults.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace emulator {
namespace {

namespace json = boost::json;

TEST(faults, a_fault_applies_to_count_matching_requests_after_skipping_some) {
  fault_script s;
  ASSERT_FALSE(s.load(R"({"faults":[{"match":{"method":"GET","path":"sample_books","skip":1},"count":2,"status":503}]})"));
  EXPECT_FALSE(s.take("GET", "/api/data/v9.2/sample_books"));  // skipped
  EXPECT_FALSE(s.take("POST", "/api/data/v9.2/sample_books"));  // other method
  EXPECT_FALSE(s.take("GET", "/api/data/v9.2/accounts"));       // other path
  auto f = s.take("get", "/api/data/v9.2/sample_books?$select=x");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status, 503);
  EXPECT_TRUE(s.take("GET", "/api/data/v9.2/sample_books"));
  EXPECT_FALSE(s.take("GET", "/api/data/v9.2/sample_books"));  // used up
}

TEST(faults, faults_apply_in_order_one_per_request) {
  fault_script s;
  ASSERT_FALSE(s.load(R"([{"match":{"path":"x"},"status":503},{"match":{"path":"x"},"status":429,"retry_after":2}])"));
  EXPECT_EQ(s.take("GET", "/x")->status, 503);
  auto second = s.take("GET", "/x");
  EXPECT_EQ(second->status, 429);
  EXPECT_EQ(second->retry_after, "2");
  EXPECT_FALSE(s.take("GET", "/x"));
}

TEST(faults, count_minus_one_never_runs_out) {
  fault_script s;
  ASSERT_FALSE(s.load(R"([{"count":-1,"delay_ms":5}])"));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(s.take("GET", "/anything"));
}

TEST(faults, report_echoes_each_fault_with_its_counters) {
  fault_script s;
  ASSERT_FALSE(s.load(R"([{"match":{"path":"a","skip":1},"count":3,"reset":true}])"));
  s.take("GET", "/a");
  s.take("GET", "/a");
  auto report = json::parse(s.report()).as_object();
  auto const& f = report.at("faults").as_array().at(0).as_object();
  EXPECT_EQ(f.at("reset"), true);
  EXPECT_EQ(f.at("skipped"), 1);
  EXPECT_EQ(f.at("applied"), 1);
  EXPECT_EQ(f.at("remaining"), 2);
  EXPECT_EQ(report.at("applied_total"), 1);
  s.clear();
  EXPECT_EQ(s.report(), R"({"faults":[],"applied_total":0})");
}

TEST(faults, every_action_is_read) {
  fault_script s;
  ASSERT_FALSE(s.load(R"([{"status":503,"retry_after":"Wed, 21 Oct 2015 07:28:00 GMT","body":{"error":{"code":"","message":"busy"}},"content_type":"application/json"},
                          {"delay_ms":250},{"truncate_after":10},{"drop_links":true},{"corrupt_json":true},
                          {"wrong_types":"row_fields"}])"));
  auto a = s.take("GET", "/");
  EXPECT_EQ(a->retry_after, "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(a->body, R"({"error":{"code":"","message":"busy"}})");
  EXPECT_EQ(a->content_type, "application/json");
  EXPECT_EQ(s.take("GET", "/")->delay, std::chrono::milliseconds(250));
  EXPECT_EQ(s.take("GET", "/")->truncate_after, 10u);
  auto dropped = s.take("GET", "/");
  EXPECT_TRUE(dropped->drop_next_link);
  EXPECT_TRUE(dropped->drop_delta_link);
  EXPECT_TRUE(s.take("GET", "/")->corrupt_json);
  EXPECT_EQ(s.take("GET", "/")->wrong_types, wrong_type_kind::row_fields);
}

TEST(faults, a_bad_script_is_refused_with_the_index_and_field_and_leaves_the_old_one) {
  fault_script s;
  ASSERT_FALSE(s.load(R"([{"status":500}])"));
  struct bad {
    std::string script;
    std::string named;
  };
  std::vector<bad> cases{
      {"not json", "not JSON"},
      {R"({"faults":3})", "expected"},
      {R"([{"status":500},{"stauts":500}])", "faults[1]: unknown field 'stauts'"},
      {R"([{"match":{"path":"x"}}])", "no action"},
      {R"([{"status":99}])", "status"},
      {R"([{"status":500,"count":0}])", "count"},
      {R"([{"delay_ms":-1}])", "delay_ms"},
      {R"([{"reset":"yes"}])", "reset"},
      {R"([{"match":{"verb":"GET"},"status":500}])", "match: unknown field 'verb'"},
      {R"([{"retry_after":5,"delay_ms":1}])", "need a status"},
      {R"([{"wrong_types":"strings"}])", "wrong_types"},
      {R"([{"drop_links":"both"}])", "drop_links"},
      {R"([{"match":{"prefer":1},"status":500}])", "match.prefer"},
  };
  for (auto const& c : cases) {
    auto error = s.load(c.script);
    ASSERT_TRUE(error.has_value()) << c.script;
    EXPECT_NE(error->find(c.named), std::string::npos) << *error;
  }
  EXPECT_EQ(s.take("GET", "/")->status, 500);
}

TEST(faults, a_prefer_match_needs_that_text_in_the_prefer_header) {
  fault_script s;
  ASSERT_FALSE(s.load(R"([{"match":{"prefer":"include-annotations"},"count":-1,"drop_links":"delta"}])"));
  EXPECT_FALSE(s.take("GET", "/x"));
  EXPECT_FALSE(s.take("GET", "/x", "odata.track-changes"));
  EXPECT_TRUE(s.take("GET", "/x", R"(odata.track-changes, Odata.Include-Annotations="*")"));
  auto f = s.take("GET", "/x", R"(odata.track-changes,odata.include-annotations="*")");
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->drop_next_link);
  EXPECT_TRUE(f->drop_delta_link);
}

TEST(faults, without_links_removes_the_links_asked_for_only) {
  auto body = R"({"@odata.context":"c","value":[{"a":1}],"@odata.nextLink":"n","@odata.deltaLink":"d"})";
  EXPECT_EQ(without_links(body, true, true), R"({"@odata.context":"c","value":[{"a":1}]})");
  EXPECT_EQ(without_links(body, false, true), R"({"@odata.context":"c","value":[{"a":1}],"@odata.nextLink":"n"})");
  EXPECT_EQ(without_links(body, true, false), R"({"@odata.context":"c","value":[{"a":1}],"@odata.deltaLink":"d"})");
  EXPECT_EQ(without_links("plain text", true, true), "plain text");
}

TEST(faults, corrupted_json_does_not_parse) {
  for (std::string body : {R"({"value":[]})", "", R"({"value":[{"a":"b"}],"@odata.deltaLink":"x"})"}) {
    json::error_code ec;
    json::parse(corrupted_json(body), ec);
    EXPECT_TRUE(ec) << body;
  }
}

TEST(faults, wrong_types_change_the_shape_the_client_expects) {
  auto body = R"({"value":[{"@odata.etag":"W/\"1\"","sample_name":"Book","n":5}]})";
  EXPECT_TRUE(json::parse(with_wrong_types(body, wrong_type_kind::value_number)).at("value").is_number());
  EXPECT_TRUE(json::parse(with_wrong_types(body, wrong_type_kind::value_object)).at("value").is_object());
  auto row = json::parse(with_wrong_types(body, wrong_type_kind::row_fields)).at("value").at(0).as_object();
  EXPECT_TRUE(row.at("sample_name").is_number());
  EXPECT_TRUE(row.at("n").is_string());
  EXPECT_TRUE(row.at("@odata.etag").is_string());
}

}  // namespace
}  // namespace emulator
