// The request pipeline without sockets: control API, bearer check, throttle, faults, gzip, stats,
// around a real web_api.
#include "server/router.hpp"

#include "server/headers.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace emulator {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr auto origin = "http://127.0.0.1:9";

class router_test : public ::testing::Test {
 protected:
  explicit router_test(router_settings s = defaults()) : routes_(api_, std::move(s)) {}

  static router_settings defaults() {
    router_settings s;
    s.auth = {"id", "secret", "", 60s};
    return s;
  }

  reply call(std::string method, std::string target, std::string body = {}, header_list headers = {}) {
    auto r = routes_.route({std::move(method), std::move(target), std::move(headers), std::move(body), origin}, now_);
    routes_.sent(r, r.response.body.size());
    return r;
  }
  std::string token() {
    auto r = call("POST", "/t/oauth2/v2.0/token",
                  "grant_type=client_credentials&client_id=id&client_secret=secret&scope=http%3A%2F%2F127.0.0.1%3A9%2F.default");
    EXPECT_EQ(r.response.status, 200) << r.response.body;
    return std::string(json::parse(r.response.body).at("access_token").as_string());
  }
  header_list bearer(std::string const& t) { return {{"Authorization", "Bearer " + t}}; }

  web_api api_{options{}};
  router routes_;
  router::clock::time_point now_ = router::clock::time_point{} + 1000s;
};

TEST_F(router_test, web_api_needs_a_bearer_token_from_the_token_endpoint) {
  EXPECT_EQ(call("GET", "/api/data/v9.2/sample_books").response.status, 401);
  auto t = token();
  EXPECT_EQ(call("GET", "/api/data/v9.2/sample_books", {}, bearer(t)).response.status, 200);
  now_ += 61s;
  EXPECT_EQ(call("GET", "/api/data/v9.2/sample_books", {}, bearer(t)).response.status, 401);
}

TEST_F(router_test, control_api_needs_no_token_and_is_not_counted) {
  EXPECT_EQ(call("POST", "/_emulator/seed", R"({"sample":true})").response.status, 200);
  auto rows = call("GET", "/_emulator/rows?entity_set=sample_books");
  EXPECT_EQ(json::parse(rows.response.body).as_array().size(), 10u);
  auto stats = json::parse(call("GET", "/_emulator/stats").response.body);
  EXPECT_EQ(stats.at("total_requests"), 0);
}

TEST_F(router_test, control_seed_takes_an_order) {
  auto shuffled = call("POST", "/_emulator/seed", R"({"count":50,"seed":3,"order":"shuffled"})");
  ASSERT_EQ(shuffled.response.status, 200) << shuffled.response.body;
  EXPECT_EQ(json::parse(shuffled.response.body).at("rows"), 50);
  auto bad = call("POST", "/_emulator/seed", R"({"count":50,"order":"random"})");
  EXPECT_EQ(bad.response.status, 400);
  EXPECT_NE(bad.response.body.find("order"), std::string::npos) << bad.response.body;
  auto not_text = call("POST", "/_emulator/seed", R"({"count":50,"order":1})");
  EXPECT_EQ(not_text.response.status, 400);
  EXPECT_EQ(json::parse(call("GET", "/_emulator/rows?entity_set=sample_books").response.body).as_array().size(), 50u);
}

TEST_F(router_test, faults_come_after_the_bearer_check_and_skip_the_web_api) {
  auto t = token();
  ASSERT_EQ(call("POST", "/_emulator/faults", R"([{"match":{"path":"sample_books"},"status":503}])").response.status,
            200);
  EXPECT_EQ(call("GET", "/api/data/v9.2/sample_books").response.status, 401);  // not consumed by the fault
  EXPECT_EQ(call("GET", "/api/data/v9.2/sample_books", {}, bearer(t)).response.status, 503);
  EXPECT_EQ(call("GET", "/api/data/v9.2/sample_books", {}, bearer(t)).response.status, 200);
}

TEST_F(router_test, delivery_faults_are_passed_to_the_session) {
  auto t = token();
  call("POST", "/_emulator/seed", R"({"sample":true})");
  ASSERT_EQ(call("POST", "/_emulator/faults",
                 R"([{"delay_ms":250,"truncate_after":5},{"reset":true,"delay_ms":10}])")
                .response.status,
            200);
  auto first = call("GET", "/api/data/v9.2/sample_books", {}, bearer(t));
  EXPECT_EQ(first.delay, 250ms);
  EXPECT_EQ(first.truncate_after, 5u);
  EXPECT_FALSE(first.reset);
  auto second = call("GET", "/api/data/v9.2/sample_books", {}, bearer(t));
  EXPECT_TRUE(second.reset);
  EXPECT_EQ(second.delay, 10ms);
}

TEST_F(router_test, tokens_lists_every_issued_token_even_after_revocation) {
  auto a = token();
  auto b = token();
  call("POST", "/_emulator/revoke-tokens");
  auto listed = json::parse(call("GET", "/_emulator/tokens").response.body).at("issued").as_array();
  EXPECT_EQ(listed, (json::array{json::string(a), json::string(b)}));
}

TEST_F(router_test, unknown_paths_are_404_in_an_error_envelope) {
  auto r = call("GET", "/nowhere");
  EXPECT_EQ(r.response.status, 404);
  EXPECT_NE(r.response.body.find("No HTTP resource was found that matches the request URI 'http://127.0.0.1:9/nowhere'"),
            std::string::npos);
}

TEST_F(router_test, stats_count_paths_without_the_query_by_status) {
  auto t = token();
  call("GET", "/api/data/v9.2/sample_books?$top=1", {}, bearer(t));
  call("GET", "/api/data/v9.2/sample_books?$top=2", {}, bearer(t));
  call("GET", "/api/data/v9.2/sample_books");
  auto stats = json::parse(call("GET", "/_emulator/stats").response.body);
  EXPECT_EQ(stats.at("total_requests"), 4);  // the token request counts too
  auto const& rows = stats.at("requests").as_array();
  auto count = [&](std::string const& path, int status) -> std::int64_t {
    for (auto const& r : rows)
      if (r.at("path") == path.c_str() && r.at("status") == status) return r.at("count").to_number<std::int64_t>();
    return 0;
  };
  EXPECT_EQ(count("/api/data/v9.2/sample_books", 200), 2);
  EXPECT_EQ(count("/api/data/v9.2/sample_books", 401), 1);
  EXPECT_EQ(count("/t/oauth2/v2.0/token", 200), 1);
}

TEST(router_paths, token_path_names_the_tenant) {
  EXPECT_EQ(token_path_tenant("/contoso.onmicrosoft.com/oauth2/v2.0/token"), "contoso.onmicrosoft.com");
  EXPECT_FALSE(token_path_tenant("/oauth2/v2.0/token"));
  EXPECT_FALSE(token_path_tenant("/a/b/oauth2/v2.0/token"));
  EXPECT_FALSE(token_path_tenant("/api/data/v9.2/sample_books"));
}

class throttled_gzip_router : public router_test {
 protected:
  static router_settings settings() {
    auto s = defaults();
    s.check_bearer = false;
    s.gzip = true;
    s.throttle = throttle_limit{2, 10};
    return s;
  }
  throttled_gzip_router() : router_test(settings()) {}
};

TEST_F(throttled_gzip_router, throttle_then_gzip_only_when_asked) {
  auto plain = call("GET", "/api/data/v9.2/sample_books");
  EXPECT_EQ(plain.response.status, 200);
  EXPECT_FALSE(header_value(plain.response.headers, "Content-Encoding"));
  auto packed = call("GET", "/api/data/v9.2/sample_books", {}, {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(header_value(packed.response.headers, "Content-Encoding"), "gzip");
  auto limited = call("GET", "/api/data/v9.2/sample_books");
  EXPECT_EQ(limited.response.status, 429);
  EXPECT_EQ(header_value(limited.response.headers, "Retry-After"), "10");
  now_ += 10s;
  EXPECT_EQ(call("GET", "/api/data/v9.2/sample_books").response.status, 200);
}

class protected_router : public router_test {
 protected:
  static router_settings settings() {
    auto s = defaults();
    s.check_bearer = false;
    s.max_concurrent = 1;
    s.dop_hint = 4;
    return s;
  }
  protected_router() : router_test(settings()) {}
};

TEST_F(protected_router, a_second_request_in_progress_is_refused_and_every_answer_hints_the_parallelism) {
  auto first = routes_.route({"GET", "/api/data/v9.2/sample_books", {}, {}, origin}, now_);
  EXPECT_EQ(first.response.status, 200);
  EXPECT_EQ(header_value(first.response.headers, "x-ms-dop-hint"), "4");
  // The first is still in progress (not yet sent).
  auto second = routes_.route({"GET", "/api/data/v9.2/sample_books", {}, {}, origin}, now_);
  EXPECT_EQ(second.response.status, 429);
  EXPECT_NE(second.response.body.find("0x80072326"), std::string::npos);
  EXPECT_EQ(header_value(second.response.headers, "x-ms-dop-hint"), "4");
  routes_.sent(second, 0);
  routes_.sent(first, first.response.body.size());
  EXPECT_EQ(call("GET", "/api/data/v9.2/sample_books").response.status, 200) << "the place was freed when it was sent";
  EXPECT_FALSE(header_value(call("GET", "/_emulator/stats").response.headers, "x-ms-dop-hint")) << "not the control API";
}

class per_client_router : public router_test {
 protected:
  static router_settings settings() {
    auto s = defaults();
    s.auth.other_clients = {{"other", "other-secret"}};
    s.throttle = throttle_limit{2, 10};
    s.max_concurrent = 1;
    return s;
  }
  per_client_router() : router_test(settings()) {}

  std::string token_of(std::string const& id, std::string const& secret) {
    auto r = call("POST", "/t/oauth2/v2.0/token",
                  "grant_type=client_credentials&client_id=" + id + "&client_secret=" + secret +
                      "&scope=http%3A%2F%2F127.0.0.1%3A9%2F.default");
    EXPECT_EQ(r.response.status, 200) << r.response.body;
    return std::string(json::parse(r.response.body).at("access_token").as_string());
  }
};

TEST_F(per_client_router, each_client_has_limits_of_its_own_and_its_tokens_share_them) {
  auto const first = token();
  auto const second_of_first = token();
  auto const other = token_of("other", "other-secret");
  EXPECT_EQ(call("POST", "/t/oauth2/v2.0/token",
                 "grant_type=client_credentials&client_id=other&client_secret=secret&scope=http%3A%2F%2F127.0.0.1%3A9%2F.default")
                .response.status,
            401)
      << "each client has its own secret";

  // One request of each in progress at once: the concurrency limits are apart.
  auto a = routes_.route({"GET", "/api/data/v9.2/sample_books", bearer(first), {}, origin}, now_);
  auto b = routes_.route({"GET", "/api/data/v9.2/sample_books", bearer(other), {}, origin}, now_);
  EXPECT_EQ(a.response.status, 200);
  EXPECT_EQ(b.response.status, 200);
  auto c = routes_.route({"GET", "/api/data/v9.2/sample_books", bearer(second_of_first), {}, origin}, now_);
  EXPECT_EQ(c.response.status, 429) << "another token of the same client";
  EXPECT_NE(c.response.body.find("0x80072326"), std::string::npos);
  routes_.sent(a, 0);
  routes_.sent(b, 0);
  routes_.sent(c, 0);

  // In a new window, the first client's two tokens use up its 2 requests per 10 s; the other
  // client still has its own 2.
  now_ += 10s;
  EXPECT_EQ(call("GET", "/api/data/v9.2/sample_books", {}, bearer(first)).response.status, 200);
  EXPECT_EQ(call("GET", "/api/data/v9.2/sample_books", {}, bearer(second_of_first)).response.status, 200);
  auto over = call("GET", "/api/data/v9.2/sample_books", {}, bearer(first));
  EXPECT_EQ(over.response.status, 429);
  EXPECT_NE(over.response.body.find("0x80072322"), std::string::npos);
  EXPECT_EQ(header_value(over.response.headers, "Retry-After"), "10");
  EXPECT_EQ(call("GET", "/api/data/v9.2/sample_books", {}, bearer(other)).response.status, 200);
  EXPECT_EQ(call("GET", "/api/data/v9.2/sample_books", {}, bearer(other)).response.status, 200);
  EXPECT_EQ(call("GET", "/api/data/v9.2/sample_books", {}, bearer(other)).response.status, 429);
  EXPECT_EQ(call("GET", "/_emulator/stats").response.status, 200) << "the control API is not limited";
}

TEST_F(router_test, retrieve_total_record_count_counts_the_rows_of_each_named_table) {
  call("POST", "/_emulator/seed", R"({"sample":true})");
  auto t = token();
  auto r = call("GET", "/api/data/v9.2/RetrieveTotalRecordCount(EntityNames=@p1)?@p1=%5B%22sample_book%22,%22account%22%5D",
                {}, bearer(t));
  ASSERT_EQ(r.response.status, 200) << r.response.body;
  auto doc = json::parse(r.response.body);
  auto const& c = doc.at("EntityRecordCountCollection");
  EXPECT_EQ(c.at("Count"), 2);
  EXPECT_EQ(c.at("IsReadOnly"), false);
  EXPECT_EQ(c.at("Keys"), json::parse(R"(["sample_book","account"])"));
  EXPECT_EQ(c.at("Values"), json::parse("[10,0]"));
  EXPECT_NE(std::string(doc.at("@odata.context").as_string()).find("RetrieveTotalRecordCountResponse"), std::string::npos);
  auto unknown = call("GET", "/api/data/v9.2/RetrieveTotalRecordCount(EntityNames=@p1)?@p1=[\"nosuch\"]", {}, bearer(t));
  EXPECT_EQ(unknown.response.status, 400);
  EXPECT_NE(unknown.response.body.find("nosuch"), std::string::npos);
  EXPECT_EQ(call("GET", "/api/data/v9.2/RetrieveTotalRecordCount(EntityNames=@p1)", {}, bearer(t)).response.status, 400)
      << "an alias without a value";
}

}  // namespace
}  // namespace emulator
