#pragma once
// The listener: one io_context on one thread, a coroutine per connection, HTTP/1.1 keep-alive,
// plain or TLS. It turns bytes into http_request, asks the router, and carries out the reply:
// waits (without blocking other connections), writes, truncates or resets.
#include "server/router.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace emulator {

struct listen_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port
  std::string tls_cert;    // PEM chain; with tls_key, the listener speaks HTTPS
  std::string tls_key;
  bool log_requests = false;
};

class server {
 public:
  // Binds and listens. Throws std::runtime_error naming the address or file when it cannot.
  server(listen_settings s, router& routes);
  ~server();
  server(server const&) = delete;
  server& operator=(server const&) = delete;

  std::uint16_t port() const;
  bool tls() const;

  // Serves until stop() or, with stop_on_signals, SIGTERM or SIGINT. Call from one thread only.
  void run(bool stop_on_signals);
  // Thread-safe.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Writes "PORT\n" to path.tmp and renames it over path, so a reader never sees a partial file.
// Throws std::runtime_error naming the file.
void write_port_file(std::string const& path, std::uint16_t port);

}  // namespace emulator
