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

TEST(concurrency_limit, refuses_at_once_above_the_limit_and_frees_a_place_when_a_request_ends) {
  concurrency_limit c(2);
  EXPECT_TRUE(c.enter());
  EXPECT_TRUE(c.enter());
  EXPECT_FALSE(c.enter()) << "the third request in progress";
  EXPECT_EQ(c.in_progress(), 2) << "a refused request is not counted";
  c.leave();
  EXPECT_TRUE(c.enter());
  auto r = c.rejection();
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(header_value(r.headers, "Retry-After"), "1");
  EXPECT_EQ(r.body, R"({"error":{"code":"0x80072326","message":"Number of concurrent requests exceeded the limit of 2."}})");
}

TEST(execution_time_limit, refuses_once_the_window_holds_the_limit_and_says_when_enough_has_left) {
  execution_time_limit x(1000ms, 10s);
  auto t0 = execution_time_limit::clock::time_point{} + 1000s;
  EXPECT_FALSE(x.admit(t0));
  x.record(t0, t0 + 600ms);          // ends at t0+0.6 s
  x.record(t0 + 1s, t0 + 1500ms);    // ends at t0+1.5 s: 1,100 ms in all
  auto wait = x.admit(t0 + 2s);
  ASSERT_TRUE(wait.has_value());
  // The first span (600 ms) must leave for the total to fall below 1,000 ms: at t0+10.6 s.
  EXPECT_EQ(*wait, 9s);
  EXPECT_TRUE(x.admit(t0 + 10s));
  EXPECT_FALSE(x.admit(t0 + 10600ms)) << "the first span left the window";
  auto r = x.rejection(5s);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(header_value(r.headers, "Retry-After"), "5");
  EXPECT_NE(r.body.find(R"("code":"0x80072321")"), std::string::npos);
  EXPECT_NE(r.body.find("exceeded limit of 1000  milliseconds over time window of 10 seconds."), std::string::npos) << r.body;
}

}  // namespace
}  // namespace emulator
