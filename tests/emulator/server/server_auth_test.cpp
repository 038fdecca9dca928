// OAuth client credentials and the bearer check, over real HTTP.
#include "web_client.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;

TEST(emulator_auth, wrong_secret_is_401_invalid_client) {
  emulator_process emu;
  auto r = request_token(emu.origin(), emulator_client_id, "not-the-secret");
  EXPECT_EQ(r.status, 401);
  auto body = json_of(r);
  EXPECT_EQ(body.at("error"), "invalid_client");
  EXPECT_TRUE(body.at("error_description").as_string().starts_with("AADSTS7000215"));
}

TEST(emulator_auth, credentials_and_tenant_come_from_the_flags) {
  emulator_process emu({"--client-id", "app-1", "--client-secret", "pa ss&word", "--tenant", "contoso"});
  EXPECT_EQ(request_token(emu.origin(), "app-1", "pa ss&word", "contoso").status, 200);
  EXPECT_EQ(request_token(emu.origin(), "app-1", "pa ss&word", "fabrikam").status, 400);
  EXPECT_EQ(request_token(emu.origin(), emulator_client_id, emulator_client_secret, "contoso").status, 401);
}

TEST(emulator_auth, scope_must_be_the_origin_the_client_used) {
  emulator_process emu;
  auto r = http_call("POST", emu.origin() + "/t/oauth2/v2.0/token",
                     "grant_type=client_credentials&client_id=dvsync-test-client&client_secret=dvsync-test-secret"
                     "&scope=https%3A%2F%2Fcontoso.crm.dynamics.com%2F.default",
                     {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json_of(r).at("error"), "invalid_scope");
}

TEST(emulator_auth, missing_and_unknown_bearer_get_401_with_a_challenge) {
  emulator_process emu;
  for (std::string token : {"", "forged-token"}) {
    auto r = api_call("GET", emu.api_url("sample_books"), token);
    EXPECT_EQ(r.status, 401) << token;
    EXPECT_TRUE(r.header("WWW-Authenticate").value_or("").starts_with("Bearer ")) << token;
  }
}

TEST(emulator_auth, a_token_stops_working_after_its_lifetime) {
  emulator_process emu({"--token-lifetime-s", "1"});
  auto token_reply = request_token(emu.origin(), emulator_client_id, emulator_client_secret);
  ASSERT_EQ(json_of(token_reply).at("expires_in"), 1);
  auto token = access_token_of(token_reply);
  EXPECT_EQ(api_call("GET", emu.api_url("sample_books"), token).status, 200);
  std::this_thread::sleep_for(1100ms);
  auto r = api_call("GET", emu.api_url("sample_books"), token);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.header("WWW-Authenticate").value_or("").find("invalid_token"), std::string::npos);
  EXPECT_EQ(api_call("GET", emu.api_url("sample_books"), emu.token()).status, 200);
}

TEST(emulator_auth, revoking_tokens_forces_a_401_in_the_middle_of_paging) {
  emulator_process emu({"--seed", "sample"});
  auto token = emu.token();
  auto first = api_call("GET", emu.api_url("sample_books"), token, {}, {{"Prefer", "odata.maxpagesize=3"}});
  ASSERT_EQ(first.status, 200);
  auto next = std::string(json_of(first).at("@odata.nextLink").as_string());
  ASSERT_EQ(emu.control("revoke-tokens").status, 200);
  EXPECT_EQ(api_call("GET", next, token, {}, {{"Prefer", "odata.maxpagesize=3"}}).status, 401);
  auto resumed = api_call("GET", next, emu.token(), {}, {{"Prefer", "odata.maxpagesize=3"}});
  EXPECT_EQ(resumed.status, 200);
}

TEST(emulator_auth, no_auth_serves_requests_without_a_token) {
  emulator_process emu({"--no-auth", "--seed", "sample"});
  auto r = api_call("GET", emu.api_url("sample_books"), "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json_of(r).at("value").as_array().size(), 10u);
}

}  // namespace
}  // namespace dvsync::test
