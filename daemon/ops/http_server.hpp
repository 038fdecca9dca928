#pragma once
// A small HTTP/1.1 server on the daemon's io_context for the metrics and health endpoints: GET and
// HEAD only, no request bodies, a deadline on every read and write. What to answer is decided by
// the handler (ops::monitor), so this stays a thin shell around Beast.
#include "core/error.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace dvsync::ops {

struct http_reply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct listen_address {
  std::string host;  // without IPv6 brackets
  std::uint16_t port = 0;
};

// "127.0.0.1:9464", "[::1]:9464", "localhost:9464"; errc::config_invalid otherwise.
core::result<listen_address> parse_listen(std::string_view listen);

// The URL a local client uses to reach `path` on a server listening at `listen`: a wildcard
// address (0.0.0.0, ::) becomes the loopback address. errc::config_invalid for port 0, whose
// actual port only the daemon's log knows.
core::result<std::string> local_url(std::string_view listen, std::string_view path);

class http_server {
 public:
  using handler = std::function<http_reply(std::string_view method, std::string_view target)>;

  // Binds and listens at once (port 0 picks a free port). Throws std::runtime_error when it
  // cannot: an endpoint that was asked for and is missing is a reason not to start.
  http_server(boost::asio::any_io_executor executor, std::string_view listen, handler h);
  ~http_server();
  http_server(http_server const&) = delete;
  http_server& operator=(http_server const&) = delete;

  std::uint16_t port() const;
  void start();
  // Closes the listening socket and every open connection; their coroutines end at once.
  void stop();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace dvsync::ops
