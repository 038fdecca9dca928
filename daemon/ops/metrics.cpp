#include "ops/metrics.hpp"

#include <fmt/format.h>

#include <string_view>
#include <utility>

namespace dvsync::ops {
namespace {

// The reasons the Dataverse client retries for (core::to_string of its errc), and the reasons a
// full resync replaces a synced mirror: their series exist from the start.
constexpr std::array<std::string_view, 5> retry_reasons{"network", "server_busy", "throttled", "timeout", "unauthorized"};
constexpr std::array<std::string_view, 3> resync_reasons{"manual", "token_expired", "verify"};

using labels = std::vector<std::pair<std::string_view, std::string>>;

// Label values are table names and fixed words, but escaping keeps a surprise from breaking the
// exposition format.
std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

class exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }

  template <class V>
  void sample(std::string_view name, labels const& ls, V value) {
    out_ += name;
    if (!ls.empty()) {
      out_ += '{';
      bool first = true;
      for (auto const& [k, v] : ls) {
        if (!first) out_ += ',';
        first = false;
        out_ += fmt::format("{}=\"{}\"", k, escape_label(v));
      }
      out_ += '}';
    }
    out_ += fmt::format(" {}\n", value);
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

metrics::metrics(std::vector<std::string> tables, std::string version) : version_(std::move(version)) {
  for (auto& name : tables) {
    table_series t;
    t.name = std::move(name);
    for (auto reason : resync_reasons) t.full_resyncs[std::string(reason)] = 0;
    tables_.push_back(std::move(t));
  }
}

metrics::table_series* metrics::find(std::string const& table) {
  for (auto& t : tables_)
    if (t.name == table) return &t;
  return nullptr;
}

void metrics::cycle_finished(std::string const& table, core::result<sync::cycle_report> const& r) {
  auto* t = find(table);
  if (t == nullptr) return;
  if (!r) {
    if (r.error().code != core::errc::cancelled) ++t->runs_failure;
    return;
  }
  ++t->runs_success;
  double const seconds = std::chrono::duration<double>(r->duration).count();
  for (std::size_t i = 0; i < duration_buckets.size(); ++i) {
    if (seconds <= duration_buckets[i]) {
      ++t->in_bucket[i];
      break;
    }
  }
  ++t->duration_count;
  t->duration_sum += seconds;
  t->rows_upserted += static_cast<std::uint64_t>(r->upserts);
  t->rows_deleted += static_cast<std::uint64_t>(r->deletes);
  if (r->kind == sync::cycle_kind::full && r->reason != "initial") ++t->full_resyncs[r->reason];
}

void metrics::table_status(store::table_status const& s, std::int64_t now) {
  auto* t = find(s.table);
  if (t == nullptr) return;
  t->rows = s.rows;
  t->rejects = s.rejects;
  t->feed_last_seq = s.change_feed ? s.feed_last_seq.value_or(0) : -1;
  t->last_success_at = s.last_success_at;
  t->last_attempt_at = s.last_attempt_at;
  t->delta_link_at.reset();
  if (s.token_age_s) t->delta_link_at = now - *s.token_age_s;
}

void metrics::verify_outcomes(std::vector<store::verify_outcome> const& outcomes) {
  for (auto const& o : outcomes)
    if (auto* t = find(o.table)) t->verify = o;
}

std::optional<std::int64_t> metrics::token_age(table_series const& t, std::int64_t now) const {
  if (!t.delta_link_at) return std::nullopt;
  return now - *t.delta_link_at;
}

std::vector<table_freshness> metrics::freshness() const {
  std::vector<table_freshness> out;
  for (auto const& t : tables_) out.push_back({t.name, t.last_success_at});
  return out;
}

std::vector<expiry_warning> metrics::expiry_warnings(std::int64_t now) const {
  std::vector<expiry_warning> out;
  for (auto const& t : tables_) {
    auto age = token_age(t, now);
    if (token_expiry_warning(age, retention_days_)) out.push_back({t.name, *age, *retention_days_});
  }
  return out;
}

void metrics::progress(std::map<std::string, sync::cycle_progress> const& running, std::chrono::steady_clock::time_point now) {
  running_.clear();
  for (auto const& [table, p] : running) {
    std::optional<std::int64_t> eta;
    if (auto e = p.eta(now)) eta = e->count();
    running_.push_back({table, p.rows_done, p.rows_expected, p.rate(now), eta});
  }
}

std::string metrics::render(std::int64_t now) const {
  exposition e;
  auto per_table = [&](std::string_view name, std::string_view type, std::string_view help, auto value_of) {
    e.family(name, type, help);
    for (auto const& t : tables_) e.sample(name, {{"table", t.name}}, value_of(t));
  };

  e.family("dvsync_sync_runs_total", "counter", "Sync cycles finished, by table and result.");
  for (auto const& t : tables_) {
    e.sample("dvsync_sync_runs_total", {{"table", t.name}, {"result", "success"}}, t.runs_success);
    e.sample("dvsync_sync_runs_total", {{"table", t.name}, {"result", "failure"}}, t.runs_failure);
  }

  e.family("dvsync_sync_duration_seconds", "histogram", "Duration of successful sync cycles, by table.");
  for (auto const& t : tables_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < duration_buckets.size(); ++i) {
      cumulative += t.in_bucket[i];
      e.sample("dvsync_sync_duration_seconds_bucket", {{"table", t.name}, {"le", fmt::format("{}", duration_buckets[i])}},
               cumulative);
    }
    e.sample("dvsync_sync_duration_seconds_bucket", {{"table", t.name}, {"le", "+Inf"}}, t.duration_count);
    e.sample("dvsync_sync_duration_seconds_sum", {{"table", t.name}}, t.duration_sum);
    e.sample("dvsync_sync_duration_seconds_count", {{"table", t.name}}, t.duration_count);
  }

  per_table("dvsync_last_success_timestamp_seconds", "gauge",
            "Unix time of the last successful cycle, by table; 0 when none finished yet.",
            [](table_series const& t) { return t.last_success_at.value_or(0); });
  per_table("dvsync_last_attempt_timestamp_seconds", "gauge", "Unix time the last cycle started, by table; 0 when none did.",
            [](table_series const& t) { return t.last_attempt_at.value_or(0); });
  per_table("dvsync_rows_upserted_total", "counter", "Rows written to the mirror by successful cycles, by table.",
            [](table_series const& t) { return t.rows_upserted; });
  per_table("dvsync_rows_deleted_total", "counter", "Rows deleted from the mirror by successful cycles, by table.",
            [](table_series const& t) { return t.rows_deleted; });

  e.family("dvsync_pages_fetched_total", "counter", "Pages received from Dataverse, all tables.");
  e.sample("dvsync_pages_fetched_total", {}, pages_fetched_);

  e.family("dvsync_http_requests_total", "counter", "Responses received from Dataverse, by HTTP status code.");
  auto by_status = client_.requests_by_status;
  by_status.try_emplace(200, 0);
  for (auto const& [code, n] : by_status) e.sample("dvsync_http_requests_total", {{"code", std::to_string(code)}}, n);

  e.family("dvsync_http_retries_total", "counter", "Dataverse requests retried, by reason.");
  auto by_reason = client_.retries_by_reason;
  for (auto reason : retry_reasons) by_reason.try_emplace(std::string(reason), 0);
  for (auto const& [reason, n] : by_reason) e.sample("dvsync_http_retries_total", {{"reason", reason}}, n);

  e.family("dvsync_throttle_wait_seconds_total", "counter", "Seconds spent waiting out Retry-After of throttled requests.");
  e.sample("dvsync_throttle_wait_seconds_total", {}, client_.throttle_wait_seconds);

  e.family("dvsync_full_resyncs_total", "counter", "Full reads that replaced an already synced mirror, by table and reason.");
  for (auto const& t : tables_)
    for (auto const& [reason, n] : t.full_resyncs) e.sample("dvsync_full_resyncs_total", {{"table", t.name}, {"reason", reason}}, n);

  per_table("dvsync_mirror_rows", "gauge", "Rows in the mirror table, after the last cycle.",
            [](table_series const& t) { return t.rows; });
  per_table("dvsync_rejected_rows", "gauge", "Rows kept in dvsync_rejects (null or empty key), by table.",
            [](table_series const& t) { return t.rejects; });
  e.family("dvsync_feed_last_seq", "gauge",
           "dvsync_feed.seq of the last change fed, by table with a change feed (0 before the first): a consumer's "
           "lag is this minus the seq it has applied.");
  for (auto const& t : tables_)
    if (t.feed_last_seq >= 0) e.sample("dvsync_feed_last_seq", {{"table", t.name}}, t.feed_last_seq);

  e.family("dvsync_parallel_requests_limit", "gauge",
           "Requests allowed in flight at once across every table: the service's x-ms-dop-hint, capped by "
           "sync.max_parallel_requests, lowered after 'too many concurrent requests'.");
  e.sample("dvsync_parallel_requests_limit", {}, gate_.limit);
  e.family("dvsync_requests_in_flight", "gauge", "Dataverse requests in flight now, all tables.");
  e.sample("dvsync_requests_in_flight", {}, gate_.in_flight);
  e.family("dvsync_parallelism_lowered_total", "counter", "Times the service refused a request for too many concurrent ones.");
  e.sample("dvsync_parallelism_lowered_total", {}, gate_.lowered);
  e.family("dvsync_service_pauses_total", "counter", "Throttling answers that paused every table's requests.");
  e.sample("dvsync_service_pauses_total", {}, client_.service_pauses);

  e.family("dvsync_cycle_rows_done", "gauge", "Rows of the pages staged so far by the cycle in progress, by table.");
  for (auto const& c : running_) e.sample("dvsync_cycle_rows_done", {{"table", c.table}}, c.rows_done);
  e.family("dvsync_cycle_rows_expected", "gauge",
           "The service's estimate of the table's rows (RetrieveTotalRecordCount) during a full read, by table.");
  for (auto const& c : running_)
    if (c.rows_expected) e.sample("dvsync_cycle_rows_expected", {{"table", c.table}}, *c.rows_expected);
  e.family("dvsync_cycle_rows_per_second", "gauge", "Rate of the cycle in progress, by table.");
  for (auto const& c : running_) e.sample("dvsync_cycle_rows_per_second", {{"table", c.table}}, c.rows_per_s);
  e.family("dvsync_cycle_eta_seconds", "gauge", "Estimated seconds until the full read in progress ends, by table.");
  for (auto const& c : running_)
    if (c.eta_s) e.sample("dvsync_cycle_eta_seconds", {{"table", c.table}}, *c.eta_s);

  e.family("dvsync_sqlite_wal_bytes", "gauge", "Size of the database's write-ahead log.");
  e.sample("dvsync_sqlite_wal_bytes", {}, wal_bytes_);

  e.family("dvsync_sqlite_checkpoints_total", "counter",
           "Checkpoints the daemon ran after its cycles, by result: complete, incomplete (a reader held frames "
           "back) or failed.");
  e.sample("dvsync_sqlite_checkpoints_total", {{"result", "complete"}}, checkpoints_.complete);
  e.sample("dvsync_sqlite_checkpoints_total", {{"result", "incomplete"}}, checkpoints_.incomplete);
  e.sample("dvsync_sqlite_checkpoints_total", {{"result", "failed"}}, checkpoints_.failed);

  e.family("dvsync_sqlite_wal_frames_pending", "gauge",
           "WAL frames the last checkpoint could not copy into the database; 0 after a complete one.");
  e.sample("dvsync_sqlite_wal_frames_pending", {}, checkpoints_.frames_pending);

  e.family("dvsync_token_age_seconds", "gauge", "Age of the table's delta link; absent until the first sync.");
  for (auto const& t : tables_)
    if (auto age = token_age(t, now)) e.sample("dvsync_token_age_seconds", {{"table", t.name}}, *age);

  if (retention_days_) {
    e.family("dvsync_change_tracking_retention_days", "gauge",
             "The organization's expirechangetrackingindays: how long a delta link stays usable.");
    e.sample("dvsync_change_tracking_retention_days", {}, *retention_days_);
  }

  per_table("dvsync_token_expiry_warning", "gauge",
            "1 when the table's delta link is older than half the change-tracking retention.",
            [&](table_series const& t) { return token_expiry_warning(token_age(t, now), retention_days_) ? 1 : 0; });

  // Absent for a table never verified: a 0 would read as "verified, no drift".
  e.family("dvsync_verify_last_run_timestamp_seconds", "gauge",
           "Unix time the last dvsync verify of the table completed; absent when none did.");
  for (auto const& t : tables_)
    if (t.verify) e.sample("dvsync_verify_last_run_timestamp_seconds", {{"table", t.name}}, t.verify->finished_at);
  e.family("dvsync_verify_duration_seconds", "gauge", "Duration of the table's last completed dvsync verify.");
  for (auto const& t : tables_)
    if (t.verify)
      e.sample("dvsync_verify_duration_seconds", {{"table", t.name}}, static_cast<double>(t.verify->duration_ms) / 1000.0);
  e.family("dvsync_verify_drift_rows", "gauge",
           "Rows the last dvsync verify found drifted, by table and kind (missing, extra, stale, and altered when it "
           "compared values); before any --fix.");
  for (auto const& t : tables_) {
    if (!t.verify) continue;
    e.sample("dvsync_verify_drift_rows", {{"table", t.name}, {"kind", "missing"}}, t.verify->drift.missing);
    e.sample("dvsync_verify_drift_rows", {{"table", t.name}, {"kind", "extra"}}, t.verify->drift.extra);
    e.sample("dvsync_verify_drift_rows", {{"table", t.name}, {"kind", "stale"}}, t.verify->drift.stale);
    // Absent unless values were compared: a verify of ids and versions cannot tell that none is.
    if (t.verify->values)
      e.sample("dvsync_verify_drift_rows", {{"table", t.name}, {"kind", "altered"}}, t.verify->drift.altered);
  }
  e.family("dvsync_verify_source_rows", "gauge", "Rows the source returned to the table's last completed dvsync verify.");
  for (auto const& t : tables_)
    if (t.verify) e.sample("dvsync_verify_source_rows", {{"table", t.name}}, t.verify->source_rows);

  e.family("dvsync_build_info", "gauge", "Always 1; the version is in the label.");
  e.sample("dvsync_build_info", {{"version", version_}}, 1);
  return e.take();
}

}  // namespace dvsync::ops
