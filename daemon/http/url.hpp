#pragma once
// The parts of an absolute URL that a connection needs. The request target is the URL's own
// encoded path and query, never re-encoded: delta and next links are opaque.
#include "core/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dvsync::http {

struct endpoint {
  bool tls = false;
  std::string host;        // without IPv6 brackets; what certificates and SNI are checked against
  bool host_is_ip = false;
  std::uint16_t port = 0;  // the scheme's default when the URL names none
  std::string target;      // encoded path (at least "/") and "?query", no fragment
};

// Accepts http:// and https:// URLs with a host and no user info; errc::protocol otherwise.
core::result<endpoint> parse_url(std::string_view url);

// "https://host:port": connections are pooled per origin.
std::string origin(endpoint const& e);

// The Host header: the port is left out when it is the scheme's default.
std::string host_header(endpoint const& e);

// application/x-www-form-urlencoded: every byte but A-Z a-z 0-9 - . _ ~ is percent-encoded,
// space becomes '+'.
std::string form_encode(std::vector<std::pair<std::string_view, std::string_view>> const& fields);

}  // namespace dvsync::http
