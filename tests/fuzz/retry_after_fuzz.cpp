// Retry-After values and the error answers they come with. Input: the header value, a newline,
// then the response body; the HTTP status is picked from the input's length. A wait is never
// negative, a date and the wait derived from it agree, and check_response never hands the
// scheduler a wait above the cap.
#include "dataverse/errors.hpp"
#include "http/retry_after.hpp"
#include "require.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using namespace dvsync;
using namespace std::chrono;
using fuzz::require;

constexpr std::array statuses{200, 204, 400, 401, 404, 408, 410, 429, 500, 502, 503, 504};
constexpr seconds cap{300};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view input(reinterpret_cast<char const*>(data), size);
  auto const newline = input.find('\n');
  std::string_view value = input.substr(0, newline);
  std::string_view body = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  system_clock::time_point const now = sys_days{year{2024} / 3 / 15} + hours{12} + milliseconds{250};

  auto wait = http::parse_retry_after(value, now);
  if (wait) require(*wait >= seconds{0}, "a wait is never negative");
  if (auto date = http::parse_http_date(value, now)) {
    require(wait.has_value(), "an HTTP-date is a valid Retry-After");
    if (*date <= now) {
      require(*wait == seconds{0}, "a date in the past means no wait");
    } else {
      require(*wait >= *date - now && *wait - (*date - now) < seconds{1}, "a future date waits until then");
    }
  }

  http::response res;
  res.status = statuses[size % statuses.size()];
  res.headers.push_back({"Retry-After", std::string(value)});
  res.body = std::string(body);
  auto checked = dataverse::check_response(res, now, cap);
  if (res.status < 300) {
    require(checked.has_value(), "2xx is success");
    return 0;
  }
  require(!checked.has_value(), "an error status is an error");
  auto const& e = checked.error();
  require(e.http_status == res.status, "the error keeps the status");
  require(!e.message.empty() && e.message.size() < 1024, "error messages stay short diagnostics");
  if (e.retry_after) require(*e.retry_after >= seconds{0} && *e.retry_after <= cap, "Retry-After is capped");
  return 0;
}
