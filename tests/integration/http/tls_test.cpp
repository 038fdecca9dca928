#include "http/client.hpp"
#include "run_sync.hpp"
#include "test_pki.hpp"
#include "test_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

namespace dvsync::http {
namespace {

using namespace std::chrono_literals;
using core::errc;
using testing::http_response;
using testing::recorded_request;
using testing::run_sync;
using testing::scripted_reply;
using testing::silent_server;
using testing::test_pki;
using testing::test_server;

scripted_reply ok(recorded_request const& r) { return scripted_reply{http_response(200, "secure " + std::to_string(r.index))}; }

class TlsTest : public ::testing::Test {
 protected:
  core::result<response> get(client& c, std::string url) {
    request req;
    req.url = std::move(url);
    return run_sync(io_, c.send(std::move(req)));
  }

  client trusting_test_ca() { return client(io_.get_executor(), tls_options{pki().ca_cert, true}, timeouts{5s, 5s}); }

  static test_pki const& pki() { return test_pki::instance(); }

  boost::asio::io_context io_;
};

TEST_F(TlsTest, CertificateFromTheConfiguredCaIsAcceptedByIpAndByName) {
  test_server server(ok, pki().good);
  auto c = trusting_test_ca();
  auto by_ip = get(c, server.url("/a"));
  ASSERT_TRUE(by_ip) << by_ip.error().message;
  EXPECT_EQ(by_ip->body, "secure 0");
  auto by_name = get(c, server.url("/b", "localhost"));
  ASSERT_TRUE(by_name) << by_name.error().message;
  // SNI carries host names, never IP literals.
  EXPECT_EQ(server.server_names(), (std::vector<std::string>{"", "localhost"}));
}

TEST_F(TlsTest, KeepAliveWorksOverTls) {
  test_server server(ok, pki().good);
  auto c = trusting_test_ca();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(get(c, server.url("/page")));
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(TlsTest, UnknownCaIsRefused) {
  test_server server(ok, pki().good);
  client c(io_.get_executor(), tls_options{}, timeouts{5s, 5s});
  auto res = get(c, server.url("/"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::tls_verify);
  EXPECT_NE(res.error().message.find("unknown CA"), std::string::npos) << res.error().message;
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(TlsTest, ExpiredCertificateIsRefused) {
  test_server server(ok, pki().expired);
  auto c = trusting_test_ca();
  auto res = get(c, server.url("/"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::tls_verify);
  EXPECT_NE(res.error().message.find("expired"), std::string::npos) << res.error().message;
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(TlsTest, CertificateForAnotherHostIsRefused) {
  test_server server(ok, pki().wrong_host);
  auto c = trusting_test_ca();
  for (auto const* host : {"127.0.0.1", "localhost"}) {
    auto res = get(c, server.url("/", host));
    ASSERT_FALSE(res) << host;
    EXPECT_EQ(res.error().code, errc::tls_verify) << host;
    EXPECT_NE(res.error().message.find("host name"), std::string::npos) << res.error().message;
  }
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(TlsTest, SelfSignedCertificateIsRefused) {
  test_server server(ok, pki().self_signed);
  auto c = trusting_test_ca();
  auto res = get(c, server.url("/"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::tls_verify);
  EXPECT_NE(res.error().message.find("self-signed"), std::string::npos) << res.error().message;
  EXPECT_FALSE(core::is_transient(res.error().code));
}

TEST_F(TlsTest, VerificationOffAcceptsAnyCertificate) {
  test_server server(ok, pki().self_signed);
  client c(io_.get_executor(), tls_options{{}, false}, timeouts{5s, 5s});
  auto res = get(c, server.url("/"));
  ASSERT_TRUE(res) << res.error().message;
}

TEST_F(TlsTest, TlsConnectionDroppedMidBodyIsANetworkError) {
  test_server server([](recorded_request const&) {
    return scripted_reply{"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"value\":[", {}, true};
  }, pki().good);
  auto c = trusting_test_ca();
  auto res = get(c, server.url("/"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::network);
}

TEST_F(TlsTest, StalledHandshakeHitsTheConnectBudget) {
  silent_server server;
  client c(io_.get_executor(), tls_options{pki().ca_cert, true}, timeouts{500ms, 10s});
  auto const start = std::chrono::steady_clock::now();
  auto res = get(c, "https://127.0.0.1:" + std::to_string(server.port()) + "/");
  auto const elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::timeout);
  EXPECT_GE(elapsed, 450ms);
  EXPECT_LT(elapsed, 3s);
}

TEST_F(TlsTest, MissingCaFileCannotStart) {
  EXPECT_THROW(client(io_.get_executor(), tls_options{pki().dir + "/absent.pem", true}, timeouts{}), std::runtime_error);
}

}  // namespace
}  // namespace dvsync::http
