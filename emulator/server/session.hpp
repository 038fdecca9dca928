#pragma once
// One connection, plain or TLS: read a request, route it, carry out the reply, repeat while the
// client keeps the connection alive. Private to the server library (it exposes Asio types).
#include "server/router.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

namespace emulator {

struct session_context {
  router& routes;
  boost::asio::ssl::context* tls = nullptr;  // null: plain HTTP
  bool log_requests = false;
};

boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket, session_context& ctx);

}  // namespace emulator
