#include "ops/http_server.hpp"

#include "http/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace dvsync::ops {
namespace {

using namespace std::chrono_literals;

TEST(parse_listen, host_and_port_in_every_form) {
  auto a = parse_listen("127.0.0.1:9464");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9464);
  a = parse_listen("[::1]:0");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 0);
  a = parse_listen("localhost:80");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "localhost");
}

TEST(parse_listen, refuses_what_is_not_host_colon_port) {
  for (auto bad : {"", "127.0.0.1", ":9464", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:12x", "[::1]9464", "[::1"}) {
    auto a = parse_listen(bad);
    ASSERT_FALSE(a) << bad;
    EXPECT_EQ(a.error().code, core::errc::config_invalid);
  }
}

TEST(local_url, wildcards_become_loopback) {
  EXPECT_EQ(local_url("127.0.0.1:9464", "/healthz").value(), "http://127.0.0.1:9464/healthz");
  EXPECT_EQ(local_url("0.0.0.0:9464", "/healthz").value(), "http://127.0.0.1:9464/healthz");
  EXPECT_EQ(local_url("[::]:9464", "/healthz").value(), "http://[::1]:9464/healthz");
  EXPECT_EQ(local_url("[::1]:1", "/readyz").value(), "http://[::1]:1/readyz");
  EXPECT_EQ(local_url("localhost:9", "/x").value(), "http://localhost:9/x");
}

TEST(local_url, port_zero_cannot_be_probed) {
  auto u = local_url("127.0.0.1:0", "/healthz");
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("fixed port"), std::string::npos) << u.error().message;
}

// A server and a client on one io_context, as the daemon and a scraper would talk.
class http_server_test : public ::testing::Test {
 protected:
  http_server_test()
      : server_(io_.get_executor(), "127.0.0.1:0",
                [this](std::string_view method, std::string_view target) {
                  seen_.push_back(std::string(method) + " " + std::string(target));
                  if (target == "/missing") return http_reply{404, "text/plain; charset=utf-8", "no\n"};
                  return http_reply{200, "text/plain; version=0.0.4; charset=utf-8", "dvsync_up 1\n"};
                }),
        client_(io_.get_executor(), http::tls_options{}, http::timeouts{5s, 5s}) {
    server_.start();
  }

  // Sends the requests in order on the client's pooled connection, then stops the server; the
  // io_context runs until every coroutine has ended, which is what stop() must guarantee.
  std::vector<core::result<http::response>> exchange(std::vector<std::string> paths) {
    std::vector<core::result<http::response>> out;
    boost::asio::co_spawn(io_, send_all(paths, &out), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    io_.run_for(20s);
    EXPECT_TRUE(io_.stopped()) << "the io_context still had work after stop()";
    return out;
  }

  boost::asio::awaitable<void> send_all(std::vector<std::string> paths, std::vector<core::result<http::response>>* out) {
    for (auto const& p : paths) {
      http::request req;
      req.url = "http://127.0.0.1:" + std::to_string(server_.port()) + p;
      out->push_back(co_await client_.send(std::move(req)));
    }
    server_.stop();
  }

  boost::asio::io_context io_;
  std::vector<std::string> seen_;
  http_server server_;
  http::client client_;
};

TEST_F(http_server_test, answers_with_the_handlers_reply_on_a_kept_alive_connection) {
  ASSERT_NE(server_.port(), 0);
  auto replies = exchange({"/metrics", "/missing", "/metrics?x=1"});
  ASSERT_EQ(replies.size(), 3u);
  ASSERT_TRUE(replies[0]) << replies[0].error().message;
  EXPECT_EQ(replies[0]->status, 200);
  EXPECT_EQ(replies[0]->body, "dvsync_up 1\n");
  EXPECT_EQ(replies[0]->header("Content-Type").value_or(""), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(replies[0]->header("Cache-Control").value_or(""), "no-store");
  ASSERT_TRUE(replies[1]);
  EXPECT_EQ(replies[1]->status, 404);
  EXPECT_EQ(replies[1]->body, "no\n");
  ASSERT_TRUE(replies[2]);
  EXPECT_EQ(replies[2]->status, 200);
  EXPECT_EQ(client_.connections_opened(), 1u);
  EXPECT_EQ(seen_, (std::vector<std::string>{"GET /metrics", "GET /missing", "GET /metrics?x=1"}));
}

TEST_F(http_server_test, stop_refuses_new_connections) {
  auto replies = exchange({"/metrics"});
  ASSERT_TRUE(replies.at(0));
  io_.restart();
  auto after = exchange({"/metrics"});
  ASSERT_EQ(after.size(), 1u);
  EXPECT_FALSE(after[0]);
}

TEST(http_server, cannot_listen_on_a_port_in_use) {
  boost::asio::io_context io;
  auto handler = [](std::string_view, std::string_view) { return http_reply{}; };
  http_server first(io.get_executor(), "127.0.0.1:0", handler);
  auto taken = "127.0.0.1:" + std::to_string(first.port());
  EXPECT_THROW(http_server(io.get_executor(), taken, handler), std::runtime_error);
  EXPECT_THROW(http_server(io.get_executor(), "127.0.0.1:x", handler), std::runtime_error);
}

// A localhost name listens on 127.0.0.1 without the system's resolver, which has nothing for names
// under ".localhost", nor for "localhost" itself where /etc/hosts is missing (RFC 6761 §6.3).
TEST(http_server, a_localhost_name_listens_on_the_ipv4_loopback) {
  boost::asio::io_context io;
  auto handler = [](std::string_view, std::string_view) { return http_reply{}; };
  http_server server(io.get_executor(), "dvsync-test.localhost:0", handler);
  boost::asio::ip::tcp::socket probe(io);
  boost::system::error_code ec;
  probe.connect({boost::asio::ip::make_address("127.0.0.1"), server.port()}, ec);
  EXPECT_FALSE(ec) << ec.message();
}

}  // namespace
}  // namespace dvsync::ops
