#pragma once
// HTTP/1.1 client over TCP or TLS, for one io_context thread. Connections are kept alive and
// reused per origin; every request has a connect budget and a whole-request deadline.
#include "core/error.hpp"
#include "http/message.hpp"
#include "http/proxy.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace dvsync::http {

struct tls_options {
  std::string ca_file;   // extra trust anchor (PEM), in addition to the system store
  bool verify = true;    // chain and host name; false only for tests that exercise the refusal path
};

struct timeouts {
  std::chrono::milliseconds connect{std::chrono::seconds{30}};          // resolve + TCP + TLS handshake
  std::chrono::milliseconds whole_request{std::chrono::seconds{120}};   // from send() to the last body byte
};

// A response over a limit ends the read at once: no more of it is received or held.
struct limits {
  std::size_t body = std::size_t{128} * 1024 * 1024;   // raw and decoded body
  std::uint32_t header = 64 * 1024;
  std::string body_setting{};  // the setting that raises `body`, named in the error; may be empty
};

class client {
 public:
  // Throws std::runtime_error when the TLS context cannot be built (unreadable tls.ca_file):
  // the daemon cannot start without it.
  client(boost::asio::any_io_executor executor, tls_options tls, timeouts deadlines, limits sizes = {});
  ~client();
  client(client const&) = delete;
  client& operator=(client const&) = delete;

  // Sends one request and reads the whole response. Failures are values: errc::network (resolve,
  // connect, reset, truncated or corrupt body), errc::timeout (the whole-request deadline passed,
  // however slowly the bytes kept coming), errc::tls_verify, errc::protocol (bad URL, oversized
  // or malformed response). Any HTTP status is a successful response: redirects are not followed.
  boost::asio::awaitable<core::result<response>> send(request req);

  // https:// origins not in `proxies.no_proxy` are reached through `proxies.https` from the next
  // connection on (http/proxy.hpp).
  void use_proxy(proxy_settings proxies);

  // Drops every idle connection (in-flight requests keep theirs until they finish).
  void close_idle();

  // How many connections have been opened so far; lets tests and metrics see reuse.
  std::uint64_t connections_opened() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace dvsync::http
