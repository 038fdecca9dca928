#include "auth/token.hpp"
#include "auth/token_provider.hpp"

#include <gtest/gtest.h>

namespace dvsync::auth {
namespace {

using namespace std::chrono;
using core::errc;

steady_clock::time_point const t0{hours{1000}};

TEST(RefreshDueTest, HourLongTokenIsReplacedAt90PercentOfItsLife) {
  seconds const life{3599};  // 90% = 3239.1 s, 5 minutes before = 3299 s
  EXPECT_FALSE(refresh_due(t0, life, t0));
  EXPECT_FALSE(refresh_due(t0, life, t0 + milliseconds{3239099}));
  EXPECT_TRUE(refresh_due(t0, life, t0 + milliseconds{3239100}));
  EXPECT_TRUE(refresh_due(t0, life, t0 + hours{5}));
}

TEST(RefreshDueTest, TwentyMinuteTokenIsReplacedFiveMinutesBeforeExpiry) {
  seconds const life{1200};  // 90% = 1080 s, 5 minutes before = 900 s
  EXPECT_FALSE(refresh_due(t0, life, t0 + seconds{899}));
  EXPECT_TRUE(refresh_due(t0, life, t0 + seconds{900}));
}

TEST(RefreshDueTest, ShortTokensUseThe90PercentMark) {
  EXPECT_FALSE(refresh_due(t0, seconds{300}, t0 + seconds{269}));
  EXPECT_TRUE(refresh_due(t0, seconds{300}, t0 + seconds{270}));
  EXPECT_FALSE(refresh_due(t0, seconds{60}, t0 + seconds{53}));
  EXPECT_TRUE(refresh_due(t0, seconds{60}, t0 + seconds{54}));
}

TEST(RefreshDueTest, NoLifetimeMeansAlwaysDue) {
  EXPECT_TRUE(refresh_due(t0, seconds{0}, t0));
  EXPECT_TRUE(refresh_due(t0, seconds{-5}, t0));
}

TEST(TokenResponseTest, ParsesEntraSuccessAndIgnoresUnknownMembers) {
  auto t = parse_token_response(
      R"({"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAi.abc.def","foo":{"x":[1]}})");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->access_token, "eyJ0eXAi.abc.def");
  EXPECT_EQ(t->expires_in, seconds{3599});
}

TEST(TokenResponseTest, AcceptsExpiresInAsStringAndAnyCaseOfBearer) {
  auto t = parse_token_response(R"({"access_token":"tok","expires_in":"120","token_type":"bearer"})");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->expires_in, seconds{120});
}

TEST(TokenResponseTest, RejectsBrokenResponses) {
  for (auto const* body : {
           "",
           "not json",
           "[1,2]",
           R"({"token_type":"Bearer","expires_in":3599})",
           R"({"token_type":"Bearer","expires_in":3599,"access_token":""})",
           R"({"token_type":"Bearer","expires_in":3599,"access_token":42})",
           R"({"token_type":"mac","expires_in":3599,"access_token":"tok"})",
           R"({"expires_in":3599,"access_token":"tok"})",
           R"({"token_type":"Bearer","access_token":"tok"})",
           R"({"token_type":"Bearer","expires_in":0,"access_token":"tok"})",
           R"({"token_type":"Bearer","expires_in":-1,"access_token":"tok"})",
           R"({"token_type":"Bearer","expires_in":"soon","access_token":"tok"})",
       }) {
    auto t = parse_token_response(body);
    ASSERT_FALSE(t) << body;
    EXPECT_EQ(t.error().code, errc::protocol) << body;
  }
}

TEST(TokenEndpointErrorTest, EntraEnvelopeBecomesAuthFailedWithTheCodeAndFirstLine) {
  auto const e = token_endpoint_error(
      401,
      R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\nCorrelation ID: 2","error_codes":[7000215]})",
      std::nullopt);
  EXPECT_EQ(e.code, errc::auth_failed);
  EXPECT_EQ(e.http_status, 401);
  EXPECT_NE(e.message.find("invalid_client"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("AADSTS7000215: Invalid client secret provided."), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("Trace ID"), std::string::npos) << e.message;
}

TEST(TokenEndpointErrorTest, NonJsonRefusalStillNamesTheStatus) {
  auto const e = token_endpoint_error(400, "<html>bad</html>", std::nullopt);
  EXPECT_EQ(e.code, errc::auth_failed);
  EXPECT_NE(e.message.find("HTTP 400"), std::string::npos) << e.message;
}

TEST(TokenEndpointErrorTest, ThrottlingAndOutagesAreTransient) {
  auto const throttled = token_endpoint_error(429, "", seconds{12});
  EXPECT_EQ(throttled.code, errc::throttled);
  EXPECT_EQ(throttled.retry_after, seconds{12});
  EXPECT_EQ(token_endpoint_error(503, "", std::nullopt).code, errc::server_busy);
  EXPECT_EQ(token_endpoint_error(500, "", std::nullopt).code, errc::server_busy);
  EXPECT_EQ(token_endpoint_error(408, "", std::nullopt).code, errc::server_busy);
  EXPECT_TRUE(core::is_transient(token_endpoint_error(502, "", std::nullopt).code));
}

TEST(TokenEndpointTest, UrlAndScopeComeFromTheConfig) {
  config::auth_settings auth;
  auth.authority = "https://login.microsoftonline.com/";
  auth.tenant_id = "contoso.onmicrosoft.com";
  auth.client_id = "535fb089-9ff3-47b6-9bfb-4f1264799865";
  config::dataverse_settings dv;
  dv.url = "https://contoso.crm.dynamics.com";
  auto const ep = make_token_endpoint(auth, dv);
  EXPECT_EQ(ep.url, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
  EXPECT_EQ(ep.scope, "https://contoso.crm.dynamics.com/.default");
  EXPECT_EQ(ep.client_id, auth.client_id);
}

TEST(TokenEndpointTest, RequestBodyEncodesTheSecret) {
  token_endpoint const ep{"https://login.example/t/oauth2/v2.0/token", "app id", "https://org.example/.default"};
  EXPECT_EQ(token_request_body(ep, "p@ss+w/rd&x=1"),
            "grant_type=client_credentials&client_id=app+id&client_secret=p%40ss%2Bw%2Frd%26x%3D1"
            "&scope=https%3A%2F%2Forg.example%2F.default");
}

}  // namespace
}  // namespace dvsync::auth
