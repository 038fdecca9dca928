#include "http/client.hpp"
#include "run_sync.hpp"
#include "test_server.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <optional>
#include <stdexcept>
#include <string>

namespace dvsync::http {
namespace {

using namespace std::chrono_literals;
using core::errc;
using testing::http_response;
using testing::recorded_request;
using testing::run_sync;
using testing::scripted_reply;
using testing::test_server;

std::string gzip(std::string const& text) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&zs, text.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int const rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

class HttpClientTest : public ::testing::Test {
 protected:
  core::result<response> get(client& c, std::string url, header_list headers = {}) {
    request req;
    req.url = std::move(url);
    req.headers = std::move(headers);
    return run_sync(io_, c.send(std::move(req)));
  }

  client make_client(timeouts t = {5s, 5s}, limits l = {}) { return client(io_.get_executor(), tls_options{}, t, l); }

  boost::asio::io_context io_;
};

TEST_F(HttpClientTest, KeepAliveReusesOneConnectionForThreeRequests) {
  test_server server([](recorded_request const& r) { return scripted_reply{http_response(200, "page " + std::to_string(r.index))}; });
  auto c = make_client();
  for (int i = 0; i < 3; ++i) {
    auto res = get(c, server.url("/api/data/v9.2/sample_books?page=" + std::to_string(i)));
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "page " + std::to_string(i));
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(c.connections_opened(), 1u);
  auto const seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].target, "/api/data/v9.2/sample_books?page=2");
}

TEST_F(HttpClientTest, RequestCarriesHostHeadersAndBody) {
  test_server server([](recorded_request const&) { return scripted_reply{http_response(201, "")}; });
  auto c = make_client();
  request req;
  req.method = verb::post;
  req.url = server.url("/token");
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Custom", "1"}};
  req.body = "a=1&b=2";
  auto res = run_sync(io_, c.send(req));
  ASSERT_TRUE(res) << res.error().message;
  EXPECT_EQ(res->status, 201);
  auto const seen = server.requests().at(0);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.body, "a=1&b=2");
  EXPECT_EQ(seen.header("Host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen.header("content-length"), "7");
  EXPECT_EQ(seen.header("X-Custom"), "1");
  EXPECT_EQ(seen.header("Accept-Encoding"), "gzip");
}

TEST_F(HttpClientTest, HeaderValuesWithLineBreaksAreRefused) {
  test_server server([](recorded_request const&) { return scripted_reply{http_response(200, "")}; });
  auto c = make_client();
  auto res = get(c, server.url("/"), {{"X-Evil", "a\r\nInjected: 1"}});
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::protocol);
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(HttpClientTest, ReconnectsOnceWhenTheServerClosedAnIdleConnection) {
  // The first answer keeps the connection alive as far as the client knows, then the server drops it.
  test_server server([](recorded_request const& r) {
    return scripted_reply{http_response(200, "r" + std::to_string(r.index)), {}, r.index == 0};
  });
  auto c = make_client();
  ASSERT_TRUE(get(c, server.url("/a")));
  auto second = get(c, server.url("/b"));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->body, "r1");
  EXPECT_EQ(server.connections(), 2);
  ASSERT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(server.requests()[1].target, "/b");
}

TEST_F(HttpClientTest, ConnectionCloseIsHonoured) {
  test_server server([](recorded_request const&) {
    return scripted_reply{http_response(200, "bye", {{"Connection", "close"}}), {}, true};
  });
  auto c = make_client();
  ASSERT_TRUE(get(c, server.url("/1")));
  ASSERT_TRUE(get(c, server.url("/2")));
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(HttpClientTest, AFreshConnectionClosedWithoutAnswerIsNotRetried) {
  test_server server([](recorded_request const&) { return scripted_reply{"", {}, true}; });
  auto c = make_client();
  auto res = get(c, server.url("/"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::network);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(HttpClientTest, GzipBodyIsDecoded) {
  std::string const json = R"({"value":[{"sample_bookcode":"BookCode0"}],"@odata.deltaLink":"x"})";
  test_server server([&](recorded_request const&) {
    return scripted_reply{http_response(200, gzip(json), {{"Content-Encoding", "gzip"}})};
  });
  auto c = make_client();
  auto res = get(c, server.url("/"));
  ASSERT_TRUE(res) << res.error().message;
  EXPECT_EQ(res->body, json);
  EXPECT_EQ(server.requests().at(0).header("Accept-Encoding"), "gzip");
}

TEST_F(HttpClientTest, GzipBodyOfManyReadsIsDecodedWhileItArrives) {
  // Numbers compress about threefold: megabytes of input, hundreds of socket reads.
  std::string text;
  for (long long i = 0; text.size() < 3'000'000; ++i) text += std::to_string(i * 7919 % 1000003) + ",";
  test_server server([&](recorded_request const&) {
    return scripted_reply{http_response(200, gzip(text), {{"Content-Encoding", "gzip"}})};
  });
  auto c = make_client();
  auto res = get(c, server.url("/"));
  ASSERT_TRUE(res) << res.error().message;
  EXPECT_EQ(res->body, text);
}

TEST_F(HttpClientTest, DecodedGzipOverTheBodyLimitIsAProtocolError) {
  std::string const text(100'000, 'x');
  test_server server([&](recorded_request const&) {
    return scripted_reply{http_response(200, gzip(text), {{"Content-Encoding", "gzip"}})};
  });
  limits small;
  small.body = 50'000;  // the compressed body fits, the decoded one does not
  small.body_setting = "sync.max_response_mb";
  auto c = make_client({5s, 5s}, small);
  auto res = get(c, server.url("/"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::protocol);
  EXPECT_EQ(res.error().message, "decoded response body from 127.0.0.1:" + std::to_string(server.port()) +
                                     " is over the limit of 50000 bytes (sync.max_response_mb); the rest of it was not read");
}

TEST_F(HttpClientTest, CorruptGzipIsANetworkError) {
  test_server server([](recorded_request const&) {
    std::string packed = gzip(std::string(4000, 'x'));
    packed.resize(packed.size() - 4);
    return scripted_reply{http_response(200, packed, {{"Content-Encoding", "gzip"}})};
  });
  auto c = make_client();
  auto res = get(c, server.url("/"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::network);
}

TEST_F(HttpClientTest, UnknownContentEncodingIsAProtocolError) {
  test_server server([](recorded_request const&) { return scripted_reply{http_response(200, "??", {{"Content-Encoding", "br"}})}; });
  auto c = make_client();
  auto res = get(c, server.url("/"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::protocol);
}

TEST_F(HttpClientTest, BodyCutShortOfContentLengthIsANetworkError) {
  test_server server([](recorded_request const&) {
    return scripted_reply{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"value\":[", {}, true};
  });
  auto c = make_client();
  auto res = get(c, server.url("/"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::network);
  EXPECT_NE(res.error().message.find("cut short"), std::string::npos) << res.error().message;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(HttpClientTest, ChunkedBodyWithoutItsLastChunkIsANetworkError) {
  test_server server([](recorded_request const&) {
    return scripted_reply{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", {}, true};
  });
  auto c = make_client();
  auto res = get(c, server.url("/"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::network);
}

TEST_F(HttpClientTest, ChunkedBodyIsAssembled) {
  test_server server([](recorded_request const&) {
    return scripted_reply{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"};
  });
  auto c = make_client();
  auto res = get(c, server.url("/"));
  ASSERT_TRUE(res) << res.error().message;
  EXPECT_EQ(res->body, "hello world");
}

TEST_F(HttpClientTest, TrickledResponseHitsTheWholeRequestDeadline) {
  // 1000 bytes at one per 20 ms would take 20 s; every single read makes progress.
  test_server server([](recorded_request const&) {
    return scripted_reply{"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'x'), 20ms};
  });
  auto c = make_client(timeouts{2s, 600ms});
  auto const start = std::chrono::steady_clock::now();
  auto res = get(c, server.url("/"));
  auto const elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::timeout);
  EXPECT_GE(elapsed, 550ms);
  EXPECT_LT(elapsed, 3s);
}

TEST_F(HttpClientTest, ConnectionRefusedIsANetworkError) {
  std::uint16_t port = 0;
  {
    boost::asio::ip::tcp::acceptor probe(io_, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  auto c = make_client();
  auto res = get(c, "http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::network);
  EXPECT_TRUE(core::is_transient(res.error().code));
}

TEST_F(HttpClientTest, OversizedBodyIsAProtocolError) {
  test_server server([](recorded_request const&) { return scripted_reply{http_response(200, std::string(4096, 'x'))}; });
  auto c = make_client(timeouts{5s, 5s}, limits{1024, 8192});
  auto res = get(c, server.url("/"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::protocol);
  EXPECT_EQ(res.error().message, "response body from 127.0.0.1:" + std::to_string(server.port()) +
                                     " is over the limit of 1024 bytes; the rest of it was not read");
}

// 200 MB in chunks or until the connection closes: the read ends at the limit, so the server can
// write little more than the limit and the sockets' buffers, and the client never holds more.
TEST_F(HttpClientTest, EndlessBodiesAreReadOnlyUpToTheLimit) {
  std::string const block(64 * 1024, ' ');
  std::uint64_t const blocks = 200'000'000 / block.size();
  std::string const chunk = "10000\r\n" + block + "\r\n";
  for (bool chunked : {true, false}) {
    test_server server([&](recorded_request const&) {
      if (chunked) return scripted_reply{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", {}, true, chunk, blocks};
      return scripted_reply{"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", {}, true, block, blocks};
    });
    limits one_mib;
    one_mib.body = 1024 * 1024;
    one_mib.body_setting = "sync.max_response_mb";
    auto c = make_client(timeouts{5s, 30s}, one_mib);
    auto res = get(c, server.url("/"));
    ASSERT_FALSE(res) << chunked;
    EXPECT_EQ(res.error().code, errc::protocol);
    EXPECT_EQ(res.error().message, "response body from 127.0.0.1:" + std::to_string(server.port()) +
                                       " is over the limit of 1 MiB (sync.max_response_mb); the rest of it was not read");
    EXPECT_LT(server.bytes_written(), 32u * 1024 * 1024) << chunked;
  }
}

TEST_F(HttpClientTest, ErrorStatusesAreResponses) {
  test_server server([](recorded_request const&) {
    return scripted_reply{http_response(503, R"({"error":{"code":"","message":"busy"}})", {{"Retry-After", "7"}}, "Service Unavailable")};
  });
  auto c = make_client();
  auto res = get(c, server.url("/"));
  ASSERT_TRUE(res) << res.error().message;
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->reason, "Service Unavailable");
  EXPECT_EQ(res->header("retry-after"), "7");
}

// RFC 6761 §6.3: the client answers localhost names itself. The system's resolver has nothing for
// them where /etc/hosts is missing (a debootstrap root) and never knows names under ".localhost".
TEST_F(HttpClientTest, LocalhostNamesReachTheLoopbackWithoutTheSystemResolver) {
  test_server server([](recorded_request const& r) { return scripted_reply{http_response(200, "page " + std::to_string(r.index))}; });
  auto c = make_client();
  for (std::string host : {"localhost", "LocalHost.", "dvsync-test.localhost"}) {
    auto res = get(c, server.url("/", host));
    ASSERT_TRUE(res) << host << ": " << res.error().message;
  }
  auto const seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].header("Host"), "dvsync-test.localhost:" + std::to_string(server.port()));
}

TEST_F(HttpClientTest, LocalhostIsTriedOnTheIpv6LoopbackWhenNothingListensOnTheIpv4One) {
  std::optional<test_server> server;
  try {
    server.emplace([](recorded_request const&) { return scripted_reply{http_response(200, "over ::1")}; }, "::1");
  } catch (boost::system::system_error const& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  auto c = make_client();
  auto res = get(c, server->url("/", "localhost"));
  ASSERT_TRUE(res) << res.error().message;
  EXPECT_EQ(res->body, "over ::1");
}

TEST_F(HttpClientTest, BadUrlIsRefusedBeforeAnyConnection) {
  auto c = make_client();
  auto res = get(c, "ftp://127.0.0.1/file");
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::protocol);
  EXPECT_EQ(c.connections_opened(), 0u);
}

}  // namespace
}  // namespace dvsync::http
