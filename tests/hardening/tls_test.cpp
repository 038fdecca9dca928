// TLS negatives through the real daemon (reliability plan T12). The emulator serves HTTPS with
// certificates made by the test; dvsync trusts the test CA through tls.ca_file. With the good
// certificate `dvsync once` syncs; with each bad one it fails, names the certificate problem, sends
// no request at all (so neither the client secret nor a bearer token leaves the process), and
// writes no data.
#include "certificates.hpp"
#include "fixture.hpp"
#include "mounts.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;

bool contains(std::string const& haystack, std::string const& needle) { return haystack.find(needle) != std::string::npos; }

class tls_test : public daemon_test {
 protected:
  void SetUp() override {
    daemon_test::SetUp();
    certs_ = make_test_certificates(dir_.path().string());
  }

  // The emulator over HTTPS with this certificate; dvsync configured for it, trusting the test CA.
  void serve(key_pair const& leaf, std::string const& host = "127.0.0.1") {
    start_emulator({"--tls-cert", leaf.cert, "--tls-key", leaf.key});
    config_overrides o;
    o.max_attempts = 2;
    o.backoff_cap_s = 1;
    o.extra_top_level = fmt::format(R"("tls": {{ "ca_file": "{}" }},)", certs_.ca);
    write_config(o);
    if (host != "127.0.0.1") {
      auto text = read_file(config_path_);
      for (auto at = text.find("https://127.0.0.1:"); at != std::string::npos; at = text.find("https://127.0.0.1:", at))
        text.replace(at, std::string("https://127.0.0.1:").size(), "https://" + host + ":");
      write_file(config_path_, text);
    }
  }

  std::uint64_t total_requests() {
    return boost::json::parse(emulator_->control_get("stats").body).at("total_requests").to_number<std::uint64_t>();
  }

  // `dvsync once` against a server whose certificate must be refused for `reason`.
  void expect_refused(std::string const& reason) {
    create_books(0, 2);
    ASSERT_EQ(emulator_->control("stats/reset").status, 200);
    auto r = dvsync({"once", "--log-level", "debug"});
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "TLS certificate of 127.0.0.1")) << r.err;
    EXPECT_TRUE(contains(r.err, reason)) << r.err;
    EXPECT_FALSE(contains(r.out + r.err, std::string(emulator_client_secret))) << "the client secret was printed";
    EXPECT_EQ(total_requests(), 0u) << "a request went out over a refused connection";
    EXPECT_TRUE(mirror().empty());
    EXPECT_EQ(stored_delta_link(db_path_, "sample_book"), "");
    EXPECT_EQ(integrity_check(db_path_), "ok");
  }

  test_certificates certs_;
};

TEST_F(tls_test, a_certificate_from_the_configured_ca_for_the_ip_address_syncs) {
  serve(certs_.good);
  create_books(0, 9);
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_mirror_equals_source();
  EXPECT_EQ(mirror().size(), 10u);
  EXPECT_FALSE(contains(r.out + r.err, std::string(emulator_client_secret)));
}

TEST_F(tls_test, a_certificate_from_the_configured_ca_for_localhost_syncs) {
  serve(certs_.good, "localhost");
  ASSERT_TRUE(contains(read_file(config_path_), "https://localhost:"));
  create_books(0, 4);
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_mirror_equals_source();
}

// Whether the system's resolver (glibc, through nsswitch) has an address for `host`.
bool system_resolves(char const* host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int const rc = ::getaddrinfo(host, nullptr, &hints, &found);
  if (found != nullptr) ::freeaddrinfo(found);
  return rc == 0;
}

// A minimal root (debootstrap, a container image) has no /etc/hosts, so glibc cannot resolve
// "localhost" there; dvsync answers localhost names itself (RFC 6761 §6.3). An empty file over
// /etc/hosts, in a mount namespace of this test's own, makes such a root for the emulator and dvsync.
TEST_F(tls_test, a_certificate_for_localhost_syncs_where_the_system_cannot_resolve_localhost) {
  std::optional<mount_point> hosts;
  if (std::filesystem::exists("/etc/hosts")) {
    if (auto why = enter_private_mount_namespace()) GTEST_SKIP() << "hiding /etc/hosts needs private mounts: " << *why;
    auto const empty = (dir_ / "hosts").string();
    write_file(empty, "");
    if (::mount(empty.c_str(), "/etc/hosts", nullptr, MS_BIND, nullptr) != 0)
      GTEST_SKIP() << "mount --bind " << empty << " /etc/hosts: " << std::strerror(errno);
    hosts.emplace("/etc/hosts");
  }
  if (system_resolves("localhost")) GTEST_SKIP() << "this system resolves localhost without /etc/hosts: nothing to show";

  serve(certs_.good, "localhost");
  create_books(0, 4);
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_mirror_equals_source();
}

TEST_F(tls_test, an_expired_certificate_is_refused) {
  serve(certs_.expired);
  expect_refused("the certificate has expired");
}

TEST_F(tls_test, a_certificate_for_another_host_is_refused) {
  serve(certs_.wrong_host);
  expect_refused("the certificate does not match the host name");
}

TEST_F(tls_test, a_self_signed_certificate_is_refused) {
  serve(certs_.self_signed);
  expect_refused("self-signed");
}

TEST_F(tls_test, a_certificate_from_an_unknown_ca_is_refused) {
  serve(certs_.unknown_ca);
  expect_refused("unknown CA");
}

TEST_F(tls_test, without_tls_ca_file_the_test_ca_is_not_trusted) {
  serve(certs_.good);
  auto text = read_file(config_path_);
  auto at = text.find(R"("tls")");
  ASSERT_NE(at, std::string::npos);
  text.erase(at, text.find("},", at) + 2 - at);
  write_file(config_path_, text);
  expect_refused("unknown CA");
}

// A port nobody listens on at the moment, for a server started by a command of its own.
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("no free port");
  ::close(fd);
  return ntohs(a.sin_port);
}

// TLS 1.0 and 1.1 are below the daemon's floor (1.2): `openssl s_server` speaks only TLS 1.1
// (security level 0, or OpenSSL 3 would refuse to offer it at all) with the good certificate.
TEST_F(tls_test, a_server_that_speaks_only_tls_1_1_is_refused) {
  auto port = free_port();
  std::string const log = (dir_ / "s_server.log").string();
  child server({openssl_binary(), "s_server", "-accept", fmt::format("127.0.0.1:{}", port), "-cert", certs_.good.cert, "-key",
                certs_.good.key, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-www"},
               {}, log);
  auto const deadline = std::chrono::steady_clock::now() + 10s;
  while (!contains(read_file(log), "ACCEPT")) {
    if (!server.running() || std::chrono::steady_clock::now() > deadline) GTEST_SKIP() << "openssl s_server did not start:\n" << read_file(log);
    std::this_thread::sleep_for(20ms);
  }
  auto text = read_file(config_path_);
  auto origin = emulator_->origin();
  for (auto at = text.find(origin); at != std::string::npos; at = text.find(origin, at))
    text.replace(at, origin.size(), fmt::format("https://127.0.0.1:{}", port));
  write_file(config_path_, text);

  auto r = once();
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "TLS handshake with 127.0.0.1")) << r.err;
  EXPECT_TRUE(contains(r.err, "protocol version")) << r.err;
  EXPECT_TRUE(mirror().empty());
  server.signal(SIGTERM);
}

}  // namespace
}  // namespace dvsync::test
