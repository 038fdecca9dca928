#include "ops/http_server.hpp"

#include "core/log.hpp"
#include "http/localhost.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>
#include <list>
#include <stdexcept>

namespace dvsync::ops {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

// Probes and scrapers send small requests and read at once; a client that does neither loses
// its connection rather than holding one.
constexpr auto io_deadline = std::chrono::seconds(10);
constexpr std::uint32_t header_limit = 8 * 1024;

void log_failure(std::string_view task, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (std::exception const& ex) {
    core::log::error("metrics.failed", {{"task", task}, {"error", ex.what()}});
  }
}

}  // namespace

core::result<listen_address> parse_listen(std::string_view listen) {
  auto invalid = [&] {
    return core::make_error(core::errc::config_invalid,
                            "\"" + std::string(listen) + "\" must be host:port, e.g. 127.0.0.1:9464 or [::1]:9464");
  };
  listen_address a;
  std::string_view port;
  if (listen.starts_with('[')) {
    auto close = listen.find("]:");
    if (close == std::string_view::npos) return invalid();
    a.host = std::string(listen.substr(1, close - 1));
    port = listen.substr(close + 2);
  } else {
    auto colon = listen.rfind(':');
    if (colon == std::string_view::npos) return invalid();
    a.host = std::string(listen.substr(0, colon));
    port = listen.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (a.host.empty() || port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535)
    return invalid();
  a.port = static_cast<std::uint16_t>(value);
  return a;
}

core::result<std::string> local_url(std::string_view listen, std::string_view path) {
  auto a = parse_listen(listen);
  if (!a) return a.error();
  if (a->port == 0)
    return core::make_error(core::errc::config_invalid,
                            "metrics.listen \"" + std::string(listen) +
                                "\" has port 0: the port changes at every start, so a health check needs a fixed port");
  std::string host = a->host;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(a->port) + std::string(path);
}

namespace {

// Removes a connection from the open list however its coroutine ends.
class registration {
 public:
  registration(std::list<beast::tcp_stream*>& l, beast::tcp_stream* s) : list_(l), it_(l.insert(l.end(), s)) {}
  ~registration() { list_.erase(it_); }
  registration(registration const&) = delete;
  registration& operator=(registration const&) = delete;

 private:
  std::list<beast::tcp_stream*>& list_;
  std::list<beast::tcp_stream*>::iterator it_;
};

}  // namespace

// Coroutines hold a shared_ptr to it, so a connection still being torn down never outlives it.
struct http_server::impl {
  tcp::acceptor acceptor;
  handler respond;
  std::list<beast::tcp_stream*> open;  // connections being served, closed by stop()
  bool stopped = false;

  impl(asio::any_io_executor ex, handler h) : acceptor(ex), respond(std::move(h)) {}

  static asio::awaitable<void> serve(std::shared_ptr<impl> self, tcp::socket socket);
  static asio::awaitable<void> accept_connections(std::shared_ptr<impl> self);
};

asio::awaitable<void> http_server::impl::serve(std::shared_ptr<impl> self, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  registration reg(self->open, &stream);
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(header_limit);
    stream.expires_after(io_deadline);
    auto [rec, read] = co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (rec) break;
    auto const& req = parser.get();

    auto method = req.method_string();
    auto target = req.target();
    auto reply = self->respond(std::string_view(method.data(), method.size()), std::string_view(target.data(), target.size()));

    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(reply.status), req.version()};
    res.set(bhttp::field::server, "dvsync");
    res.set(bhttp::field::content_type, reply.content_type);
    res.set(bhttp::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
    if (req.method() == bhttp::verb::head) {
      res.content_length(reply.body.size());
    } else {
      res.body() = std::move(reply.body);
      res.prepare_payload();
    }
    stream.expires_after(io_deadline);
    auto [wec, written] = co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !res.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> http_server::impl::accept_connections(std::shared_ptr<impl> self) {
  while (!self->stopped) {
    auto [ec, socket] = co_await self->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (self->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors, or a connection gone before it was accepted: pause, keep serving.
      core::log::warn("metrics.accept_failed", {{"error", ec.message()}});
      asio::steady_timer pause(self->acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    asio::co_spawn(self->acceptor.get_executor(), serve(self, std::move(socket)),
                   [](std::exception_ptr e) { log_failure("connection", e); });
  }
}

http_server::http_server(asio::any_io_executor executor, std::string_view listen, handler h)
    : impl_(std::make_shared<impl>(executor, std::move(h))) {
  auto where = "metrics.listen \"" + std::string(listen) + "\": ";
  auto address = parse_listen(listen);
  if (!address) throw std::runtime_error(address.error().message);

  // A localhost name is 127.0.0.1 without asking the system's resolver (see http/localhost.hpp).
  auto const loopback = http::localhost_addresses(address->host);
  auto const& host = loopback.empty() ? address->host : loopback.front();
  boost::system::error_code ec;
  tcp::resolver resolver(executor);
  auto endpoints = resolver.resolve(host, std::to_string(address->port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) throw std::runtime_error(where + "cannot resolve " + address->host + ": " + ec.message());
  tcp::endpoint endpoint = *endpoints.begin();

  auto& a = impl_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error(where + "cannot listen: " + ec.message());
}

http_server::~http_server() { stop(); }

std::uint16_t http_server::port() const {
  boost::system::error_code ec;
  auto e = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : e.port();
}

void http_server::start() {
  asio::co_spawn(impl_->acceptor.get_executor(), impl::accept_connections(impl_),
                 [](std::exception_ptr e) { log_failure("accept", e); });
}

void http_server::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  for (auto* stream : impl_->open) stream->socket().close(ignored);
}

}  // namespace dvsync::ops
