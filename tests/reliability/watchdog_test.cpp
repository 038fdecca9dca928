// T19 of the reliability plan, the watchdog: the test plays systemd for a unit with
// WatchdogSec=W, Restart=on-failure and TimeoutAbortSec=A (systemd.service(5)): it hands the
// daemon a notify socket and WATCHDOG_USEC, and when no WATCHDOG=1 has come for W it sends
// SIGABRT, then SIGKILL after A if the process is still there, and starts the daemon again. The
// daemon is frozen (SIGSTOP), or one of its threads stops for good at a hang point
// (DVSYNC_HANG_AT: the io thread, which runs the loop and the pings, or the store thread, behind
// which the loop waits without progress); each must be detected, restarted and converge. A server
// that never answers is not a hang: requests end at their deadline, and the pings must go on.
#include "notify_socket.hpp"
#include "reliability.hpp"
#include "watch.hpp"

#include <fmt/format.h>

#include <csignal>
#include <optional>
#include <thread>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr auto watchdog_sec = 3s;       // WatchdogSec=
constexpr auto timeout_abort_sec = 3s;  // TimeoutAbortSec=
// The daemon pings every half WatchdogSec (sd_watchdog_enabled(3)): the watchdog fires between
// one and two such periods after the last ping.
constexpr double ping_period_s = 1.5;
constexpr int rows = 2000;
constexpr int page_size = 200;

// Short deadlines, so that the daemon's stall limit (ops::limits_for: the longest legitimate step,
// here 2 x request_timeout_s = 4 s, plus a margin of 60 s) is reached within the test.
config_overrides watched_config() {
  config_overrides o;
  o.interval_s = 1;
  o.page_size = page_size;
  o.max_attempts = 2;
  o.backoff_base_s = 1;
  o.backoff_cap_s = 2;
  o.retry_after_cap_s = 2;
  o.request_timeout_s = 2;
  return o;
}
constexpr auto stall_limit = 4s + 60s;

class watchdog_test : public reliability_test {
 protected:
  void SetUp() override {
    reliability_test::SetUp();
    // A server that never answers holds every read for 60 s, and the emulator counts those 60 s as
    // execution time when each read ends: the 27 reads of one run made 1,620 s, past Microsoft's
    // 1,200 s per 300 s some 45 s after the server answers again, while the test waits for the
    // daemon to converge (which would then be refused for minutes). That limit is tested elsewhere.
    start_emulator({"--seed", std::to_string(rows), "--execution-limit", "off"});
    use_fresh_database("watchdog", watched_config());
    manager_.emplace((dir_ / "notify.sock").string());
  }

  // ExecStart: the daemon with the manager's socket and watchdog, and `env`. Returns once it said
  // READY=1 (the watchdog runs from then on), or fails the test.
  void start(std::string const& log_name, environment env = {}) {
    ready_ = false;
    missed_ping_ = false;
    env["NOTIFY_SOCKET"] = manager_->path();
    env["WATCHDOG_USEC"] = std::to_string(std::chrono::microseconds(watchdog_sec).count());
    env["WATCHDOG_PID"] = "";
    env["JOURNAL_STREAM"] = "";
    log_name_ = log_name;
    daemon_.emplace(start_daemon(log_name, env));
    auto const deadline = steady::now() + 20s;
    while (!ready_ && steady::now() < deadline) {
      poll();
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(ready_) << "no READY=1 within 20 s: " << log();
  }

  std::string log() const { return read_file((dir_ / log_name_).string()); }

  // Reads the notifications that arrived; a WATCHDOG=1 resets the timer, as systemd's does. A
  // running daemon that let WatchdogSec pass without one is remembered (`missed_ping_`): outside
  // the faults, the watchdog must never have reason to fire.
  void poll() {
    std::vector<std::string> messages;
    manager_->drain(messages);
    for (auto const& m : messages) {
      if (m == "READY=1") {
        ready_ = true;
        last_ping_ = steady::now();
      } else if (m == "WATCHDOG=1") {
        ++pings_;
        last_ping_ = steady::now();
      }
    }
    if (ready_ && steady::now() - last_ping_ > watchdog_sec) missed_ping_ = true;
  }

  void idle(std::chrono::milliseconds how_long) {
    auto const until = steady::now() + how_long;
    while (steady::now() < until) {
      poll();
      std::this_thread::sleep_for(20ms);
    }
  }

  // Before a fault: the daemon has been pinging, and never late.
  void expect_healthy_pings() {
    poll();
    EXPECT_GT(pings_, 0) << "no WATCHDOG=1 from a healthy daemon: " << log();
    EXPECT_FALSE(missed_ping_) << "a healthy daemon let WatchdogSec pass without WATCHDOG=1: " << log();
  }

  // Watches for up to `how_long` from now; returns when the watchdog fired (no ping for WatchdogSec).
  std::optional<steady::time_point> watch(std::chrono::seconds how_long) {
    auto const until = steady::now() + how_long;
    while (steady::now() < until) {
      poll();
      if (steady::now() - last_ping_ > watchdog_sec) return steady::now();
      std::this_thread::sleep_for(20ms);
    }
    return std::nullopt;
  }

  // A clean stop (systemctl stop): SIGTERM, exit 0.
  void stop() {
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait(20s), 0) << log();
    poll();
    ready_ = false;
  }

  // What systemd does when the watchdog fires: SIGABRT, then SIGKILL once TimeoutAbortSec passed.
  // Returns how the process ended (-signal).
  int abort_then_kill() {
    daemon_->signal(SIGABRT);
    int status = daemon_->wait(timeout_abort_sec);
    if (status == -1000) {
      daemon_->signal(SIGKILL);
      status = daemon_->wait(10s);
    }
    ready_ = false;
    return status;
  }

  // Waits until the daemon's log shows `count` finished cycles.
  bool wait_for_cycles(int count, std::chrono::seconds timeout) {
    auto const deadline = steady::now() + timeout;
    while (steady::now() < deadline) {
      poll();
      if (cycles_done() >= count) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  int cycles_done() const {
    auto const text = log();
    int n = 0;
    for (std::size_t at = text.find("event=cycle.done"); at != std::string::npos; at = text.find("event=cycle.done", at + 1)) ++n;
    return n;
  }

  bool wait_for_log(std::string const& needle, std::chrono::seconds timeout) {
    auto const deadline = steady::now() + timeout;
    while (steady::now() < deadline) {
      poll();
      if (log().find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  // 20% of the rows change: the next delta has several pages.
  void change_source(std::uint64_t seed) {
    auto r = emulator_->control("mutate", fmt::format(R"({{"fraction":0.2,"seed":{},"create":0.25,"update":0.5,"delete":0.25}})", seed));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // A first daemon makes the initial sync and stops; the source changes; the next daemon reads
  // the delta with a hang point armed for the arrival-th time it reaches `point`. Returns once a
  // thread stopped there.
  void hang_in_a_delta(std::string const& point, int arrival, std::string const& log_name) {
    ASSERT_NO_FATAL_FAILURE(start("initial.log"));
    ASSERT_TRUE(wait_for_cycles(1, 60s)) << log();
    expect_healthy_pings();
    stop();
    change_source(static_cast<std::uint64_t>(arrival) + point.size());
    ASSERT_NO_FATAL_FAILURE(start(log_name, {{"DVSYNC_HANG_AT", fmt::format("{}:{}", point, arrival)}}));
    ASSERT_TRUE(wait_for_log(fmt::format("hang point {} reached", point), 30s)) << log();
    expect_healthy_pings();
  }

  // After a restart by the manager: the daemon syncs again, stops cleanly, and the oracle holds.
  void restarted_daemon_converges(std::string const& name, steady::time_point since) {
    auto const integrity = integrity_check(db_path_);
    EXPECT_EQ(integrity, "ok") << "after the watchdog's kill";
    ASSERT_NO_FATAL_FAILURE(start(name + "-restarted.log"));
    report_figure("T19", name + ".restart_s", format_seconds(std::chrono::duration<double>(steady::now() - since).count()),
                  "from the fault to READY=1 of the restarted daemon");
    EXPECT_TRUE(wait_for_cycles(1, 30s)) << log();
    expect_healthy_pings();
    stop();
    auto const problems = converge_and_check();
    EXPECT_EQ(problems, "");
    report_figure("T19", name + ".converged", problems.empty() && integrity == "ok" ? "pass" : "FAIL",
                  "integrity after the kill, then the oracle");
  }

  std::optional<notify_socket> manager_;
  std::optional<child> daemon_;
  std::string log_name_;
  bool ready_ = false;
  bool missed_ping_ = false;
  int pings_ = 0;
  steady::time_point last_ping_;
};

TEST_F(watchdog_test, a_frozen_daemon_is_killed_after_watchdog_sec_and_the_restarted_one_converges) {
  ASSERT_NO_FATAL_FAILURE(start("frozen.log"));
  ASSERT_TRUE(wait_for_cycles(1, 60s)) << log();
  change_source(1);
  // Somewhere in the delta cycles that follow, one a second.
  idle(700ms);
  expect_healthy_pings();

  daemon_->signal(SIGSTOP);
  auto const frozen = steady::now();
  auto const fired = watch(watchdog_sec + 10s);
  ASSERT_TRUE(fired) << "pings went on from a stopped process";
  double const detection = std::chrono::duration<double>(*fired - frozen).count();
  double const watchdog_s = std::chrono::duration<double>(watchdog_sec).count();
  EXPECT_GE(detection, watchdog_s - ping_period_s - 0.1);
  EXPECT_LE(detection, watchdog_s + 2);
  // A stopped process keeps SIGABRT pending: only SIGKILL ends it, as systemd's does after
  // TimeoutAbortSec.
  int const status = abort_then_kill();
  EXPECT_EQ(status, -SIGKILL);
  report_figure("T19", "frozen.detection_s", format_seconds(detection), "SIGSTOP to the watchdog firing (WatchdogSec 3 s)");
  report_figure("T19", "frozen.ended_by", status == -SIGKILL ? "SIGKILL" : std::to_string(status),
                "SIGABRT stays pending in a stopped process; SIGKILL after TimeoutAbortSec");
  restarted_daemon_converges("frozen", frozen);
}

TEST_F(watchdog_test, a_hung_io_thread_stops_the_pings_and_is_aborted_and_restarted) {
  if (!crash_points_available()) GTEST_SKIP() << "dvsync was built without DVSYNC_CRASH_POINTS";
  // The io thread stops after the delta's second page arrived: nothing runs the loop any more.
  ASSERT_NO_FATAL_FAILURE(hang_in_a_delta("after_fetch", 2, "io-hang.log"));
  auto const hung = steady::now();
  auto const fired = watch(watchdog_sec + 10s);
  ASSERT_TRUE(fired) << "pings went on from a hung io thread";
  double const detection = std::chrono::duration<double>(*fired - hung).count();
  double const watchdog_s = std::chrono::duration<double>(watchdog_sec).count();
  EXPECT_GE(detection, watchdog_s - ping_period_s - 0.1);
  EXPECT_LE(detection, watchdog_s + 2);
  int const status = abort_then_kill();
  EXPECT_EQ(status, -SIGABRT);
  report_figure("T19", "io_thread_hang.detection_s", format_seconds(detection),
                "the hang to the watchdog firing (WatchdogSec 3 s): the pings stop with the loop");
  report_figure("T19", "io_thread_hang.ended_by", status == -SIGABRT ? "SIGABRT" : std::to_string(status));
  restarted_daemon_converges("io_thread_hang", hung);
}

TEST_F(watchdog_test, a_hung_store_thread_is_a_stall_once_no_step_could_take_that_long) {
  if (!crash_points_available()) GTEST_SKIP() << "dvsync was built without DVSYNC_CRASH_POINTS";
  // The store thread stops inside a write transaction; the loop lives on, waiting for it, and so
  // do the pings until the last progress is older than the stall limit.
  ASSERT_NO_FATAL_FAILURE(hang_in_a_delta("mid_apply", 1, "store-hang.log"));
  auto const hung = steady::now();
  auto const fired = watch(std::chrono::duration_cast<std::chrono::seconds>(stall_limit + watchdog_sec + 15s));
  ASSERT_TRUE(fired) << "pings went on long after the stall limit: " << log();
  double const detection = std::chrono::duration<double>(*fired - hung).count();
  double const limit = std::chrono::duration<double>(stall_limit).count();
  // Not before the limit (a slow commit is not a hang), and within a ping period of it.
  EXPECT_GE(detection, limit - 1);
  EXPECT_LE(detection, limit + std::chrono::duration<double>(watchdog_sec).count() + 5);
  EXPECT_NE(log().find("event=watchdog.stalled"), std::string::npos) << log();
  int const status = abort_then_kill();
  EXPECT_EQ(status, -SIGABRT);
  report_figure("T19", "store_thread_hang.detection_s", format_seconds(detection),
                fmt::format("the hang to the watchdog firing: the daemon's stall limit ({} s: 2 x request_timeout_s + 60 s) "
                            "plus at most WatchdogSec",
                            std::chrono::duration_cast<std::chrono::seconds>(stall_limit).count()));
  report_figure("T19", "store_thread_hang.ended_by", status == -SIGABRT ? "SIGABRT" : std::to_string(status));
  restarted_daemon_converges("store_thread_hang", hung);
}

TEST_F(watchdog_test, a_server_that_never_answers_is_not_a_stall) {
  ASSERT_NO_FATAL_FAILURE(start("silent-server.log"));
  ASSERT_TRUE(wait_for_cycles(1, 60s)) << log();
  change_source(4);
  // Every read waits far longer than request_timeout_s: each attempt ends at its deadline.
  faults(R"([{"match":{"method":"GET","path":"sample_books"},"count":-1,"delay_ms":60000}])");
  expect_healthy_pings();
  int const pings_before = pings_;
  // Longer than the stall limit: attempts that end at their deadline are progress.
  auto const watched = std::chrono::duration_cast<std::chrono::seconds>(stall_limit + watchdog_sec + 5s);
  auto const fired = watch(watched);
  EXPECT_FALSE(fired) << "the watchdog fired while requests were timing out: " << log();
  auto const text = log();
  int timeouts = 0;
  for (std::size_t at = text.find("no complete response from"); at != std::string::npos;
       at = text.find("no complete response from", at + 1))
    ++timeouts;
  EXPECT_GE(timeouts, 10) << text;
  int const pings_during = pings_ - pings_before;
  EXPECT_GE(pings_during, static_cast<int>(static_cast<double>(watched.count()) / ping_period_s * 0.8));
  faults("[]");
  int const cycles = cycles_done();
  EXPECT_TRUE(wait_for_cycles(cycles + 1, 30s)) << log();
  stop();
  auto const problems = converge_and_check();
  EXPECT_EQ(problems, "");
  report_figure("T19", "silent_server.watchdog_fired", fired ? "yes" : "no",
                fmt::format("{} s of requests that never answer, past the stall limit ({} timed out, {} pings meanwhile)",
                            watched.count(), timeouts, pings_during));
  report_figure("T19", "silent_server.converged", problems.empty() ? "pass" : "FAIL", "after the server answered again");
}

}  // namespace
}  // namespace dvsync::test
