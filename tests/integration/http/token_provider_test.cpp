#include "auth/token_provider.hpp"
#include "run_sync.hpp"
#include "test_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/url/parse_query.hpp>

#include <atomic>
#include <map>
#include <optional>

namespace dvsync::auth {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using core::errc;
using testing::http_response;
using testing::recorded_request;
using testing::run_sync;
using testing::scripted_reply;
using testing::test_server;

std::map<std::string, std::string> form_fields(std::string const& body) {
  std::map<std::string, std::string> out;
  auto params = boost::urls::parse_query(body);
  if (!params) return out;
  boost::urls::encoding_opts form;
  form.space_as_plus = true;
  for (auto const& p : *params) out[p.key.decode(form)] = p.value.decode(form);
  return out;
}

class TokenProviderTest : public ::testing::Test {
 protected:
  void start(int expires_in = 3599) {
    auto count = std::make_shared<std::atomic<int>>(0);
    server_.emplace([count, expires_in](recorded_request const&) {
      int const n = ++*count;
      return scripted_reply{http_response(200, R"({"token_type":"Bearer","expires_in":)" + std::to_string(expires_in) +
                                                   R"(,"access_token":"token-)" + std::to_string(n) + R"("})")};
    });
    http_.emplace(io_.get_executor(), http::tls_options{}, http::timeouts{5s, 5s});
    tokens_.emplace(*http_, token_endpoint{server_->url("/tenant-id/oauth2/v2.0/token"), "client id", "https://org.example/.default"},
                    "p@ss+word&=", [this] { return now_; });
  }

  core::result<std::string> bearer(bool force = false) { return run_sync(io_, tokens_->bearer(force)); }

  asio::io_context io_;
  std::chrono::steady_clock::time_point now_{std::chrono::hours{100}};
  std::optional<test_server> server_;
  std::optional<http::client> http_;
  std::optional<token_provider> tokens_;
};

TEST_F(TokenProviderTest, PostsTheClientCredentialsForm) {
  start();
  auto token = bearer();
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(*token, "token-1");
  auto const r = server_->requests().at(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/tenant-id/oauth2/v2.0/token");
  EXPECT_EQ(r.header("Content-Type"), "application/x-www-form-urlencoded");
  auto const fields = form_fields(r.body);
  EXPECT_EQ(fields.at("grant_type"), "client_credentials");
  EXPECT_EQ(fields.at("client_id"), "client id");
  EXPECT_EQ(fields.at("client_secret"), "p@ss+word&=");
  EXPECT_EQ(fields.at("scope"), "https://org.example/.default");
  EXPECT_NE(r.body.find("client_secret=p%40ss%2Bword%26%3D"), std::string::npos) << r.body;
}

TEST_F(TokenProviderTest, CachesUntilRefreshIsDue) {
  start(3600);
  EXPECT_EQ(*bearer(), "token-1");
  now_ += 3239s;
  EXPECT_EQ(*bearer(), "token-1");
  now_ += 2s;  // past 90% of the hour
  EXPECT_EQ(*bearer(), "token-2");
  EXPECT_EQ(server_->requests().size(), 2u);
  EXPECT_EQ(tokens_->tokens_fetched(), 2u);
}

TEST_F(TokenProviderTest, ForcedRefreshReplacesTheToken) {
  start();
  EXPECT_EQ(*bearer(), "token-1");
  EXPECT_EQ(*bearer(true), "token-2");
  EXPECT_EQ(*bearer(), "token-2");
  EXPECT_EQ(server_->requests().size(), 2u);
}

asio::awaitable<void> collect_bearer(token_provider* tokens, bool force, std::vector<std::string>* out) {
  auto t = co_await tokens->bearer(force);
  out->push_back(t ? *t : "error: " + t.error().message);
}

void spawn_collect(asio::io_context& io, token_provider& tokens, bool force, std::vector<std::string>& out) {
  asio::co_spawn(io, collect_bearer(&tokens, force, &out), [](std::exception_ptr e) {
    if (e) ADD_FAILURE() << "bearer() threw";
  });
}

TEST_F(TokenProviderTest, ConcurrentCallersShareOneTokenRequest) {
  start();
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) spawn_collect(io_, *tokens_, false, got);
  io_.run();
  EXPECT_EQ(got, (std::vector<std::string>{"token-1", "token-1", "token-1"}));
  EXPECT_EQ(server_->requests().size(), 1u);
}

TEST_F(TokenProviderTest, ConcurrentForcedRefreshesShareOneTokenRequest) {
  start();
  EXPECT_EQ(*bearer(), "token-1");
  std::vector<std::string> got;
  // Two jobs saw a 401 with token-1 at the same time: one new token serves both.
  spawn_collect(io_, *tokens_, true, got);
  spawn_collect(io_, *tokens_, true, got);
  io_.restart();
  io_.run();
  EXPECT_EQ(got, (std::vector<std::string>{"token-2", "token-2"}));
  EXPECT_EQ(server_->requests().size(), 2u);
}

TEST_F(TokenProviderTest, UnreachableEndpointIsATransientFailure) {
  http_.emplace(io_.get_executor(), http::tls_options{}, http::timeouts{5s, 5s});
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io_, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  token_provider tokens(*http_, token_endpoint{"http://127.0.0.1:" + std::to_string(port) + "/t/oauth2/v2.0/token", "id", "s"}, "x");
  auto t = run_sync(io_, tokens.bearer());
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, errc::network);
  EXPECT_EQ(tokens.tokens_fetched(), 0u);
}

}  // namespace
}  // namespace dvsync::auth
