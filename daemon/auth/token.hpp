#pragma once
// The pure half of OAuth 2.0 client credentials against Microsoft Entra ID: what the token
// endpoint's answers mean and when a cached token must be replaced.
#include "core/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace dvsync::auth {

struct token {
  std::string access_token;          // a bearer credential: never log
  std::chrono::seconds expires_in{0};
};

// A 2xx body: {"token_type":"Bearer","expires_in":3599,"access_token":"..."}. Unknown members
// are ignored; expires_in may be a number or a string of digits. errc::protocol otherwise.
core::result<token> parse_token_response(std::string_view body);

// A non-2xx answer of the token endpoint. The Entra envelope
// {"error":"invalid_client","error_description":"AADSTS7000215: ..."} becomes errc::auth_failed
// naming the error code and the first line of the description; 429 is errc::throttled, 408 and
// 5xx errc::server_busy (both carry `retry_after` when given).
core::error token_endpoint_error(int status, std::string_view body, std::optional<std::chrono::seconds> retry_after);

// True when a token issued at `issued_at` (when its request was sent) for `expires_in` should be
// replaced: at 90% of its lifetime or 5 minutes before expiry, whichever comes first. A lifetime
// of 5 minutes or less uses the 90% mark alone, so short-lived tokens are still reused.
bool refresh_due(std::chrono::steady_clock::time_point issued_at, std::chrono::seconds expires_in,
                 std::chrono::steady_clock::time_point now);

}  // namespace dvsync::auth
