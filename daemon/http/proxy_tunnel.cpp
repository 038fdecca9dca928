#include "http/proxy_tunnel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>

namespace dvsync::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using core::errc;

asio::awaitable<std::optional<core::error>> open_tunnel(beast::tcp_stream& stream, proxy const& p, std::string authority) {
  constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
  constexpr std::size_t max_head = 16 * 1024;
  std::string const request = connect_request(p, authority);
  auto [wec, written] = co_await asio::async_write(stream, asio::buffer(request), use_tuple);
  auto const failure = [&](boost::system::error_code ec, std::string const& doing) -> core::error {
    if (ec == beast::error::timeout)
      return core::make_error(errc::timeout, "the proxy " + p.display + " did not answer CONNECT " + authority + " in time");
    return core::make_error(errc::network, "the proxy " + p.display + ": " + doing + ": " + ec.message());
  };
  if (wec) co_return failure(wec, "cannot send CONNECT " + authority);

  // The server speaks only after our TLS ClientHello, so nothing may follow the answer's head.
  std::string head;
  auto [rec, length] = co_await asio::async_read_until(stream, asio::dynamic_buffer(head, max_head), "\r\n\r\n", use_tuple);
  if (rec == asio::error::not_found)
    co_return core::make_error(errc::protocol, "the proxy " + p.display + " answered CONNECT with a head over 16 KiB");
  if (rec) co_return failure(rec, "no answer to CONNECT " + authority);
  if (auto refusal = connect_refusal(p, authority, std::string_view(head).substr(0, length))) co_return refusal;
  if (head.size() != length)
    co_return core::make_error(errc::protocol, "the proxy " + p.display + " sent bytes after its answer to CONNECT");
  co_return std::nullopt;
}

}  // namespace dvsync::http
