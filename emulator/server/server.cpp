#include "server/server.hpp"

#include "server/log.hpp"
#include "server/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <csignal>
#include <cstdio>
#include <exception>
#include <fstream>
#include <optional>
#include <stdexcept>

namespace emulator {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

ssl::context make_tls_context(std::string const& cert, std::string const& key) {
  ssl::context ctx(ssl::context::tls_server);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  boost::system::error_code ec;
  ctx.use_certificate_chain_file(cert, ec);
  if (ec) throw std::runtime_error("--tls-cert: cannot load '" + cert + "': " + ec.message());
  ctx.use_private_key_file(key, ssl::context::pem, ec);
  if (ec) throw std::runtime_error("--tls-key: cannot load '" + key + "': " + ec.message());
  return ctx;
}

void log_failure(std::string_view what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (std::exception const& ex) {
    log_event("coroutine.failed", {{"task", std::string(what)}, {"reason", ex.what()}});
  }
}

}  // namespace

struct server::impl {
  // Declared before the io_context so that connections still alive when it is destroyed never
  // outlive the TLS context they use.
  std::optional<ssl::context> tls;
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  asio::signal_set signals{ioc};
  session_context sessions;

  impl(listen_settings const& s, router& routes) : sessions{routes, nullptr, s.log_requests} {
    if (!s.tls_cert.empty()) {
      tls.emplace(make_tls_context(s.tls_cert, s.tls_key));
      sessions.tls = &*tls;
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(s.host, ec);
    if (ec) throw std::runtime_error("--listen: '" + s.host + "' is not an IP address");
    tcp::endpoint endpoint(address, s.port);
    auto where = "--listen: cannot listen on " + s.host + ":" + std::to_string(s.port) + ": ";
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error(where + ec.message());
  }

  asio::awaitable<void> accept_connections();
};

server::server(listen_settings s, router& routes) : impl_(std::make_unique<impl>(s, routes)) {}

server::~server() = default;

std::uint16_t server::port() const { return impl_->acceptor.local_endpoint().port(); }

bool server::tls() const { return impl_->tls.has_value(); }

void server::run(bool stop_on_signals) {
  if (stop_on_signals) {
    impl_->signals.add(SIGTERM);
    impl_->signals.add(SIGINT);
    impl_->signals.async_wait([this](boost::system::error_code ec, int signal) {
      if (ec) return;
      log_event("stopping", {{"signal", std::to_string(signal)}});
      impl_->ioc.stop();
    });
  }
  asio::co_spawn(impl_->ioc, impl_->accept_connections(), [](std::exception_ptr e) { log_failure("accept", e); });
  impl_->ioc.run();
}

void server::stop() { impl_->ioc.stop(); }

asio::awaitable<void> server::impl::accept_connections() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors, or a connection gone before it was accepted: pause, keep serving.
      log_event("accept.failed", {{"reason", ec.message()}});
      asio::steady_timer pause(ioc, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(ioc, serve_connection(std::move(socket), sessions),
                   [](std::exception_ptr e) { log_failure("connection", e); });
  }
}

void write_port_file(std::string const& path, std::uint16_t port) {
  auto tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << '\n';
    out.flush();
    if (!out) throw std::runtime_error("--port-file: cannot write '" + tmp + "'");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("--port-file: cannot rename '" + tmp + "' to '" + path + "'");
}

}  // namespace emulator
