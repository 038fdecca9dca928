#pragma once
// Dataverse's error answers, mapped once into core::error (protocol §5.2, §6).
#include "core/error.hpp"
#include "http/message.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace dvsync::dataverse {

// {"error":{"code":"0x80044352","message":"..."}}; code is often "" or "0x0".
struct service_error {
  std::string code;
  std::string message;
};

// Reads the error envelope tolerantly: unknown members are ignored; an empty or non-JSON body, or
// one without a message, yields the reason phrase (or "HTTP <status>") as the message.
service_error parse_service_error(int status, std::string_view reason, std::string_view body);

// ExpiredVersionStamp: the delta token is too old (or the table's metadata changed).
bool is_expired_token(std::string_view code, std::string_view message);

// Success for 2xx. Otherwise: 0x80044352 at any status -> token_expired; 400 "Could not find a
// property named ..." (a $select naming a removed column) -> schema_changed; 429 -> throttled;
// 503 -> throttled with Retry-After, else server_busy; 408, 500, 502, 504 -> server_busy;
// 401 -> unauthorized; 410 -> token_expired; anything else -> http_status. A 3xx is never
// followed: its message says so and names the Location's host, never the rest of it.
// Retry-After (seconds or HTTP-date, relative to `now`) is attached capped at `retry_after_cap`.
core::result<void> check_response(http::response const& res, std::chrono::system_clock::time_point now,
                                  std::chrono::seconds retry_after_cap);

// A table's data request (its first page, a nextLink, a delta link) answered 404: the table was
// deleted, or its entity set renamed, since the metadata was read. Like a removed column this is
// schema_changed, so that the metadata is read again and the catalog's error names the table. A
// row GET's 404 means the row is gone and never comes here. Other errors are returned unchanged.
core::error table_read_error(core::error e);

}  // namespace dvsync::dataverse
