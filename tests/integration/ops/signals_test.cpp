// Signals and the service manager, with the real daemon: SIGTERM in the middle of a cycle, a second
// SIGTERM during retries, SIGHUP, and the notify protocol on a fake $NOTIFY_SOCKET.
#include "notify_socket.hpp"
#include "ops_fixture.hpp"

#include <algorithm>
#include <csignal>
#include <thread>
#include <vector>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

bool contains(std::string const& haystack, std::string const& needle) { return haystack.find(needle) != std::string::npos; }

class signals_test : public ops_test {
 protected:
  // Polls a dvsync_table_state column until it reads `value`.
  bool wait_for_state(std::string const& column, std::string const& value, std::chrono::milliseconds timeout) {
    auto const deadline = steady::now() + timeout;
    while (steady::now() < deadline) {
      try {
        if (state(column) == value) return true;
      } catch (std::exception const&) {
        // The database or its state row does not exist yet.
      }
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
};

TEST_F(signals_test, sigterm_during_a_held_page_exits_0_at_once_and_the_next_run_resumes) {
  create_books(0, 9);
  config_overrides o;
  o.page_size = 3;
  write_config(o);
  // The second page takes 30 s to come: the cycle is in the middle of its initial read.
  faults(R"([{"match":{"method":"GET","path":"sample_books","skip":1},"delay_ms":30000,"count":1}])");
  auto d = start_daemon();
  ASSERT_TRUE(wait_for_state("pages_staged", "1", 20s)) << log();

  auto const sent = steady::now();
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait(10s), 0) << log();
  EXPECT_LT(steady::now() - sent, 10s);
  EXPECT_TRUE(contains(log(), "event=cycle.stopped")) << log();
  EXPECT_TRUE(contains(log(), "event=daemon.stopped")) << log();

  // Consistent: sound, nothing half-merged, the committed page staged with its cursor.
  EXPECT_EQ(integrity_check(db_path_), "ok");
  EXPECT_TRUE(mirror().empty());
  EXPECT_EQ(state("pages_staged"), "1");
  EXPECT_FALSE(state("cursor").empty());

  faults("[]");
  auto resumed = once();
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_TRUE(contains(resumed.out, "initial sync, resumed, 3 pages")) << resumed.out;
  expect_mirror_equals_source();
}

TEST_F(signals_test, a_second_sigterm_while_retrying_ends_the_daemon_at_once) {
  create_books(0, 4);
  write_config();
  faults(R"([{"match":{"method":"GET","path":"sample_books"},"status":503,"retry_after":20,"count":-1}])");
  auto d = start_daemon();
  ASSERT_TRUE(wait_for_log("event=dataverse.retry", 20s)) << log();

  auto const sent = steady::now();
  d.signal(SIGTERM);
  d.signal(SIGTERM);
  int const rc = d.wait(3s);
  EXPECT_LT(steady::now() - sent, 3s);
  // Whichever wins the race, the first stop's clean exit or the second's abort, it is immediate.
  // On a loaded machine the second signal can also come after the daemon finished stopping and
  // its signal handling was gone: SIGTERM's default action then ends a process that had stopped
  // cleanly anyway (systemd counts a SIGTERM death of a service as clean).
  bool const late_second = rc == -SIGTERM && contains(log(), "event=daemon.stopped");
  EXPECT_TRUE(rc == 0 || rc == 1 || late_second) << rc << "\n" << log();
  if (rc == 1) {
    EXPECT_TRUE(contains(log(), "event=daemon.abort")) << log();
  }
  EXPECT_EQ(integrity_check(db_path_), "ok");

  faults("[]");
  auto next = once();
  ASSERT_EQ(next.exit_code, 0) << next.err;
  expect_mirror_equals_source();
}

TEST_F(signals_test, sighup_is_logged_and_the_daemon_keeps_syncing) {
  create_books(0, 2);
  config_overrides o;
  o.interval_s = 1;
  write_config(o);
  auto d = start_daemon();
  ASSERT_TRUE(wait_for_log("event=cycle.done", 20s)) << log();
  d.signal(SIGHUP);
  ASSERT_TRUE(wait_for_log("event=signal.hup", 10s)) << log();
  auto const cycles = [this] {
    auto text = log();
    int n = 0;
    for (auto p = text.find("event=cycle.done"); p != std::string::npos; p = text.find("event=cycle.done", p + 1)) ++n;
    return n;
  };
  int const after_hup = cycles();
  ASSERT_TRUE(wait_for_log("event=cycle.done", 20s, after_hup + 2)) << log();
  EXPECT_TRUE(d.running());
  EXPECT_FALSE(contains(log(), "event=daemon.stopping")) << log();

  create_book(100);
  ASSERT_TRUE(wait_for_log("event=cycle.done", 20s, cycles() + 2)) << log();
  expect_mirror_equals_source();
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait(10s), 0);
}

TEST_F(signals_test, notify_socket_gets_ready_then_status_and_watchdog_then_stopping) {
  create_books(0, 2);
  config_overrides o;
  o.interval_s = 1;
  write_config(o);
  notify_socket manager((dir_ / "notify.sock").string());
  // WATCHDOG_USEC of 200 ms: a keep-alive every 100 ms while the loop makes progress.
  auto d = start_daemon("daemon.log", {{"NOTIFY_SOCKET", manager.path()}, {"WATCHDOG_USEC", "200000"}, {"WATCHDOG_PID", ""}});

  std::vector<std::string> messages;
  auto const count = [&messages](std::string const& prefix) {
    return std::count_if(messages.begin(), messages.end(), [&](auto const& m) { return m.starts_with(prefix); });
  };
  auto const deadline = steady::now() + 20s;
  while ((count("STATUS=") < 2 || count("WATCHDOG=1") < 5) && steady::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    manager.drain(messages);
  }
  d.signal(SIGTERM);
  ASSERT_EQ(d.wait(10s), 0) << log();
  manager.drain(messages);

  ASSERT_FALSE(messages.empty()) << log();
  EXPECT_EQ(messages.front(), "READY=1");
  EXPECT_EQ(count("READY=1"), 1);
  EXPECT_GE(count("STATUS="), 2);
  EXPECT_GE(count("WATCHDOG=1"), 5);
  EXPECT_EQ(messages.back(), "STOPPING=1");
  EXPECT_EQ(count("STOPPING=1"), 1);
  for (auto const& m : messages) {
    EXPECT_TRUE(m == "READY=1" || m == "WATCHDOG=1" || m == "STOPPING=1" || m.starts_with("STATUS=sample_book: ")) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  auto const first_status = std::find_if(messages.begin(), messages.end(), [](auto const& m) { return m.starts_with("STATUS="); });
  ASSERT_NE(first_status, messages.end());
  EXPECT_TRUE(first_status->starts_with("STATUS=sample_book: initial sync, 1 page, 3 upserts")) << *first_status;
  EXPECT_TRUE(contains(log(), "event=watchdog.enabled ping_ms=100")) << log();
}

}  // namespace
}  // namespace dvsync::test
