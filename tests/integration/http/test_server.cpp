#include "test_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace dvsync::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

void report_failure(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (std::exception const& ex) {
    std::fprintf(stderr, "test_server: %s\n", ex.what());
  }
}

tcp::acceptor listen_on_loopback(asio::io_context& io, std::string const& address = "127.0.0.1", std::uint16_t port = 0) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(address), port));
  return acceptor;
}

}  // namespace

std::string http_response(int status, std::string_view body, http::header_list const& headers, std::string_view reason) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  for (auto const& h : headers) out += h.name + ": " + h.value + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

struct test_server::state {
  handler answer;
  std::optional<ssl::context> tls;

  mutable std::mutex mutex;
  std::vector<recorded_request> requests;
  std::vector<std::string> server_names;
  int connections = 0;
  int failed_handshakes = 0;
  std::uint64_t bytes_written = 0;

  // Declared after `tls`: streams that hold the SSL context die with the io_context, first.
  asio::io_context io;
  std::optional<tcp::acceptor> acceptor;
  std::uint16_t port = 0;
  std::thread thread;
};

namespace {

template <class Stream>
asio::awaitable<void> serve_stream(test_server::state* st, Stream& stream, int connection) {
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request<bhttp::string_body> req;
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, req, use_tuple);
    if (ec) co_return;

    recorded_request rec;
    rec.connection = connection;
    rec.method = std::string(req.method_string());
    rec.target = std::string(req.target());
    for (auto const& f : req) rec.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    rec.body = req.body();
    rec.arrived = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(st->mutex);
      rec.index = static_cast<int>(st->requests.size());
      st->requests.push_back(rec);
    }

    scripted_reply const reply = st->answer(rec);
    auto const wrote = [st](std::size_t n) {
      std::lock_guard lock(st->mutex);
      st->bytes_written += n;
    };
    if (reply.trickle > std::chrono::milliseconds{0}) {
      asio::steady_timer pause(stream.get_executor());
      for (char c : reply.bytes) {
        auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(&c, 1), use_tuple);
        wrote(wn);
        if (wec) co_return;
        pause.expires_after(reply.trickle);
        co_await pause.async_wait(use_tuple);
      }
    } else {
      auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(reply.bytes), use_tuple);
      wrote(wn);
      if (wec) co_return;
    }
    for (std::uint64_t i = 0; i < reply.repeat_count; ++i) {
      auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(reply.repeat), use_tuple);
      wrote(wn);
      if (wec) co_return;
    }
    if (reply.close_after) co_return;
  }
}

asio::awaitable<void> serve_plain(test_server::state* st, tcp::socket socket, int connection) {
  co_await serve_stream(st, socket, connection);
}

asio::awaitable<void> serve_tls(test_server::state* st, tcp::socket socket, int connection) {
  ssl::stream<tcp::socket> stream(std::move(socket), *st->tls);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
  if (ec) {
    std::lock_guard lock(st->mutex);
    ++st->failed_handshakes;
    co_return;
  }
  char const* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
  {
    std::lock_guard lock(st->mutex);
    st->server_names.push_back(name != nullptr ? name : "");
  }
  co_await serve_stream(st, stream, connection);
}

asio::awaitable<void> accept_loop(test_server::state* st) {
  for (;;) {
    auto [ec, socket] = co_await st->acceptor->async_accept(use_tuple);
    if (ec) co_return;
    int connection = 0;
    {
      std::lock_guard lock(st->mutex);
      connection = st->connections++;
    }
    if (st->tls) {
      asio::co_spawn(st->io, serve_tls(st, std::move(socket), connection), report_failure);
    } else {
      asio::co_spawn(st->io, serve_plain(st, std::move(socket), connection), report_failure);
    }
  }
}

}  // namespace

test_server::test_server(handler h, std::string const& address, std::uint16_t port) : state_(std::make_unique<state>()) {
  state_->answer = std::move(h);
  state_->acceptor.emplace(listen_on_loopback(state_->io, address, port));
  state_->port = state_->acceptor->local_endpoint().port();
  asio::co_spawn(state_->io, accept_loop(state_.get()), report_failure);
  state_->thread = std::thread([st = state_.get()] { st->io.run(); });
}

test_server::test_server(handler h, tls_files tls) : state_(std::make_unique<state>()) {
  state_->answer = std::move(h);
  state_->tls.emplace(ssl::context::tls_server);
  state_->tls->use_certificate_chain_file(tls.cert_chain);
  state_->tls->use_private_key_file(tls.private_key, ssl::context::pem);
  state_->acceptor.emplace(listen_on_loopback(state_->io));
  state_->port = state_->acceptor->local_endpoint().port();
  asio::co_spawn(state_->io, accept_loop(state_.get()), report_failure);
  state_->thread = std::thread([st = state_.get()] { st->io.run(); });
}

test_server::~test_server() {
  state_->io.stop();
  state_->thread.join();
  state_->acceptor.reset();
}

std::uint16_t test_server::port() const { return state_->port; }

std::string test_server::url(std::string_view path, std::string_view host) const {
  return std::string(state_->tls ? "https://" : "http://") + std::string(host) + ":" + std::to_string(state_->port) +
         std::string(path);
}

std::vector<recorded_request> test_server::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

int test_server::connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections;
}

std::uint64_t test_server::bytes_written() const {
  std::lock_guard lock(state_->mutex);
  return state_->bytes_written;
}

int test_server::failed_handshakes() const {
  std::lock_guard lock(state_->mutex);
  return state_->failed_handshakes;
}

std::vector<std::string> test_server::server_names() const {
  std::lock_guard lock(state_->mutex);
  return state_->server_names;
}

struct silent_server::state {
  asio::io_context io;
  std::optional<tcp::acceptor> acceptor;
  std::vector<tcp::socket> held;
  std::uint16_t port = 0;
  std::thread thread;
};

namespace {

asio::awaitable<void> hold_connections(silent_server::state* st) {
  for (;;) {
    auto [ec, socket] = co_await st->acceptor->async_accept(use_tuple);
    if (ec) co_return;
    st->held.push_back(std::move(socket));
  }
}

}  // namespace

silent_server::silent_server() : state_(std::make_unique<state>()) {
  state_->acceptor.emplace(listen_on_loopback(state_->io));
  state_->port = state_->acceptor->local_endpoint().port();
  asio::co_spawn(state_->io, hold_connections(state_.get()), report_failure);
  state_->thread = std::thread([st = state_.get()] { st->io.run(); });
}

silent_server::~silent_server() {
  state_->io.stop();
  state_->thread.join();
  state_->held.clear();
  state_->acceptor.reset();
}

std::uint16_t silent_server::port() const { return state_->port; }

}  // namespace dvsync::testing
