#pragma once
// A small blocking HTTP/1.1 client for tests: one connection per call, a deadline on everything,
// plain or TLS. Transport failures are reported in `error`, with whatever arrived before them, so
// tests can look at truncated bodies and resets.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dvsync::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_reply {
  int status = 0;  // 0 when no status line arrived
  header_list headers;
  std::string body;   // as received: not decompressed, possibly partial
  std::string error;  // empty on success; otherwise the transport or parse failure

  // The first header with this name (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
};

struct call_options {
  std::chrono::milliseconds timeout{10'000};
  // For https URLs: verify the server against this CA file (PEM) and the URL's host. Empty: no
  // verification (the server's TLS is still used).
  std::string ca_file;
};

// `url` is http://host:port/path?query or https://...; `headers` are sent as given (Host, unless
// given, Content-Length and Connection: close are added).
http_reply http_call(std::string const& method, std::string const& url, std::string const& body = {},
                     header_list const& headers = {}, call_options const& options = {});

// The decoded form of a gzip body; throws std::runtime_error when it is not valid gzip.
std::string gunzip(std::string_view compressed);

}  // namespace dvsync::test
