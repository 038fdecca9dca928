#include "ops/health.hpp"

#include <gtest/gtest.h>

namespace dvsync::ops {
namespace {

using namespace std::chrono_literals;

config::sync_settings example() {
  config::sync_settings s;  // the defaults of config/dvsync.example.json
  s.interval = 60s;
  s.request_timeout = 120s;
  s.backoff_cap = 60s;
  s.retry_after_cap = 300s;
  return s;
}

TEST(limits, the_longest_step_is_the_longest_of_interval_retry_wait_and_one_attempt) {
  auto s = example();
  EXPECT_EQ(limits_for(s).longest_step, 300s);  // Retry-After cap
  s.retry_after_cap = 30s;
  EXPECT_EQ(limits_for(s).longest_step, 240s);  // a token request plus the request itself
  s.request_timeout = 10s;
  EXPECT_EQ(limits_for(s).longest_step, 60s);   // interval and backoff cap
  s.interval = 900s;
  EXPECT_EQ(limits_for(s).longest_step, 900s);
  s.backoff_cap = 1000s;
  EXPECT_EQ(limits_for(s).longest_step, 1000s);
}

TEST(limits, watchdog_stall_adds_the_margin_and_probes_follow_the_interval) {
  auto l = limits_for(example());
  EXPECT_EQ(l.watchdog_stall, 300s + watchdog_margin);
  EXPECT_EQ(l.liveness, 2 * 60s + 300s);
  EXPECT_EQ(l.readiness, 180s);
}

TEST(liveness, ok_up_to_the_limit_then_stalled) {
  auto ok = liveness(100s, 120s);
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.reason, "alive: last progress 100 s ago (limit 120 s)");
  EXPECT_TRUE(liveness(120s, 120s).ok);
  auto stalled = liveness(121s, 120s);
  EXPECT_FALSE(stalled.ok);
  EXPECT_EQ(stalled.reason, "stalled: no progress for 121 s (limit 120 s)");
}

TEST(readiness, needs_every_initial_sync_and_a_recent_success_everywhere) {
  std::vector<table_freshness> tables{{"a", 1000}, {"b", std::nullopt}};
  auto v = readiness(tables, 1100, 180s);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.reason, "not ready: b: initial sync not finished");

  tables[1].last_success_at = 1050;
  v = readiness(tables, 1100, 180s);
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.reason, "ready: 2 table(s) synced within 180 s");

  v = readiness(tables, 1180, 180s);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.reason, "not ready: a: last success 180 s ago (limit 180 s)");

  v = readiness(tables, 1300, 180s);
  EXPECT_EQ(v.reason, "not ready: a: last success 300 s ago (limit 180 s); b: last success 250 s ago (limit 180 s)");
}

TEST(readiness, no_tables_is_trivially_ready) { EXPECT_TRUE(readiness({}, 0, 60s).ok); }

TEST(token_expiry_warning, past_half_the_retention_only) {
  constexpr std::int64_t day = 86400;
  EXPECT_FALSE(token_expiry_warning(3 * day, 7));
  EXPECT_FALSE(token_expiry_warning(3 * day + day / 2, 7));  // exactly half
  EXPECT_TRUE(token_expiry_warning(3 * day + day / 2 + 1, 7));
  EXPECT_TRUE(token_expiry_warning(10 * day, 7));
  EXPECT_TRUE(token_expiry_warning(1, 0));  // no retention at all: any age is at risk
  EXPECT_FALSE(token_expiry_warning(0, 0));
}

TEST(token_expiry_warning, unknown_age_or_retention_never_warns) {
  EXPECT_FALSE(token_expiry_warning(std::nullopt, 7));
  EXPECT_FALSE(token_expiry_warning(100 * 86400, std::nullopt));
}

}  // namespace
}  // namespace dvsync::ops
