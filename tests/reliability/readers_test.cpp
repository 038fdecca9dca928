// T5 of the reliability plan: reader processes read the mirror in read transactions while dvsync
// runs an initial sync, large deltas and full resyncs. Every (rows, checksum, delta link) a reader
// saw must be one that a complete cycle produced: never a part of a cycle, never rows without
// their link.
#include "reliability.hpp"
#include "snapshot.hpp"

#include <fmt/format.h>

#include <csignal>
#include <set>
#include <sstream>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;

class readers_test : public reliability_test {};

TEST_F(readers_test, readers_only_ever_see_complete_cycles) {
  int const rows = scaled(20'000, 100'000);
  int const page = scaled(1000, 5000);
  int const readers = scaled(4, 8);
  int const cycles = scaled(6, 16);
  start_emulator({"--seed", std::to_string(rows)});
  config_overrides o;
  o.page_size = page;
  use_fresh_database("readers", o);
  // `resync` creates the database and the empty mirror table without syncing: the state readers
  // see before the first cycle ends.
  auto created = dvsync({"resync"});
  ASSERT_EQ(created.exit_code, 0) << created.err;

  std::set<snapshot> complete{read_snapshot(db_path_, "sample_book")};
  std::vector<child> procs;
  for (int i = 0; i < readers; ++i)
    procs.emplace_back(std::vector<std::string>{MIRROR_READER_BINARY, db_path_, "sample_book", (dir_ / fmt::format("reader{}.out", i)).string()},
                       environment{}, (dir_ / fmt::format("reader{}.log", i)).string());

  auto started = std::chrono::steady_clock::now();
  std::string cycle_log;
  for (int c = 0; c < cycles; ++c) {
    if (c > 0 && c % 4 == 0) {
      ASSERT_EQ(emulator_->control("expire-tokens").status, 200);  // a full resync replaces the table
    } else if (c > 0) {
      auto r = emulator_->control("mutate", fmt::format(R"({{"fraction":0.2,"seed":{}}})", c));
      ASSERT_EQ(r.status, 200) << r.body;
    }
    auto r = once();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    cycle_log += r.out;
    complete.insert(read_snapshot(db_path_, "sample_book"));
  }
  double const sync_s = seconds_since(started);
  for (auto& p : procs) p.signal(SIGTERM);
  for (auto& p : procs) EXPECT_EQ(p.wait(30s), 0);

  long reads = 0, errors = 0, anomalies = 0;
  std::set<snapshot> seen;
  for (int i = 0; i < readers; ++i) {
    std::istringstream in(read_file((dir_ / fmt::format("reader{}.out", i)).string()));
    bool ended = false;
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("S ")) {
        auto s = from_line(line.substr(2));
        seen.insert(s);
        if (!complete.contains(s)) {
          ++anomalies;
          ADD_FAILURE() << "reader " << i << " saw a state no complete cycle produced: " << line;
        }
      } else if (line.starts_with("X ")) {
        ADD_FAILURE() << "reader " << i << ": " << line;
      } else if (line.starts_with("E ")) {
        std::istringstream e(line.substr(2));
        long r = 0, x = 0;
        e >> r >> x;
        reads += r;
        errors += x;
        ended = true;
      }
    }
    EXPECT_TRUE(ended) << "reader " << i << " did not finish its report";
  }
  std::printf("%s", cycle_log.c_str());
  EXPECT_EQ(errors, 0);
  EXPECT_GT(reads, 0);
  // Readers that only ever saw one state would prove nothing.
  EXPECT_GE(seen.size(), 2u) << "the readers saw too few states for the test to mean anything";
  EXPECT_EQ(compare_with_source(), "");

  report_figure("T5", "anomalies", std::to_string(anomalies), "snapshots no complete cycle produced (must be 0)");
  report_figure("T5", "reader_errors", std::to_string(errors), "(must be 0)");
  report_figure("T5", "reads", std::to_string(reads),
                fmt::format("{}_readers,{}_cycles_of_{}_rows,{}s", readers, cycles, rows, static_cast<int>(sync_s)));
  report_figure("T5", "states_seen", fmt::format("{}/{}", seen.size(), complete.size()),
                "distinct complete states readers observed / states cycles produced");
}

}  // namespace
}  // namespace dvsync::test
