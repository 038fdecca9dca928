#include "auth/token_provider.hpp"
#include "core/log.hpp"
#include "dataverse/client.hpp"
#include "run_sync.hpp"
#include "test_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <optional>

namespace dvsync::dataverse {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using core::errc;
using testing::http_response;
using testing::recorded_request;
using testing::run_sync;
using testing::scripted_reply;
using testing::test_server;

constexpr std::string_view token_path = "/tenant/oauth2/v2.0/token";
constexpr char const* client_secret = "s3cret-Value+/=";

bool is_token_request(recorded_request const& r) { return r.target.starts_with(token_path); }

std::vector<recorded_request> data_requests(test_server const& server) {
  std::vector<recorded_request> out;
  for (auto& r : server.requests()) {
    if (!is_token_request(r)) out.push_back(r);
  }
  return out;
}

std::size_t token_requests(test_server const& server) { return server.requests().size() - data_requests(server).size(); }

std::string error_body(std::string const& code, std::string const& message) {
  return R"({"error":{"code":")" + code + R"(","message":")" + message + R"("}})";
}

// What the client asked to wait, and how many data requests the server had seen at that moment.
struct sleep_log {
  test_server const* server = nullptr;
  std::vector<milliseconds> waits;
  std::vector<std::size_t> data_requests_before;
};

asio::awaitable<void> record_sleep(sleep_log* log, milliseconds d) {
  log->waits.push_back(d);
  log->data_requests_before.push_back(data_requests(*log->server).size());
  co_return;
}

using data_script = std::function<scripted_reply(recorded_request const&, int data_index)>;
using token_script = std::function<scripted_reply(int token_index)>;

scripted_reply issue_token(int token_index) {
  return scripted_reply{http_response(
      200, R"({"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"token-)" + std::to_string(token_index + 1) + R"("})",
      {{"Content-Type", "application/json"}})};
}

class DataverseClientTest : public ::testing::Test {
 protected:
  void start(data_script data, token_script token = issue_token) {
    auto data_count = std::make_shared<std::atomic<int>>(0);
    auto token_count = std::make_shared<std::atomic<int>>(0);
    server_.emplace([=](recorded_request const& r) {
      if (is_token_request(r)) return token((*token_count)++);
      return data(r, (*data_count)++);
    });
    http_.emplace(io_.get_executor(), http::tls_options{}, http::timeouts{5s, 5s});
    tokens_.emplace(*http_, auth::token_endpoint{server_->url(std::string(token_path)), "client-id", server_->url("") + "/.default"},
                    client_secret);
    sleeps_.server = &*server_;
  }

  client_options options(bool record_sleeps = true) {
    client_options o;
    o.api_root = server_->url("/api/data/v9.2");
    o.page_size = 3;
    o.max_attempts = 4;
    o.backoff_base = 100ms;
    o.backoff_cap = 10s;
    o.retry_after_cap = 300s;
    o.random = [] { return 0.5; };
    if (record_sleeps) o.sleep = [log = &sleeps_](milliseconds d) { return record_sleep(log, d); };
    return o;
  }

  std::string books_url() const { return server_->url("/api/data/v9.2/sample_books?$select=sample_name,sample_bookcode"); }

  asio::io_context io_;
  std::optional<test_server> server_;
  std::optional<http::client> http_;
  std::optional<auth::token_provider> tokens_;
  sleep_log sleeps_;
};

scripted_reply ok_page(recorded_request const&, int) { return scripted_reply{http_response(200, R"({"value":[]})")}; }

TEST_F(DataverseClientTest, SendsTheChangeTrackingHeadersAndTheLinkUnchanged) {
  start(ok_page);
  client c(*http_, *tokens_, options());
  std::string const delta = server_->url("/api/data/v9.2/sample_books?$select=sample_name&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44");
  auto body = run_sync(io_, c.get(delta));
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(*body, R"({"value":[]})");
  auto const r = data_requests(*server_).at(0);
  EXPECT_EQ(r.target, "/api/data/v9.2/sample_books?$select=sample_name&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44");
  EXPECT_EQ(r.header("Accept"), "application/json");
  EXPECT_EQ(r.header("OData-MaxVersion"), "4.0");
  EXPECT_EQ(r.header("OData-Version"), "4.0");
  EXPECT_EQ(r.header("Prefer"), "odata.track-changes,odata.maxpagesize=3");
  EXPECT_EQ(r.header("Authorization"), "Bearer token-1");
  EXPECT_EQ(c.stats().requests_by_status.at(200), 1u);
  EXPECT_TRUE(sleeps_.waits.empty());
}

TEST_F(DataverseClientTest, UntrackedReadsAskForAPageSizeOnlyRowsForAnnotationsOnlyMetadataForNothing) {
  start(ok_page);
  client c(*http_, *tokens_, options());
  auto const row = server_->url("/api/data/v9.2/sample_books(2f4a3c4e-1d55-4c1e-9a43-0d1c3c9b8e11)?$select=sample_name");
  ASSERT_TRUE(run_sync(io_, c.get_untracked(books_url(), 5000)));
  ASSERT_TRUE(run_sync(io_, c.get_untracked(books_url(), 99999)));
  ASSERT_TRUE(run_sync(io_, c.get_row(row, false)));
  ASSERT_TRUE(run_sync(io_, c.get_row(row, true)));
  ASSERT_TRUE(run_sync(io_, c.get_metadata("EntityDefinitions?$select=LogicalName")));
  auto const r = data_requests(*server_);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].target, "/api/data/v9.2/sample_books?$select=sample_name,sample_bookcode");
  EXPECT_EQ(r[0].header("Prefer"), "odata.maxpagesize=5000");
  EXPECT_EQ(r[1].header("Prefer"), "odata.maxpagesize=5000");  // the service's largest page
  EXPECT_FALSE(r[2].header("Prefer"));
  EXPECT_EQ(r[3].header("Prefer"), "odata.include-annotations=\"Microsoft.Dynamics.CRM.lookuplogicalname\"");
  EXPECT_FALSE(r[4].header("Prefer"));
  for (auto const& each : r) EXPECT_EQ(each.header("Authorization"), "Bearer token-1");
}

TEST_F(DataverseClientTest, TooManyRequestsWaitsForRetryAfterBeforeSendingAgain) {
  start([](recorded_request const&, int i) {
    if (i == 0) return scripted_reply{http_response(429, error_body("0x80072322", "Number of requests exceeded the limit"), {{"Retry-After", "7"}})};
    return ok_page({}, i);
  });
  client c(*http_, *tokens_, options());
  auto body = run_sync(io_, c.get(books_url()));
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(sleeps_.waits, (std::vector<milliseconds>{7s}));
  EXPECT_EQ(sleeps_.data_requests_before, (std::vector<std::size_t>{1}));
  EXPECT_EQ(data_requests(*server_).size(), 2u);
  EXPECT_EQ(c.stats().retries_by_reason.at("throttled"), 1u);
  EXPECT_DOUBLE_EQ(c.stats().throttle_wait_seconds, 7.0);
  EXPECT_EQ(c.stats().requests_by_status.at(429), 1u);
  EXPECT_EQ(c.stats().requests_by_status.at(200), 1u);
}

TEST_F(DataverseClientTest, AbsurdRetryAfterIsCapped) {
  start([](recorded_request const&, int i) {
    if (i == 0) return scripted_reply{http_response(429, "", {{"Retry-After", "86400"}})};
    return ok_page({}, i);
  });
  auto o = options();
  o.retry_after_cap = 30s;
  client c(*http_, *tokens_, o);
  ASSERT_TRUE(run_sync(io_, c.get(books_url())));
  EXPECT_EQ(sleeps_.waits, (std::vector<milliseconds>{30s}));
}

TEST_F(DataverseClientTest, ServiceUnavailableWithRetryAfterIsThrottling) {
  start([](recorded_request const&, int i) {
    if (i == 0) return scripted_reply{http_response(503, "", {{"Retry-After", "2"}}, "Service Unavailable")};
    return ok_page({}, i);
  });
  client c(*http_, *tokens_, options());
  ASSERT_TRUE(run_sync(io_, c.get(books_url())));
  EXPECT_EQ(sleeps_.waits, (std::vector<milliseconds>{2s}));
  EXPECT_EQ(c.stats().retries_by_reason.at("throttled"), 1u);
}

TEST_F(DataverseClientTest, ServerErrorsBackOffWithFullJitter) {
  start([](recorded_request const&, int i) {
    if (i < 2) return scripted_reply{http_response(i == 0 ? 503 : 502, "", {}, "Unavailable")};
    return ok_page({}, i);
  });
  client c(*http_, *tokens_, options());
  ASSERT_TRUE(run_sync(io_, c.get(books_url())));
  // random() = 0.5: half of 100 ms, then half of 200 ms.
  EXPECT_EQ(sleeps_.waits, (std::vector<milliseconds>{50ms, 100ms}));
  EXPECT_EQ(sleeps_.data_requests_before, (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(c.stats().retries_by_reason.at("server_busy"), 2u);
  EXPECT_EQ(c.stats().throttle_wait_seconds, 0.0);
}

TEST_F(DataverseClientTest, TruncatedBodyIsRetried) {
  start([](recorded_request const&, int i) {
    if (i == 0) return scripted_reply{"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n{\"value\":[", {}, true};
    return ok_page({}, i);
  });
  client c(*http_, *tokens_, options());
  auto body = run_sync(io_, c.get(books_url()));
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(*body, R"({"value":[]})");
  EXPECT_EQ(c.stats().retries_by_reason.at("network"), 1u);
  EXPECT_EQ(sleeps_.waits.size(), 1u);
}

TEST_F(DataverseClientTest, GivesUpAfterMaxAttempts) {
  start([](recorded_request const&, int) { return scripted_reply{http_response(500, error_body("0x80040216", "An unexpected error occurred."))}; });
  auto o = options();
  o.max_attempts = 3;
  client c(*http_, *tokens_, o);
  auto body = run_sync(io_, c.get(books_url()));
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, errc::server_busy);
  EXPECT_EQ(body.error().http_status, 500);
  EXPECT_NE(body.error().message.find("3 attempts"), std::string::npos) << body.error().message;
  EXPECT_EQ(data_requests(*server_).size(), 3u);
  EXPECT_EQ(sleeps_.waits.size(), 2u);
}

TEST_F(DataverseClientTest, UnauthorizedRefreshesTheTokenOnce) {
  start([](recorded_request const& r, int i) {
    if (r.header("Authorization") == "Bearer token-1") return scripted_reply{http_response(401, "")};
    return ok_page(r, i);
  });
  client c(*http_, *tokens_, options());
  auto body = run_sync(io_, c.get(books_url()));
  ASSERT_TRUE(body) << body.error().message;
  auto const seen = data_requests(*server_);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].header("Authorization"), "Bearer token-2");
  EXPECT_EQ(token_requests(*server_), 2u);
  EXPECT_EQ(c.stats().token_refreshes, 1u);
  EXPECT_TRUE(sleeps_.waits.empty());
}

TEST_F(DataverseClientTest, SecondUnauthorizedIsFinal) {
  start([](recorded_request const&, int) { return scripted_reply{http_response(401, "")}; });
  client c(*http_, *tokens_, options());
  auto body = run_sync(io_, c.get(books_url()));
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, errc::unauthorized);
  EXPECT_EQ(data_requests(*server_).size(), 2u);
  EXPECT_EQ(token_requests(*server_), 2u);
}

TEST_F(DataverseClientTest, ExpiredDeltaTokenIsReturnedAtOnce) {
  start([](recorded_request const&, int) {
    return scripted_reply{http_response(400, error_body("0x80044352", "Version stamp associated with the client has expired. Please perform a full sync."))};
  });
  client c(*http_, *tokens_, options());
  auto body = run_sync(io_, c.get(books_url()));
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, errc::token_expired);
  EXPECT_EQ(data_requests(*server_).size(), 1u);
  EXPECT_TRUE(sleeps_.waits.empty());
}

TEST_F(DataverseClientTest, ClientErrorsAreNotRetried) {
  start([](recorded_request const&, int) {
    return scripted_reply{http_response(404, error_body("0x8006088a", "Resource not found for the segment 'sample_bookz'."))};
  });
  client c(*http_, *tokens_, options());
  auto body = run_sync(io_, c.get(books_url()));
  ASSERT_FALSE(body);
  // On a table's data request a 404 says the table is gone: its metadata must be read again.
  EXPECT_EQ(body.error().code, errc::schema_changed);
  EXPECT_EQ(body.error().http_status, 404);
  EXPECT_NE(body.error().message.find("sample_bookz"), std::string::npos);
  EXPECT_EQ(data_requests(*server_).size(), 1u);
  // On a row GET it says the row is gone.
  auto row = run_sync(io_, c.get_row(books_url(), false));
  ASSERT_FALSE(row);
  EXPECT_EQ(row.error().code, errc::http_status);
  EXPECT_EQ(data_requests(*server_).size(), 2u);
}

TEST_F(DataverseClientTest, RefusedCredentialsStopBeforeAnyDataRequest) {
  start(ok_page, [](int) {
    return scripted_reply{http_response(
        401, std::string(R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: )") +
                 client_secret + R"("})")};
  });
  client c(*http_, *tokens_, options());
  auto body = run_sync(io_, c.get(books_url()));
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, errc::auth_failed);
  EXPECT_NE(body.error().message.find("invalid_client"), std::string::npos) << body.error().message;
  EXPECT_EQ(body.error().message.find(client_secret), std::string::npos) << "secret leaked: " << body.error().message;
  EXPECT_TRUE(data_requests(*server_).empty());
}

TEST_F(DataverseClientTest, DefaultSleepSendsNothingUntilRetryAfterHasPassed) {
  start([](recorded_request const&, int i) {
    if (i == 0) return scripted_reply{http_response(429, "", {{"Retry-After", "1"}})};
    return ok_page({}, i);
  });
  client c(*http_, *tokens_, options(false));
  ASSERT_TRUE(run_sync(io_, c.get(books_url())));
  auto const seen = data_requests(*server_);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_GE(seen[1].arrived - seen[0].arrived, 1s);
}

asio::awaitable<void> request_stop_after(std::stop_source* stop, milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
  stop->request_stop();
}

TEST_F(DataverseClientTest, StopRequestCutsAWaitShort) {
  start([](recorded_request const&, int) { return scripted_reply{http_response(429, "", {{"Retry-After", "60"}})}; });
  std::stop_source stop;
  auto o = options(false);
  o.stop = stop.get_token();
  client c(*http_, *tokens_, o);
  asio::co_spawn(io_, request_stop_after(&stop, 200ms), [](std::exception_ptr e) {
    if (e) ADD_FAILURE() << "the stop timer failed";
  });
  auto const start_time = std::chrono::steady_clock::now();
  auto body = run_sync(io_, c.get(books_url()));
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, errc::cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start_time, 5s);
  EXPECT_EQ(data_requests(*server_).size(), 1u);
}

TEST_F(DataverseClientTest, StopRequestedDuringTheRequestSkipsTheWait) {
  // The 429 trickles in for about 400 ms; the stop arrives while it is still being read.
  start([](recorded_request const&, int) { return scripted_reply{http_response(429, "", {{"Retry-After", "60"}}), 5ms}; });
  std::stop_source stop;
  auto o = options(false);
  o.stop = stop.get_token();
  client c(*http_, *tokens_, o);
  asio::co_spawn(io_, request_stop_after(&stop, 100ms), [](std::exception_ptr e) {
    if (e) ADD_FAILURE() << "the stop timer failed";
  });
  auto const start_time = std::chrono::steady_clock::now();
  auto body = run_sync(io_, c.get(books_url()));
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, errc::cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start_time, 5s);
  EXPECT_EQ(data_requests(*server_).size(), 1u);
}

TEST_F(DataverseClientTest, RetentionDaysComeFromTheOrganization) {
  start([](recorded_request const&, int) {
    return scripted_reply{http_response(200, R"({"@odata.context":"x","value":[{"expirechangetrackingindays":7,"organizationid":"0f"}]})")};
  });
  client c(*http_, *tokens_, options());
  auto days = run_sync(io_, c.change_tracking_retention_days());
  ASSERT_TRUE(days) << days.error().message;
  EXPECT_EQ(*days, 7);
  auto const r = data_requests(*server_).at(0);
  EXPECT_EQ(r.target, "/api/data/v9.2/organizations?$select=expirechangetrackingindays");
  EXPECT_FALSE(r.header("Prefer").has_value());
}

TEST_F(DataverseClientTest, RetentionDaysMissingIsAProtocolError) {
  start([](recorded_request const&, int) { return scripted_reply{http_response(200, R"({"value":[]})")}; });
  client c(*http_, *tokens_, options());
  auto days = run_sync(io_, c.change_tracking_retention_days());
  ASSERT_FALSE(days);
  EXPECT_EQ(days.error().code, errc::protocol);
}

TEST_F(DataverseClientTest, LogsNeverCarryTheSecretOrTokens) {
  start([](recorded_request const& r, int i) {
    if (r.header("Authorization") == "Bearer token-1") return scripted_reply{http_response(401, "")};
    if (i == 1) return scripted_reply{http_response(429, "", {{"Retry-After", "1"}})};
    return ok_page(r, i);
  });
  auto const saved = core::log::current();
  auto verbose = saved;
  verbose.min_level = core::log::level::debug;
  core::log::configure(verbose);
  client c(*http_, *tokens_, options());
  ::testing::internal::CaptureStderr();
  auto body = run_sync(io_, c.get(books_url() + "&$deltatoken=SECRETTOKEN"));
  std::string const logged = ::testing::internal::GetCapturedStderr();
  core::log::configure(saved);
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_NE(logged.find("dataverse.retry"), std::string::npos) << logged;
  for (auto const* secret : {client_secret, "token-1", "token-2", "SECRETTOKEN", "Bearer"}) {
    EXPECT_EQ(logged.find(secret), std::string::npos) << secret << " in:\n" << logged;
  }
}

}  // namespace
}  // namespace dvsync::dataverse
