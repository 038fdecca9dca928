// The metrics and health endpoint of the real daemon against the emulator: a scrape after a sync,
// readiness before and after the initial sync, `dvsync healthcheck`, and the token-expiry warning
// in logs, status and metrics.
#include "ops_fixture.hpp"

#include <boost/json.hpp>

#include <csignal>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;

bool contains(std::string const& haystack, std::string const& needle) { return haystack.find(needle) != std::string::npos; }

std::uint64_t as_count(std::map<std::string, std::string> const& m, std::string const& series) {
  auto it = m.find(series);
  if (it == m.end()) throw std::runtime_error("no series " + series);
  return std::stoull(it->second);
}

class endpoint_test : public ops_test {};

TEST_F(endpoint_test, a_scrape_after_the_initial_sync_reports_what_happened) {
  create_books(0, 9);
  config_overrides o;
  o.page_size = 4;
  o.extra_top_level = metrics_at("127.0.0.1:0");
  write_config(o);
  auto d = start_daemon();
  auto port = metrics_port();
  ASSERT_NE(port, 0) << log();

  auto ready = wait_for_status(port, "/readyz", 200, 20s);
  ASSERT_EQ(ready.status, 200) << ready.body << log();
  EXPECT_EQ(ready.body, "ready: 1 table(s) synced within 180 s\n");
  ASSERT_TRUE(wait_for_log("event=token.retention ", 10s)) << log();
  auto health = get(port, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_TRUE(health.body.starts_with("alive: last progress ")) << health.body;

  auto scrape = get(port, "/metrics");
  ASSERT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.header("Content-Type").value_or(""), "text/plain; version=0.0.4; charset=utf-8");
  auto m = parse_metrics(scrape.body);
  std::string const t = "{table=\"sample_book\"}";
  EXPECT_EQ(m.at("dvsync_mirror_rows" + t), "10");
  EXPECT_EQ(m.at("dvsync_rejected_rows" + t), "0");
  EXPECT_GE(as_count(m, "dvsync_sync_runs_total{table=\"sample_book\",result=\"success\"}"), 1u);
  EXPECT_EQ(m.at("dvsync_sync_runs_total{table=\"sample_book\",result=\"failure\"}"), "0");
  EXPECT_GE(as_count(m, "dvsync_rows_upserted_total" + t), 10u);
  EXPECT_GE(as_count(m, "dvsync_pages_fetched_total"), 3u);  // 10 rows in pages of 4
  // Every page, the table's metadata, the estimate of its rows (a read of several pages) and the
  // organization's retention were answered 200.
  EXPECT_EQ(as_count(m, "dvsync_http_requests_total{code=\"200\"}"),
            requests("/sample_books", 200) + requests("/organizations", 200) + metadata_requests(200) +
                requests("/RetrieveTotalRecordCount(EntityNames=@p1)", 200));
  EXPECT_EQ(requests("/RetrieveTotalRecordCount(EntityNames=@p1)", 200), 1u);
  EXPECT_EQ(m.at("dvsync_change_tracking_retention_days"), "7");
  EXPECT_EQ(m.at("dvsync_token_expiry_warning" + t), "0");
  EXPECT_GT(std::stoll(m.at("dvsync_last_success_timestamp_seconds" + t)), 1'600'000'000);
  EXPECT_GT(as_count(m, "dvsync_sqlite_wal_bytes"), 0u);
  EXPECT_TRUE(m.contains("dvsync_token_age_seconds" + t));
  EXPECT_TRUE(m.contains("dvsync_build_info{version=\"0.1.0\"}"));
  EXPECT_TRUE(m.contains("dvsync_sync_duration_seconds_bucket{table=\"sample_book\",le=\"+Inf\"}"));
  // No ids or URLs in labels: every label value is a table name, a code, a reason or a version.
  for (auto const& [series, value] : m) {
    auto const brace = series.find('{');
    auto const labels = brace == std::string::npos ? std::string() : series.substr(brace);
    EXPECT_FALSE(contains(labels, "http")) << series;
    EXPECT_FALSE(contains(labels, "/")) << series;
    EXPECT_FALSE(contains(labels, "sample_books")) << series;
  }
  EXPECT_EQ(get(port, "/nothing").status, 404);

  d.signal(SIGTERM);
  EXPECT_EQ(d.wait(10s), 0);
}

TEST_F(endpoint_test, throttling_shows_in_requests_retries_and_wait_seconds) {
  create_books(0, 2);
  config_overrides o;
  o.interval_s = 60;
  o.extra_top_level = metrics_at("127.0.0.1:0");
  write_config(o);
  faults(R"([{"match":{"method":"GET","path":"sample_books"},"status":429,"retry_after":1,"count":1}])");
  auto d = start_daemon();
  auto port = metrics_port();
  ASSERT_NE(port, 0) << log();
  ASSERT_EQ(wait_for_status(port, "/readyz", 200, 20s).status, 200) << log();
  auto m = parse_metrics(get(port, "/metrics").body);
  EXPECT_EQ(m.at("dvsync_http_requests_total{code=\"429\"}"), "1");
  EXPECT_EQ(m.at("dvsync_http_retries_total{reason=\"throttled\"}"), "1");
  EXPECT_EQ(m.at("dvsync_throttle_wait_seconds_total"), "1");
  EXPECT_EQ(m.at("dvsync_sync_runs_total{table=\"sample_book\",result=\"success\"}"), "1");
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait(10s), 0);
}

TEST_F(endpoint_test, readyz_fails_until_the_initial_sync_is_done_while_healthz_passes) {
  create_books(0, 5);
  config_overrides o;
  o.page_size = 2;
  o.extra_top_level = metrics_at("127.0.0.1:0");
  write_config(o);
  // Holds the second page for 3 s: the initial sync is under way, not done.
  faults(R"([{"match":{"method":"GET","path":"sample_books","skip":1},"delay_ms":3000,"count":1}])");
  auto d = start_daemon();
  auto port = metrics_port();
  ASSERT_NE(port, 0) << log();
  ASSERT_TRUE(wait_for_log("event=cycle.start", 10s)) << log();

  auto not_ready = get(port, "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(not_ready.body, "not ready: sample_book: initial sync not finished\n");
  EXPECT_EQ(get(port, "/healthz").status, 200);

  auto ready = wait_for_status(port, "/readyz", 200, 20s);
  EXPECT_EQ(ready.status, 200) << ready.body;
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait(10s), 0);
}

TEST_F(endpoint_test, healthcheck_exits_0_for_a_healthy_daemon_and_1_otherwise) {
  create_books(0, 2);
  config_overrides o;
  auto const port = free_port();
  o.extra_top_level = metrics_at("127.0.0.1:" + std::to_string(port));
  write_config(o);

  auto nobody = dvsync({"healthcheck"});
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_TRUE(contains(nobody.err, "unhealthy: http://127.0.0.1:" + std::to_string(port) + "/healthz")) << nobody.err;

  auto d = start_daemon();
  ASSERT_EQ(metrics_port(), port) << log();
  auto healthy = dvsync({"healthcheck"});
  EXPECT_EQ(healthy.exit_code, 0) << healthy.err;
  EXPECT_TRUE(healthy.out.starts_with("alive: last progress ")) << healthy.out;
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait(10s), 0);

  o.extra_top_level = metrics_at("127.0.0.1:0");
  write_config(o);
  auto unknown_port = dvsync({"healthcheck"});
  EXPECT_EQ(unknown_port.exit_code, 1);
  EXPECT_TRUE(contains(unknown_port.err, "needs a fixed port")) << unknown_port.err;

  o.extra_top_level.clear();
  write_config(o);
  auto no_endpoint = dvsync({"healthcheck"});
  EXPECT_EQ(no_endpoint.exit_code, 1);
  EXPECT_TRUE(contains(no_endpoint.err, "healthcheck needs metrics.listen")) << no_endpoint.err;
}

TEST_F(endpoint_test, a_delta_link_past_half_the_retention_warns_in_status_logs_and_metrics) {
  create_books(0, 2);
  config_overrides o;
  o.extra_top_level = metrics_at("127.0.0.1:0");
  write_config(o);
  {
    auto first = start_daemon("first.log");
    ASSERT_TRUE(wait_for_log("event=cycle.done", 20s, 1, "first.log")) << log("first.log");
    ASSERT_TRUE(wait_for_log("event=token.retention ", 10s, 1, "first.log")) << log("first.log");
    first.signal(SIGTERM);
    ASSERT_EQ(first.wait(10s), 0);
  }
  auto status = dvsync({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto doc = boost::json::parse(status.out).as_object();
  EXPECT_EQ(doc.at("change_retention_days").as_int64(), 7);
  EXPECT_FALSE(doc.at("tables").as_array().at(0).at("token_expiry_warning").as_bool());

  // Four days without a delta: past half of the emulator's 7-day retention.
  exec_sql(db_path_, "UPDATE dvsync_table_state SET delta_link_at = delta_link_at - 4 * 86400");
  status = dvsync({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(boost::json::parse(status.out).at("tables").as_array().at(0).at("token_expiry_warning").as_bool());
  auto text = dvsync({"status"});
  EXPECT_TRUE(contains(text.out, "WARNING:")) << text.out;
  EXPECT_TRUE(contains(text.out, "(Dataverse keeps changes for 7 days)")) << text.out;

  // The daemon sees it at start; holding the delta page keeps the old link a while.
  faults(R"([{"match":{"method":"GET","path":"deltatoken"},"delay_ms":3000,"count":1}])");
  auto d = start_daemon();
  auto port = metrics_port();
  ASSERT_NE(port, 0) << log();
  ASSERT_TRUE(wait_for_log("event=token.expiry_warning table=sample_book", 10s)) << log();
  EXPECT_TRUE(contains(log(), "retention_days=7")) << log();
  auto m = parse_metrics(get(port, "/metrics").body);
  EXPECT_EQ(m.at("dvsync_token_expiry_warning{table=\"sample_book\"}"), "1");
  EXPECT_GT(std::stoll(m.at("dvsync_token_age_seconds{table=\"sample_book\"}")), 4 * 86400 - 1);

  // The delta cycle goes through: a fresh link, no warning.
  ASSERT_TRUE(wait_for_log("event=cycle.done", 20s)) << log();
  m = parse_metrics(get(port, "/metrics").body);
  EXPECT_EQ(m.at("dvsync_token_expiry_warning{table=\"sample_book\"}"), "0");
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait(10s), 0);
  status = dvsync({"status", "--json"});
  EXPECT_FALSE(boost::json::parse(status.out).at("tables").as_array().at(0).at("token_expiry_warning").as_bool());
}

TEST_F(endpoint_test, once_reads_the_retention_at_most_daily_and_warns_of_an_aging_link) {
  // Cron users run nothing but `once`.
  create_books(0, 2);
  write_config({});
  auto first = once();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(contains(first.err, "event=token.retention retention_days=7")) << first.err;
  EXPECT_EQ(requests("/organizations", 200), 1u);
  auto status = dvsync({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(boost::json::parse(status.out).at("change_retention_days").as_int64(), 7);

  auto second = once();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(requests("/organizations", 200), 1u) << "read again within a day";
  EXPECT_FALSE(contains(second.err, "token.expiry_warning")) << second.err;

  // Four days of failing cycles: the link is past half of the 7-day retention, and a day has gone
  // by since the retention was read.
  exec_sql(db_path_, "UPDATE dvsync_table_state SET delta_link_at = delta_link_at - 4 * 86400");
  exec_sql(db_path_, "UPDATE dvsync_organization SET checked_at = checked_at - 86400");
  faults(R"([{"match":{"method":"GET","path":"sample_books"},"status":400,"count":100}])");
  auto failing = once();
  EXPECT_EQ(failing.exit_code, 1) << failing.err;
  EXPECT_TRUE(contains(failing.err, "event=token.expiry_warning table=sample_book")) << failing.err;
  EXPECT_EQ(requests("/organizations", 200), 2u);
}

}  // namespace
}  // namespace dvsync::test
