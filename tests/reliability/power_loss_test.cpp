// T4 of the reliability plan: power loss. The mirror lives on faultfs (tests/powerloss), a file
// system that keeps what was not fsynced in memory and loses it when its power is cut. `dvsync
// run` (interval 1 s) syncs from the emulator while the source changes after every cycle; at a
// random moment of a random cycle (the initial sync, a delta, its final commit, the checkpoint
// after it, or the idle time after) the daemon is killed (SIGKILL) and the power is cut. Then,
// before anything runs again, with the database as the disk kept it:
//   - it opens and PRAGMA integrity_check says ok;
//   - no cycle that the daemon acknowledged (logged cycle.done, which it writes after the commit)
//     and that changed the mirror is lost: the stored delta link is that of the last such cycle,
//     or of a later one (an acknowledged cycle that changed nothing, or the one whose commit was
//     under way at the cut). Acknowledged cycles that changed nothing commit without their own
//     fsync (DESIGN.md decision 7), so losing one of those is allowed;
//   - the mirror holds the row count that the cycle of the stored link reported (rows and link
//     agree);
// and after a restart (`dvsync once`) the mirror converges to the source: the full oracle.
// With database.synchronous "full" (the default) nothing acknowledged may be lost; with "normal"
// acknowledged cycles may roll back (the plan's NORMAL case: counted, not a failure), the rest
// holds the same.
#include "core/log.hpp"
#include "fault_disk.hpp"
#include "reliability.hpp"
#include "watch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <thread>

namespace dvsync::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

std::uint64_t run_seed() {
  if (char const* s = std::getenv("DVSYNC_RELIABILITY_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

// A state of the mirror that the test knows was committed: a cycle the daemon logged as done, or
// what the test read from the database itself. In the order they happened.
struct acknowledged {
  std::string link;           // fingerprint of the stored delta link ("" for none)
  std::int64_t rows = 0;      // rows in the mirror table
  bool must_survive = false;  // a cycle that changed the mirror: its commit was fsynced
  std::string what;
};

// The cycle.done events of a dvsync log, in order.
std::vector<acknowledged> done_events(std::string const& log_text) {
  std::vector<acknowledged> out;
  std::istringstream in(log_text);
  for (std::string line; std::getline(in, line);) {
    if (log_event(line) != "cycle.done" || log_field(line, "table") != "sample_book") continue;
    auto const kind = log_field(line, "kind").value_or("?");
    auto const upserts = log_number(line, "upserts").value_or(0);
    auto const deletes = log_number(line, "deletes").value_or(0);
    auto const rejects = log_number(line, "rejects").value_or(0);
    acknowledged a;
    a.link = log_field(line, "link").value_or("");
    a.rows = log_number(line, "rows").value_or(-1);
    a.must_survive = kind == "full" || upserts + deletes + rejects > 0;
    a.what = fmt::format("{} cycle ({} upserts, {} deletes, {} rows)", kind, upserts, deletes, a.rows);
    out.push_back(std::move(a));
  }
  return out;
}

struct trial_figures {
  int cuts = 0;
  int cuts_in_full_cycles = 0, cuts_in_deltas = 0, cuts_between_cycles = 0;
  int cuts_dropping_wal = 0;          // cuts that dropped unsynced pages of the -wal
  std::size_t wal_pages_dropped = 0;  // in all
  std::int64_t acknowledged = 0;      // acknowledged cycles that changed the mirror, before a cut
  std::int64_t lost = 0;              // of those, found undone after the cut
  int unlogged_commits = 0;           // cuts after a commit and before its cycle.done
  int sound = 0;                      // integrity ok, rows and link agree
  int converged = 0;
  std::vector<double> recovery_s;     // restart to converged
};

class power_loss_test : public reliability_test {
 protected:
  void SetUp() override {
    reliability_test::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (auto why = fault_disk::mount((dir_ / "disk").string(), (dir_ / "mnt").string(), disk_))
      GTEST_SKIP() << "power loss (T4) needs faultfs mounted (FUSE): " << *why;
  }

  // A new database in a new directory of the disk, made durable as a service's state directory
  // is (it exists before the service starts).
  void fresh_database(int n) {
    auto dir = fs::path(disk_->path()) / fmt::format("db{}", n);
    fs::create_directory(dir);
    fault_disk::sync_directory(disk_->path());
    db_path_ = (dir / "mirror.db").string();
    write_config(overrides_);
    history_.clear();
  }

  void mutate() {
    std::uniform_real_distribution<double> fraction(0.05, 0.15);
    auto r = emulator_->control("mutate", fmt::format(R"({{"fraction":{:.3f},"seed":{},"create":0.25,"update":0.5,"delete":0.25}})",
                                                      fraction(rng_), mutation_seed_++));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // The mirror as it is now, read by the test (after a cut, or after a clean cycle).
  std::optional<acknowledged> read_state(std::string const& what, std::string& problems) {
    if (!fs::exists(db_path_)) return std::nullopt;
    if (auto ic = integrity_check(db_path_); ic != "ok") problems += "integrity_check: " + ic + "; ";
    acknowledged a;
    a.what = what;
    try {
      // With synchronous=normal a cut can undo even the schema's first commits: nothing was kept.
      if (query_text(db_path_, "SELECT count(*) FROM sqlite_master WHERE name = 'dvsync_table_state'") == "0") return a;
      auto const link = stored_delta_link(db_path_, "sample_book");
      a.link = link.empty() ? "" : core::log::fingerprint(link);
      a.rows = a.link.empty() ? 0 : std::stoll(query_text(db_path_, "SELECT count(*) FROM sample_book"));
    } catch (std::exception const& e) {
      problems += std::string("cannot read the mirror: ") + e.what() + "; ";
      return std::nullopt;
    }
    return a;
  }

  // The checks right after a cut, against what was acknowledged before it.
  void check_after_cut(trial_figures& f, std::string& problems) {
    auto const now = read_state("the state after a power cut", problems);
    std::int64_t const must_survive =
        std::count_if(history_.begin(), history_.end(), [](acknowledged const& a) { return a.must_survive; });
    std::int64_t lost = 0;
    if (!now || now->link.empty()) {
      // Nothing committed survived: only right if nothing needed to.
      lost = must_survive;
      if (now && now->rows != 0) problems += fmt::format("no delta link but {} rows; ", now->rows);
    } else {
      auto const it = std::find_if(history_.rbegin(), history_.rend(), [&](acknowledged const& a) { return a.link == now->link; });
      if (it == history_.rend()) {
        // A link nobody acknowledged: the commit that was under way at the cut, after all the others.
        ++f.unlogged_commits;
      } else {
        auto const after = it.base();  // the states acknowledged after the one found
        lost = std::count_if(after, history_.end(), [](acknowledged const& a) { return a.must_survive; });
        if (now->rows != it->rows)
          problems += fmt::format("the mirror has {} rows but the stored link is that of the {}; ", now->rows, it->what);
      }
    }
    if (lost > 0 && synchronous_full_) {
      std::string which;
      for (auto const& a : history_) which += a.what + " [" + a.link + "]; ";
      problems += fmt::format("{} acknowledged cycles that changed the mirror were lost (stored link [{}]); acknowledged: {}",
                              lost, now ? now->link : "none", which);
    }
    f.lost += lost;
    if (now) history_.push_back(*now);
  }

  // How long the cycle of a cycle.done line took, for the cut times of cycles of its kind.
  void note_duration(std::string const& line) {
    auto const kind = log_field(line, "kind").value_or("delta");
    last_duration_s_[kind] = std::max(0.01, static_cast<double>(log_number(line, "duration_ms").value_or(0)) / 1000);
  }

  // One daemon lifetime: `dvsync run` from now until a random moment of its k-th cycle.
  void run_until_cut(int trial, int k, trial_figures& f) {
    auto const log_name = fmt::format("trial{}.log", trial);
    auto const log_path = (dir_ / log_name).string();
    mutate();
    daemon_.emplace(start_daemon(log_name));
    log_follower follow(log_path);
    int starts = 0;
    std::string last_kind;  // of the last cycle started
    std::optional<steady::time_point> cut_at;
    auto const deadline = steady::now() + 60s;
    while (!cut_at || steady::now() < *cut_at) {
      for (auto const& line : follow.new_lines()) {
        auto const event = log_event(line);
        if (event == "cycle.start") last_kind = log_field(line, "kind").value_or("delta");
        if (event == "cycle.start" && ++starts == k) {
          // Uniform over as long as the last cycle of its kind took, and a little more: its
          // pages, its final commit, the checkpoint after it and a moment of idle time.
          double const span = 1.2 * last_duration_s_[last_kind] + 0.02;
          cut_at = steady::now() + std::chrono::duration_cast<steady::duration>(
                                       std::chrono::duration<double>(std::uniform_real_distribution<double>(0, span)(rng_)));
        } else if (event == "cycle.done") {
          note_duration(line);
          mutate();
        }
      }
      ASSERT_TRUE(daemon_->running()) << "dvsync run exited: " << read_file(log_path);
      ASSERT_LT(steady::now(), deadline) << "no cycle " << k << " within 60 s: " << read_file(log_path);
      std::this_thread::sleep_for(2ms);
    }
    daemon_->signal(SIGKILL);
    daemon_->wait(10s);
    daemon_.reset();
    auto const report = disk_->cut();
    if (auto why = disk_->power_on()) FAIL() << "the disk did not come back: " << *why;

    ++f.cuts;
    f.wal_pages_dropped += report.wal_pages;
    if (report.wal_pages > 0) ++f.cuts_dropping_wal;
    auto const events = done_events(read_file(log_path));
    bool const in_cycle = starts > static_cast<int>(events.size());
    if (!in_cycle)
      ++f.cuts_between_cycles;
    else if (last_kind == "full")
      ++f.cuts_in_full_cycles;
    else
      ++f.cuts_in_deltas;
    for (auto const& e : events)
      if (e.must_survive) ++f.acknowledged;
    history_.insert(history_.end(), events.begin(), events.end());
    std::string removed;
    for (auto const& name : report.removed) removed += " " + name;
    std::printf("trial %d: cut %s (%d cycles started, %zu done; the last full cycle took %.3f s, delta %.3f s); %s%s\n",
                trial, in_cycle ? ("during a " + last_kind + " cycle").c_str() : "between cycles", starts, events.size(),
                last_duration_s_["full"], last_duration_s_["delta"], report.line.c_str(), removed.c_str());
  }

  // Trials of cut, check, restart and converge; returns the figures.
  trial_figures run_trials(int trials, std::uint64_t seed) {
    rng_.seed(seed);
    trial_figures f;
    std::uniform_int_distribution<int> which_cycle(1, 3);
    for (int trial = 0; trial < trials; ++trial) {
      // Every third trial starts from an empty database and is cut in its initial sync (or just
      // after it); the others in one of their first three deltas.
      if (trial % 3 == 0) fresh_database(trial);
      int const k = trial % 3 == 0 ? 1 : which_cycle(rng_);
      run_until_cut(trial, k, f);
      if (HasFatalFailure()) return f;

      std::string problems;
      check_after_cut(f, problems);
      if (problems.empty()) ++f.sound;

      auto const started = steady::now();
      auto r = once();
      f.recovery_s.push_back(seconds_since(started));
      if (r.exit_code != 0) {
        problems += fmt::format("the restart failed (exit {}): {}{}; ", r.exit_code, r.err, r.out);
      } else {
        auto const after = check_converged();
        if (after.empty()) ++f.converged;
        problems += after;
        std::istringstream lines(r.err);
        for (std::string line; std::getline(lines, line);)
          if (log_event(line) == "cycle.done") note_duration(line);
        auto const events = done_events(r.err);
        history_.insert(history_.end(), events.begin(), events.end());
        std::string ignored;
        if (auto s = read_state("the state after the restart", ignored)) history_.push_back(*s);
      }
      EXPECT_EQ(problems, "") << "trial " << trial << " (DVSYNC_RELIABILITY_SEED=" << seed << ")";
    }
    return f;
  }

  void report(std::string const& mode, trial_figures const& f) {
    auto const id = "T4";
    report_figure(id, mode + ".power_cuts", std::to_string(f.cuts),
                  fmt::format("{}_during_initial_syncs,{}_during_deltas,{}_between_cycles", f.cuts_in_full_cycles,
                              f.cuts_in_deltas, f.cuts_between_cycles));
    report_figure(id, mode + ".acknowledged_cycles", std::to_string(f.acknowledged),
                  "cycles_that_changed_the_mirror_logged_done_before_a_cut");
    report_figure(id, mode + ".acknowledged_cycles_lost", std::to_string(f.lost),
                  synchronous_full_ ? "must_be_0" : "allowed_with_synchronous_normal");
    report_figure(id, mode + ".sound_after_cut", fmt::format("{}/{}", f.sound, f.cuts),
                  "integrity_ok_and_rows_agree_with_the_stored_link");
    report_figure(id, mode + ".converged", fmt::format("{}/{}", f.converged, f.cuts), "after_a_restart");
    report_figure(id, mode + ".commits_not_yet_logged", std::to_string(f.unlogged_commits),
                  "cuts_between_a_final_commit_and_its_cycle.done");
    report_figure(id, mode + ".cuts_dropping_wal_pages", fmt::format("{}/{}", f.cuts_dropping_wal, f.cuts),
                  fmt::format("{}_unsynced_-wal_pages_dropped_in_all", f.wal_pages_dropped));
    report_figure(id, mode + ".recovery_s_p50", format_seconds(quantile(f.recovery_s, 0.5)), "the_restart's_cycle,_after_which_the_mirror_equals_the_source");
    report_figure(id, mode + ".recovery_s_max", format_seconds(quantile(f.recovery_s, 1.0)));
  }

  std::optional<fault_disk> disk_;
  std::optional<child> daemon_;  // declared after the disk: killed before it is unmounted
  config_overrides overrides_;
  bool synchronous_full_ = true;
  std::vector<acknowledged> history_;  // of the current database
  std::map<std::string, double> last_duration_s_{{"full", 1.0}, {"delta", 0.2}};
  std::mt19937_64 rng_;
  int mutation_seed_ = 1;
};

constexpr int source_rows = 20000;
constexpr int page_rows = 100;

TEST_F(power_loss_test, with_synchronous_full_no_acknowledged_cycle_is_lost) {
  start_emulator({"--seed", std::to_string(source_rows)});
  overrides_.page_size = page_rows;
  overrides_.interval_s = 1;
  int const trials = scaled(6, 100);
  auto const seed = run_seed();
  std::printf("T4 synchronous=full: %d power cuts, %d rows in pages of %d, DVSYNC_RELIABILITY_SEED=%llu\n", trials,
              source_rows, page_rows, static_cast<unsigned long long>(seed));
  auto f = run_trials(trials, seed);
  report("full", f);
  EXPECT_EQ(f.lost, 0);
}

TEST_F(power_loss_test, with_synchronous_normal_cycles_may_roll_back_but_the_mirror_stays_whole) {
  start_emulator({"--seed", std::to_string(source_rows)});
  overrides_.page_size = page_rows;
  overrides_.interval_s = 1;
  overrides_.extra_database = R"(, "synchronous": "normal")";
  synchronous_full_ = false;
  int const trials = scaled(3, 100);
  auto const seed = run_seed();
  std::printf("T4 synchronous=normal: %d power cuts, %d rows in pages of %d, DVSYNC_RELIABILITY_SEED=%llu\n", trials,
              source_rows, page_rows, static_cast<unsigned long long>(seed));
  report("normal", run_trials(trials, seed));
}

// That the checks above can see a loss: a delta whose final commit has returned is killed at the
// crash point right after it, before the checkpoint that would sync it under synchronous=normal,
// and the power is cut. With full the cycle is there; with normal it is gone, as SQLite says a
// commit in WAL mode with NORMAL can be.
TEST_F(power_loss_test, a_committed_cycle_is_kept_with_synchronous_full_and_can_be_lost_with_normal) {
  if (!crash_points_available()) GTEST_SKIP() << "needs a build with DVSYNC_CRASH_POINTS";
  for (bool const full : {true, false}) {
    SCOPED_TRACE(full ? "synchronous=full" : "synchronous=normal");
    overrides_.extra_database = full ? "" : R"(, "synchronous": "normal")";
    fresh_database(full ? 1 : 2);
    create_books(full ? 1 : 101, full ? 20 : 120);
    // The initial sync, made durable by the clean exit's checkpoint in either mode.
    ASSERT_EQ(once().exit_code, 0);
    auto const before = stored_delta_link(db_path_, "sample_book");
    auto const rows_before = query_text(db_path_, "SELECT count(*) FROM sample_book");
    create_books(full ? 21 : 121, full ? 25 : 125);
    auto r = dvsync({"once"}, {{"DVSYNC_CRASH_AT", "after_commit"}});
    ASSERT_NE(r.err.find("crash point after_commit reached"), std::string::npos) << r.err;
    auto const committed = stored_delta_link(db_path_, "sample_book");
    ASSERT_NE(committed, before) << "the delta had not committed when the process died";

    auto const report = disk_->cut();
    ASSERT_EQ(disk_->power_on(), std::nullopt);
    EXPECT_EQ(integrity_check(db_path_), "ok");
    auto const after = stored_delta_link(db_path_, "sample_book");
    auto const rows_after = query_text(db_path_, "SELECT count(*) FROM sample_book");
    if (full) {
      EXPECT_EQ(after, committed) << "a committed cycle was lost: " << report.line;
      EXPECT_EQ(rows_after, std::to_string(std::stoll(rows_before) + 5));
    } else {
      EXPECT_EQ(after, before) << "with synchronous=normal the unsynced commit should be gone: " << report.line;
      EXPECT_EQ(rows_after, rows_before);
    }
    report_figure("T4", full ? "full.committed_delta_after_cut" : "normal.committed_delta_after_cut",
                  after == committed ? "kept" : "lost", "killed_right_after_its_final_commit,_before_the_checkpoint");
    EXPECT_EQ(converge_and_check(), "");
  }
}

TEST_F(power_loss_test, a_database_whose_directories_the_daemon_made_survives_a_power_cut) {
  // A first start that finds no state directory: dvsync makes it, and the database in it.
  db_path_ = disk_->path() + "/var/lib/dvsync/mirror.db";
  write_config(overrides_);
  create_books(1, 10);
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto const report = disk_->cut();
  ASSERT_TRUE(disk_->power_on() == std::nullopt);
  // dvsync's lock file is made after SQLite's last directory sync; it is made again at start.
  for (auto const& name : report.removed) EXPECT_TRUE(name.ends_with("mirror.db-lock")) << name << " was lost";
  ASSERT_TRUE(fs::exists(db_path_)) << "the acknowledged initial sync was lost with its directory: " << report.line;
  EXPECT_EQ(integrity_check(db_path_), "ok");
  EXPECT_EQ(compare_with_source(), "");
}

}  // namespace
}  // namespace dvsync::test
