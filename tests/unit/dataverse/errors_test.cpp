#include "dataverse/errors.hpp"

#include <gtest/gtest.h>

namespace dvsync::dataverse {
namespace {

using namespace std::chrono;
using core::errc;

system_clock::time_point const now = sys_days{2024y / January / 7} + 21h + 10min + 42s;
seconds const cap{300};

http::response answer(int status, std::string body, http::header_list headers = {}, std::string reason = {}) {
  http::response r;
  r.status = status;
  r.reason = std::move(reason);
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

std::string envelope(std::string const& code, std::string const& message) {
  return R"({"error":{"code":")" + code + R"(","message":")" + message + R"("}})";
}

std::string const expired_body =
    envelope("0x80044352", "Version stamp associated with the client has expired. Please perform a full sync.");

TEST(ServiceErrorTest, ReadsTheEnvelopeAndIgnoresAnnotations) {
  auto const e = parse_service_error(
      400,
      "Bad Request",
      R"({"error":{"code":"0x80040265","message":"Example Error Message.","@Microsoft.PowerApps.CDS.ErrorDetails.OperationStatus":"1"}})");
  EXPECT_EQ(e.code, "0x80040265");
  EXPECT_EQ(e.message, "Example Error Message.");
}

TEST(ServiceErrorTest, FallsBackToTheReasonPhrase) {
  EXPECT_EQ(parse_service_error(503, "Service Unavailable", "").message, "Service Unavailable");
  EXPECT_EQ(parse_service_error(502, "Bad Gateway", "<html>proxy error</html>").message, "Bad Gateway");
  EXPECT_EQ(parse_service_error(502, "", "").message, "HTTP 502");
  EXPECT_EQ(parse_service_error(500, "Oops", R"({"error":"a string"})").message, "Oops");
  EXPECT_EQ(parse_service_error(500, "Oops", R"({"error":{"code":"0x1"}})").code, "0x1");
}

TEST(ServiceErrorTest, LongMessagesAreShortened) {
  auto const e = parse_service_error(400, "", envelope("0x0", std::string(5000, 'x')));
  EXPECT_LT(e.message.size(), 1000u);
}

TEST(ExpiredTokenTest, MatchesTheCodeInAnyCaseOrTheMessage) {
  EXPECT_TRUE(is_expired_token("0x80044352", ""));
  EXPECT_TRUE(is_expired_token("0X80044352", ""));
  EXPECT_TRUE(is_expired_token("", "Version stamp associated with the client has expired. Please perform a full sync."));
  EXPECT_FALSE(is_expired_token("0x80044351", "Something else"));
  EXPECT_FALSE(is_expired_token("0x0", ""));
}

TEST(CheckResponseTest, SuccessStatusesPass) {
  EXPECT_TRUE(check_response(answer(200, "{}"), now, cap));
  EXPECT_TRUE(check_response(answer(204, ""), now, cap));
}

TEST(CheckResponseTest, ExpiredTokenWinsWhateverTheStatus) {
  for (int status : {400, 404, 410, 422, 500, 503}) {
    auto const r = check_response(answer(status, expired_body), now, cap);
    ASSERT_FALSE(r) << status;
    EXPECT_EQ(r.error().code, errc::token_expired) << status;
    EXPECT_EQ(r.error().http_status, status);
  }
  auto const by_message = check_response(answer(400, envelope("", "Version stamp associated with the client has expired.")), now, cap);
  EXPECT_EQ(by_message.error().code, errc::token_expired);
}

TEST(CheckResponseTest, TooManyRequestsCarriesRetryAfter) {
  auto const r = check_response(answer(429, envelope("0x80072322", "Number of requests exceeded the limit"), {{"Retry-After", "7"}}), now, cap);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::throttled);
  EXPECT_EQ(r.error().retry_after, seconds{7});
  EXPECT_EQ(r.error().http_status, 429);
  EXPECT_NE(r.error().message.find("0x80072322"), std::string::npos) << r.error().message;
}

TEST(CheckResponseTest, RetryAfterIsCappedAndMayBeADate) {
  auto const capped = check_response(answer(429, "", {{"retry-after", "86400"}}), now, cap);
  EXPECT_EQ(capped.error().retry_after, cap);
  auto const dated = check_response(answer(429, "", {{"Retry-After", "Sun, 07 Jan 2024 21:11:12 GMT"}}), now, cap);
  EXPECT_EQ(dated.error().retry_after, seconds{30});
  auto const garbage = check_response(answer(429, "", {{"Retry-After", "soon"}}), now, cap);
  EXPECT_EQ(garbage.error().code, errc::throttled);
  EXPECT_FALSE(garbage.error().retry_after.has_value());
}

TEST(CheckResponseTest, ServiceUnavailableIsThrottledOnlyWithRetryAfter) {
  auto const with = check_response(answer(503, "", {{"Retry-After", "3"}}), now, cap);
  EXPECT_EQ(with.error().code, errc::throttled);
  EXPECT_EQ(with.error().retry_after, seconds{3});
  auto const without = check_response(answer(503, "", {}, "Service Unavailable"), now, cap);
  EXPECT_EQ(without.error().code, errc::server_busy);
  EXPECT_FALSE(without.error().retry_after.has_value());
  EXPECT_NE(without.error().message.find("Service Unavailable"), std::string::npos);
}

TEST(CheckResponseTest, GatewayAndTimeoutStatusesAreServerBusy) {
  for (int status : {408, 500, 502, 504}) {
    auto const r = check_response(answer(status, ""), now, cap);
    EXPECT_EQ(r.error().code, errc::server_busy) << status;
    EXPECT_FALSE(r.error().retry_after.has_value());
  }
  auto const hinted = check_response(answer(502, "", {{"Retry-After", "9"}}), now, cap);
  EXPECT_EQ(hinted.error().code, errc::server_busy);
  EXPECT_EQ(hinted.error().retry_after, seconds{9});
}

TEST(CheckResponseTest, UnauthorizedNeedsNoBody) {
  auto const r = check_response(answer(401, ""), now, cap);
  EXPECT_EQ(r.error().code, errc::unauthorized);
  EXPECT_EQ(r.error().http_status, 401);
}

TEST(CheckResponseTest, GoneIsTreatedAsAnExpiredToken) {
  EXPECT_EQ(check_response(answer(410, ""), now, cap).error().code, errc::token_expired);
}

// The service's answer to a $select naming a column the table no longer has, as the Web API
// troubleshooting page shows it: the scheduler reads the metadata again on schema_changed.
TEST(CheckResponseTest, AnUnknownSelectedPropertyIsASchemaChange) {
  auto const r = check_response(
      answer(400, envelope("0x0", "Could not find a property named 'accountnumber' on type 'Microsoft.Dynamics.CRM.account'.")),
      now, cap);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::schema_changed);
  EXPECT_EQ(r.error().http_status, 400);
  EXPECT_EQ(r.error().message,
            "HTTP 400: Could not find a property named 'accountnumber' on type 'Microsoft.Dynamics.CRM.account'.");
  EXPECT_FALSE(core::is_transient(r.error().code));
  // Only a 400 says the $select is stale; the same words at another status are not acted on.
  EXPECT_EQ(check_response(answer(404, envelope("0x0", "Could not find a property named 'x' on type 'y'.")), now, cap)
                .error()
                .code,
            errc::http_status);
  EXPECT_EQ(check_response(answer(400, envelope("0x0", "The $deltatoken is not valid.")), now, cap).error().code,
            errc::http_status);
}

// A table deleted since its metadata was read: its data requests get 404, which must lead to the
// metadata (and the catalog's "no such table") rather than stay a bare HTTP error.
TEST(TableReadErrorTest, ANotFoundTableIsASchemaChangeAndNothingElseIs) {
  auto const gone = table_read_error(
      check_response(answer(404, envelope("0x8006088a", "Resource not found for the segment 'accounts'.")), now, cap).error());
  EXPECT_EQ(gone.code, errc::schema_changed);
  EXPECT_EQ(gone.http_status, 404);
  EXPECT_EQ(gone.message, "HTTP 404 0x8006088a: Resource not found for the segment 'accounts'.");
  for (int status : {400, 403, 412}) {
    auto const other = table_read_error(check_response(answer(status, envelope("0x0", "no")), now, cap).error());
    EXPECT_EQ(other.code, errc::http_status) << status;
  }
  EXPECT_EQ(table_read_error(check_response(answer(429, ""), now, cap).error()).code, errc::throttled);
  EXPECT_EQ(table_read_error(core::make_error(errc::network, "reset")).code, errc::network);
}

TEST(CheckResponseTest, OtherClientErrorsAreFinalAndNameCodeAndMessage) {
  auto const r = check_response(answer(404, envelope("0x8006088a", "Resource not found for the segment 'Account'.")), now, cap);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::http_status);
  EXPECT_EQ(r.error().http_status, 404);
  EXPECT_NE(r.error().message.find("0x8006088a"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("Resource not found"), std::string::npos) << r.error().message;
  EXPECT_FALSE(core::is_transient(r.error().code));
  for (int status : {400, 403, 412, 501}) EXPECT_EQ(check_response(answer(status, ""), now, cap).error().code, errc::http_status) << status;
}

TEST(CheckResponseTest, RedirectsAreFinalAndNameOnlyTheLocationHost) {
  for (int status : {301, 302, 303, 307, 308}) {
    auto const r = check_response(
        answer(status, "", {{"Location", "https://user:pw@evil.example.com:8443/api/data/v9.2/x?$deltatoken=secret"}}), now, cap);
    ASSERT_FALSE(r) << status;
    EXPECT_EQ(r.error().code, errc::http_status);
    EXPECT_EQ(r.error().http_status, status);
    EXPECT_EQ(r.error().message, "HTTP " + std::to_string(status) +
                                     ": redirect not followed (dvsync follows no redirects; Location on host evil.example.com)");
  }
  EXPECT_EQ(check_response(answer(302, ""), now, cap).error().message,
            "HTTP 302: redirect not followed (dvsync follows no redirects; no Location)");
  EXPECT_EQ(check_response(answer(307, "", {{"Location", "/api/data/v9.2/x?$skiptoken=secret"}}), now, cap).error().message,
            "HTTP 307: redirect not followed (dvsync follows no redirects; Location on the same host)");
}

}  // namespace
}  // namespace dvsync::dataverse
