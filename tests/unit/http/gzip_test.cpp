#include "http/gzip.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <stdexcept>

namespace dvsync::http {
namespace {

std::string compress(std::string const& text) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("deflateInit2");
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

// The whole input at once, as a body that arrived in one read.
core::result<std::string> gunzip(std::string_view compressed, std::size_t max_size) {
  gzip_decoder decoder(max_size);
  std::string out;
  if (auto r = decoder.feed(compressed, out); !r) return r.error();
  if (auto r = decoder.finish(); !r) return r.error();
  return out;
}

std::string sample_text() {
  std::string s;
  for (int i = 0; i < 5000; ++i) s += "{\"sample_bookcode\":\"BookCode" + std::to_string(i) + "\"},";
  return s;
}

TEST(GzipTest, RoundTrip) {
  auto const text = sample_text();
  auto const decoded = gunzip(compress(text), 1 << 20);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, text);
}

TEST(GzipTest, ConcatenatedMembersAreJoined) {
  auto const decoded = gunzip(compress("first,") + compress("second"), 1024);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, "first,second");
}

TEST(GzipTest, TruncatedStreamIsANetworkError) {
  auto const packed = compress(sample_text());
  for (std::size_t cut : {std::size_t{1}, std::size_t{8}, packed.size() / 2, packed.size() - 10}) {
    auto const decoded = gunzip(packed.substr(0, packed.size() - cut), 1 << 20);
    ASSERT_FALSE(decoded) << "cut " << cut;
    EXPECT_EQ(decoded.error().code, core::errc::network);
  }
}

TEST(GzipTest, CorruptStreamIsANetworkError) {
  auto packed = compress(sample_text());
  packed[packed.size() / 2] = static_cast<char>(packed[packed.size() / 2] ^ 0x5a);
  packed[packed.size() - 6] = static_cast<char>(packed[packed.size() - 6] ^ 0x01);  // CRC
  auto const decoded = gunzip(packed, 1 << 20);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, core::errc::network);
}

TEST(GzipTest, PlainTextAndEmptyInputAreRejected) {
  EXPECT_EQ(gunzip("{\"value\":[]}", 1024).error().code, core::errc::network);
  EXPECT_EQ(gunzip("", 1024).error().code, core::errc::network);
}

TEST(GzipTest, OutputOverTheLimitIsAProtocolError) {
  auto const text = sample_text();
  auto const decoded = gunzip(compress(text), text.size() - 1);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, core::errc::protocol);
  EXPECT_TRUE(gunzip(compress(text), text.size()));
}

TEST(GzipTest, ChunksOfAnySizeDecodeLikeTheWhole) {
  auto const text = sample_text();
  auto const packed = compress(text) + compress("tail");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, packed.size() - 1}) {
    gzip_decoder decoder(1 << 20);
    std::string out;
    for (std::size_t at = 0; at < packed.size(); at += chunk) {
      auto r = decoder.feed(std::string_view(packed).substr(at, chunk), out);
      ASSERT_TRUE(r) << "chunk " << chunk << ": " << r.error().message;
    }
    ASSERT_TRUE(decoder.finish()) << "chunk " << chunk;
    EXPECT_EQ(out, text + "tail") << "chunk " << chunk;
  }
}

TEST(GzipTest, OutputLargerThanOneBufferFromOneSmallChunkIsComplete) {
  // 1 MiB of one byte compresses to about a kilobyte: one feed must drain all of it.
  std::string const text(1 << 20, 'a');
  gzip_decoder decoder(text.size());
  std::string out;
  ASSERT_TRUE(decoder.feed(compress(text), out));
  ASSERT_TRUE(decoder.finish());
  EXPECT_EQ(out.size(), text.size());
}

TEST(GzipTest, AFailureIsFinal) {
  gzip_decoder decoder(1 << 20);
  std::string out;
  auto bad = decoder.feed("not gzip at all", out);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::errc::network);
  auto again = decoder.feed(compress("fine"), out);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, core::errc::network);
  EXPECT_FALSE(decoder.finish());
}

}  // namespace
}  // namespace dvsync::http
