#include "server/throttle.hpp"

#include "server/headers.hpp"

#include <gtest/gtest.h>

namespace emulator {
namespace {

using namespace std::chrono_literals;

TEST(throttle, admits_up_to_the_limit_within_the_window_then_says_how_long_to_wait) {
  request_throttle t(3, 10s);
  auto t0 = request_throttle::clock::time_point{} + 1000s;
  EXPECT_FALSE(t.admit(t0));
  EXPECT_FALSE(t.admit(t0 + 2s));
  EXPECT_FALSE(t.admit(t0 + 4s));
  auto wait = t.admit(t0 + 4500ms);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 6s);  // the first slot frees at t0+10s: 5.5 s rounded up
}

TEST(throttle, the_window_slides_and_rejected_requests_take_no_slot) {
  request_throttle t(2, 10s);
  auto t0 = request_throttle::clock::time_point{} + 1000s;
  EXPECT_FALSE(t.admit(t0));
  EXPECT_FALSE(t.admit(t0 + 5s));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(t.admit(t0 + 9s));
  EXPECT_FALSE(t.admit(t0 + 10s));  // t0 left the window
  EXPECT_TRUE(t.admit(t0 + 14s));
  EXPECT_FALSE(t.admit(t0 + 15s));
}

TEST(throttle, never_asks_for_less_than_one_second) {
  request_throttle t(1, 1s);
  auto t0 = request_throttle::clock::time_point{} + 1000s;
  EXPECT_FALSE(t.admit(t0));
  EXPECT_EQ(t.admit(t0 + 999ms), 1s);
}

TEST(throttle, rejection_is_429_with_retry_after_and_the_configured_numbers) {
  request_throttle t(6000, 300s);
  auto r = t.rejection(17s);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(header_value(r.headers, "Retry-After"), "17");
  EXPECT_EQ(r.body,
            R"({"error":{"code":"0x80072322","message":"Number of requests exceeded the limit of 6000 over time window of 300 seconds."}})");
  EXPECT_NE(request_throttle(5, 60s).rejection(1s).body.find("limit of 5 over time window of 60 seconds"),
            std::string::npos);
}

}  // namespace
}  // namespace emulator
