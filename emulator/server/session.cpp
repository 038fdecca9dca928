#include "server/session.hpp"

#include "server/headers.hpp"
#include "server/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <optional>
#include <utility>

namespace emulator {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Generous enough for any page a client may POST; clients idle longer than a typical front end
// allows (Azure closes idle connections after about four minutes) must reconnect.
constexpr std::uint64_t body_limit = 64ull * 1024 * 1024;
constexpr std::uint32_t header_limit = 64 * 1024;
constexpr auto idle_timeout = 240s;
constexpr auto io_timeout = 60s;
constexpr auto handshake_timeout = 10s;

http_request to_request(http::request<http::string_body>& req, std::string_view scheme, std::string_view fallback_host) {
  http_request in;
  in.method = std::string(req.method_string());
  in.target = std::string(req.target());
  for (auto const& field : req) in.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  in.body = std::move(req.body());
  auto host = req[http::field::host];
  in.origin = std::string(scheme) + "://" + (host.empty() ? std::string(fallback_host) : std::string(host.data(), host.size()));
  return in;
}

bool status_has_no_body(int status) { return status < 200 || status == 204 || status == 304; }

http::response<http::string_body> to_beast(http_response&& out, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(out.status), version};
  for (auto& [name, value] : out.headers) res.insert(name, value);
  res.keep_alive(keep_alive);
  if (status_has_no_body(out.status)) {
    res.body().clear();
  } else {
    res.body() = std::move(out.body);
    res.content_length(res.body().size());
  }
  return res;
}

// A connection reset: SO_LINGER 0 makes close() send RST instead of FIN.
void reset_socket(tcp::socket& s) {
  boost::system::error_code ignored;
  s.set_option(asio::socket_base::linger(true, 0), ignored);
  s.close(ignored);
}

void log_request(session_context const& ctx, http_request const& in, reply const& out, std::uint64_t bytes,
                 std::chrono::steady_clock::time_point start) {
  if (!ctx.log_requests) return;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::string outcome = out.reset ? "reset" : out.truncate_after ? "truncated" : "sent";
  log_event("request", {{"method", in.method},
                        {"path", out.path},
                        {"status", std::to_string(out.reset ? 0 : out.response.status)},
                        {"outcome", outcome},
                        {"bytes", std::to_string(bytes)},
                        {"duration_ms", std::to_string(ms.count())}});
}

template <class Stream>
asio::awaitable<void> close_gracefully(Stream& stream) {
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  } else {
    beast::get_lowest_layer(stream).expires_after(handshake_timeout);
    co_await stream.async_shutdown(use_tuple);
  }
}

// Sends an error for a request that could not be parsed, then closes.
template <class Stream>
asio::awaitable<void> refuse(Stream& stream, http::status status, std::string message) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.keep_alive(false);
  res.body() = std::move(message);
  res.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(io_timeout);
  co_await http::async_write(stream, res, use_tuple);
  co_await close_gracefully(stream);
}

// A request that could not be parsed gets a status; a dropped or idle connection gets nothing.
std::optional<std::pair<http::status, std::string>> refusal_for(boost::system::error_code const& ec) {
  if (ec == http::error::body_limit) return std::pair{http::status::payload_too_large, "request body too large\n"};
  if (ec == http::error::header_limit)
    return std::pair{http::status::request_header_fields_too_large, "request header too large\n"};
  bool parse_error = ec.category() == http::make_error_code(http::error::bad_target).category();
  if (!parse_error || ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec == http::error::short_read)
    return std::nullopt;
  return std::pair{http::status::bad_request, "malformed request: " + ec.message() + "\n"};
}

// Reads the header, answers `Expect: 100-continue` (curl sends it for bodies over 1 KiB and
// otherwise waits a second), then reads the body.
template <class Stream>
asio::awaitable<boost::system::error_code> read_request(Stream& stream, beast::flat_buffer& buffer,
                                                       http::request_parser<http::string_body>& parser) {
  auto [header_ec, header_n] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
  if (header_ec) co_return header_ec;
  beast::get_lowest_layer(stream).expires_after(io_timeout);
  if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
    http::response<http::empty_body> go_on{http::status::continue_, 11};
    auto [continue_ec, continue_n] = co_await http::async_write(stream, go_on, use_tuple);
    if (continue_ec) co_return continue_ec;
  }
  if (parser.is_done()) co_return boost::system::error_code{};
  auto [body_ec, body_n] = co_await http::async_read(stream, buffer, parser, use_tuple);
  co_return body_ec;
}

template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, session_context& ctx, std::string scheme) {
  auto& lowest = beast::get_lowest_layer(stream);
  boost::system::error_code ignored;
  auto local = lowest.socket().local_endpoint(ignored);
  auto fallback_host = local.address().to_string() + ":" + std::to_string(local.port());
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    parser.header_limit(header_limit);
    lowest.expires_after(idle_timeout);
    auto read_ec = co_await read_request(stream, buffer, parser);
    if (auto refusal = refusal_for(read_ec)) {
      co_await refuse(stream, refusal->first, std::move(refusal->second));
      co_return;
    }
    if (read_ec) co_return;

    auto start = std::chrono::steady_clock::now();
    auto& req = parser.get();
    unsigned version = req.version();
    bool keep_alive = req.keep_alive();
    auto in = to_request(req, scheme, fallback_host);
    auto out = ctx.routes.route(in, start);

    if (out.delay > 0ms) {
      asio::steady_timer timer(co_await asio::this_coro::executor, out.delay);
      co_await timer.async_wait(use_tuple);
    }
    if (out.reset) {
      reset_socket(lowest.socket());
      ctx.routes.sent(out, 0);
      log_request(ctx, in, out, 0, start);
      co_return;
    }

    auto truncate_after = out.truncate_after;
    auto res = to_beast(std::move(out.response), version, keep_alive && !truncate_after);
    out.response.status = static_cast<int>(res.result_int());
    lowest.expires_after(io_timeout);
    if (truncate_after) {
      http::response_serializer<http::string_body> sr(res);
      auto [head_ec, head_n] = co_await http::async_write_header(stream, sr, use_tuple);
      std::size_t body_n = 0;
      if (!head_ec) {
        auto [body_ec, n] = co_await asio::async_write(stream, asio::buffer(res.body().data(), *truncate_after), use_tuple);
        body_n = n;
      }
      lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest.socket().close(ignored);
      ctx.routes.sent(out, head_n + body_n);
      log_request(ctx, in, out, head_n + body_n, start);
      co_return;
    }
    auto [write_ec, write_n] = co_await http::async_write(stream, res, use_tuple);
    ctx.routes.sent(out, write_n);
    log_request(ctx, in, out, write_n, start);
    if (write_ec) co_return;
    if (!res.keep_alive()) {
      co_await close_gracefully(stream);
      co_return;
    }
  }
}

}  // namespace

asio::awaitable<void> serve_connection(tcp::socket socket, session_context& ctx) {
  if (!ctx.tls) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve_requests(stream, ctx, "http");
    co_return;
  }
  ssl::stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *ctx.tls);
  beast::get_lowest_layer(stream).expires_after(handshake_timeout);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
  if (ec) {
    if (ctx.log_requests) log_event("tls.handshake_failed", {{"reason", ec.message()}});
    co_return;
  }
  co_await serve_requests(stream, ctx, "https");
}

}  // namespace emulator
