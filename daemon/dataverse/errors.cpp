#include "dataverse/errors.hpp"

#include "http/retry_after.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

namespace dvsync::dataverse {

namespace json = boost::json;
using core::errc;

namespace {

constexpr std::string_view expired_code = "0x80044352";
constexpr std::string_view expired_message = "Version stamp associated with the client has expired";
// What the service answers a $select that names an attribute the table no longer has (a column
// removed since the metadata was read, or since the delta link was issued).
constexpr std::string_view unknown_property = "Could not find a property named";
// A server message is diagnostics, not data: keep log lines and status output short.
constexpr std::size_t max_message = 400;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string shorten(std::string s) {
  if (s.size() > max_message) {
    s.resize(max_message);
    s += "...";
  }
  return s;
}

std::string describe(int status, service_error const& e) {
  std::string out = "HTTP " + std::to_string(status);
  if (!e.code.empty() && e.code != "0x0") out += " " + e.code;
  out += ": " + e.message;
  return out;
}

// A redirect is never followed: the bearer token would go wherever Location points. Names the
// host only; the rest of a Location may carry a token.
std::string describe_redirect(int status, http::response const& res) {
  std::string out = "HTTP " + std::to_string(status) + ": redirect not followed (dvsync follows no redirects";
  auto const location = res.header("Location");
  if (!location) return out + "; no Location)";
  auto const target = boost::urls::parse_uri_reference(*location);
  if (!target || !target->has_authority()) return out + "; Location on the same host)";
  std::string host(target->encoded_host());
  if (host.size() > 255) host = host.substr(0, 255) + "...";
  return out + "; Location on host " + host + ")";
}

}  // namespace

service_error parse_service_error(int status, std::string_view reason, std::string_view body) {
  service_error out;
  boost::system::error_code ec;
  json::value const doc = json::parse(body, ec);
  if (!ec && doc.is_object()) {
    if (auto const* err = doc.get_object().if_contains("error"); err != nullptr && err->is_object()) {
      auto const& obj = err->get_object();
      if (auto const* code = obj.if_contains("code"); code != nullptr && code->is_string()) out.code = code->get_string();
      if (auto const* msg = obj.if_contains("message"); msg != nullptr && msg->is_string()) {
        out.message = shorten(std::string(msg->get_string()));
      }
    }
  }
  if (out.message.empty()) out.message = reason.empty() ? "HTTP " + std::to_string(status) : std::string(reason);
  return out;
}

bool is_expired_token(std::string_view code, std::string_view message) {
  return iequals(code, expired_code) || message.find(expired_message) != std::string_view::npos;
}

core::result<void> check_response(http::response const& res, std::chrono::system_clock::time_point now,
                                  std::chrono::seconds retry_after_cap) {
  int const status = res.status;
  if (status >= 200 && status <= 299) return {};

  service_error const detail = parse_service_error(status, res.reason, res.body);
  std::optional<std::chrono::seconds> retry_after;
  if (auto value = res.header("Retry-After")) {
    if (auto parsed = http::parse_retry_after(*value, now)) retry_after = std::min(*parsed, retry_after_cap);
  }

  errc code = errc::http_status;
  if (is_expired_token(detail.code, detail.message)) {
    code = errc::token_expired;
  } else if (status == 400 && detail.message.find(unknown_property) != std::string::npos) {
    code = errc::schema_changed;
  } else if (status == 429) {
    code = errc::throttled;
  } else if (status == 503) {
    code = retry_after ? errc::throttled : errc::server_busy;
  } else if (status == 408 || status == 500 || status == 502 || status == 504) {
    code = errc::server_busy;
  } else if (status == 401) {
    code = errc::unauthorized;
  } else if (status == 410) {
    // Dataverse documents no 410; Business Central answers a dead delta link with it (protocol §5.2).
    code = errc::token_expired;
  }

  bool const redirect = status >= 300 && status <= 399;
  core::error e = core::make_error(code, redirect ? describe_redirect(status, res) : describe(status, detail));
  e.http_status = status;
  e.service_code = detail.code;
  if (code == errc::throttled || code == errc::server_busy) e.retry_after = retry_after;
  return e;
}

core::error table_read_error(core::error e) {
  if (e.http_status == 404 && e.code == errc::http_status) e.code = errc::schema_changed;
  return e;
}

}  // namespace dvsync::dataverse
