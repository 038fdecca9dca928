// Disk faults under the real daemon (reliability plan T16): a file system that fills up and a
// database that becomes read-only. The failed cycle must leave the mirror and its delta link as
// they were and the file sound; `dvsync run` must keep backing off and converge with the emulator
// once the space or the write access is back. The faults need root with mount or chattr rights;
// where the machine does not allow them the tests skip, saying why.
#include "fixture.hpp"
#include "mounts.hpp"
#include "programs.hpp"

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

namespace dvsync::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool contains(std::string const& haystack, std::string const& needle) { return haystack.find(needle) != std::string::npos; }

std::size_t occurrences(std::string const& haystack, std::string const& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + needle.size())) ++n;
  return n;
}

// Polls `done` every 100 ms until it holds or `timeout` passes; true when it held.
bool wait_until(std::function<bool()> const& done, std::chrono::milliseconds timeout) {
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

// What every fault test checks after a failed cycle: the mirror and its delta link as before, and
// a sound file.
class fault_test : public daemon_test {
 protected:
  void expect_unchanged(row_set const& rows, std::string const& link) {
    EXPECT_EQ(mirror(), rows) << "the failed cycle changed the mirror";
    EXPECT_EQ(stored_delta_link(db_path_, "sample_book"), link) << "the failed cycle changed the delta link";
    EXPECT_EQ(integrity_check(db_path_), "ok");
  }
};

class disk_faults : public fault_test {
 protected:
  void SetUp() override {
    if (auto why = enter_private_mount_namespace()) GTEST_SKIP() << "disk faults need private mounts (root, CAP_SYS_ADMIN): " << *why;
    daemon_test::SetUp();
    state_dir_ = (dir_ / "state").string();
  }

  void TearDown() override {
    immutable_.release();
    view_.reset();
    state_mount_.reset();
  }

  // The database directory becomes a tmpfs of `bytes`; skips the test when it cannot.
  bool small_file_system(std::uint64_t bytes) {
    if (auto why = mount_point::tmpfs(state_dir_, bytes, state_mount_)) {
      skip_reason_ = "cannot mount a small tmpfs: " + *why;
      return false;
    }
    return true;
  }

  // Seeds `n` more generated rows upstream.
  void seed_upstream(int n, int seed) {
    auto r = emulator_->control("seed", fmt::format(R"({{"entity_set":"sample_books","count":{},"seed":{}}})", n, seed));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // The mirror holds `rows` rows and equals the source; false also while the daemon has not
  // created the database yet.
  bool converged(std::size_t rows) {
    try {
      auto m = mirror();
      return m.size() == rows && compare(source(), m).empty();
    } catch (std::exception const&) {
      return false;
    }
  }

  std::string state_dir_;
  std::string skip_reason_;
  std::optional<mount_point> state_mount_;
  std::optional<mount_point> view_;
  immutable_files immutable_;
};

config_overrides fast_retries(int page_size = 5000) {
  config_overrides o;
  o.page_size = page_size;
  o.interval_s = 1;
  o.max_attempts = 2;
  o.backoff_base_s = 1;
  o.backoff_cap_s = 1;
  return o;
}

TEST_F(disk_faults, a_cycle_that_fills_the_disk_rolls_back_and_the_next_one_resumes_when_space_returns) {
  if (!small_file_system(8 << 20)) GTEST_SKIP() << skip_reason_;
  write_config(fast_retries(500));
  create_books(0, 9);
  auto first = once();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto const rows = mirror();
  auto const link = stored_delta_link(db_path_, "sample_book");
  ASSERT_EQ(rows.size(), 10u);

  // Full, then 256 KiB back: the daemon starts and stages some pages, then the disk is full.
  std::string const filler = state_dir_ + "/filler";
  if (auto why = fill_file_system(filler)) GTEST_SKIP() << "cannot fill the tmpfs: " << *why;
  fs::resize_file(filler, fs::file_size(filler) - 256 * 1024);
  seed_upstream(5000, 11);

  auto r = once();
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_TRUE(contains(r.err, "full")) << r.err;
  expect_unchanged(rows, link);

  fs::remove(filler);
  r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "delta cycle, resumed")) << r.out;
  expect_mirror_equals_source();
  EXPECT_EQ(mirror().size(), 5010u);
}

TEST_F(disk_faults, the_daemon_backs_off_on_a_full_disk_and_converges_when_space_returns) {
  if (!small_file_system(8 << 20)) GTEST_SKIP() << skip_reason_;
  write_config(fast_retries(1000));
  create_books(0, 9);
  auto daemon = start_daemon();
  std::string const log = (dir_ / "daemon.log").string();
  ASSERT_TRUE(wait_until([&] { return converged(10); }, 30s)) << read_file(log);
  auto const rows = mirror();
  auto const link = stored_delta_link(db_path_, "sample_book");

  std::string const filler = state_dir_ + "/filler";
  if (auto why = fill_file_system(filler)) GTEST_SKIP() << "cannot fill the tmpfs: " << *why;
  auto const failures_before = occurrences(read_file(log), "cycle.failed");
  seed_upstream(3000, 12);
  ASSERT_TRUE(wait_until([&] { return occurrences(read_file(log), "cycle.failed") >= failures_before + 3; }, 60s))
      << read_file(log);
  EXPECT_TRUE(daemon.running());
  EXPECT_TRUE(contains(read_file(log), "cycle.retry_later")) << read_file(log);
  expect_unchanged(rows, link);

  fs::remove(filler);
  EXPECT_TRUE(wait_until([&] { return converged(3010); }, 60s)) << read_file(log);
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(20s), 0) << read_file(log);
  expect_mirror_equals_source();
}

TEST_F(disk_faults, once_on_a_read_only_file_system_fails_without_changing_anything) {
  create_books(0, 9);
  ASSERT_EQ(once().exit_code, 0);
  auto const rows = mirror();
  auto const link = stored_delta_link(db_path_, "sample_book");
  create_books(10, 14);

  std::string const view = (dir_ / "read-only").string();
  if (auto why = mount_point::read_only_view(state_dir_, view, view_)) GTEST_SKIP() << "cannot make a read-only view: " << *why;
  std::string const writable = db_path_;
  db_path_ = view + "/mirror.db";
  write_config();
  db_path_ = writable;

  auto r = once();
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_TRUE(contains(r.err, "Read-only file system")) << r.err;
  expect_unchanged(rows, link);

  // The daemon refuses to start on it too, promptly and saying why.
  auto started = std::chrono::steady_clock::now();
  auto daemon = run_process({dvsync_binary(), "run", "--config", config_path_}, secret_env(), std::chrono::seconds(30));
  EXPECT_NE(daemon.exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
  EXPECT_TRUE(contains(daemon.err, "Read-only file system")) << daemon.err;
  expect_unchanged(rows, link);

  write_config();
  r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_mirror_equals_source();
}

TEST_F(disk_faults, the_daemon_backs_off_while_the_database_is_read_only_and_converges_after) {
  write_config(fast_retries());
  create_books(0, 9);
  auto daemon = start_daemon();
  std::string const log = (dir_ / "daemon.log").string();
  ASSERT_TRUE(wait_until([&] { return converged(10); }, 30s)) << read_file(log);
  auto const rows = mirror();
  auto const link = stored_delta_link(db_path_, "sample_book");

  for (std::string file : {db_path_, db_path_ + "-wal"}) {
    if (!fs::exists(file)) continue;
    if (auto why = immutable_.add(file)) GTEST_SKIP() << "cannot make the database read-only (chattr +i): " << *why;
  }
  auto const failures_before = occurrences(read_file(log), "cycle.failed");
  create_books(10, 29);
  ASSERT_EQ(api("DELETE", "sample_books(sample_bookcode='BookCode3')").status, 204);
  ASSERT_TRUE(wait_until([&] { return occurrences(read_file(log), "cycle.failed") >= failures_before + 3; }, 60s))
      << read_file(log);
  EXPECT_TRUE(daemon.running());
  expect_unchanged(rows, link);

  immutable_.release();
  EXPECT_TRUE(wait_until([&] { return converged(29); }, 60s)) << read_file(log);
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(20s), 0) << read_file(log);
  expect_mirror_equals_source();
}

// The daemon's user may not write the database file, or its -wal (SQLite creates the -wal with
// the database's mode, so it stays read-only after the file is fixed). SQLite would quietly open
// such a database read-only and the daemon fail every cycle until restarted, even once fixed; it
// must refuse to start instead, saying why (under systemd, Restart= then retries it). Runs dvsync
// as nobody: root writes any file.
class unwritable_database : public fault_test {
 protected:
  void SetUp() override {
    setpriv_ = program_on_path("setpriv");
    if (::geteuid() != 0 || !setpriv_) GTEST_SKIP() << "needs root and setpriv (util-linux) to run dvsync as nobody";
    daemon_test::SetUp();
  }

  process_result as_nobody(std::string const& command, std::chrono::seconds timeout = std::chrono::seconds(30)) {
    return run_process({*setpriv_, "--reuid=65534", "--regid=65534", "--clear-groups", dvsync_binary(), command, "--config",
                        config_path_},
                       secret_env(), timeout);
  }

  // Hands the test directory to nobody, as a service's state directory belongs to its user.
  void give_to_nobody() {
    for (auto const& entry : fs::recursive_directory_iterator(dir_.path()))
      ASSERT_EQ(::lchown(entry.path().c_str(), 65534, 65534), 0) << entry.path();
    ASSERT_EQ(::chown(dir_.path().c_str(), 65534, 65534), 0);
  }

  std::optional<std::string> setpriv_;
};

TEST_F(unwritable_database, is_refused_at_start_and_used_once_it_is_writable_again) {
  write_config(fast_retries());
  create_books(0, 9);
  ASSERT_EQ(once().exit_code, 0);
  give_to_nobody();
  auto const rows = mirror();
  auto const link = stored_delta_link(db_path_, "sample_book");
  create_books(10, 14);

  std::string const wal = db_path_ + "-wal";
  ASSERT_TRUE(fs::exists(wal)) << "dvsync keeps its -wal (persistent WAL)";
  for (auto [db_mode, wal_mode] : {std::pair{0444, 0644}, std::pair{0644, 0444}}) {
    SCOPED_TRACE(fmt::format("database {:o}, -wal {:o}", db_mode, wal_mode));
    ASSERT_EQ(::chmod(db_path_.c_str(), db_mode), 0);
    ASSERT_EQ(::chmod(wal.c_str(), wal_mode), 0);
    for (std::string command : {"run", "once"}) {
      auto r = as_nobody(command);
      EXPECT_NE(r.exit_code, 0) << command << " kept running on a database it cannot write:\n" << r.err;
      EXPECT_NE(r.exit_code, -1) << command << " had to be killed";
      EXPECT_TRUE(contains(r.err, "cannot write " + db_path_)) << r.err;
      EXPECT_TRUE(contains(r.err, "Permission denied")) << r.err;
    }
    expect_unchanged(rows, link);
  }

  ASSERT_EQ(::chmod(db_path_.c_str(), 0640), 0);
  ASSERT_EQ(::chmod(wal.c_str(), 0640), 0);
  auto r = as_nobody("once");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_mirror_equals_source();
  EXPECT_EQ(mirror().size(), 15u);
}

}  // namespace
}  // namespace dvsync::test
