#pragma once
// The I/O half of http/proxy.hpp, for client.cpp alone (it includes Beast): the CONNECT exchange
// on a TCP stream already connected to the proxy, under the stream's own deadline.
#include "http/proxy.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <optional>
#include <string>

namespace dvsync::http {

// Asks the proxy to open a tunnel to `authority` ("host:port"); nothing once it has (the stream
// then carries the server's bytes), otherwise the error: connect_refusal's, errc::timeout when the
// stream's deadline passes, errc::network when the proxy closes or resets, errc::protocol for an
// answer head over 16 KiB or bytes after it.
boost::asio::awaitable<std::optional<core::error>> open_tunnel(boost::beast::tcp_stream& stream, proxy const& p,
                                                              std::string authority);

}  // namespace dvsync::http
