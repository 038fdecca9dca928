#include "sched/retry_wait.hpp"

#include <gtest/gtest.h>

namespace dvsync::sched {
namespace {

using namespace std::chrono_literals;

TEST(next_wait, is_the_interval_after_success) { EXPECT_EQ(next_wait(60s, 0, 1s, 0.7), 60s); }

TEST(next_wait, grows_with_failures_between_half_and_whole_ceiling) {
  EXPECT_EQ(next_wait(60s, 1, 1s, 0.0), 500ms);
  EXPECT_EQ(next_wait(60s, 1, 1s, 0.999999), 999ms);
  EXPECT_EQ(next_wait(60s, 3, 1s, 0.0), 2000ms);
  EXPECT_EQ(next_wait(60s, 3, 1s, 0.5), 3000ms);
}

TEST(next_wait, never_exceeds_the_interval_however_many_failures) {
  for (int n = 1; n < 200; ++n) {
    EXPECT_LE(next_wait(60s, n, 1s, 0.999999), 60s);
    EXPECT_GE(next_wait(60s, n, 1s, 0.0), 500ms);
  }
  EXPECT_EQ(next_wait(60s, 100, 1s, 0.0), 30s);
}

}  // namespace
}  // namespace dvsync::sched
