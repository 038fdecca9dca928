#include "server/auth.hpp"

#include "server/headers.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace emulator {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr auto origin = "http://127.0.0.1:4711";
constexpr auto good_scope = "http%3A%2F%2F127.0.0.1%3A4711%2F.default";

token_issuer make_issuer(std::string tenant = "") {
  return token_issuer({"client-a", "s3cret+/=", std::move(tenant), 60s});
}

http_request token_request(std::string body) {
  return {"POST", "/t/oauth2/v2.0/token", {{"Content-Type", "application/x-www-form-urlencoded"}}, std::move(body),
          origin};
}

std::string good_body() {
  return std::string("grant_type=client_credentials&client_id=client-a&client_secret=s3cret%2B%2F%3D&scope=") +
         good_scope;
}

http_request api_request(std::string const& token) {
  return {"GET", "/api/data/v9.2/sample_books", {{"authorization", "Bearer " + token}}, "", origin};
}

json::object parse(std::string const& body) { return json::parse(body).as_object(); }

auto const t0 = token_issuer::clock::time_point{} + 10000s;

TEST(auth, issues_a_bearer_token_that_the_web_api_accepts_until_it_expires) {
  auto issuer = make_issuer();
  auto r = issuer.issue(token_request(good_body()), "t", t0);
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = parse(r.body);
  EXPECT_EQ(o.at("token_type"), "Bearer");
  EXPECT_EQ(o.at("expires_in"), 60);
  auto token = std::string(o.at("access_token").as_string());
  EXPECT_GE(token.size(), 32u);
  EXPECT_EQ(issuer.check(api_request(token), t0 + 59s), bearer_status::valid);
  EXPECT_EQ(issuer.check(api_request(token), t0 + 60s), bearer_status::expired);
}

TEST(auth, every_token_is_different) {
  auto issuer = make_issuer();
  auto a = parse(issuer.issue(token_request(good_body()), "t", t0).body).at("access_token");
  auto b = parse(issuer.issue(token_request(good_body()), "t", t0).body).at("access_token");
  EXPECT_NE(a, b);
}

TEST(auth, missing_or_unknown_bearer_is_refused) {
  auto issuer = make_issuer();
  http_request no_header{"GET", "/api/data/v9.2/sample_books", {}, "", origin};
  EXPECT_EQ(issuer.check(no_header, t0), bearer_status::missing);
  http_request basic{"GET", "/api/data/v9.2/sample_books", {{"Authorization", "Basic abc"}}, "", origin};
  EXPECT_EQ(issuer.check(basic, t0), bearer_status::missing);
  EXPECT_EQ(issuer.check(api_request("made-up"), t0), bearer_status::unknown);
}

TEST(auth, revoked_tokens_are_unknown) {
  auto issuer = make_issuer();
  auto token = std::string(parse(issuer.issue(token_request(good_body()), "t", t0).body).at("access_token").as_string());
  issuer.revoke_all();
  EXPECT_EQ(issuer.check(api_request(token), t0), bearer_status::unknown);
}

TEST(auth, accepts_http_basic_client_authentication) {
  auto issuer = make_issuer();
  // base64("client-a:s3cret%2B%2F%3D"): RFC 6749 form-encodes id and secret before base64.
  auto r = token_request(std::string("grant_type=client_credentials&scope=") + good_scope);
  r.headers.emplace_back("Authorization", "Basic Y2xpZW50LWE6czNjcmV0JTJCJTJGJTNE");
  auto reply = issuer.issue(r, "t", t0);
  EXPECT_EQ(reply.status, 200) << reply.body;
}

struct refusal {
  std::string body;
  int status;
  std::string error;
  std::string aadsts;
};

TEST(auth, refusals_use_the_entra_envelope) {
  std::string scope = std::string("&scope=") + good_scope;
  std::vector<refusal> cases{
      {"grant_type=client_credentials&client_id=client-a&client_secret=wrong" + scope, 401, "invalid_client",
       "AADSTS7000215"},
      {"grant_type=client_credentials&client_id=someone&client_secret=s3cret%2B%2F%3D" + scope, 401,
       "invalid_client", "AADSTS700016"},
      {"grant_type=client_credentials&client_id=client-a" + scope, 401, "invalid_client", "AADSTS7000216"},
      {"grant_type=password&client_id=client-a&client_secret=s3cret%2B%2F%3D" + scope, 400,
       "unsupported_grant_type", "AADSTS70003"},
      {"client_id=client-a&client_secret=s3cret%2B%2F%3D" + scope, 400, "invalid_request", "AADSTS900144"},
      {"grant_type=client_credentials&client_id=client-a&client_secret=s3cret%2B%2F%3D&scope=https%3A%2F%2Fother%2F.default",
       400, "invalid_scope", "AADSTS70011"},
      {"grant_type=client_credentials&client_secret=s3cret%2B%2F%3D" + scope, 400, "invalid_request",
       "AADSTS900144"},
  };
  for (auto const& c : cases) {
    auto issuer = make_issuer();
    auto r = issuer.issue(token_request(c.body), "t", t0);
    EXPECT_EQ(r.status, c.status) << c.body;
    auto o = parse(r.body);
    EXPECT_EQ(o.at("error"), c.error.c_str()) << c.body;
    EXPECT_TRUE(o.at("error_description").as_string().starts_with(c.aadsts)) << o.at("error_description");
    EXPECT_TRUE(o.at("error_codes").is_array());
    EXPECT_EQ(issuer.live_tokens(), 0u);
  }
}

TEST(auth, a_configured_tenant_must_match_the_path) {
  auto issuer = make_issuer("contoso");
  EXPECT_EQ(issuer.issue(token_request(good_body()), "contoso", t0).status, 200);
  auto r = issuer.issue(token_request(good_body()), "fabrikam", t0);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("AADSTS90002"), std::string::npos);
}

TEST(auth, only_post_is_accepted) {
  auto issuer = make_issuer();
  auto r = token_request(good_body());
  r.method = "GET";
  EXPECT_EQ(issuer.issue(r, "t", t0).status, 400);
}

TEST(auth, unauthorized_is_401_with_a_bearer_challenge_and_no_body) {
  auto r = token_issuer::unauthorized(bearer_status::expired, origin);
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(r.body.empty());
  auto challenge = header_value(r.headers, "WWW-Authenticate");
  ASSERT_TRUE(challenge.has_value());
  EXPECT_TRUE(challenge->starts_with("Bearer "));
  EXPECT_NE(challenge->find("invalid_token"), std::string_view::npos);
  EXPECT_NE(challenge->find(std::string("resource_id=") + origin + "/"), std::string_view::npos);
  auto missing = token_issuer::unauthorized(bearer_status::missing, origin);
  EXPECT_EQ(header_value(missing.headers, "WWW-Authenticate")->find("invalid_token"), std::string_view::npos);
}

}  // namespace
}  // namespace emulator
