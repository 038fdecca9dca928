#include "http/client.hpp"

#include "core/log.hpp"
#include "http/gzip.hpp"
#include "http/localhost.hpp"
#include "http/proxy_tunnel.hpp"
#include "http/url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <vector>

namespace dvsync::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Idle connections kept per origin; concurrent jobs may each hold one while a request runs.
constexpr std::size_t max_idle_per_origin = 4;
// A TLS close_notify exchange after "Connection: close" is a courtesy: never wait long for it.
constexpr std::chrono::seconds shutdown_budget{1};

// Bytes asked of the socket per read: Beast's parser otherwise reads a body 512 bytes at a time
// once its buffer has been consumed, one system call (and timer reset) per 512 bytes.
constexpr std::size_t read_chunk = 64 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_gzip(std::string_view content_encoding) {
  auto const e = trim(content_encoding);
  return iequals(e, "gzip") || iequals(e, "x-gzip");
}

// A response body decoded while it arrives: identity bytes are appended as they come, gzip bytes
// go through a streaming decoder, so a compressed page is never held whole beside its text. Any
// other encoding is kept as received, for to_response to refuse.
struct decoding_body {
  struct value_type {
    std::string text;
    std::size_t limit = 0;                // decoded bytes allowed
    std::optional<core::error> failure;   // why decoding stopped the read, if it did
  };

  class reader {
   public:
    // Beast builds the reader with the parser, before the header arrives: look at it in init().
    template <bool is_request, class Fields>
    reader(bhttp::header<is_request, Fields>& h, value_type& body)
        : content_encoding_([&h] { return std::string_view(h[bhttp::field::content_encoding]); }), body_(body) {}

    void init(boost::optional<std::uint64_t> const& length, error_code& ec) {
      ec = {};
      if (is_gzip(content_encoding_()))
        decoder_.emplace(body_.limit);
      else if (length)
        body_.text.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, body_.limit)));
    }

    template <class Buffers>
    std::size_t put(Buffers const& buffers, error_code& ec) {
      ec = {};
      std::size_t n = 0;
      for (auto const b : beast::buffers_range_ref(buffers)) {
        std::string_view const chunk(static_cast<char const*>(b.data()), b.size());
        n += chunk.size();
        if (!decoder_) {
          body_.text.append(chunk);
        } else if (auto r = decoder_->feed(chunk, body_.text); !r) {
          return stop(r.error(), n, ec);
        }
      }
      received_ += n;
      return n;
    }

    void finish(error_code& ec) {
      ec = {};
      // An empty body (a 204, say) is not a gzip stream and needs none.
      if (decoder_ && received_ > 0)
        if (auto r = decoder_->finish(); !r) stop(r.error(), 0, ec);
    }

   private:
    std::size_t stop(core::error e, std::size_t n, error_code& ec) {
      body_.failure = std::move(e);
      ec = make_error_code(boost::system::errc::illegal_byte_sequence);
      return n;
    }

    std::function<std::string_view()> content_encoding_;  // reads the parser's header
    value_type& body_;
    std::optional<gzip_decoder> decoder_;
    std::size_t received_ = 0;
  };
};

using beast_request = bhttp::request<bhttp::string_body>;
using beast_response = bhttp::response<decoding_body>;

// What the certificate checks said during one handshake, so a refusal can say which check failed.
struct verify_record {
  int chain_error = X509_V_OK;
  int depth = 0;
  bool host_mismatch = false;
};

// Chain verification by OpenSSL, then RFC 6125 host name verification, remembering the failure.
class recording_verifier {
 public:
  recording_verifier(verify_record* record, std::string const& host) : record_(record), host_check_(host) {}

  bool operator()(bool preverified, ssl::verify_context& ctx) const {
    if (!preverified) {
      if (record_->chain_error == X509_V_OK) {
        record_->chain_error = X509_STORE_CTX_get_error(ctx.native_handle());
        record_->depth = X509_STORE_CTX_get_error_depth(ctx.native_handle());
      }
      return false;
    }
    bool const ok = host_check_(preverified, ctx);
    if (!ok) record_->host_mismatch = true;
    return ok;
  }

 private:
  verify_record* record_;
  ssl::host_name_verification host_check_;
};

std::string describe_chain_error(int err, int depth) {
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return depth == 0 ? "the certificate has expired" : "a certificate in its chain has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "the certificate is not yet valid";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return "the certificate is self-signed and not trusted";
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "the certificate was issued by an unknown CA (set tls.ca_file for a private CA)";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "the certificate does not match the host name";
    default:
      return X509_verify_cert_error_string(err);
  }
}

struct connection {
  std::string origin;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  verify_record verify;

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

bhttp::verb to_beast(verb v) {
  switch (v) {
    case verb::get: return bhttp::verb::get;
    case verb::post: return bhttp::verb::post;
    case verb::patch: return bhttp::verb::patch;
    case verb::delete_: return bhttp::verb::delete_;
  }
  return bhttp::verb::unknown;
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

std::string seconds_text(std::chrono::milliseconds d) {
  d = std::max(d, std::chrono::milliseconds{0});
  return std::to_string(d.count() / 1000) + "." + std::to_string(d.count() % 1000 / 100) + " s";
}

// A failure after the request left: which errors mean "the pooled connection had gone stale".
bool is_stale_connection(error_code ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated;
}

std::string size_text(std::size_t bytes) {
  constexpr std::size_t mib = 1024 * 1024;
  if (bytes >= mib && bytes % mib == 0) return std::to_string(bytes / mib) + " MiB";
  return std::to_string(bytes) + " bytes";
}

// What a body over the limit is told as: the limit and the setting that raises it.
core::error body_over_limit(std::string_view what, std::string const& where, limits const& sizes) {
  std::string message = std::string(what) + " from " + where + " is over the limit of " + size_text(sizes.body);
  if (!sizes.body_setting.empty()) message += " (" + sizes.body_setting + ")";
  return core::make_error(core::errc::protocol, message + "; the rest of it was not read");
}

core::error exchange_error(error_code ec, std::string const& where, std::chrono::milliseconds budget, limits const& sizes) {
  using core::errc;
  if (ec == beast::error::timeout) return core::make_error(errc::timeout, "no complete response from " + where + " within " + seconds_text(budget));
  if (ec == bhttp::error::end_of_stream) return core::make_error(errc::network, where + " closed the connection before responding");
  if (ec == bhttp::error::partial_message) return core::make_error(errc::network, "response from " + where + " was cut short");
  if (ec == ssl::error::stream_truncated) return core::make_error(errc::network, where + " closed the TLS connection before the response ended");
  if (ec == bhttp::error::body_limit) return body_over_limit("response body", where, sizes);
  if (ec == bhttp::error::header_limit) return core::make_error(errc::protocol, "response header from " + where + " is over the size limit");
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
    return core::make_error(errc::protocol, "malformed response from " + where + ": " + ec.message());
  }
  return core::make_error(errc::network, "exchange with " + where + " failed: " + ec.message());
}

struct resolve_state {
  explicit resolve_state(asio::any_io_executor ex) : done(ex, clock_type::time_point::max()) {}
  asio::steady_timer done;
  error_code ec;
  std::vector<tcp::endpoint> endpoints;
  bool finished = false;
};

// Runs apart from the waiting request: getaddrinfo cannot be interrupted, so a request that passes
// its deadline stops waiting and leaves this to finish on its own.
asio::awaitable<void> resolve_into(std::shared_ptr<resolve_state> state, std::string host, std::string port) {
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [ec, results] = co_await resolver.async_resolve(host, port, use_tuple);
  state->ec = ec;
  for (auto const& entry : results) state->endpoints.push_back(entry.endpoint());
  state->finished = true;
  state->done.cancel();
}

// Localhost names never reach the system's resolver (see http/localhost.hpp).
std::vector<tcp::endpoint> loopback_endpoints(endpoint const& ep) {
  std::vector<tcp::endpoint> out;
  for (auto const& address : localhost_addresses(ep.host)) out.emplace_back(asio::ip::make_address(address), ep.port);
  return out;
}

void log_spawn_failure(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (std::exception const& ex) {
    core::log::error("http.background_failed", {{"what", ex.what()}});
  }
}

struct exchange_outcome {
  error_code ec;
  std::optional<core::error> failure;  // the body could not be decoded (set with ec)
  bool answered = false;   // some bytes of a response arrived
  bool keep_alive = false;
  beast_response res;
};

}  // namespace

struct client::impl {
  impl(asio::any_io_executor ex, tls_options tls, timeouts deadlines, limits sizes)
      : executor(std::move(ex)), tls_ctx(ssl::context::tls_client), verify(tls.verify), deadlines(deadlines), sizes(sizes) {
    if (SSL_CTX_set_min_proto_version(tls_ctx.native_handle(), TLS1_2_VERSION) != 1) {
      throw std::runtime_error("cannot require TLS 1.2 or newer in the TLS context");
    }
    tls_ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
    error_code ec;
    tls_ctx.set_default_verify_paths(ec);
    if (ec) throw std::runtime_error("cannot load the system trust store: " + ec.message());
    if (!tls.ca_file.empty()) {
      tls_ctx.load_verify_file(tls.ca_file, ec);
      if (ec) throw std::runtime_error("tls.ca_file: cannot load " + tls.ca_file + ": " + ec.message());
    }
    tls_ctx.set_verify_mode(verify ? ssl::verify_peer : ssl::verify_none);
  }

  asio::any_io_executor executor;
  ssl::context tls_ctx;
  bool verify;
  timeouts deadlines;
  limits sizes;
  proxy_settings proxies;
  std::map<std::string, std::vector<std::unique_ptr<connection>>> idle;
  std::uint64_t opened = 0;

  std::unique_ptr<connection> take_idle(std::string const& key) {
    auto it = idle.find(key);
    if (it == idle.end() || it->second.empty()) return nullptr;
    auto conn = std::move(it->second.back());
    it->second.pop_back();
    return conn;
  }

  void put_idle(std::unique_ptr<connection> conn) {
    auto& list = idle[conn->origin];
    conn->tcp().expires_never();
    if (list.size() < max_idle_per_origin) list.push_back(std::move(conn));
  }

  asio::awaitable<core::result<std::unique_ptr<connection>>> connect(endpoint ep, clock_type::time_point deadline) {
    using core::errc;
    auto const where = host_header(ep);
    auto const budget_end = std::min(deadline, clock_type::now() + deadlines.connect);
    auto const budget = std::chrono::duration_cast<std::chrono::milliseconds>(budget_end - clock_type::now());

    // Through the HTTPS proxy when one applies: TCP to the proxy, CONNECT, then TLS with `ep` itself.
    proxy const* via = ep.tls && proxies.https && !bypasses_proxy(proxies.no_proxy, ep.host) ? &*proxies.https : nullptr;
    endpoint dial = ep;
    if (via) {
      dial.host = via->host;
      dial.port = via->port;
    }
    auto const dial_where = via ? "the proxy " + via->display : where;

    auto endpoints = loopback_endpoints(dial);
    if (endpoints.empty()) {
      auto state = std::make_shared<resolve_state>(executor);
      state->done.expires_at(budget_end);
      asio::co_spawn(executor, resolve_into(state, dial.host, std::to_string(dial.port)), log_spawn_failure);
      if (!state->finished) co_await state->done.async_wait(use_tuple);
      if (!state->finished) co_return core::make_error(errc::timeout, "resolving " + dial.host + " took longer than " + seconds_text(budget));
      if (state->ec) co_return core::make_error(errc::network, "cannot resolve " + dial.host + ": " + state->ec.message());
      endpoints = std::move(state->endpoints);
    }

    auto conn = std::make_unique<connection>();
    conn->origin = origin(ep);
    conn->buffer.reserve(read_chunk);
    if (ep.tls) {
      conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, tls_ctx);
    } else {
      conn->plain = std::make_unique<beast::tcp_stream>(executor);
    }
    conn->tcp().expires_at(budget_end);
    auto [cec, connected] = co_await conn->tcp().async_connect(endpoints, use_tuple);
    if (cec == beast::error::timeout) co_return core::make_error(errc::timeout, "connecting to " + dial_where + " took longer than " + seconds_text(budget));
    if (cec) co_return core::make_error(errc::network, "cannot connect to " + dial_where + ": " + cec.message());
    conn->tcp().socket().set_option(tcp::no_delay(true), cec);
    if (via) {
      auto authority = (ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host) + ":" + std::to_string(ep.port);
      if (auto refused = co_await open_tunnel(conn->tcp(), *via, std::move(authority))) co_return *refused;
    }
    ++opened;
    core::log::debug("http.connected", {{"origin", conn->origin}, {"proxy", via ? via->display : std::string("none")}});

    if (ep.tls) {
      // SNI carries host names only (RFC 6066 §3).
      if (!ep.host_is_ip && SSL_set_tlsext_host_name(conn->tls->native_handle(), ep.host.c_str()) != 1) {
        co_return core::make_error(errc::network, "cannot set the TLS server name for " + ep.host);
      }
      if (verify) {
        conn->tls->set_verify_mode(ssl::verify_peer);
        conn->tls->set_verify_callback(recording_verifier(&conn->verify, ep.host));
      }
      auto [hec] = co_await conn->tls->async_handshake(ssl::stream_base::client, use_tuple);
      if (hec) co_return handshake_error(*conn, hec, where, budget);
    }
    conn->tcp().expires_never();
    co_return conn;
  }

  static core::error handshake_error(connection& conn, error_code ec, std::string const& where, std::chrono::milliseconds budget) {
    using core::errc;
    if (ec == beast::error::timeout) return core::make_error(errc::timeout, "TLS handshake with " + where + " took longer than " + seconds_text(budget));
    std::string const prefix = "TLS certificate of " + where + " refused: ";
    if (conn.verify.host_mismatch) return core::make_error(errc::tls_verify, prefix + "the certificate does not match the host name");
    if (conn.verify.chain_error != X509_V_OK) {
      return core::make_error(errc::tls_verify, prefix + describe_chain_error(conn.verify.chain_error, conn.verify.depth));
    }
    long const result = SSL_get_verify_result(conn.tls->native_handle());
    if (result != X509_V_OK) return core::make_error(errc::tls_verify, prefix + describe_chain_error(static_cast<int>(result), 0));
    return core::make_error(errc::network, "TLS handshake with " + where + " failed: " + ec.message());
  }

  static asio::awaitable<exchange_outcome> exchange(connection* conn, beast_request req, clock_type::time_point deadline, limits sizes) {
    exchange_outcome out;
    conn->tcp().expires_at(deadline);
    error_code wec;
    if (conn->tls) {
      std::tie(wec, std::ignore) = co_await bhttp::async_write(*conn->tls, req, use_tuple);
    } else {
      std::tie(wec, std::ignore) = co_await bhttp::async_write(*conn->plain, req, use_tuple);
    }
    if (wec) {
      out.ec = wec;
      co_return out;
    }
    bhttp::response_parser<decoding_body> parser;
    parser.body_limit(sizes.body);
    parser.header_limit(sizes.header);
    parser.get().body().limit = sizes.body;
    error_code rec;
    if (conn->tls) {
      std::tie(rec, std::ignore) = co_await bhttp::async_read(*conn->tls, conn->buffer, parser, use_tuple);
    } else {
      std::tie(rec, std::ignore) = co_await bhttp::async_read(*conn->plain, conn->buffer, parser, use_tuple);
    }
    out.answered = parser.got_some();
    if (rec) {
      out.ec = rec;
      out.failure = std::move(parser.get().body().failure);
      co_return out;
    }
    out.keep_alive = parser.keep_alive();
    out.res = parser.release();
    co_return out;
  }

  // The response is complete: a missing or refused close_notify cannot change it.
  static asio::awaitable<void> close_gracefully(std::unique_ptr<connection> conn) {
    if (!conn->tls) co_return;
    conn->tcp().expires_after(shutdown_budget);
    co_await conn->tls->async_shutdown(use_tuple);
  }

  core::result<response> to_response(beast_response res, std::string const& where) const {
    response out;
    out.status = static_cast<int>(res.result_int());
    out.reason = std::string(res.reason());
    out.headers.reserve(std::distance(res.begin(), res.end()));
    for (auto const& field : res) out.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    out.body = std::move(res.body().text);

    // gzip was decoded while it arrived.
    auto const encoding = trim(res[bhttp::field::content_encoding]);
    if (encoding.empty() || iequals(encoding, "identity") || is_gzip(encoding)) return out;
    return core::make_error(core::errc::protocol, where + " answered with an unsupported Content-Encoding: " + std::string(encoding));
  }

  asio::awaitable<core::result<response>> send(request req) {
    using core::errc;
    auto const deadline = clock_type::now() + deadlines.whole_request;
    auto ep = parse_url(req.url);
    if (!ep) co_return ep.error();
    auto const where = host_header(*ep);
    auto const key = origin(*ep);

    beast_request breq{to_beast(req.method), ep->target, 11};
    breq.set(bhttp::field::host, where);
    breq.set(bhttp::field::user_agent, "dvsync");
    for (auto const& h : req.headers) {
      if (h.name.empty() || has_line_break(h.name) || has_line_break(h.value)) {
        co_return core::make_error(errc::protocol, "request header '" + h.name + "' is malformed");
      }
      breq.insert(h.name, h.value);
    }
    if (!find_header(req.headers, "Accept-Encoding")) breq.set(bhttp::field::accept_encoding, "gzip");
    breq.body() = std::move(req.body);
    breq.prepare_payload();

    auto conn = take_idle(key);
    bool reused = conn != nullptr;
    for (;;) {
      if (!conn) {
        auto fresh = co_await connect(*ep, deadline);
        if (!fresh) co_return fresh.error();
        conn = std::move(*fresh);
      }
      auto outcome = co_await exchange(conn.get(), breq, deadline, sizes);
      // The decoder's failures: a corrupt stream (network), or too much output (protocol).
      if (outcome.failure) {
        if (outcome.failure->code == errc::protocol) co_return body_over_limit("decoded response body", where, sizes);
        co_return *outcome.failure;
      }
      if (outcome.ec) {
        // A server may close an idle connection just as we reuse it; the request never reached
        // its handler, so one retry on a new connection is safe.
        if (reused && !outcome.answered && is_stale_connection(outcome.ec)) {
          core::log::debug("http.reconnect", {{"origin", key}, {"reason", outcome.ec.message()}});
          conn.reset();
          reused = false;
          continue;
        }
        co_return exchange_error(outcome.ec, where, deadlines.whole_request, sizes);
      }
      auto result = to_response(std::move(outcome.res), where);
      if (outcome.keep_alive) {
        put_idle(std::move(conn));
      } else {
        co_await close_gracefully(std::move(conn));
      }
      co_return result;
    }
  }
};

client::client(asio::any_io_executor executor, tls_options tls, timeouts deadlines, limits sizes)
    : impl_(std::make_unique<impl>(std::move(executor), std::move(tls), deadlines, sizes)) {}

client::~client() = default;

void client::use_proxy(proxy_settings proxies) { impl_->proxies = std::move(proxies); }

asio::awaitable<core::result<response>> client::send(request req) { return impl_->send(std::move(req)); }

void client::close_idle() { impl_->idle.clear(); }

std::uint64_t client::connections_opened() const { return impl_->opened; }

}  // namespace dvsync::http
