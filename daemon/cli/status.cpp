#include "cli/commands.hpp"
#include "ops/health.hpp"
#include "store/database.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace dvsync::cli {
namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string iso_time(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

std::string when(std::optional<std::int64_t> t, std::int64_t now) {
  if (!t) return "never";
  return fmt::format("{} ({} s ago)", iso_time(*t), now - *t);
}

// How far a table's cycle has come, as the database has it: rows staged, the service's estimate,
// and the rate since the cycle began (a cycle resumed after a stop counts the stop in its time).
struct load_progress {
  std::int64_t rows_done = 0;
  std::optional<std::int64_t> rows_expected;
  std::optional<double> percent;
  double rows_per_s = 0;
  std::optional<std::int64_t> eta_s;
};

load_progress progress_of(store::table_status const& t, std::int64_t now) {
  load_progress p;
  p.rows_done = t.rows_staged;
  p.rows_expected = t.rows_expected;
  if (t.rows_expected && *t.rows_expected > 0)
    p.percent = std::min(100.0, 100.0 * static_cast<double>(t.rows_staged) / static_cast<double>(*t.rows_expected));
  if (t.cycle_started_at && now > *t.cycle_started_at)
    p.rows_per_s = static_cast<double>(t.rows_staged) / static_cast<double>(now - *t.cycle_started_at);
  if (t.rows_expected && p.rows_per_s > 0)
    p.eta_s = static_cast<std::int64_t>(static_cast<double>(std::max<std::int64_t>(*t.rows_expected - t.rows_staged, 0)) / p.rows_per_s + 0.5);
  return p;
}

std::string describe(load_progress const& p) {
  std::string out = fmt::format("{} rows", p.rows_done);
  if (p.rows_expected) out += fmt::format(" of about {} ({:.0f}%)", *p.rows_expected, p.percent.value_or(0));
  out += fmt::format(", {:.0f} rows/s", p.rows_per_s);
  if (p.eta_s) out += fmt::format(", about {} s left", *p.eta_s);
  return out;
}

void print_text(std::vector<store::table_status> const& tables, std::optional<int> retention_days, std::int64_t now) {
  for (auto const& t : tables) {
    std::printf("%s (%s): %s, %lld rows, %lld rejects\n", t.table.c_str(), t.entity_set.c_str(), store::to_string(t.phase),
                static_cast<long long>(t.rows), static_cast<long long>(t.rejects));
    std::printf("  last success: %s\n", when(t.last_success_at, now).c_str());
    if (t.token_age_s) {
      std::printf("  token age:    %lld s", static_cast<long long>(*t.token_age_s));
      if (retention_days) std::printf(" (Dataverse keeps changes for %d days)", *retention_days);
      std::printf("\n");
    }
    if (ops::token_expiry_warning(t.token_age_s, retention_days))
      std::printf("  WARNING:      the delta link is past half the change-tracking retention; if it expires, the next\n"
                  "                cycle is a full resync: get a delta cycle through soon\n");
    if (t.last_success_at)
      std::printf("  last cycle:   %lld pages, %lld upserts, %lld deletes, %lld rejects\n",
                  static_cast<long long>(t.last_cycle_pages), static_cast<long long>(t.last_cycle_upserts),
                  static_cast<long long>(t.last_cycle_deletes), static_cast<long long>(t.last_cycle_rejects));
    if (t.cycle_kind) {
      std::printf("  in progress:  %s cycle (%s), %lld pages staged\n", store::to_string(*t.cycle_kind), t.cycle_reason.c_str(),
                  static_cast<long long>(t.pages_staged));
      std::printf("  progress:     %s\n", describe(progress_of(t, now)).c_str());
    }
    if (t.change_feed)
      std::printf("  change feed:  %s\n", t.feed_last_seq ? fmt::format("last seq {}", *t.feed_last_seq).c_str()
                                                         : "no change fed yet");
    if (t.lookup_targets_lost_at)
      std::printf("  lookup targets: not asked since %s, when the service lost a delta link with them "
                  "(`dvsync resync` asks again)\n",
                  when(t.lookup_targets_lost_at, now).c_str());
    if (t.resync_requested) std::printf("  full resync requested for the next cycle\n");
    std::printf("  last error:   %s\n",
                t.last_error ? fmt::format("{} at {}", *t.last_error, when(t.last_error_at, now)).c_str() : "none");
  }
}

void print_json(std::vector<store::table_status> const& tables, std::optional<int> retention_days, std::int64_t now) {
  boost::json::array out;
  auto opt = [](auto const& o) -> boost::json::value {
    if (o) return boost::json::value_from(*o);
    return nullptr;
  };
  for (auto const& t : tables) {
    boost::json::object o;
    o["table"] = t.table;
    o["entity_set"] = t.entity_set;
    o["phase"] = store::to_string(t.phase);
    o["rows"] = t.rows;
    o["rejects"] = t.rejects;
    o["last_success_at"] = opt(t.last_success_at);
    o["last_attempt_at"] = opt(t.last_attempt_at);
    o["last_error"] = opt(t.last_error);
    o["last_error_at"] = opt(t.last_error_at);
    o["token_age_s"] = opt(t.token_age_s);
    o["token_expiry_warning"] = ops::token_expiry_warning(t.token_age_s, retention_days);
    o["cycle_in_progress"] = t.cycle_kind ? boost::json::value(store::to_string(*t.cycle_kind)) : nullptr;
    o["pages_staged"] = t.pages_staged;
    if (t.cycle_kind) {
      auto const p = progress_of(t, now);
      o["progress"] = {{"rows_done", p.rows_done}, {"rows_expected", opt(p.rows_expected)}, {"percent", opt(p.percent)},
                       {"rows_per_s", p.rows_per_s}, {"eta_s", opt(p.eta_s)}};
    }
    o["resync_requested"] = t.resync_requested;
    o["last_cycle"] = {{"pages", t.last_cycle_pages}, {"upserts", t.last_cycle_upserts},
                       {"deletes", t.last_cycle_deletes}, {"rejects", t.last_cycle_rejects}};
    o["full_resyncs"] = t.full_resyncs;
    o["change_feed"] = t.change_feed ? boost::json::value(boost::json::object{{"last_seq", opt(t.feed_last_seq)}}) : nullptr;
    o["lookup_targets_lost_at"] = opt(t.lookup_targets_lost_at);
    out.push_back(std::move(o));
  }
  boost::json::object doc{{"now", now}, {"change_retention_days", opt(retention_days)}, {"tables", std::move(out)}};
  std::printf("%s\n", boost::json::serialize(doc).c_str());
}

}  // namespace

// Reads the database only, through a read-only connection: safe next to a running daemon.
int status(arguments const& a) {
  auto s = load_settings(a);
  if (!s) return exit_config;
  auto db = store::database::open_read_only(s->database.path);
  if (!db) {
    std::fprintf(stderr, "dvsync: %s\n", db.error().message.c_str());
    return exit_failure;
  }
  auto tables = db->read_status(unix_now());
  if (!tables) {
    std::fprintf(stderr, "dvsync: %s\n", tables.error().message.c_str());
    return exit_failure;
  }
  auto retention = db->change_retention_days();
  if (!retention) {
    std::fprintf(stderr, "dvsync: %s\n", retention.error().message.c_str());
    return exit_failure;
  }
  if (a.json)
    print_json(*tables, *retention, unix_now());
  else
    print_text(*tables, *retention, unix_now());
  return 0;
}

}  // namespace dvsync::cli
