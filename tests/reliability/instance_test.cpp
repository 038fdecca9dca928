// T17 and T18 of the reliability plan: a second daemon on the same database refuses to start and
// leaves the first alone; SIGTERM in the middle of a cycle exits 0 promptly with the database
// consistent, and the next start resumes.
#include "reliability.hpp"

#include <fmt/format.h>

#include <csignal>
#include <filesystem>
#include <random>
#include <sys/stat.h>
#include <thread>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;

class instance_test : public reliability_test {
 protected:
  // Waits until the first cycle has stored a delta link.
  bool wait_for_first_cycle(std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (std::filesystem::exists(db_path_)) {
        try {
          if (!stored_delta_link(db_path_, "sample_book").empty()) return true;
        } catch (std::exception const&) {
          // Not created yet.
        }
      }
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  std::string file_stamp(std::string const& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return "absent";
    return fmt::format("{} bytes, modified {}.{:09}", st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  }
};

TEST_F(instance_test, a_second_daemon_on_the_same_database_refuses_to_start) {
  start_emulator({"--seed", "500"});
  config_overrides o;
  o.page_size = 100;
  o.interval_s = 3600;  // after its first cycle the first daemon stays idle: any write is the second's
  use_fresh_database("single", o);
  auto first = start_daemon("first.log");
  ASSERT_TRUE(wait_for_first_cycle(30s)) << read_file((dir_ / "first.log").string());
  // At start the daemon also reads and stores the change-tracking retention; after that it is idle.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (read_file((dir_ / "first.log").string()).find("event=token.retention") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  // The checkpoint a cycle leaves runs on the store thread after it: wait until the files rest.
  for (auto rest = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < rest;) {
    auto const db = file_stamp(db_path_), wal = file_stamp(db_path_ + "-wal");
    std::this_thread::sleep_for(300ms);
    if (file_stamp(db_path_) == db && file_stamp(db_path_ + "-wal") == wal) break;
  }
  auto const db_before = file_stamp(db_path_), wal_before = file_stamp(db_path_ + "-wal");
  auto const lock_before = read_file(db_path_ + "-lock");
  EXPECT_EQ(lock_before, fmt::format("{}\n", first.pid()));

  auto second = dvsync({"run"});
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.err.find("in use by another dvsync"), std::string::npos) << second.err;
  auto third = once();
  EXPECT_NE(third.exit_code, 0);
  EXPECT_NE(third.err.find("in use by another dvsync"), std::string::npos) << third.err;

  EXPECT_EQ(file_stamp(db_path_), db_before) << "the refused daemon wrote to the database";
  EXPECT_EQ(file_stamp(db_path_ + "-wal"), wal_before) << "the refused daemon wrote to the WAL";
  EXPECT_EQ(read_file(db_path_ + "-lock"), lock_before) << "the refused daemon touched the lock";
  EXPECT_TRUE(first.running()) << "the first daemon must be unaffected";
  first.signal(SIGTERM);
  EXPECT_EQ(first.wait(15s), 0);
  std::string problems = converge_and_check();
  EXPECT_EQ(problems, "");
  report_figure("T17", "second_instance_refused", HasFailure() ? "fail" : "pass",
                "refused_with_an_error,nothing_written,the_first_unaffected");
}

TEST_F(instance_test, sigterm_while_a_page_is_in_flight_exits_0_and_the_restart_resumes) {
  start_emulator({"--seed", "500"});
  config_overrides o;
  o.page_size = 100;
  use_fresh_database("held", o);
  // The third page is held long enough to stop the daemon while it waits for it.
  faults(R"([{"match":{"method":"GET","path":"sample_books","skip":2},"delay_ms":30000,"count":1}])");
  auto daemon = start_daemon("held.log");
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (requests("/sample_books", 200) < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(300ms);
  auto stopping = std::chrono::steady_clock::now();
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(10s), 0) << read_file((dir_ / "held.log").string());
  EXPECT_LT(seconds_since(stopping), 5.0) << "a held request must not delay the stop";
  EXPECT_EQ(state("pages_staged"), "2");
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM sample_book"), "0");
  EXPECT_EQ(integrity_check(db_path_), "ok");
  faults("[]");
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("initial sync, resumed, 3 pages"), std::string::npos) << r.out;
  EXPECT_EQ(check_converged(), "");
}

TEST_F(instance_test, sigterm_at_random_moments_of_a_cycle_exits_0_and_leaves_the_database_consistent) {
  int const rows = scaled(20'000, 100'000);
  int const page = scaled(1000, 5000);
  int const runs = scaled(3, 20);
  start_emulator({"--seed", std::to_string(rows)});
  config_overrides o;
  o.page_size = page;
  use_fresh_database("calibration", o);
  auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(once().exit_code, 0);
  auto window = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);

  std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<std::int64_t> when(0, window.count());
  int clean_exits = 0, converged = 0;
  std::vector<double> latency;
  for (int run = 0; run < runs; ++run) {
    SCOPED_TRACE(fmt::format("run {}", run));
    use_fresh_database(fmt::format("term{}", run), o);
    auto daemon = start_daemon(fmt::format("term{}.log", run));
    // Between exec and dvsync's first instruction a signal can only have its default action: the
    // window starts once dvsync runs, which its creating the database shows.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!std::filesystem::exists(db_path_) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(std::chrono::microseconds(when(rng)));
    auto stopping = std::chrono::steady_clock::now();
    daemon.signal(SIGTERM);
    int const status = daemon.wait(20s);
    latency.push_back(seconds_since(stopping));
    EXPECT_EQ(status, 0) << read_file((dir_ / fmt::format("term{}.log", run)).string());
    if (status == 0) ++clean_exits;
    std::string problems;
    if (std::filesystem::exists(db_path_)) {
      if (auto ic = integrity_check(db_path_); ic != "ok") problems += "integrity_check: " + ic + "; ";
      try {
        auto n = std::stoll(query_text(db_path_, "SELECT count(*) FROM sample_book"));
        if (n != 0 && n != rows) problems += fmt::format("a reader would see {} of {} rows; ", n, rows);
      } catch (std::exception const&) {
        // Stopped before the mirror table existed.
      }
    }
    problems += converge_and_check();
    EXPECT_EQ(problems, "");
    if (problems.empty()) ++converged;
  }
  report_figure("T18", "sigterm.exit_0", fmt::format("{}/{}", clean_exits, runs), "runs stopped at a random moment");
  report_figure("T18", "sigterm.converged", fmt::format("{}/{}", converged, runs));
  report_figure("T18", "sigterm.shutdown_s_max", format_seconds(quantile(latency, 1.0)));
}

}  // namespace
}  // namespace dvsync::test
