// T1 and T2 of the reliability plan: dvsync killed at random moments of a large initial sync and
// of large deltas, and at every named crash point; each time a restart must converge, fetching
// again only the pages that were in flight, and the database must never show a partial cycle.
#include "reliability.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;

// Pages a kill can cost twice: the engine fetches ahead while it commits page k, up to two pages
// waiting (sync/page_pipeline), so at any moment three pages are in flight: the one being
// committed and the two after it.
constexpr std::int64_t pages_in_flight = 3;

// The seed of the random kill times: DVSYNC_RELIABILITY_SEED replays a run.
std::uint64_t run_seed() {
  if (char const* s = std::getenv("DVSYNC_RELIABILITY_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

class crash_test : public reliability_test {
 protected:
  // Rows in the mirror table, or nullopt when the database or the table does not exist yet.
  std::optional<std::int64_t> mirror_rows() {
    if (!std::filesystem::exists(db_path_)) return std::nullopt;
    try {
      return std::stoll(query_text(db_path_, "SELECT count(*) FROM sample_book"));
    } catch (std::exception const&) {
      return std::nullopt;
    }
  }

  // True when the cycle that was running when the process died had committed its end.
  bool cycle_finished(std::string const& link_before) {
    if (!std::filesystem::exists(db_path_)) return false;
    try {
      return state("cycle_kind").empty() && stored_delta_link(db_path_, "sample_book") != link_before;
    } catch (std::exception const&) {
      return false;
    }
  }

  struct kill_outcome {
    int status = 0;                // as child::wait: -9 when killed
    std::int64_t refetched = 0;    // pages of the cycle fetched twice, before and after the kill
    double recovery_s = 0;         // the restart's wall time
    std::string problems;          // empty when the run converged
  };

  // Starts `once`, kills it after `delay`, checks what a reader would see, restarts to completion
  // and runs the oracle. `before` is the mirror before the cycle, `cycle_pages` the pages of the
  // cycle when nothing is fetched twice.
  kill_outcome kill_and_recover(std::string const& log, std::chrono::microseconds delay, row_set const& before,
                                int cycle_pages) {
    kill_outcome k;
    auto link_before = std::filesystem::exists(db_path_) ? stored_delta_link(db_path_, "sample_book") : std::string();
    auto gets_before = table_gets();
    auto c = start_once(log);
    std::this_thread::sleep_for(delay);
    c.signal(SIGKILL);
    k.status = c.wait(10s);
    // The emulator counts a request once it has answered it: let it finish with the dead client.
    std::this_thread::sleep_for(100ms);
    auto const gets_killed = table_gets();
    bool const finished = cycle_finished(link_before);

    // What readers can see now: the mirror as of one complete cycle, never a part of one.
    if (std::filesystem::exists(db_path_)) {
      if (auto ic = integrity_check(db_path_); ic != "ok") k.problems += "integrity_check after the kill: " + ic + "; ";
      if (mirror_rows()) {
        auto now = mirror();
        if (!compare(before, now).empty() && !compare(source(), now).empty())
          k.problems += fmt::format("after the kill the mirror ({} rows) is neither the previous cycle's ({} rows) "
                                    "nor the source's; ",
                                    now.size(), before.size());
      }
    }
    auto started = std::chrono::steady_clock::now();
    auto r = once();
    k.recovery_s = seconds_since(started);
    // A finished cycle was fetched once; the restart's GET then belongs to the next cycle.
    auto const fetched = static_cast<std::int64_t>((finished ? gets_killed : table_gets()) - gets_before);
    k.refetched = fetched - cycle_pages;
    if (r.exit_code != 0) {
      k.problems += fmt::format("the restart failed (exit {}): {}{}; ", r.exit_code, r.err, r.out);
      return k;
    }
    k.problems += check_converged();
    return k;
  }

  void report_runs(std::string const& name, int runs, int converged, std::vector<double> const& recovery,
                   std::int64_t max_refetched, std::int64_t total_refetched, int finished_before_kill) {
    report_figure("T1", name + ".converged", fmt::format("{}/{}", converged, runs), "runs");
    report_figure("T1", name + ".pages_refetched_max", std::to_string(max_refetched),
                  fmt::format("per kill: pages fetched before the kill and again after it (at most {}: the page being "
                              "committed and the two after it, fetched meanwhile)",
                              pages_in_flight));
    report_figure("T1", name + ".pages_refetched_total", std::to_string(total_refetched));
    report_figure("T1", name + ".recovery_s_p50", format_seconds(quantile(recovery, 0.5)));
    report_figure("T1", name + ".recovery_s_p95", format_seconds(quantile(recovery, 0.95)));
    report_figure("T1", name + ".recovery_s_max", format_seconds(quantile(recovery, 1.0)));
    report_figure("T1", name + ".finished_before_kill", std::to_string(finished_before_kill), "runs whose cycle ended before the kill");
  }
};

TEST_F(crash_test, kill_at_random_moments_of_an_initial_sync_then_restart) {
  int const rows = 100'000;
  int const page = 5000;
  int const runs = scaled(5, 50);
  auto const seed = run_seed();
  std::printf("T1 initial sync: %d rows, pages of %d, %d runs, DVSYNC_RELIABILITY_SEED=%llu\n", rows, page, runs,
              static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  start_emulator({"--seed", std::to_string(rows)});
  config_overrides o;
  o.page_size = page;

  // One undisturbed sync measures the window in which the kills fall.
  use_fresh_database("calibration", o);
  auto started = std::chrono::steady_clock::now();
  auto first = once();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto window = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  ASSERT_EQ(compare_with_source(), "");
  report_figure("T1", "initial_sync.undisturbed_s", format_seconds(window.count() / 1e6),
                fmt::format("{}_rows_pages_of_{}", rows, page));

  int const pages = count_pages(initial_url(), page);
  std::uniform_int_distribution<std::int64_t> when(0, window.count());
  int converged = 0, finished_before_kill = 0;
  std::int64_t max_refetched = 0, total_refetched = 0;
  std::vector<double> recovery;
  for (int run = 0; run < runs; ++run) {
    use_fresh_database(fmt::format("run{}", run), o);
    std::chrono::microseconds delay{when(rng)};
    auto k = kill_and_recover(fmt::format("run{}.log", run), delay, row_set{}, pages);
    if (k.status == 0) ++finished_before_kill;
    else EXPECT_EQ(k.status, -SIGKILL) << "run " << run;
    EXPECT_LE(k.refetched, pages_in_flight) << "run " << run << ": only pages in flight may be fetched again";
    EXPECT_EQ(k.problems, "") << "run " << run << " (kill after " << delay.count() << " us)";
    if (k.problems.empty()) ++converged;
    max_refetched = std::max(max_refetched, k.refetched);
    total_refetched += k.refetched;
    recovery.push_back(k.recovery_s);
    std::printf("run %d: kill after %.3f s, refetched %lld, recovery %.3f s%s\n", run, delay.count() / 1e6,
                static_cast<long long>(k.refetched), k.recovery_s, k.problems.empty() ? "" : ", FAILED");
  }
  report_runs("initial_sync", runs, converged, recovery, max_refetched, total_refetched, finished_before_kill);
}

TEST_F(crash_test, kill_at_random_moments_of_large_deltas_then_restart) {
  int const rows = 100'000;
  int const page = 5000;
  int const runs = scaled(5, 50);
  auto const seed = run_seed();
  std::printf("T1 deltas: %d rows, pages of %d, %d runs, 10-20%% of rows changed each, DVSYNC_RELIABILITY_SEED=%llu\n", rows,
              page, runs, static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  start_emulator({"--seed", std::to_string(rows)});
  config_overrides o;
  o.page_size = page;
  use_fresh_database("deltas", o);
  ASSERT_EQ(once().exit_code, 0);

  std::uniform_real_distribution<double> fraction(0.10, 0.20);
  auto mutate = [&](int s) {
    auto r = emulator_->control("mutate", fmt::format(R"({{"fraction":{:.3f},"seed":{},"create":0.2,"update":0.7,"delete":0.1}})",
                                                      fraction(rng), s));
    ASSERT_EQ(r.status, 200) << r.body;
  };
  mutate(1000);
  auto started = std::chrono::steady_clock::now();
  auto calibration = once();
  ASSERT_EQ(calibration.exit_code, 0) << calibration.err;
  auto window = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  auto shape = parse_summary(calibration.out);
  ASSERT_TRUE(shape) << calibration.out;
  report_figure("T1", "delta.undisturbed_s", format_seconds(window.count() / 1e6),
                fmt::format("{}_pages,{}_upserts,{}_deletes", shape->pages, shape->upserts, shape->deletes));

  std::uniform_int_distribution<std::int64_t> when(0, window.count());
  int converged = 0, finished_before_kill = 0;
  std::int64_t max_refetched = 0, total_refetched = 0;
  std::vector<double> recovery;
  for (int run = 0; run < runs; ++run) {
    mutate(run + 1);
    auto before = mirror();
    int const pages = count_pages(stored_delta_link(db_path_, "sample_book"), page);
    std::chrono::microseconds delay{when(rng)};
    auto k = kill_and_recover(fmt::format("delta{}.log", run), delay, before, pages);
    if (k.status == 0) ++finished_before_kill;
    else EXPECT_EQ(k.status, -SIGKILL) << "run " << run;
    EXPECT_LE(k.refetched, pages_in_flight) << "run " << run << ": only pages in flight may be fetched again";
    EXPECT_EQ(k.problems, "") << "run " << run << " (kill after " << delay.count() << " us)";
    if (k.problems.empty()) ++converged;
    max_refetched = std::max(max_refetched, k.refetched);
    total_refetched += k.refetched;
    recovery.push_back(k.recovery_s);
    std::printf("run %d: kill after %.3f s, refetched %lld, recovery %.3f s%s\n", run, delay.count() / 1e6,
                static_cast<long long>(k.refetched), k.recovery_s, k.problems.empty() ? "" : ", FAILED");
  }
  report_runs("delta", runs, converged, recovery, max_refetched, total_refetched, finished_before_kill);
}

// T2: DVSYNC_CRASH_AT=<point>:<n> kills the process the n-th time it reaches the point, in an
// initial sync, a delta and a full resync after token expiry.
TEST_F(crash_test, every_crash_point_in_every_kind_of_cycle_then_restart) {
  if (!crash_points_available()) GTEST_SKIP() << "built without DVSYNC_CRASH_POINTS";
  int const rows = 600, page = 100;  // 6 pages in a full read, 3 in the deltas below
  std::vector<int> const arrivals = long_form() ? std::vector<int>{1, 2, 3, 4, 5, 6} : std::vector<int>{1, 3};
  start_emulator({"--seed", std::to_string(rows)});
  config_overrides o;
  o.page_size = page;

  int mutation = 0;
  auto prepare = [&](std::string const& kind, std::string const& name) {
    if (kind == "initial") {
      use_fresh_database(name, o);
      return;
    }
    if (db_path_.find("steady") == std::string::npos) {
      use_fresh_database("steady", o);
      ASSERT_EQ(once().exit_code, 0);
    }
    double fraction = kind == "delta" ? 0.5 : 0.05;
    // As many created as deleted: the table keeps its size, and the cycles their page counts.
    auto r = emulator_->control(
        "mutate", fmt::format(R"({{"fraction":{},"seed":{},"create":0.1,"update":0.8,"delete":0.1}})", fraction, ++mutation));
    ASSERT_EQ(r.status, 200) << r.body;
    if (kind == "resync") {
      ASSERT_EQ(emulator_->control("expire-tokens").status, 200);
    }
  };

  std::map<std::string, std::pair<int, int>> per_point;  // passed, runs
  for (auto const& point : crash_point_names()) {
    for (std::string kind : {"initial", "delta", "resync"}) {
      for (int n : arrivals) {
        // The merge happens once per cycle; every other point once per page.
        bool const reachable = point == "final_merge" ? n == 1 : n <= (kind == "delta" ? 3 : 6);
        if (!reachable) continue;
        auto name = fmt::format("{}-{}-{}", point, kind, n);
        SCOPED_TRACE(name);
        prepare(kind, name);
        if (HasFatalFailure()) return;
        auto before = kind == "initial" ? row_set{} : mirror();
        auto crashed = dvsync({"once"}, {{"DVSYNC_CRASH_AT", fmt::format("{}:{}", point, n)}});
        std::string problems;
        if (crashed.signal != SIGKILL ||
            crashed.err.find(fmt::format("crash point {} reached ({})", point, n)) == std::string::npos)
          problems += fmt::format("did not crash at {}:{} (exit {}, signal {}): {}; ", point, n, crashed.exit_code,
                                  crashed.signal, crashed.err);
        if (std::filesystem::exists(db_path_)) {
          if (auto ic = integrity_check(db_path_); ic != "ok") problems += "integrity_check after the crash: " + ic + "; ";
          auto now = mirror();
          if (!compare(before, now).empty() && !compare(source(), now).empty())
            problems += "after the crash the mirror is neither the previous cycle's nor the source's; ";
        }
        problems += converge_and_check();
        EXPECT_EQ(problems, "");
        auto& [passed, total] = per_point[point];
        ++total;
        if (problems.empty()) ++passed;
      }
    }
  }
  for (auto const& [point, counts] : per_point)
    report_figure("T2", point + ".passed", fmt::format("{}/{}", counts.first, counts.second),
                  "crash-then-restart runs (initial, delta, resync)");
}

}  // namespace
}  // namespace dvsync::test
