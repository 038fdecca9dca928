#pragma once
// Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
#include <chrono>
#include <optional>
#include <string_view>

namespace dvsync::http {

// The wait a Retry-After value asks for, measured from `now`. Accepts delay-seconds and the three
// HTTP-date forms (IMF-fixdate, RFC 850, asctime). A date in the past means 0. Negative numbers
// and anything unparseable give nullopt. Huge values saturate; the caller applies its own cap.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

// An HTTP-date as a time point; nullopt when it is not one of the three forms.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value,
                                                                     std::chrono::system_clock::time_point now);

}  // namespace dvsync::http
