#pragma once
// Expected failures are values: result<T> carries either T or an error with a code and a short,
// secret-free diagnostic. Throw only when the process cannot start or an invariant is broken.
#include <boost/system/result.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace boost {
struct source_location;
}

namespace dvsync::core {

// Starts at 1: a code of 0 would test false.
enum class errc {
  config_invalid = 1,  // the configuration is unusable (exit 78)
  io,                  // a local file or OS call failed
  database,            // SQLite reported an error
  database_full,       // SQLite reported SQLITE_FULL: no space left
  locked,              // another dvsync holds the database's lock
  network,             // resolve, connect, reset, TLS transport, truncated body: transient
  timeout,             // a deadline passed: transient
  tls_verify,          // the server's certificate was refused: not transient
  http_status,         // an HTTP status with no more specific meaning
  throttled,           // 429, or 503 with Retry-After: wait, then retry
  server_busy,         // 5xx or 408 without Retry-After: back off, then retry
  unauthorized,        // 401 even after a fresh token
  auth_failed,         // the token endpoint refused the credentials
  token_expired,       // Dataverse 0x80044352: the delta token expired, do a full resync
  cursor_refused,      // a saved nextLink was refused when a cycle resumed
  protocol,            // a response that breaks the protocol: bad JSON, wrong types, no links
  link_rejected,       // a nextLink or deltaLink outside the configured origin
  cancelled,           // a stop was requested
  schema_changed,      // the service no longer knows a selected column: read the metadata again
  metadata_invalid,    // the table's metadata cannot be mirrored (unknown type, missing fields, no table)
  not_tracked,         // the table's change tracking is off
};

struct error {
  errc code{};
  std::string message;
  int http_status = 0;                               // 0 when no response arrived
  std::optional<std::chrono::seconds> retry_after;   // from Retry-After, already capped
  std::string service_code;                          // Dataverse's error code, e.g. 0x80072326
};

template <class T>
using result = boost::system::result<T, error>;

inline error make_error(errc code, std::string message) { return error{code, std::move(message), 0, {}, {}}; }

// True for failures that a later attempt of the same request may not see.
bool is_transient(errc code);

// Stable lower-case names for logs and metrics labels ("network", "token_expired", ...).
const char* to_string(errc code);

// Lets result<T>::value() throw for our error type.
[[noreturn]] void throw_exception_from_error(error const& e, boost::source_location const& loc);

}  // namespace dvsync::core
