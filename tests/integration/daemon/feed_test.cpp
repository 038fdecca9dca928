// The change feed in each mode (mirror, soft_delete, history) against the emulator, with the real
// dvsync killed -9 at random moments while the source changes (keys changed and swapped among
// them), and the documented consumer (docs/examples/feed_consumer.py) replaying the feed: no gap,
// no change fed twice, the replica equals the mirror, and the history has exactly one current
// version of every mirror row and versions of one row that never overlap.
#include "fixture.hpp"

#include "store/sqlite.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <random>
#include <string>
#include <thread>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;

std::string fed_books(std::string const& mode) {
  return fmt::format(R"([ {{ "entity_set": "sample_books", "table": "sample_book", "id": "sample_bookid",
    "key": "sample_bookcode", "columns": ["sample_name", "sample_bookcode", "sample_author"],
    "change_feed": true, "mode": "{}", "interval_s": 1 }} ])",
                     mode);
}

class feed_test : public daemon_test {
 protected:
  store::connection open(std::string const& path) const {
    return store::connection::open(path, store::open_mode::read_write, 5000ms).value();
  }

  process_result consumer(std::string const& replica, bool replay = false) {
    std::vector<std::string> argv{"/usr/bin/python3", DVSYNC_FEED_CONSUMER, db_path_, replica};
    if (replay) argv.push_back("--replay");
    return run_process(argv);
  }

  // Rows of the mirror and of the replica that the other lacks (0 when they are equal).
  std::int64_t differences(std::string const& replica) const {
    auto c = open(db_path_);
    EXPECT_TRUE(c.exec(fmt::format("ATTACH DATABASE '{}' AS replica", replica)));
    auto const mirror = "SELECT sample_bookid, sample_bookcode, sample_name, sample_author FROM main.sample_book";
    auto const copy = "SELECT dvsync_id, sample_bookcode, sample_name, sample_author FROM replica.sample_book";
    return c.query_int(fmt::format("SELECT (SELECT count(*) FROM ({} EXCEPT {})) + (SELECT count(*) FROM ({} EXCEPT {}))",
                                   mirror, copy, copy, mirror))
        .value();
  }

  // Source changes as people make them: new books, renames, deletes, a book given a new code, and
  // two books exchanging their codes. The code is a unique alternate key, so a client exchanges
  // them in three updates through a code no book has; a delta may see any of the steps. `live`
  // holds the numbers of the books that exist (the numbers in their codes).
  void change_source(std::mt19937& rng, std::vector<int>& live, int& next) {
    auto const choice = live.empty() ? 0 : std::uniform_int_distribution<int>(0, live.size() < 2 ? 3 : 4)(rng);
    if (choice == 0) {
      create_book(next);
      live.push_back(next++);
      return;
    }
    auto pick = std::uniform_int_distribution<std::size_t>(0, live.size() - 1);
    auto const at = pick(rng);
    auto const code = fmt::format("BookCode{}", live[at]);
    auto const id = id_of(code);
    if (choice == 1) {
      EXPECT_EQ(api("PATCH", fmt::format("sample_books({})", id), R"({"sample_name":"renamed"})").status, 204);
    } else if (choice == 2) {
      EXPECT_EQ(api("DELETE", fmt::format("sample_books({})", id)).status, 204);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(at));
    } else if (choice == 3) {
      set_code(id, fmt::format("BookCode{}", next));
      live[at] = next++;
    } else {
      auto other = pick(rng);
      if (other == at) other = (at + 1) % live.size();
      auto const other_code = fmt::format("BookCode{}", live[other]);
      auto const other_id = id_of(other_code);
      set_code(id, "BookCodeSwapping");
      set_code(other_id, code);
      set_code(id, other_code);
    }
  }

  void set_code(std::string const& id, std::string const& code) {
    EXPECT_EQ(api("PATCH", fmt::format("sample_books({})", id), fmt::format(R"({{"sample_bookcode":"{}"}})", code)).status,
              204);
  }

  bool synced_once() const {
    try {
      return !state("delta_link").empty();
    } catch (std::exception const&) {
      return false;  // no database yet
    }
  }
};

class feed_kill_test : public feed_test, public ::testing::WithParamInterface<std::string> {};

TEST_P(feed_kill_test, kill_9_at_random_moments_leaves_a_feed_without_gap_or_duplicate_that_rebuilds_the_mirror) {
  create_books(1, 400);
  std::vector<int> live;
  for (int i = 1; i <= 400; ++i) live.push_back(i);
  int next = 401;
  faults(R"([{"match":{"method":"GET","path":"/sample_books?"},"count":-1,"delay_ms":20}])");
  config_overrides o;
  o.page_size = 50;  // 8 pages: kills land inside initial reads, deltas and their final commits
  o.tables = fed_books(GetParam());
  write_config(o);

  auto const replica = (dir_.path() / "replica.db").string();
  std::mt19937 rng(15);
  bool consumer_started = false;
  for (int kill = 0; kill < 8; ++kill) {
    auto daemon = start_daemon(fmt::format("daemon-{}.log", kill));
    auto const until = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 1800)(rng));
    while (std::chrono::steady_clock::now() < until) {
      change_source(rng, live, next);
      std::this_thread::sleep_for(50ms);
    }
    daemon.signal(SIGKILL);
    EXPECT_EQ(daemon.wait(10s), -SIGKILL);
    if (!consumer_started && synced_once()) {
      // A consumer that starts while the tables are already fed: it copies the mirror first.
      auto first = consumer(replica);
      ASSERT_EQ(first.exit_code, 0) << first.err;
      consumer_started = true;
    }
  }
  // The delta link expires while changes wait: the full read that follows feeds only what differs.
  ASSERT_EQ(emulator_->control("expire-tokens").status, 200);
  for (int i = 0; i < 5; ++i) change_source(rng, live, next);
  faults("[]");
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("cycle.token_expired"), std::string::npos) << r.err;
  expect_mirror_equals_source();
  // And a resync asked for by hand.
  ASSERT_EQ(dvsync({"resync"}).exit_code, 0);
  change_source(rng, live, next);
  r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_mirror_equals_source();

  auto c = open(db_path_);
  auto const count = c.query_int("SELECT count(*) FROM dvsync_feed").value();
  EXPECT_EQ(c.query_int("SELECT max(seq) - min(seq) + 1 FROM dvsync_feed").value(), count) << "a gap in seq";
  EXPECT_EQ(c.query_int("SELECT min(seq) FROM dvsync_feed").value(), 1);
  EXPECT_GT(c.query_int("SELECT count(*) FROM dvsync_feed WHERE op = 'delete'").value(), 0);
  EXPECT_GT(c.query_int("SELECT count(DISTINCT committed_at) FROM dvsync_feed").value(), 2);
  EXPECT_GT(c.query_int("SELECT count(*) FROM (SELECT id FROM dvsync_feed WHERE op = 'upsert' GROUP BY id HAVING "
                        "count(DISTINCT key_value) > 1)")
                .value(),
            1)
      << "rows whose key changed were fed";

  // The whole feed alone rebuilds the mirror; the consumer that started later catches up to it.
  auto const replayed = (dir_.path() / "replayed.db").string();
  auto replay = consumer(replayed, true);
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(differences(replayed), 0);
  ASSERT_TRUE(consumer_started);
  auto caught_up = consumer(replica);
  ASSERT_EQ(caught_up.exit_code, 0) << caught_up.err;
  EXPECT_EQ(differences(replica), 0);
  auto again = consumer(replica);
  EXPECT_NE(again.out.find(" 0 change(s) applied"), std::string::npos) << again.out;

  // Status names the last seq fed, for a consumer's lag.
  auto status = dvsync({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto const doc = boost::json::parse(status.out);
  auto const& table = doc.at("tables").as_array().at(0);
  ASSERT_TRUE(table.at("change_feed").is_object()) << status.out;
  EXPECT_EQ(table.at("change_feed").at("last_seq").as_int64(), c.query_int("SELECT max(seq) FROM dvsync_feed").value());

  // No change is fed twice. The invariant checked: no (table, id, op, version) appears twice in the
  // whole feed, across kills, expiries and resyncs alike. A change is a version of a row; a kill
  // loses the uncommitted cycle with its feed rows; a delta may deliver again a row at the version
  // the mirror has (the delta after a full read repeats the rows written while the read paged) and
  // that is no change; a full read after an expired link or a resync feeds only rows whose version
  // or values differ from the mirror it replaces. A delete keeps the version the mirror had, and a
  // row gets a new version before it can be deleted again.
  EXPECT_EQ(c.query_int("SELECT count(*) FROM (SELECT 1 FROM dvsync_feed GROUP BY table_name, id, op, version "
                        "HAVING count(*) > 1)")
                .value(),
            0)
      << c.query_text("SELECT group_concat(seq || ' ' || id || ' ' || op || ' v' || version || ' ' || key_value || ' at ' "
                      "|| committed_at, '; ') FROM dvsync_feed WHERE id IN (SELECT id FROM dvsync_feed GROUP BY "
                      "table_name, id, op, version HAVING count(*) > 1)")
             .value();

  auto const mirror_rows = c.query_int("SELECT count(*) FROM sample_book").value();
  if (GetParam() == "history") {
    // The versions of one id follow each other: each ends when or before the next begins, and only
    // the last may be open.
    EXPECT_EQ(c.query_int("SELECT count(*) FROM (SELECT dvsync_valid_to AS valid_to, lead(dvsync_valid_from) OVER "
                          "(PARTITION BY sample_bookid ORDER BY dvsync_valid_from, dvsync_history_id) AS next_from "
                          "FROM sample_book_history) WHERE next_from IS NOT NULL AND (valid_to IS NULL OR valid_to > "
                          "next_from)")
                  .value(),
              0);
    EXPECT_EQ(c.query_int("SELECT count(*) FROM (SELECT 1 FROM sample_book_history WHERE dvsync_valid_to IS NULL "
                          "GROUP BY sample_bookid HAVING count(*) > 1)")
                  .value(),
              0);
    // One current version of every mirror row, at the mirror's version; closed ones before.
    EXPECT_EQ(c.query_int("SELECT count(*) FROM sample_book_history WHERE dvsync_valid_to IS NULL").value(), mirror_rows);
    EXPECT_EQ(c.query_int("SELECT count(*) FROM sample_book m JOIN sample_book_history h ON h.sample_bookid = "
                          "m.sample_bookid AND h.dvsync_valid_to IS NULL AND h.dvsync_version = m.dvsync_version")
                  .value(),
              mirror_rows);
    EXPECT_EQ(c.query_int("SELECT count(*) FROM sample_book_history WHERE dvsync_valid_to < dvsync_valid_from").value(), 0);
    EXPECT_GT(c.query_int("SELECT count(*) FROM sample_book_history WHERE dvsync_valid_to IS NOT NULL").value(), 0);
  } else if (GetParam() == "soft_delete") {
    // The live rows are the mirror's, exactly; every other row was deleted from the mirror.
    auto const columns = "sample_bookid, sample_bookcode, sample_name, sample_author, dvsync_version";
    EXPECT_EQ(c.query_int(fmt::format("SELECT count(*) FROM (SELECT {0} FROM sample_book EXCEPT SELECT {0} FROM "
                                      "sample_book_all WHERE dvsync_deleted_at IS NULL)",
                                      columns))
                  .value(),
              0);
    EXPECT_EQ(c.query_int("SELECT count(*) FROM sample_book_all WHERE dvsync_deleted_at IS NULL").value(), mirror_rows);
    EXPECT_EQ(c.query_int("SELECT count(*) FROM sample_book_all a WHERE dvsync_deleted_at IS NOT NULL AND NOT EXISTS "
                          "(SELECT 1 FROM dvsync_feed f WHERE f.id = a.sample_bookid AND f.op = 'delete')")
                  .value(),
              0);
    EXPECT_GT(c.query_int("SELECT count(*) FROM sample_book_all WHERE dvsync_deleted_at IS NOT NULL").value(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(modes, feed_kill_test, ::testing::Values("history", "soft_delete", "mirror"));

TEST_F(feed_test, soft_delete_keeps_the_rows_deleted_in_dataverse_beside_the_mirror) {
  create_books(1, 10);
  config_overrides o;
  o.tables = R"([ { "entity_set": "sample_books", "table": "sample_book", "id": "sample_bookid",
    "key": "sample_bookcode", "columns": ["sample_name", "sample_bookcode", "sample_author"], "mode": "soft_delete" } ])";
  write_config(o);
  ASSERT_EQ(once().exit_code, 0);
  auto const gone = id_of("BookCode3");
  ASSERT_EQ(api("DELETE", fmt::format("sample_books({})", gone)).status, 204);
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto c = open(db_path_);
  EXPECT_EQ(c.query_int("SELECT count(*) FROM sample_book").value(), 9);
  EXPECT_EQ(c.query_int("SELECT count(*) FROM sample_book_all").value(), 10);
  EXPECT_EQ(c.query_text(fmt::format("SELECT sample_bookcode FROM sample_book_all WHERE sample_bookid = '{}' AND "
                                     "dvsync_deleted_at IS NOT NULL",
                                     gone))
                .value(),
            "BookCode3");
  EXPECT_EQ(c.query_int("SELECT count(*) FROM sample_book_all WHERE dvsync_deleted_at IS NULL").value(), 9);
}

}  // namespace
}  // namespace dvsync::test
