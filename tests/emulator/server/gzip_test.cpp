#include "server/gzip.hpp"

#include "http_client.hpp"

#include <gtest/gtest.h>

namespace emulator {
namespace {

TEST(gzip, accept_encoding_is_read_with_q_values) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000, br"));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip(""));
}

TEST(gzip, round_trips_through_zlib) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += R"({"sample_name":"Demo Book )" + std::to_string(i) + "\"},";
  auto packed = gzip_compress(text);
  ASSERT_GE(packed.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(packed[0]), 0x1f);  // gzip magic, not a zlib header
  EXPECT_EQ(static_cast<unsigned char>(packed[1]), 0x8b);
  EXPECT_LT(packed.size(), text.size() / 4);
  EXPECT_EQ(dvsync::test::gunzip(packed), text);
  EXPECT_EQ(dvsync::test::gunzip(gzip_compress("")), "");
}

}  // namespace
}  // namespace emulator
