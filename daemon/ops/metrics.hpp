#pragma once
// The metrics registry: plain counters and gauges fed by the daemon's hooks, and their rendering in
// the Prometheus text format (version 0.0.4). No I/O and no clock: `now` is passed in, so the
// rendering is tested byte for byte.
//
// Labels are table names, HTTP status codes and fixed reason words only, never ids or URLs, so
// the number of series stays small. Series with known label sets start at 0.
#include "core/error.hpp"
#include "dataverse/client.hpp"
#include "ops/health.hpp"
#include "store/database.hpp"
#include "store/state.hpp"
#include "store/verify_store.hpp"
#include "sync/engine.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dvsync::ops {

// Upper bounds (seconds) of the cycle duration histogram: a small delta takes well under a second,
// a full read of millions of rows an hour.
inline constexpr std::array<double, 12> duration_buckets{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600};

// A table whose delta link is older than half the change-tracking retention.
struct expiry_warning {
  std::string table;
  std::int64_t token_age_s = 0;
  int retention_days = 0;
};

class metrics {
 public:
  metrics(std::vector<std::string> tables, std::string version);

  void page_fetched() { ++pages_fetched_; }
  // A finished cycle counts as a success (with its duration, rows and any full resync) or a failure;
  // a cycle cut short by shutdown (errc::cancelled) is neither.
  void cycle_finished(std::string const& table, core::result<sync::cycle_report> const& r);
  // A table's gauges as the database has them (rows, rejects, times, token age).
  void table_status(store::table_status const& s, std::int64_t now);
  void retention_days(int days) { retention_days_ = days; }
  std::optional<int> retention_days() const { return retention_days_; }
  // Values read at scrape time.
  void client(dataverse::client_stats const& s) { client_ = s; }
  void wal_bytes(std::uint64_t bytes) { wal_bytes_ = bytes; }
  // The shared request gate (the service's limits): its limit, requests in flight, lowerings.
  void requests_gate(int limit, int in_flight, std::uint64_t lowered) {
    gate_ = {limit, in_flight, lowered};
  }
  // The cycles running now: rows done, the estimate, rate and ETA.
  void progress(std::map<std::string, sync::cycle_progress> const& running, std::chrono::steady_clock::time_point now);
  void checkpoints(store::checkpoint_counts const& c) { checkpoints_ = c; }
  // The last completed `dvsync verify` of each table, as dvsync_verify has them.
  void verify_outcomes(std::vector<store::verify_outcome> const& outcomes);

  std::vector<table_freshness> freshness() const;
  std::vector<expiry_warning> expiry_warnings(std::int64_t now) const;

  std::string render(std::int64_t now) const;

 private:
  struct table_series {
    std::string name;
    std::uint64_t runs_success = 0;
    std::uint64_t runs_failure = 0;
    std::array<std::uint64_t, duration_buckets.size()> in_bucket{};  // not cumulative; above the last: none
    std::uint64_t duration_count = 0;
    double duration_sum = 0;
    std::uint64_t rows_upserted = 0;
    std::uint64_t rows_deleted = 0;
    std::map<std::string, std::uint64_t> full_resyncs;  // by reason
    std::int64_t rows = 0;
    std::int64_t rejects = 0;
    std::int64_t feed_last_seq = -1;  // -1: the table has no change feed
    std::optional<std::int64_t> last_success_at;
    std::optional<std::int64_t> last_attempt_at;
    std::optional<std::int64_t> delta_link_at;
    std::optional<store::verify_outcome> verify;
  };

  table_series* find(std::string const& table);
  std::optional<std::int64_t> token_age(table_series const& t, std::int64_t now) const;

  struct gate_values {
    int limit = 0;
    int in_flight = 0;
    std::uint64_t lowered = 0;
  };
  struct running_cycle {
    std::string table;
    std::int64_t rows_done = 0;
    std::optional<std::int64_t> rows_expected;
    double rows_per_s = 0;
    std::optional<std::int64_t> eta_s;
  };

  std::vector<table_series> tables_;
  gate_values gate_;
  std::vector<running_cycle> running_;
  std::string version_;
  std::uint64_t pages_fetched_ = 0;
  std::optional<int> retention_days_;
  dataverse::client_stats client_;
  std::uint64_t wal_bytes_ = 0;
  store::checkpoint_counts checkpoints_;
};

}  // namespace dvsync::ops
