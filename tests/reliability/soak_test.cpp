// T25 of the reliability plan, the soak: `dvsync run` (interval 1 s) against a source that changes
// about 10 times a second, with faults from the fault matrix (throttling with Retry-After, 503,
// connection resets, truncated bodies) injected every so often and the daemon killed (SIGKILL) and
// restarted now and then. Every second the test samples the daemon's RSS and open descriptors, the
// WAL's size and the age of last_success. At the end, with the source still and the faults gone:
// the daemon has caught up and the full oracle holds; within each daemon lifetime, after warm-up,
// RSS grew by less than 10% and the descriptor count stayed flat; the WAL stayed within
// journal_size_limit; and last_success was never older than 3 intervals plus the longest outage
// an injected fault can cause.
#include "reliability.hpp"
#include "watch.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

namespace dvsync::test {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool built_with_address_sanitizer = true;
#else
constexpr bool built_with_address_sanitizer = false;
#endif

using namespace std::chrono_literals;
using wall_clock = std::chrono::system_clock;
using steady = std::chrono::steady_clock;

// daemon/store/pragmas.cpp: what SQLite truncates the WAL file to when the log restarts.
constexpr std::uint64_t journal_size_limit = 64ull << 20;
constexpr int interval_s = 1;
constexpr int backoff_cap_s = 2;
constexpr double source_ops_per_s = 10;

// How long, how often: the plan's soak is 24 h with a fault every 5 min and a kill every hour (288
// faults, 24 kills). The long form lasts DVSYNC_SOAK_SECONDS (3600 by default: the hour the
// hardening issue asks for); a run shorter than 6 h kills 6 times, evenly, and keeps the plan's 12 faults per kill
// but at most one every 10 s. The short form: 45 s, a fault every 10 s, one kill.
struct soak_plan {
  int seconds = 45;
  int kills = 1;
  double fault_period_s = 10;
  double warm_up_s = 8;  // of each daemon lifetime, before its RSS baseline
  double sample_period_s = 1;
};

soak_plan make_plan() {
  soak_plan p;
  if (!long_form()) return p;
  p.seconds = 3600;
  if (char const* s = std::getenv("DVSYNC_SOAK_SECONDS"); s != nullptr && *s != '\0') p.seconds = std::max(60, std::atoi(s));
  double const kill_period = std::min(3600.0, p.seconds / 6.0);
  p.kills = static_cast<int>(std::floor(p.seconds / kill_period));
  p.fault_period_s = std::clamp(kill_period / 12, 10.0, 300.0);
  p.warm_up_s = 30;
  return p;
}

std::uint64_t run_seed() {
  if (char const* s = std::getenv("DVSYNC_RELIABILITY_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

// A fault of the matrix, on the table's next GETs; `outage_s` is the longest it can delay the
// cycle that meets it: each faulted attempt waits Retry-After or at most the backoff cap.
struct fault_kind {
  std::string name;
  std::string actions;
  int count = 1;
  double outage_s = 0;
};

std::vector<fault_kind> fault_kinds() {
  return {
      {"429_retry_after_2s", R"("status":429,"retry_after":"2")", 1, 2},
      {"503_retry_after_2s_twice", R"("status":503,"retry_after":"2")", 2, 4},
      {"503_twice", R"("status":503)", 2, 2.0 * backoff_cap_s},
      {"connection_reset_3x", R"("reset":true)", 3, 3.0 * backoff_cap_s},
      {"truncated_body_2x", R"("truncate_after":64)", 2, 2.0 * backoff_cap_s},
  };
}

// One daemon process, from its start to its kill (or the end).
struct lifetime {
  steady::time_point started;
  std::string log_name;
  std::vector<double> at_s;  // samples after warm-up: seconds since the start
  std::vector<double> rss_kib;
  std::vector<int> fds;
};

class soak_test : public reliability_test {
 protected:
  void follow_log() {
    for (auto const& line : log_->new_lines()) {
      auto const event = log_event(line);
      if (event == "cycle.done") {
        ++cycles_;
        auto at = log_time(line).value_or(wall_clock::now());
        if (last_done_) max_gap_s_ = std::max(max_gap_s_, seconds_between(*last_done_, at));
        last_done_ = at;
      } else if (event == "cycle.failed") {
        ++failed_;
        std::printf("%s\n", line.c_str());
      }
    }
  }

  void start(std::string const& log_name) {
    daemon_.emplace(start_daemon(log_name, {{"JOURNAL_STREAM", ""}}));
    log_.emplace((dir_ / log_name).string());
    lifetimes_.push_back({steady::now(), log_name, {}, {}, {}});
  }

  void sample(soak_plan const& plan) {
    auto& life = lifetimes_.back();
    double const age = std::chrono::duration<double>(steady::now() - life.started).count();
    if (auto p = sample_process(daemon_->pid()); p && age >= plan.warm_up_s) {
      life.at_s.push_back(age);
      life.rss_kib.push_back(static_cast<double>(p->rss_kib));
      life.fds.push_back(p->fds);
    }
    max_wal_ = std::max(max_wal_, file_bytes(db_path_ + "-wal"));
    try {
      auto text = state("last_success_at");
      if (!text.empty()) {
        double const now = std::chrono::duration<double>(wall_clock::now().time_since_epoch()).count();
        max_staleness_s_ = std::max(max_staleness_s_, now - std::stod(text));
      }
    } catch (std::exception const&) {
      // Not created yet.
    }
  }

  // Faults the current script applied so far.
  int faults_applied() {
    auto r = emulator_->control_get("faults");
    if (r.status != 200) return 0;
    return boost::json::parse(r.body).at("applied_total").to_number<int>();
  }

  std::optional<child> daemon_;
  std::optional<log_follower> log_;
  std::vector<lifetime> lifetimes_;
  int cycles_ = 0;
  int failed_ = 0;
  std::optional<wall_clock::time_point> last_done_;
  double max_gap_s_ = 0;
  double max_staleness_s_ = 0;
  std::uint64_t max_wal_ = 0;
};

TEST_F(soak_test, changes_faults_and_kills_leave_memory_descriptors_wal_and_freshness_bounded) {
  auto const plan = make_plan();
  auto const seed = run_seed();
  std::mt19937_64 rng(seed);
  int const rows = scaled(5000, 20'000);
  std::printf("T25: %d s, %d rows, ~%.0f source ops/s, a fault every %.0f s, %d kills, DVSYNC_RELIABILITY_SEED=%llu\n",
              plan.seconds, rows, source_ops_per_s, plan.fault_period_s, plan.kills, static_cast<unsigned long long>(seed));
  start_emulator({"--seed", std::to_string(rows)});
  config_overrides o;
  o.interval_s = interval_s;
  o.page_size = 1000;
  o.max_attempts = 4;
  o.backoff_base_s = 1;
  o.backoff_cap_s = backoff_cap_s;
  o.retry_after_cap_s = 30;
  o.request_timeout_s = 10;
  use_fresh_database("soak", o);

  // Kill k of n falls near the middle of the k-th n-th of the run.
  std::vector<double> kill_at;
  std::uniform_real_distribution<double> jitter(-0.1, 0.1);
  for (int k = 1; k <= plan.kills; ++k) kill_at.push_back((k - 0.5 + jitter(rng)) * plan.seconds / plan.kills);
  auto const kinds = fault_kinds();
  std::uniform_int_distribution<std::size_t> pick(0, kinds.size() - 1);

  start("soak0.log");
  auto const begun = steady::now();
  auto const elapsed = [&] { return std::chrono::duration<double>(steady::now() - begun).count(); };
  double next_change = 1, next_fault = plan.fault_period_s, next_sample = 0;
  std::size_t next_kill = 0;
  double current_rows = rows, longest_outage_s = 0;
  std::int64_t source_ops = 0;
  int faults_injected = 0, applied = 0, kills = 0, integrity_after_kill_ok = 0;
  std::map<std::string, int> injected_by_kind;
  std::uint64_t change_seed = 1;
  while (elapsed() < plan.seconds) {
    double const t = elapsed();
    if (t >= next_change) {
      next_change += 1;
      double const fraction = source_ops_per_s / std::max(1.0, current_rows);
      auto r = emulator_->control("mutate", fmt::format(R"({{"fraction":{},"seed":{},"create":0.2,"update":0.6,"delete":0.2}})",
                                                        fraction, change_seed++));
      ASSERT_EQ(r.status, 200) << r.body;
      auto const counts = boost::json::parse(r.body).as_object();
      source_ops += counts.at("created").to_number<std::int64_t>() + counts.at("updated").to_number<std::int64_t>() +
                    counts.at("deleted").to_number<std::int64_t>();
      current_rows = counts.at("rows").to_number<double>();
    }
    if (t >= next_fault) {
      next_fault += plan.fault_period_s;
      auto const& f = kinds[pick(rng)];
      applied += faults_applied();
      faults(fmt::format(R"([{{"match":{{"method":"GET","path":"sample_books"}},"count":{},{}}}])", f.count, f.actions));
      ++faults_injected;
      ++injected_by_kind[f.name];
      longest_outage_s = std::max(longest_outage_s, f.outage_s);
      std::printf("%.1f s: fault %s\n", t, f.name.c_str());
    }
    if (next_kill < kill_at.size() && t >= kill_at[next_kill]) {
      ++next_kill;
      daemon_->signal(SIGKILL);
      EXPECT_EQ(daemon_->wait(10s), -SIGKILL);
      follow_log();
      ++kills;
      auto ic = integrity_check(db_path_);
      EXPECT_EQ(ic, "ok") << "after kill " << kills;
      if (ic == "ok") ++integrity_after_kill_ok;
      std::printf("%.1f s: kill %d (pid %d), restarted\n", t, kills, daemon_->pid());
      daemon_.reset();
      start(fmt::format("soak{}.log", kills));
    }
    if (t >= next_sample) {
      next_sample += plan.sample_period_s;
      sample(plan);
    }
    follow_log();
    std::this_thread::sleep_for(100ms);
  }

  // The source stops changing and the faults stop: the daemon must catch up by itself.
  applied += faults_applied();
  faults("[]");
  int const cycles_at_end = cycles_;
  auto const deadline = steady::now() + 60s;
  while (cycles_ < cycles_at_end + 2 && steady::now() < deadline) {
    follow_log();
    if (elapsed() >= next_sample) {
      next_sample += plan.sample_period_s;
      sample(plan);
    }
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GE(cycles_, cycles_at_end + 2) << "the daemon did not complete two cycles after the changes stopped";
  sample(plan);
  daemon_->signal(SIGTERM);
  EXPECT_EQ(daemon_->wait(30s), 0);
  follow_log();
  double const ran_s = elapsed();
  std::string const caught_up = compare_with_source();
  EXPECT_EQ(caught_up, "") << "the daemon did not catch up with the source";
  std::string const problems = converge_and_check();
  EXPECT_EQ(problems, "");

  // Per lifetime: RSS growth from the first sample after warm-up to the last, its slope, the fd range.
  double worst_growth = 0, worst_slope = 0;
  int worst_fd_range = 0, judged = 0;
  std::string worst_growth_note;
  for (std::size_t i = 0; i < lifetimes_.size(); ++i) {
    auto const& l = lifetimes_[i];
    if (l.rss_kib.size() < 2) continue;
    ++judged;
    double const growth = (l.rss_kib.back() - l.rss_kib.front()) / l.rss_kib.front() * 100;
    double const per_min = slope(l.at_s, l.rss_kib) * 60;
    int const fd_range = *std::max_element(l.fds.begin(), l.fds.end()) - *std::min_element(l.fds.begin(), l.fds.end());
    std::printf("lifetime %zu: %zu samples from %.0f s to %.0f s, RSS %.0f -> %.0f KiB (%+.1f%%, %+.1f KiB/min), fds %d..%d\n", i,
                l.rss_kib.size(), l.at_s.front(), l.at_s.back(), l.rss_kib.front(), l.rss_kib.back(), growth, per_min,
                *std::min_element(l.fds.begin(), l.fds.end()), *std::max_element(l.fds.begin(), l.fds.end()));
    // AddressSanitizer keeps freed memory in quarantine (up to 256 MiB): RSS then grows by design.
    if (!built_with_address_sanitizer) {
      EXPECT_LT(growth, 10.0) << "lifetime " << i;
    }
    EXPECT_LE(fd_range, 5) << "lifetime " << i;
    if (judged == 1 || growth > worst_growth) {
      worst_growth = growth;
      worst_growth_note = fmt::format("{:.0f} -> {:.0f} KiB over {:.0f} s", l.rss_kib.front(), l.rss_kib.back(),
                                      l.at_s.back() - l.at_s.front());
    }
    if (judged == 1 || per_min > worst_slope) worst_slope = per_min;
    worst_fd_range = std::max(worst_fd_range, fd_range);
  }
  EXPECT_EQ(judged, static_cast<int>(lifetimes_.size())) << "a lifetime too short to judge its RSS";
  EXPECT_EQ(kills, plan.kills);
  EXPECT_GT(faults_injected, 0);
  EXPECT_LE(max_wal_, journal_size_limit);
  double const bound_s = 3 * interval_s + longest_outage_s;
  // last_success_at has whole seconds: read as an age, it can look up to a second older.
  EXPECT_LE(max_staleness_s_, bound_s + 1) << "last_success grew older than 3 intervals plus the longest fault";
  EXPECT_LE(max_gap_s_, bound_s) << "successive cycles further apart than 3 intervals plus the longest fault";

  std::string kinds_note;
  for (auto const& [name, n] : injected_by_kind) kinds_note += fmt::format("{}{} {}", kinds_note.empty() ? "" : ", ", n, name);
  report_figure("T25", "duration_s", fmt::format("{:.0f}", ran_s),
                long_form() ? fmt::format("a fault every {:.0f} s and {} kills: the plan's 24 h (a fault every 5 min, a kill "
                                          "every hour) scaled to a {} s run, 12 faults per kill",
                                          plan.fault_period_s, plan.kills, plan.seconds)
                            : "short form: a fault every 10 s, one kill");
  report_figure("T25", "source_ops", std::to_string(source_ops),
                fmt::format("{:.1f} per s (created, updated, deleted) on {} rows", source_ops / static_cast<double>(plan.seconds),
                            rows));
  report_figure("T25", "cycles", std::to_string(cycles_), fmt::format("successful; failed: {}", failed_));
  report_figure("T25", "faults", fmt::format("{}", faults_injected),
                fmt::format("injected ({}); {} faulted answers", kinds_note, applied));
  report_figure("T25", "kills", std::to_string(kills),
                fmt::format("SIGKILL then restart; integrity_check ok after {}/{}", integrity_after_kill_ok, kills));
  report_figure("T25", "rss_growth_pct_max", fmt::format("{:.1f}", worst_growth),
                fmt::format("worst of {} daemon lifetimes, first sample after {:.0f} s of warm-up to the last ({}); must be < 10",
                            judged, plan.warm_up_s, worst_growth_note));
  report_figure("T25", "rss_slope_kib_per_min_max", fmt::format("{:.1f}", worst_slope), "least squares, worst lifetime");
  report_figure("T25", "fd_range_max", std::to_string(worst_fd_range), "max - min open descriptors within a lifetime; must be <= 5");
  report_figure("T25", "wal_bytes_max", fmt::format("{:.1f}MiB", static_cast<double>(max_wal_) / 1048576.0), "limit 64 MiB");
  report_figure("T25", "staleness_s_max", fmt::format("{:.1f}", max_staleness_s_),
                fmt::format("age of the last success sampled every {:.0f} s (whole seconds: up to 1 s more); bound {:.0f} s = 3 "
                            "intervals + the longest fault's outage",
                            plan.sample_period_s, bound_s));
  report_figure("T25", "cycle_gap_s_max", format_seconds(max_gap_s_), "longest time between two successful cycles (log times)");
  report_figure("T25", "converged", caught_up.empty() && problems.empty() ? "pass" : "fail",
                "the daemon caught up by itself, then the oracle");
}

}  // namespace
}  // namespace dvsync::test
