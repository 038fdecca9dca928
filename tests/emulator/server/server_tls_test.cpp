// The HTTPS listener with certificates made by the test with the openssl command.
#include "web_client.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace dvsync::test {
namespace {

// A self-signed P-256 certificate for CN=name (subjectAltName IP:127.0.0.1 when ip is set).
void make_certificate(temp_dir const& dir, std::string const& name, bool ip) {
  auto cert = (dir / (name + ".pem")).string();
  auto key = (dir / (name + ".key")).string();
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=" +
                    name + " -keyout '" + key + "' -out '" + cert + "'" +
                    (ip ? " -addext subjectAltName=IP:127.0.0.1" : "") + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

TEST(emulator_tls, serves_https_with_the_given_certificate) {
  temp_dir dir;
  make_certificate(dir, "emulator", true);
  make_certificate(dir, "stranger", true);
  emulator_process emu({"--tls-cert", (dir / "emulator.pem").string(), "--tls-key", (dir / "emulator.key").string(),
                        "--seed", "sample"});
  ASSERT_TRUE(emu.origin().starts_with("https://"));

  call_options trusted;
  trusted.ca_file = (dir / "emulator.pem").string();
  auto health = http_call("GET", emu.origin() + "/_emulator/health", {}, {}, trusted);
  EXPECT_EQ(health.status, 200) << health.error;
  EXPECT_TRUE(health.error.empty()) << health.error;

  auto token = access_token_of(request_token(emu.origin(), emulator_client_id, emulator_client_secret, "t", trusted));
  auto books = http_call("GET", emu.api_url("sample_books"), {}, web_api_headers(token), trusted);
  EXPECT_EQ(books.status, 200) << books.error;
  EXPECT_EQ(json_of(books).at("value").as_array().size(), 10u);
  EXPECT_TRUE(json_of(books).at("@odata.context").as_string().starts_with(emu.origin()));

  call_options wrong_ca;
  wrong_ca.ca_file = (dir / "stranger.pem").string();
  auto refused = http_call("GET", emu.origin() + "/_emulator/health", {}, {}, wrong_ca);
  EXPECT_EQ(refused.status, 0);
  EXPECT_NE(refused.error.find("handshake"), std::string::npos) << refused.error;

  auto plain = http_call("GET", "http://127.0.0.1:" + std::to_string(emu.port()) + "/_emulator/health");
  EXPECT_NE(plain.status, 200);
}

TEST(emulator_tls, an_unreadable_certificate_is_a_startup_error_naming_the_flag) {
  temp_dir dir;
  auto r = run_emulator_cli({"--tls-cert", (dir / "missing.pem").string(), "--tls-key", (dir / "missing.key").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--tls-cert"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dvsync::test
