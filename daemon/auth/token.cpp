#include "auth/token.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <limits>

namespace dvsync::auth {

namespace json = boost::json;
using core::errc;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<std::int64_t> read_seconds(json::value const& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_string()) {
    // The v1 endpoint sends "3599".
    auto const& s = v.get_string();
    if (s.empty() || s.size() > 12) return std::nullopt;
    std::int64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return n;
  }
  return std::nullopt;
}

std::string_view first_line(std::string_view s) { return s.substr(0, s.find_first_of("\r\n")); }

std::string status_text(int status) { return "HTTP " + std::to_string(status); }

}  // namespace

core::result<token> parse_token_response(std::string_view body) {
  boost::system::error_code ec;
  json::value const doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return core::make_error(errc::protocol, "token response is not a JSON object");
  auto const& obj = doc.get_object();

  auto const* type = obj.if_contains("token_type");
  if (type == nullptr || !type->is_string() || !iequals(type->get_string(), "Bearer")) {
    return core::make_error(errc::protocol, "token response has no token_type \"Bearer\"");
  }
  auto const* access = obj.if_contains("access_token");
  if (access == nullptr || !access->is_string() || access->get_string().empty()) {
    return core::make_error(errc::protocol, "token response has no access_token");
  }
  auto const* expires = obj.if_contains("expires_in");
  auto const seconds = expires != nullptr ? read_seconds(*expires) : std::nullopt;
  if (!seconds || *seconds <= 0) return core::make_error(errc::protocol, "token response has no positive expires_in");

  return token{std::string(access->get_string()), std::chrono::seconds{*seconds}};
}

core::error token_endpoint_error(int status, std::string_view body, std::optional<std::chrono::seconds> retry_after) {
  if (status == 429 || status == 408 || status >= 500) {
    core::error e = core::make_error(status == 429 ? errc::throttled : errc::server_busy,
                                     "token endpoint answered " + status_text(status));
    e.http_status = status;
    e.retry_after = retry_after;
    return e;
  }
  std::string message = "token endpoint refused the request (" + status_text(status) + ")";
  boost::system::error_code ec;
  json::value const doc = json::parse(body, ec);
  if (!ec && doc.is_object()) {
    auto const& obj = doc.get_object();
    if (auto const* code = obj.if_contains("error"); code != nullptr && code->is_string()) {
      message += ": " + std::string(code->get_string());
    }
    if (auto const* text = obj.if_contains("error_description"); text != nullptr && text->is_string()) {
      message += ": " + std::string(first_line(text->get_string()));
    }
  }
  core::error e = core::make_error(errc::auth_failed, std::move(message));
  e.http_status = status;
  return e;
}

bool refresh_due(std::chrono::steady_clock::time_point issued_at, std::chrono::seconds expires_in,
                 std::chrono::steady_clock::time_point now) {
  using std::chrono::milliseconds;
  if (expires_in <= std::chrono::seconds{0}) return true;
  milliseconds const lifetime = expires_in;
  milliseconds const at_90_percent = lifetime * 9 / 10;
  milliseconds const five_minutes_before = lifetime - std::chrono::minutes{5};
  milliseconds const after =
      five_minutes_before > milliseconds{0} ? std::min(at_90_percent, five_minutes_before) : at_90_percent;
  return now >= issued_at + after;
}

}  // namespace dvsync::auth
