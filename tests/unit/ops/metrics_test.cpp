#include "ops/metrics.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <cstring>

namespace dvsync::ops {
namespace {

using namespace std::chrono_literals;

// The samples of a Prometheus text exposition, series (name and labels as written) -> value.
// Fails the test when the text breaks the format rules we rely on: every sample's family has its
// HELP and TYPE lines before it, no series appears twice, every name starts with dvsync_.
std::map<std::string, std::string> samples(std::string const& text) {
  std::map<std::string, std::string> out;
  std::set<std::string> helped, typed;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("# HELP ")) {
      helped.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      typed.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    auto space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    auto series = line.substr(0, space);
    auto name = series.substr(0, series.find('{'));
    EXPECT_TRUE(name.starts_with("dvsync_")) << line;
    auto family = name;
    for (auto suffix : {"_bucket", "_sum", "_count"})
      if (family.ends_with(suffix) && typed.contains(family.substr(0, family.size() - std::strlen(suffix))))
        family = family.substr(0, family.size() - std::strlen(suffix));
    EXPECT_TRUE(helped.contains(family)) << "no HELP before " << line;
    EXPECT_TRUE(typed.contains(family)) << "no TYPE before " << line;
    EXPECT_TRUE(out.emplace(series, line.substr(space + 1)).second) << "duplicate series " << series;
  }
  EXPECT_TRUE(text.ends_with('\n'));
  return out;
}

sync::cycle_report report(sync::cycle_kind kind, std::string reason, std::int64_t upserts, std::int64_t deletes,
                          std::chrono::milliseconds duration) {
  sync::cycle_report r;
  r.kind = kind;
  r.reason = std::move(reason);
  r.upserts = upserts;
  r.deletes = deletes;
  r.duration = duration;
  return r;
}

TEST(metrics, a_fresh_registry_has_every_known_series_at_zero) {
  metrics m({"sample_book", "account"}, "1.2.3");
  auto s = samples(m.render(1000));
  for (auto const* table : {"sample_book", "account"}) {
    std::string t = table;
    EXPECT_EQ(s.at("dvsync_sync_runs_total{table=\"" + t + "\",result=\"success\"}"), "0");
    EXPECT_EQ(s.at("dvsync_sync_runs_total{table=\"" + t + "\",result=\"failure\"}"), "0");
    EXPECT_EQ(s.at("dvsync_sync_duration_seconds_bucket{table=\"" + t + "\",le=\"+Inf\"}"), "0");
    EXPECT_EQ(s.at("dvsync_sync_duration_seconds_count{table=\"" + t + "\"}"), "0");
    EXPECT_EQ(s.at("dvsync_last_success_timestamp_seconds{table=\"" + t + "\"}"), "0");
    EXPECT_EQ(s.at("dvsync_rows_upserted_total{table=\"" + t + "\"}"), "0");
    EXPECT_EQ(s.at("dvsync_full_resyncs_total{table=\"" + t + "\",reason=\"manual\"}"), "0");
    EXPECT_EQ(s.at("dvsync_full_resyncs_total{table=\"" + t + "\",reason=\"token_expired\"}"), "0");
    EXPECT_EQ(s.at("dvsync_mirror_rows{table=\"" + t + "\"}"), "0");
    EXPECT_EQ(s.at("dvsync_token_expiry_warning{table=\"" + t + "\"}"), "0");
    EXPECT_FALSE(s.contains("dvsync_token_age_seconds{table=\"" + t + "\"}"));  // no delta link yet
  }
  EXPECT_EQ(s.at("dvsync_pages_fetched_total"), "0");
  EXPECT_EQ(s.at("dvsync_http_requests_total{code=\"200\"}"), "0");
  for (auto const* reason : {"network", "server_busy", "throttled", "timeout", "unauthorized"})
    EXPECT_EQ(s.at(std::string("dvsync_http_retries_total{reason=\"") + reason + "\"}"), "0");
  EXPECT_EQ(s.at("dvsync_throttle_wait_seconds_total"), "0");
  EXPECT_EQ(s.at("dvsync_sqlite_wal_bytes"), "0");
  for (auto const* result : {"complete", "incomplete", "failed"})
    EXPECT_EQ(s.at(std::string("dvsync_sqlite_checkpoints_total{result=\"") + result + "\"}"), "0");
  EXPECT_EQ(s.at("dvsync_sqlite_wal_frames_pending"), "0");
  EXPECT_EQ(s.at("dvsync_build_info{version=\"1.2.3\"}"), "1");
  EXPECT_FALSE(s.contains("dvsync_change_tracking_retention_days"));
}

TEST(metrics, cycles_feed_runs_histogram_rows_and_full_resyncs) {
  metrics m({"sample_book"}, "1.2.3");
  m.cycle_finished("sample_book", report(sync::cycle_kind::full, "initial", 10, 0, 1500ms));
  m.cycle_finished("sample_book", core::make_error(core::errc::network, "reset"));
  m.cycle_finished("sample_book", core::make_error(core::errc::cancelled, "stopping"));  // neither
  m.cycle_finished("sample_book", report(sync::cycle_kind::full, "token_expired", 12, 3, 250ms));
  m.cycle_finished("sample_book", report(sync::cycle_kind::delta, "delta", 2, 1, 120s));
  m.cycle_finished("not_configured", report(sync::cycle_kind::delta, "delta", 99, 99, 1s));  // ignored
  for (int i = 0; i < 3; ++i) m.page_fetched();

  auto s = samples(m.render(1000));
  auto const t = std::string("{table=\"sample_book\"");
  EXPECT_EQ(s.at("dvsync_sync_runs_total" + t + ",result=\"success\"}"), "3");
  EXPECT_EQ(s.at("dvsync_sync_runs_total" + t + ",result=\"failure\"}"), "1");
  std::map<std::string, std::string> buckets{{"0.05", "0"}, {"0.1", "0"}, {"0.25", "1"}, {"0.5", "1"}, {"1", "1"},
                                             {"2.5", "2"},  {"5", "2"},   {"10", "2"},   {"30", "2"},  {"60", "2"},
                                             {"300", "3"},  {"3600", "3"}, {"+Inf", "3"}};
  for (auto const& [le, n] : buckets) EXPECT_EQ(s.at("dvsync_sync_duration_seconds_bucket" + t + ",le=\"" + le + "\"}"), n) << le;
  EXPECT_EQ(s.at("dvsync_sync_duration_seconds_sum" + t + "}"), "121.75");
  EXPECT_EQ(s.at("dvsync_sync_duration_seconds_count" + t + "}"), "3");
  EXPECT_EQ(s.at("dvsync_rows_upserted_total" + t + "}"), "24");
  EXPECT_EQ(s.at("dvsync_rows_deleted_total" + t + "}"), "4");
  EXPECT_EQ(s.at("dvsync_full_resyncs_total" + t + ",reason=\"token_expired\"}"), "1");
  EXPECT_EQ(s.at("dvsync_full_resyncs_total" + t + ",reason=\"manual\"}"), "0");
  EXPECT_FALSE(s.contains("dvsync_full_resyncs_total" + t + ",reason=\"initial\"}"));
  EXPECT_EQ(s.at("dvsync_pages_fetched_total"), "3");
  for (auto const& [series, value] : s) EXPECT_EQ(series.find("not_configured"), std::string::npos) << series;
}

TEST(metrics, gauges_come_from_the_table_status_and_the_scrape) {
  metrics m({"sample_book"}, "1.2.3");
  store::table_status st;
  st.table = "sample_book";
  st.rows = 21;
  st.rejects = 1;
  st.last_success_at = 1000;
  st.last_attempt_at = 1010;
  st.token_age_s = 50;  // as of 1060: the link is from 1010
  m.table_status(st, 1060);
  m.retention_days(7);
  dataverse::client_stats c;
  c.requests_by_status = {{200, 5}, {429, 1}};
  c.retries_by_reason = {{"throttled", 1}};
  c.throttle_wait_seconds = 2.5;
  m.client(c);
  m.wal_bytes(4096);
  m.checkpoints({.complete = 9, .incomplete = 4, .failed = 1, .frames_pending = 312});

  auto s = samples(m.render(1100));
  auto const t = std::string("{table=\"sample_book\"}");
  EXPECT_EQ(s.at("dvsync_mirror_rows" + t), "21");
  EXPECT_EQ(s.at("dvsync_rejected_rows" + t), "1");
  EXPECT_EQ(s.at("dvsync_last_success_timestamp_seconds" + t), "1000");
  EXPECT_EQ(s.at("dvsync_last_attempt_timestamp_seconds" + t), "1010");
  EXPECT_EQ(s.at("dvsync_token_age_seconds" + t), "90");
  EXPECT_EQ(s.at("dvsync_token_expiry_warning" + t), "0");
  EXPECT_EQ(s.at("dvsync_change_tracking_retention_days"), "7");
  EXPECT_EQ(s.at("dvsync_http_requests_total{code=\"200\"}"), "5");
  EXPECT_EQ(s.at("dvsync_http_requests_total{code=\"429\"}"), "1");
  EXPECT_EQ(s.at("dvsync_http_retries_total{reason=\"throttled\"}"), "1");
  EXPECT_EQ(s.at("dvsync_http_retries_total{reason=\"network\"}"), "0");
  EXPECT_EQ(s.at("dvsync_throttle_wait_seconds_total"), "2.5");
  EXPECT_EQ(s.at("dvsync_sqlite_wal_bytes"), "4096");
  EXPECT_EQ(s.at("dvsync_sqlite_checkpoints_total{result=\"complete\"}"), "9");
  EXPECT_EQ(s.at("dvsync_sqlite_checkpoints_total{result=\"incomplete\"}"), "4");
  EXPECT_EQ(s.at("dvsync_sqlite_checkpoints_total{result=\"failed\"}"), "1");
  EXPECT_EQ(s.at("dvsync_sqlite_wal_frames_pending"), "312");
}

TEST(metrics, the_expiry_warning_turns_on_past_half_the_retention) {
  metrics m({"sample_book", "account"}, "1.2.3");
  store::table_status book;
  book.table = "sample_book";
  book.token_age_s = 0;
  m.table_status(book, 0);
  store::table_status account;
  account.table = "account";  // never synced: no link, no warning
  m.table_status(account, 0);
  constexpr std::int64_t half_a_week = 7 * 86400 / 2;

  EXPECT_TRUE(m.expiry_warnings(half_a_week + 1).empty());  // retention unknown
  m.retention_days(7);
  EXPECT_TRUE(m.expiry_warnings(half_a_week).empty());
  auto w = m.expiry_warnings(half_a_week + 1);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].table, "sample_book");
  EXPECT_EQ(w[0].token_age_s, half_a_week + 1);
  EXPECT_EQ(w[0].retention_days, 7);
  auto s = samples(m.render(half_a_week + 1));
  EXPECT_EQ(s.at("dvsync_token_expiry_warning{table=\"sample_book\"}"), "1");
  EXPECT_EQ(s.at("dvsync_token_expiry_warning{table=\"account\"}"), "0");

  book.token_age_s = 0;  // a delta cycle succeeded: a fresh link
  m.table_status(book, half_a_week + 10);
  EXPECT_TRUE(m.expiry_warnings(half_a_week + 10).empty());
}

TEST(metrics, the_last_verify_of_a_table_shows_its_time_duration_drift_and_source_rows) {
  metrics m({"sample_book", "account"}, "1");
  auto before = samples(m.render(1000));
  EXPECT_FALSE(before.contains("dvsync_verify_last_run_timestamp_seconds{table=\"sample_book\"}"));
  EXPECT_FALSE(before.contains("dvsync_verify_drift_rows{table=\"sample_book\",kind=\"missing\"}"));
  EXPECT_EQ(before.at("dvsync_full_resyncs_total{table=\"sample_book\",reason=\"verify\"}"), "0");

  m.verify_outcomes({{"sample_book", 900, 2500, 20, 21, {1, 2, 3}, 4, store::fix_action::repaired},
                     {"not_configured", 900, 1, 1, 1, {}, 0, store::fix_action::none}});
  auto s = samples(m.render(1000));
  std::string const t = "{table=\"sample_book\"";
  EXPECT_EQ(s.at("dvsync_verify_last_run_timestamp_seconds" + t + "}"), "900");
  EXPECT_EQ(s.at("dvsync_verify_duration_seconds" + t + "}"), "2.5");
  EXPECT_EQ(s.at("dvsync_verify_drift_rows" + t + ",kind=\"missing\"}"), "1");
  EXPECT_EQ(s.at("dvsync_verify_drift_rows" + t + ",kind=\"extra\"}"), "2");
  EXPECT_EQ(s.at("dvsync_verify_drift_rows" + t + ",kind=\"stale\"}"), "3");
  EXPECT_EQ(s.at("dvsync_verify_source_rows" + t + "}"), "20");
  EXPECT_FALSE(s.contains("dvsync_verify_last_run_timestamp_seconds{table=\"account\"}"));
  EXPECT_FALSE(s.contains("dvsync_verify_last_run_timestamp_seconds{table=\"not_configured\"}"));
  // Altered rows are known only when values were compared: absent otherwise, not 0.
  EXPECT_FALSE(s.contains("dvsync_verify_drift_rows" + t + ",kind=\"altered\"}"));
  m.verify_outcomes({{"sample_book", 950, 2500, 20, 21, {0, 0, 0, 5}, 0, store::fix_action::none, true}});
  EXPECT_EQ(samples(m.render(1000)).at("dvsync_verify_drift_rows" + t + ",kind=\"altered\"}"), "5");
}

TEST(metrics, freshness_lists_every_configured_table_in_order) {
  metrics m({"b", "a"}, "1");
  store::table_status st;
  st.table = "a";
  st.last_success_at = 42;
  m.table_status(st, 50);
  auto f = m.freshness();
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].table, "b");
  EXPECT_FALSE(f[0].last_success_at);
  EXPECT_EQ(f[1].table, "a");
  EXPECT_EQ(f[1].last_success_at, 42);
}

}  // namespace
}  // namespace dvsync::ops
