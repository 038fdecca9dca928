#include "ops/monitor.hpp"

#include <gtest/gtest.h>

namespace dvsync::ops {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

config::settings two_tables() {
  config::settings s;
  s.sync.interval = 60s;
  s.sync.request_timeout = 30s;
  s.sync.backoff_cap = 10s;
  s.sync.retry_after_cap = 100s;  // longest step 100 s: liveness 220 s, readiness 180 s
  s.tables.push_back({"sample_books", "sample_book", "sample_bookid", "sample_bookcode", {"sample_bookcode"}});
  s.tables.push_back({"accounts", "account", "accountid", "accountnumber", {"accountnumber"}});
  return s;
}

store::table_status synced(std::string table, std::int64_t at) {
  store::table_status s;
  s.table = std::move(table);
  s.last_success_at = at;
  s.token_age_s = 0;
  return s;
}

TEST(monitor, healthz_follows_progress_within_the_liveness_limit) {
  auto const t0 = steady::time_point{} + 1000h;
  monitor m(two_tables(), "1.0", t0);
  EXPECT_EQ(m.limits().liveness, 220s);

  auto r = m.respond("GET", "/healthz", 0, t0 + 220s);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.body, "alive: last progress 220 s ago (limit 220 s)\n");

  r = m.respond("GET", "/healthz", 0, t0 + 221s);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "stalled: no progress for 221 s (limit 220 s)\n");

  m.progress(t0 + 200s);
  EXPECT_EQ(m.respond("GET", "/healthz", 0, t0 + 221s).status, 200);
  EXPECT_EQ(m.last_progress(), t0 + 200s);
}

TEST(monitor, readyz_waits_for_every_table_and_then_for_freshness) {
  auto const t0 = steady::time_point{};
  monitor m(two_tables(), "1.0", t0);
  auto r = m.respond("GET", "/readyz", 5000, t0);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: sample_book: initial sync not finished; account: initial sync not finished\n");

  m.metrics().table_status(synced("sample_book", 5000), 5000);
  r = m.respond("GET", "/readyz", 5010, t0);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: account: initial sync not finished\n");

  m.metrics().table_status(synced("account", 5020), 5020);
  r = m.respond("GET", "/readyz", 5030, t0);
  EXPECT_EQ(r.status, 200) << r.body;

  r = m.respond("GET", "/readyz", 5180, t0);  // sample_book last succeeded 180 s ago
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: sample_book: last success 180 s ago (limit 180 s)\n");
}

TEST(monitor, a_table_with_its_own_interval_has_its_own_readiness_and_liveness_allows_the_longest_wait) {
  auto s = two_tables();
  s.tables[1].interval = 600s;  // account: every 10 minutes
  auto const t0 = steady::time_point{};
  monitor m(s, "1.0", t0);
  EXPECT_EQ(m.limits().liveness, 2 * 600s + 600s) << "the longest wait between cycles is the account's";
  m.metrics().table_status(synced("sample_book", 5000), 5000);
  m.metrics().table_status(synced("account", 5000), 5000);
  auto r = m.respond("GET", "/readyz", 5500, t0);  // 500 s: stale for sample_book (180 s), not for account (1800 s)
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: sample_book: last success 500 s ago (limit 180 s)\n");
  m.metrics().table_status(synced("sample_book", 5490), 5500);
  EXPECT_EQ(m.respond("GET", "/readyz", 5500, t0).status, 200);
  r = m.respond("GET", "/readyz", 6800, t0);
  EXPECT_NE(r.body.find("account: last success 1800 s ago (limit 1800 s)"), std::string::npos) << r.body;
}

TEST(monitor, metrics_are_prometheus_text) {
  monitor m(two_tables(), "9.9.9", steady::time_point{});
  m.metrics().page_fetched();
  auto r = m.respond("GET", "/metrics", 0, steady::time_point{});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("\ndvsync_pages_fetched_total 1\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("dvsync_build_info{version=\"9.9.9\"} 1\n"), std::string::npos);
  EXPECT_NE(r.body.find("dvsync_mirror_rows{table=\"account\"} 0\n"), std::string::npos);
}

TEST(monitor, ignores_a_query_string_and_accepts_head) {
  monitor m(two_tables(), "1.0", steady::time_point{});
  EXPECT_EQ(m.respond("HEAD", "/healthz?verbose=1", 0, steady::time_point{}).status, 200);
  EXPECT_EQ(m.respond("GET", "/metrics?x", 0, steady::time_point{}).status, 200);
}

TEST(monitor, unknown_paths_are_404_and_other_methods_405) {
  monitor m(two_tables(), "1.0", steady::time_point{});
  auto r = m.respond("GET", "/", 0, steady::time_point{});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "not found: try /metrics, /healthz or /readyz\n");
  EXPECT_EQ(m.respond("GET", "/metrics/x", 0, steady::time_point{}).status, 404);
  EXPECT_EQ(m.respond("POST", "/healthz", 0, steady::time_point{}).status, 405);
  EXPECT_EQ(m.respond("DELETE", "/metrics", 0, steady::time_point{}).status, 405);
}

}  // namespace
}  // namespace dvsync::ops
