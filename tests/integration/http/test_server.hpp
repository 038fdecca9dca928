#pragma once
// A scripted HTTP/1.1 server on 127.0.0.1:0 (or [::1]:0) running on its own thread, plain or TLS. Each request
// is answered with raw bytes chosen by the test, so tests can send what a real server would not:
// truncated bodies, trickled bytes, connections closed behind the client's back.
#include "http/message.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dvsync::testing {

struct recorded_request {
  int index = 0;        // 0-based, in arrival order over the server's life
  int connection = 0;   // 0-based connection number
  std::string method;
  std::string target;
  http::header_list headers;
  std::string body;
  std::chrono::steady_clock::time_point arrived;

  std::optional<std::string_view> header(std::string_view name) const { return http::find_header(headers, name); }
};

struct scripted_reply {
  std::string bytes;                        // written as-is
  std::chrono::milliseconds trickle{0};     // > 0: one byte at a time, with this pause between bytes
  bool close_after = false;                 // drop the connection after writing (no TLS close_notify)
  // Then `repeat`, `repeat_count` times (not trickled): a huge body without holding it in memory.
  // Writing stops when the client stops reading and closes.
  std::string repeat{};
  std::uint64_t repeat_count = 0;
};

// A complete response with Content-Length.
std::string http_response(int status, std::string_view body, http::header_list const& headers = {},
                          std::string_view reason = "Whatever");

struct tls_files {
  std::string cert_chain;   // PEM
  std::string private_key;  // PEM
};

class test_server {
 public:
  using handler = std::function<scripted_reply(recorded_request const&)>;

  // Plain HTTP, on 127.0.0.1 or another loopback address ("::1", "127.0.0.2"), on `port` (0: any free one).
  explicit test_server(handler h, std::string const& address = "127.0.0.1", std::uint16_t port = 0);
  // TLS with the given certificate; handshake failures are counted, not fatal.
  test_server(handler h, tls_files tls);
  ~test_server();
  test_server(test_server const&) = delete;
  test_server& operator=(test_server const&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:<port><path>" (or https://, or another host name for the same socket).
  std::string url(std::string_view path = "/", std::string_view host = "127.0.0.1") const;

  std::vector<recorded_request> requests() const;
  int connections() const;
  // Reply bytes the server managed to write, over its life.
  std::uint64_t bytes_written() const;
  int failed_handshakes() const;
  // The SNI names the TLS clients sent ("" when none), one per completed handshake.
  std::vector<std::string> server_names() const;

  struct state;

 private:
  std::unique_ptr<state> state_;
};

// Accepts TCP connections and never reads or writes: a server that hangs.
class silent_server {
 public:
  silent_server();
  ~silent_server();
  silent_server(silent_server const&) = delete;
  silent_server& operator=(silent_server const&) = delete;
  std::uint16_t port() const;

  struct state;

 private:
  std::unique_ptr<state> state_;
};

}  // namespace dvsync::testing
