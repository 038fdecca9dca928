// The HTTPS proxy end to end (issue 14, item 2): the real dvsync syncs the emulator over HTTPS
// through a real tinyproxy started by the test, by CONNECT, with TLS verified against the server
// through the tunnel; the proxy's credentials come from HTTPS_PROXY and never reach any output;
// NO_PROXY bypasses it; a refusal (407) is a clear error.
#include "certificates.hpp"
#include "fixture.hpp"
#include "programs.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;

constexpr char proxy_user[] = "dvsync-proxy-user";
constexpr char proxy_password[] = "pr0xy-pa55-7c1e";

bool contains(std::string const& haystack, std::string const& needle) { return haystack.find(needle) != std::string::npos; }

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(fd);
  return ntohs(a.sin_port);
}

class proxy_test : public daemon_test {
 protected:
  void SetUp() override {
    daemon_test::SetUp();
    tinyproxy_ = program_on_path("tinyproxy");
    if (!tinyproxy_) GTEST_SKIP() << "tinyproxy is not installed (Debian package tinyproxy, in tools/packages.txt)";
    certs_ = make_test_certificates(dir_.path().string());
  }

  // tinyproxy on 127.0.0.1, with Basic credentials required unless `open`; every port may be
  // tunnelled to (no ConnectPort line).
  void start_proxy(bool open = false) {
    proxy_port_ = free_port();
    auto conf = (dir_ / "tinyproxy.conf").string();
    write_file(conf, fmt::format("Port {}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Info\nMaxClients 20\n"
                                 "Allow 127.0.0.1\n{}",
                                 proxy_port_, proxy_log_path(), open ? "" : fmt::format("BasicAuth {} {}\n", proxy_user, proxy_password)));
    proxy_.emplace(std::vector<std::string>{*tinyproxy_, "-d", "-c", conf}, environment{}, (dir_ / "tinyproxy.out").string());
    for (int i = 0; i < 100 && !contains(read_file(proxy_log_path()), "listening on"); ++i) std::this_thread::sleep_for(50ms);
  }
  std::string proxy_log_path() const { return (dir_ / "tinyproxy.log").string(); }
  std::string proxy_log() const { return read_file(proxy_log_path()); }

  // The emulator over HTTPS as https://localhost:PORT, dvsync trusting the test CA.
  void serve(key_pair const& leaf, std::string const& extra_top_level = {}) {
    start_emulator({"--tls-cert", leaf.cert, "--tls-key", leaf.key, "--seed", "sample"});
    config_overrides o;
    o.max_attempts = 2;
    o.backoff_cap_s = 1;
    o.extra_top_level = fmt::format(R"("tls": {{ "ca_file": "{}" }}, {})", certs_.ca, extra_top_level);
    write_config(o);
    auto text = read_file(config_path_);
    for (auto at = text.find("https://127.0.0.1:"); at != std::string::npos; at = text.find("https://127.0.0.1:", at))
      text.replace(at, std::string("https://127.0.0.1:").size(), "https://localhost:");
    write_file(config_path_, text);
  }

  std::string proxy_url(std::string const& user, std::string const& password) const {
    return fmt::format("http://{}:{}@127.0.0.1:{}", user, password, proxy_port_);
  }

  process_result once_via(environment env) {
    env.try_emplace("NO_PROXY", "");
    env.try_emplace("no_proxy", "");
    env.try_emplace("https_proxy", "");
    return dvsync({"once", "--log-level", "debug"}, env);
  }

  std::optional<std::string> tinyproxy_;
  test_certificates certs_;
  std::uint16_t proxy_port_ = 0;
  std::optional<child> proxy_;
};

TEST_F(proxy_test, https_through_the_proxy_with_credentials_syncs_and_never_prints_them) {
  start_proxy();
  serve(certs_.good);
  auto r = once_via({{"HTTPS_PROXY", proxy_url(proxy_user, proxy_password)}});
  ASSERT_EQ(r.exit_code, 0) << r.err << "\n--- tinyproxy:\n" << proxy_log();
  EXPECT_TRUE(contains(r.out, "sample_book: initial sync, 1 page, 10 upserts")) << r.out;
  EXPECT_EQ(mirror().size(), 10u);
  // Every connection went through the tunnel: the token endpoint's and the Web API's.
  auto log = proxy_log();
  EXPECT_TRUE(contains(log, "Established connection to host \"localhost\"")) << log;
  EXPECT_TRUE(contains(r.err, "event=http.proxy proxy=http://127.0.0.1:" + std::to_string(proxy_port_))) << r.err;
  EXPECT_TRUE(contains(r.err, "event=http.connected origin=https://localhost:")) << r.err;
  EXPECT_FALSE(contains(r.err, "proxy=none")) << "a connection bypassed the proxy: " << r.err;
  for (auto const& text : {r.out, r.err}) {
    EXPECT_FALSE(contains(text, proxy_password)) << text;
    EXPECT_FALSE(contains(text, proxy_user)) << "the proxy user name was printed: " << text;
  }
}

// tinyproxy answers 401 where RFC 9110 says 407; both are the proxy refusing the credentials.
TEST_F(proxy_test, wrong_proxy_credentials_are_a_clear_error_without_the_password) {
  start_proxy();
  serve(certs_.good);
  auto r = once_via({{"HTTPS_PROXY", proxy_url(proxy_user, "wrong-pa55")}});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(contains(r.err, "refused CONNECT localhost:")) << r.err;
  EXPECT_TRUE(contains(r.err, "401 Unauthorized") || contains(r.err, "407 Proxy Authentication Required")) << r.err;
  EXPECT_TRUE(contains(r.err, "does not accept the credentials of HTTPS_PROXY")) << r.err;
  EXPECT_FALSE(contains(r.out + r.err, "wrong-pa55"));
  EXPECT_TRUE(mirror().empty());
}

// TLS is end to end: the proxy relays the bytes, and dvsync still checks the server's certificate
// and host name. A certificate for another host is refused through the tunnel as it is directly.
TEST_F(proxy_test, the_server_certificate_is_verified_through_the_tunnel) {
  start_proxy();
  serve(certs_.wrong_host);
  auto r = once_via({{"HTTPS_PROXY", proxy_url(proxy_user, proxy_password)}});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_TRUE(contains(r.err, "TLS certificate of localhost")) << r.err;
  EXPECT_TRUE(contains(proxy_log(), "Established connection to host \"localhost\"")) << "the refusal must come through the tunnel";
  EXPECT_TRUE(mirror().empty());
}

TEST_F(proxy_test, no_proxy_reaches_the_host_directly_and_a_dead_proxy_is_named) {
  serve(certs_.good);
  auto dead = fmt::format("http://{}:{}@127.0.0.1:{}", proxy_user, proxy_password, free_port());
  auto refused = once_via({{"HTTPS_PROXY", dead}});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(contains(refused.err, "cannot connect to the proxy http://127.0.0.1:")) << refused.err;
  EXPECT_FALSE(contains(refused.err, proxy_password));

  auto direct = once_via({{"HTTPS_PROXY", dead}, {"NO_PROXY", "example.com, localhost"}});
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_EQ(mirror().size(), 10u);
}

TEST_F(proxy_test, the_config_key_names_a_proxy_without_credentials_and_refuses_one_with_them) {
  start_proxy(/*open=*/true);
  serve(certs_.good, fmt::format(R"("proxy": {{ "url": "http://127.0.0.1:{}" }},)", proxy_port_));
  // The file's proxy wins over a (dead) one in the environment.
  auto r = once_via({{"HTTPS_PROXY", fmt::format("http://127.0.0.1:{}", free_port())}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(proxy_log(), "Established connection to host \"localhost\"")) << proxy_log();

  serve(certs_.good, R"("proxy": { "url": "http://someone:hunter2@127.0.0.1:3128" },)");
  auto check = dvsync({"check-config"});
  EXPECT_EQ(check.exit_code, 78);
  EXPECT_TRUE(contains(check.err, "proxy.url: credentials do not go in the config file")) << check.err;
  EXPECT_FALSE(contains(check.err, "hunter2"));
}

}  // namespace
}  // namespace dvsync::test
