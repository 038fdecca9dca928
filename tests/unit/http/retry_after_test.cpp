#include "http/retry_after.hpp"

#include <gtest/gtest.h>

namespace dvsync::http {
namespace {

using namespace std::chrono;

// 1994-11-06 08:49:00 UTC, the instant RFC 9110's examples are near.
system_clock::time_point const base_now = sys_days{1994y / November / 6} + 8h + 49min;

TEST(RetryAfterTest, DelaySeconds) {
  EXPECT_EQ(parse_retry_after("120", base_now), seconds{120});
  EXPECT_EQ(parse_retry_after("0", base_now), seconds{0});
  EXPECT_EQ(parse_retry_after(" \t7 ", base_now), seconds{7});
}

TEST(RetryAfterTest, HugeDelaySaturatesForTheCallerToCap) {
  auto const v = parse_retry_after("999999999999999999999999999", base_now);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, seconds::max());
}

TEST(RetryAfterTest, NegativeAndGarbageAreRejected) {
  for (auto const* bad : {"-5", "+5", "", "   ", "abc", "1.5", "5s", "5 6", "0x10", "Sun, 06 Nov 1994"}) {
    EXPECT_FALSE(parse_retry_after(bad, base_now).has_value()) << bad;
  }
}

TEST(RetryAfterTest, ImfFixdate) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", base_now), seconds{37});
  EXPECT_EQ(parse_retry_after("Mon, 07 Nov 1994 08:49:00 GMT", base_now), hours{24});
}

TEST(RetryAfterTest, Rfc850Date) {
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", base_now), seconds{37});
}

TEST(RetryAfterTest, Rfc850TwoDigitYearMoreThan50YearsAheadIsInThePast) {
  system_clock::time_point const late_2029 = sys_days{2029y / December / 31} + 23h + 59min + 59s;
  // "30" is 2030, one second and a bit ahead.
  EXPECT_EQ(parse_retry_after("Tuesday, 01-Jan-30 00:00:10 GMT", late_2029), seconds{11});
  // "94" would be 2094, more than 50 years ahead: it means 1994, long past.
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", late_2029), seconds{0});
}

TEST(RetryAfterTest, AsctimeDate) {
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", base_now), seconds{37});
  EXPECT_EQ(parse_retry_after("Wed Nov 16 08:49:00 1994", base_now), days{10});
}

TEST(RetryAfterTest, PastDateMeansNow) {
  EXPECT_EQ(parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", base_now), seconds{0});
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", base_now), seconds{0});
}

// Found by fuzzing: year 9999 in system_clock's nanoseconds overflowed (undefined behaviour).
TEST(RetryAfterTest, DatesBeyondTheClockRangeSaturate) {
  auto const far = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", base_now);
  ASSERT_TRUE(far.has_value());
  EXPECT_GT(*far, hours{24 * 365 * 200});
  EXPECT_EQ(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT", base_now), system_clock::time_point::max());
  EXPECT_EQ(parse_retry_after("Sat, 01 Jan 0000 00:00:00 GMT", base_now), seconds{0});
  EXPECT_EQ(parse_retry_after("Mon Jan  1 00:00:00 1600", base_now), seconds{0});
}

TEST(RetryAfterTest, PartialSecondsRoundUpSoTheWaitIsNeverShort) {
  auto const now = base_now + 36s + 500ms;
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), seconds{1});
}

TEST(RetryAfterTest, MalformedDatesAreRejected) {
  for (auto const* bad : {
           "Sun, 31 Feb 1994 08:49:37 GMT",   // no such day
           "Sun, 06 Nov 1994 24:00:00 GMT",   // hour out of range
           "Sun, 06 Nov 1994 08:60:00 GMT",   // minute out of range
           "Sun, 06 Nov 1994 08:49:37 UTC",   // zone must be GMT
           "Sun, 06 Nov 1994 08:49:37",       // zone missing
           "Sun, 06 Nov 1994 08:49:37 GMT x", // trailing text
           "Sun, 6 Nov 1994 08:49:37 GMT",    // day needs two digits
           "Xyz, 06 Nov 1994 08:49:37 GMT",   // not a day name
           "Sun, 06 Foo 1994 08:49:37 GMT",   // not a month
           "Sunday, 06-Nov-1994 08:49:37 GMT",
           "Sun Nov 6 08:49:37 1994",         // asctime pads the day with a space
       }) {
    EXPECT_FALSE(parse_retry_after(bad, base_now).has_value()) << bad;
  }
}

TEST(RetryAfterTest, LeapSecondIsAccepted) {
  auto const t = parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT", base_now);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, sys_days{2017y / January / 1});
}

}  // namespace
}  // namespace dvsync::http
