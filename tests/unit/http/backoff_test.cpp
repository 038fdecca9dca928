#include "http/backoff.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <vector>

namespace dvsync::http {
namespace {

using std::chrono::milliseconds;

unit_random constant(double v) {
  return [v] { return v; };
}

TEST(BackoffTest, CeilingDoublesUntilTheCap) {
  backoff const b(milliseconds{1000}, milliseconds{60000}, constant(0));
  EXPECT_EQ(b.ceiling(0), milliseconds{1000});
  EXPECT_EQ(b.ceiling(1), milliseconds{2000});
  EXPECT_EQ(b.ceiling(5), milliseconds{32000});
  EXPECT_EQ(b.ceiling(6), milliseconds{60000});
  EXPECT_EQ(b.ceiling(63), milliseconds{60000});
  EXPECT_EQ(b.ceiling(std::numeric_limits<int>::max()), milliseconds{60000});
  EXPECT_EQ(b.ceiling(-3), milliseconds{1000});
}

TEST(BackoffTest, BaseAboveCapIsClippedToTheCap) {
  backoff const b(milliseconds{5000}, milliseconds{2000}, constant(0));
  EXPECT_EQ(b.ceiling(0), milliseconds{2000});
}

TEST(BackoffTest, DrawsStayWithinZeroAndTheCeilingAndNeverAboveTheCap) {
  milliseconds const base{100};
  milliseconds const cap{5000};
  backoff const b(base, cap, seeded_random(42));
  for (int attempt = 0; attempt < 10; ++attempt) {
    milliseconds const top = std::min(cap, milliseconds{base.count() << attempt});
    ASSERT_EQ(b.ceiling(attempt), top);
    std::vector<milliseconds> draws;
    for (int i = 0; i < 10000; ++i) draws.push_back(b.delay(attempt));
    auto const [lo, hi] = std::minmax_element(draws.begin(), draws.end());
    EXPECT_GE(*lo, milliseconds{0});
    EXPECT_LE(*hi, top);
    EXPECT_LE(*hi, cap);
    // Full jitter uses the whole range, not its upper half.
    EXPECT_LT(*lo, top / 10) << "attempt " << attempt;
    EXPECT_GT(*hi, top * 9 / 10) << "attempt " << attempt;
    double sum = 0;
    for (auto d : draws) sum += static_cast<double>(d.count());
    double const mean = sum / static_cast<double>(draws.size());
    EXPECT_NEAR(mean, static_cast<double>(top.count()) / 2, static_cast<double>(top.count()) * 0.05) << "attempt " << attempt;
  }
}

TEST(BackoffTest, DelayScalesTheInjectedDraw) {
  milliseconds const base{1000};
  milliseconds const cap{60000};
  EXPECT_EQ(backoff(base, cap, constant(0.0)).delay(3), milliseconds{0});
  EXPECT_EQ(backoff(base, cap, constant(0.5)).delay(3), milliseconds{4000});
  EXPECT_EQ(backoff(base, cap, constant(0.25)).delay(10), milliseconds{15000});
  EXPECT_LT(backoff(base, cap, constant(0.999999999)).delay(3), milliseconds{8000});
}

TEST(BackoffTest, ASloppyRandomSourceCannotEscapeTheRange) {
  milliseconds const base{1000};
  milliseconds const cap{60000};
  EXPECT_LT(backoff(base, cap, constant(1.0)).delay(2), milliseconds{4000});
  EXPECT_LT(backoff(base, cap, constant(7.5)).delay(2), milliseconds{4000});
  EXPECT_EQ(backoff(base, cap, constant(-1.0)).delay(2), milliseconds{0});
  EXPECT_EQ(backoff(base, cap, constant(std::numeric_limits<double>::quiet_NaN())).delay(2), milliseconds{0});
}

TEST(BackoffTest, ZeroBaseNeverWaits) {
  backoff const b(milliseconds{0}, milliseconds{60000}, seeded_random(1));
  for (int attempt = 0; attempt < 100; ++attempt) EXPECT_EQ(b.delay(attempt), milliseconds{0});
}

TEST(BackoffTest, SeededRandomIsReproducibleAndInUnitRange) {
  auto a = seeded_random(7);
  auto b = seeded_random(7);
  auto c = seeded_random(8);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    double const x = a();
    EXPECT_EQ(x, b());
    EXPECT_GE(x, 0.0);
    EXPECT_LT(x, 1.0);
    differs = differs || x != c();
  }
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace dvsync::http
