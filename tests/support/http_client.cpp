#include "http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <openssl/ssl.h>
#include <zlib.h>

#include <cctype>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace dvsync::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct call {
  std::string method;
  std::string host;
  std::string port;
  std::string target;
  std::string body;
  header_list headers;
  std::chrono::milliseconds timeout;
};

void take_response(http::response_parser<http::string_body>& parser, http_reply& out) {
  if (!parser.is_header_done()) return;
  auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (auto const& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.body = res.body();
}

template <class Stream>
asio::awaitable<void> exchange(Stream& stream, call c, http_reply& out) {
  auto& lowest = beast::get_lowest_layer(stream);
  http::request<http::string_body> req{http::string_to_verb(c.method), c.target, 11};
  if (req.method() == http::verb::unknown) req.method_string(c.method);
  req.set(http::field::host, c.host + ":" + c.port);
  for (auto const& [name, value] : c.headers) {
    // A Host given by the caller (a proxy forwarding a request) replaces the URL's.
    if (beast::iequals(name, "Host"))
      req.set(http::field::host, value);
    else
      req.insert(name, value);
  }
  req.keep_alive(false);
  req.body() = std::move(c.body);
  if (!req.body().empty() || req.method() == http::verb::post || req.method() == http::verb::patch ||
      req.method() == http::verb::put)
    req.prepare_payload();
  lowest.expires_after(c.timeout);
  auto [write_ec, written] = co_await http::async_write(stream, req, use_tuple);
  if (write_ec) {
    out.error = "write: " + write_ec.message();
    co_return;
  }
  beast::flat_buffer buffer;
  // Interim 1xx responses (100 Continue) come before the real one.
  for (;;) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (c.method == "HEAD") parser.skip(true);
    auto [read_ec, read_n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (!read_ec && parser.get().result_int() < 200) continue;
    take_response(parser, out);
    if (read_ec) out.error = "read: " + read_ec.message();
    co_return;
  }
}

asio::awaitable<void> call_plain(call c, http_reply& out) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(c.host, c.port, use_tuple);
  if (resolve_ec) {
    out.error = "resolve: " + resolve_ec.message();
    co_return;
  }
  beast::tcp_stream stream(ex);
  stream.expires_after(c.timeout);
  auto [connect_ec, ep] = co_await stream.async_connect(endpoints, use_tuple);
  if (connect_ec) {
    out.error = "connect: " + connect_ec.message();
    co_return;
  }
  co_await exchange(stream, std::move(c), out);
}

asio::awaitable<void> call_tls(call c, ssl::context& ctx, bool verify, http_reply& out) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(c.host, c.port, use_tuple);
  if (resolve_ec) {
    out.error = "resolve: " + resolve_ec.message();
    co_return;
  }
  ssl::stream<beast::tcp_stream> stream(ex, ctx);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), c.host.c_str())) {
    out.error = "tls: cannot set SNI";
    co_return;
  }
  if (verify) stream.set_verify_callback(ssl::host_name_verification(c.host));
  beast::get_lowest_layer(stream).expires_after(c.timeout);
  auto [connect_ec, ep] = co_await beast::get_lowest_layer(stream).async_connect(endpoints, use_tuple);
  if (connect_ec) {
    out.error = "connect: " + connect_ec.message();
    co_return;
  }
  auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
  if (handshake_ec) {
    out.error = "handshake: " + handshake_ec.message();
    co_return;
  }
  co_await exchange(stream, std::move(c), out);
}

}  // namespace

std::optional<std::string> http_reply::header(std::string_view name) const {
  auto same = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
        return false;
    return true;
  };
  for (auto const& [k, v] : headers)
    if (same(k, name)) return v;
  return std::nullopt;
}

http_reply http_call(std::string const& method, std::string const& url, std::string const& body,
                     header_list const& headers, call_options const& options) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw std::invalid_argument("http_call: not a URL: " + url);
  bool https = parsed->scheme() == "https";
  call c{method,
         std::string(parsed->host_address()),
         parsed->has_port() ? std::string(parsed->port()) : (https ? "443" : "80"),
         std::string(parsed->encoded_target()),
         body,
         headers,
         options.timeout};
  if (c.target.empty()) c.target = "/";
  http_reply out;
  asio::io_context ioc;
  auto on_done = [&out](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (std::exception const& ex) {
      out.error = std::string("exception: ") + ex.what();
    }
  };
  std::optional<ssl::context> ctx;
  if (https) {
    ctx.emplace(ssl::context::tls_client);
    bool verify = !options.ca_file.empty();
    if (verify) {
      ctx->load_verify_file(options.ca_file);
      ctx->set_verify_mode(ssl::verify_peer);
    } else {
      ctx->set_verify_mode(ssl::verify_none);
    }
    asio::co_spawn(ioc, call_tls(std::move(c), *ctx, verify, out), on_done);
  } else {
    asio::co_spawn(ioc, call_plain(std::move(c), out), on_done);
  }
  ioc.run();
  return out;
}

std::string gunzip(std::string_view compressed) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw std::runtime_error("gunzip: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char chunk[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("gunzip: not a complete gzip stream");
  return out;
}

}  // namespace dvsync::test
