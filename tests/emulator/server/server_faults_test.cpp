// Each kind of fault in the script, carried out over real sockets.
#include "web_client.hpp"

#include <gtest/gtest.h>

#include <future>

namespace dvsync::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class emulator_faults : public ::testing::Test {
 protected:
  void SetUp() override { token_ = emu_.token(); }

  void load(std::string const& script) {
    auto r = emu_.control("faults", script);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  http_reply get(std::string const& path, header_list extra = {}) {
    return api_call("GET", emu_.api_url(path), token_, {}, std::move(extra));
  }
  json::object fault_report() { return json_of(emu_.control_get("faults")).as_object(); }

  emulator_process emu_{{"--seed", "sample", "--gzip"}};
  std::string token_;
};

TEST_F(emulator_faults, status_with_retry_after_seconds_and_body_then_normal_service) {
  load(R"([{"match":{"method":"GET","path":"sample_books"},"count":1,"status":503,"retry_after":7,
            "body":{"error":{"code":"0x80040216","message":"busy"}}}])");
  auto r = get("sample_books");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("Retry-After"), "7");
  EXPECT_EQ(json_of(r).at("error").at("message"), "busy");
  EXPECT_EQ(get("sample_books").status, 200);
  auto report = fault_report();
  EXPECT_EQ(report.at("faults").at(0).at("applied"), 1);
  EXPECT_EQ(report.at("faults").at(0).at("remaining"), 0);
  EXPECT_EQ(report.at("applied_total"), 1);
}

TEST_F(emulator_faults, retry_after_http_date_and_empty_body_are_sent_verbatim) {
  load(R"([{"status":429,"retry_after":"Wed, 21 Oct 2015 07:28:00 GMT"}])");
  auto r = get("sample_books");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("Retry-After"), "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_TRUE(r.body.empty());
}

TEST_F(emulator_faults, skip_lets_the_first_matching_requests_through) {
  load(R"([{"match":{"path":"sample_books","skip":2},"status":500}])");
  EXPECT_EQ(get("sample_books").status, 200);
  EXPECT_EQ(get("sample_books").status, 200);
  EXPECT_EQ(get("sample_books").status, 500);
  EXPECT_EQ(get("sample_books").status, 200);
}

TEST_F(emulator_faults, delay_holds_one_response_while_other_connections_are_served) {
  load(R"([{"match":{"path":"sample_books"},"delay_ms":800}])");
  auto start = std::chrono::steady_clock::now();
  auto slow = std::async(std::launch::async, [this] { return get("sample_books"); });
  // Wait until the delayed request has reached the emulator (its fault is counted on arrival).
  while (fault_report().at("applied_total") == 0) std::this_thread::sleep_for(5ms);
  auto health = emu_.control_get("health");
  auto health_done = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(health.status, 200);
  EXPECT_LT(health_done, 800ms) << "the delay must not block other connections";
  auto r = slow.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 800ms);
}

TEST_F(emulator_faults, truncate_sends_the_full_content_length_then_k_bytes_and_closes) {
  load(R"([{"match":{"path":"sample_books"},"truncate_after":20}])");
  auto r = get("sample_books");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(r.body.size(), 20u);
  EXPECT_GT(std::stoul(r.header("Content-Length").value_or("0")), 20u);
}

TEST_F(emulator_faults, truncate_applies_to_the_compressed_bytes) {
  auto full = get("sample_books", {{"Accept-Encoding", "gzip"}});
  ASSERT_EQ(full.header("Content-Encoding"), "gzip");
  load(R"([{"match":{"path":"sample_books"},"truncate_after":10}])");
  auto r = get("sample_books", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(r.header("Content-Encoding"), "gzip");
  EXPECT_EQ(r.header("Content-Length"), std::to_string(full.body.size()));
  EXPECT_EQ(r.body, full.body.substr(0, 10));
}

TEST_F(emulator_faults, reset_closes_the_connection_without_a_response) {
  load(R"([{"match":{"path":"sample_books"},"reset":true}])");
  auto r = get("sample_books");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("reset"), std::string::npos) << r.error;
  EXPECT_EQ(get("sample_books").status, 200);
  auto stats = json_of(emu_.control_get("stats"));
  bool saw_reset = false;
  for (auto const& row : stats.at("requests").as_array())
    saw_reset = saw_reset || (row.at("path") == "/api/data/v9.2/sample_books" && row.at("status") == 0);
  EXPECT_TRUE(saw_reset) << json::serialize(stats);
}

TEST_F(emulator_faults, drop_links_leaves_a_last_page_without_next_or_delta_link) {
  load(R"([{"match":{"path":"sample_books"},"drop_links":true}])");
  auto prefer = header_list{{"Prefer", "odata.track-changes"}};
  auto r = get("sample_books?$select=sample_name", prefer);
  ASSERT_EQ(r.status, 200);
  auto page = json_of(r).as_object();
  EXPECT_EQ(page.at("value").as_array().size(), 10u);
  EXPECT_FALSE(page.contains("@odata.deltaLink"));
  EXPECT_FALSE(page.contains("@odata.nextLink"));
  EXPECT_TRUE(json_of(get("sample_books?$select=sample_name", prefer)).as_object().contains("@odata.deltaLink"));
}

TEST_F(emulator_faults, a_prefer_match_drops_the_delta_link_of_annotated_reads_only) {
  load(R"([{"match":{"prefer":"include-annotations"},"count":-1,"drop_links":"delta"}])");
  // The preferences in two headers, as a client may send them.
  auto annotated = header_list{{"Prefer", "odata.track-changes"}, {"prefer", R"(odata.include-annotations="*")"}};
  auto page = json_of(get("sample_books?$select=sample_name", annotated)).as_object();
  EXPECT_EQ(page.at("value").as_array().size(), 10u);
  EXPECT_FALSE(page.contains("@odata.deltaLink"));
  auto plain = header_list{{"Prefer", "odata.track-changes"}};
  EXPECT_TRUE(json_of(get("sample_books?$select=sample_name", plain)).as_object().contains("@odata.deltaLink"));
}

TEST_F(emulator_faults, corrupt_json_is_not_json) {
  load(R"([{"match":{"path":"sample_books"},"corrupt_json":true}])");
  auto r = get("sample_books");
  EXPECT_EQ(r.status, 200);
  json::error_code ec;
  json::parse(r.body, ec);
  EXPECT_TRUE(ec);
}

TEST_F(emulator_faults, wrong_types_replace_the_value_array) {
  load(R"([{"match":{"path":"sample_books"},"wrong_types":true},{"match":{"path":"sample_books"},"wrong_types":"value_object"}])");
  EXPECT_TRUE(json_of(get("sample_books")).at("value").is_number());
  EXPECT_TRUE(json_of(get("sample_books")).at("value").is_object());
  EXPECT_TRUE(json_of(get("sample_books")).at("value").is_array());
}

TEST_F(emulator_faults, a_status_fault_on_a_write_keeps_the_write_from_happening) {
  load(R"([{"match":{"method":"POST"},"status":503}])");
  auto r = api_call("POST", emu_.api_url("sample_books"), token_, book_json(42));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(json_of(emu_.control_get("rows")).as_array().size(), 10u);
}

TEST_F(emulator_faults, the_token_endpoint_can_fail_too_and_delete_clears_the_script) {
  load(R"([{"match":{"path":"oauth2"},"count":-1,"status":503}])");
  EXPECT_EQ(request_token(emu_.origin(), emulator_client_id, emulator_client_secret).status, 503);
  auto cleared = http_call("DELETE", emu_.origin() + "/_emulator/faults");
  EXPECT_EQ(cleared.status, 200);
  EXPECT_TRUE(json_of(cleared).at("faults").as_array().empty());
  EXPECT_EQ(request_token(emu_.origin(), emulator_client_id, emulator_client_secret).status, 200);
}

}  // namespace
}  // namespace dvsync::test
