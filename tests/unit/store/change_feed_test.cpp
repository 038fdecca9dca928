// The change feed and the modes soft_delete and history: what each cycle's merge changed, kept in
// the same commit as the mirror, on real SQLite files.
#include "store/database.hpp"

#include "store_fixture.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <vector>

namespace dvsync::store::test {
namespace {

using V = std::vector<std::string>;

std::string text(char const* s) { return s; }

config::table_spec fed_books(config::table_mode mode = config::table_mode::mirror, bool feed = true) {
  auto spec = books();
  spec.mode = mode;
  spec.change_feed = feed;
  return spec;
}

class change_feed_test : public store_test {
 protected:
  void full(database& db, config::table_spec const& spec, std::vector<dataverse::record> rows, std::string const& link,
            std::int64_t now) {
    ASSERT_TRUE(db.begin_cycle(spec, cycle_kind::full, "test"));
    auto done = db.finish_cycle(spec, upserts(std::move(rows)), link, now);
    ASSERT_TRUE(done) << done.error().message;
  }
  void delta(database& db, config::table_spec const& spec, dataverse::page page, std::string const& link,
             std::int64_t now) {
    ASSERT_TRUE(db.begin_cycle(spec, cycle_kind::delta, "test"));
    auto done = db.finish_cycle(spec, std::move(page), link, now);
    ASSERT_TRUE(done) << done.error().message;
  }

  // "seq:op:id:key:version" for every feed row.
  static V feed(connection& c) {
    auto st = c.prepare(
        "SELECT seq, op, id, coalesce(key_value, '-'), coalesce(version, '-') FROM dvsync_feed ORDER BY seq");
    V out;
    for (;;) {
      auto row = st->step();
      if (!row || !*row) break;
      out.push_back(fmt::format("{}:{}:{}:{}:{}", st->column_text(0), st->column_text(1), st->column_text(2),
                                st->column_text(3), st->column_text(4)));
    }
    return out;
  }

  // Every row of `sql`, its columns joined by ':'.
  static V rows_of(connection& c, std::string const& sql) {
    auto st = c.prepare(sql);
    V out;
    while (st->step().value()) {
      std::string row;
      for (int i = 0; i < st->column_count(); ++i) row += (i ? ":" : "") + st->column_text(i);
      out.push_back(row);
    }
    return out;
  }

  // A consumer: replays the whole feed into a table of its own keyed by the id, as the documented
  // example does, and returns the rows that differ from the mirror, either way (none when equal).
  static std::int64_t replay_differences(connection& c) {
    auto made = c.exec("CREATE TEMP TABLE IF NOT EXISTS replica (id TEXT PRIMARY KEY, code, name, author, version)");
    if (!made) ADD_FAILURE() << made.error().message;
    if (!made || !c.exec("DELETE FROM temp.replica")) return -1;
    auto rows = c.prepare("SELECT op, id, row, version FROM dvsync_feed ORDER BY seq");
    auto upsert = c.prepare(
        "INSERT OR REPLACE INTO replica VALUES (?1, json_extract(?2, '$.sample_bookcode'), "
        "json_extract(?2, '$.sample_name'), json_extract(?2, '$.sample_author'), ?3)");
    auto remove = c.prepare("DELETE FROM replica WHERE id = ?1");
    for (;;) {
      auto row = rows->step();
      if (!row || !*row) break;
      // The statements keep pointers to the text bound, which must outlive their run.
      auto const id = rows->column_text(1);
      auto const json = rows->column_text(2);
      if (rows->column_text(0) == "upsert") {
        upsert->bind_text(1, id);
        upsert->bind_text(2, json);
        upsert->bind_int(3, rows->column_int(3));
        if (auto r = upsert->run(); !r) {
          ADD_FAILURE() << r.error().message;
          return -1;
        }
      } else {
        remove->bind_text(1, id);
        if (!remove->run()) return -1;
      }
    }
    auto const mirror =
        "SELECT sample_bookid, sample_bookcode, sample_name, sample_author, dvsync_version, typeof(sample_bookcode) "
        "FROM sample_book";
    auto const copy = "SELECT id, code, name, author, version, typeof(code) FROM temp.replica";
    return c.query_int(fmt::format("SELECT (SELECT count(*) FROM ({} EXCEPT {})) + (SELECT count(*) FROM ({} EXCEPT {}))",
                                   mirror, copy, copy, mirror))
        .value();
  }

  // A writable connection of the test's own, for the consumer's temporary table.
  connection consumer() const {
    return connection::open(db_path(), open_mode::read_write, std::chrono::milliseconds{5000}).value();
  }
};

TEST_F(change_feed_test, every_change_of_the_merges_is_fed_in_order_and_a_replay_rebuilds_the_mirror) {
  auto db = open_db();
  auto const spec = fed_books();
  full(db, spec, {book("a", text("A1"), "a", 1), book("b", text("B1"), "b", 1)}, "link-1", 1000);
  auto page = upserts({book("a", text("A1"), "a renamed", 2), book("c", text("C1"), "c", 3)});
  page.deletes = {"b", "never-seen"};
  delta(db, spec, page, "link-2", 2000);

  auto c = consumer();
  EXPECT_EQ(feed(c), (V{"1:upsert:a:A1:1", "2:upsert:b:B1:1", "3:delete:b:B1:1", "4:upsert:a:A1:2", "5:upsert:c:C1:3"}));
  EXPECT_EQ(c.query_int("SELECT count(*) FROM dvsync_feed WHERE committed_at = 2000").value(), 3);
  EXPECT_EQ(first_text(c, "SELECT row FROM dvsync_feed WHERE seq = 4"),
            R"({"sample_bookcode":"A1","sample_bookid":"a","sample_name":"a renamed","sample_author":"author"})");
  EXPECT_EQ(c.query_int("SELECT count(*) FROM dvsync_feed WHERE op = 'delete' AND row IS NOT NULL").value(), 0);
  EXPECT_EQ(replay_differences(c), 0);
}

TEST_F(change_feed_test, an_idle_poll_feeds_nothing_and_a_table_without_the_feed_feeds_nothing) {
  auto db = open_db();
  full(db, fed_books(), {book("a", text("A1"), "a", 1)}, "link-1", 1000);
  delta(db, fed_books(), dataverse::page{}, "link-2", 2000);
  full(db, books(), {book("a", text("A1"), "a", 1), book("z", text("Z1"), "z", 1)}, "link-3", 3000);
  auto c = consumer();
  EXPECT_EQ(feed(c), (V{"1:upsert:a:A1:1"}));
}

TEST_F(change_feed_test, two_rows_that_swap_keys_are_fed_so_that_a_replay_by_id_ends_as_the_mirror) {
  auto db = open_db();
  auto const spec = fed_books();
  full(db, spec, {book("a", text("K1"), "a", 1), book("b", text("K2"), "b", 1)}, "link-1", 1000);
  delta(db, spec, upserts({book("a", text("K2"), "a", 2), book("b", text("K1"), "b", 2)}), "link-2", 2000);
  auto c = consumer();
  EXPECT_EQ(mirror_rows(c), (V{"K1:b:b:2", "K2:a:a:2"}));
  EXPECT_EQ(replay_differences(c), 0);
  // Two updates, whatever the order of the merge: the row it displaced from a key and wrote again
  // is not fed as a delete the source never made.
  EXPECT_EQ(feed(c), (V{"1:upsert:a:K1:1", "2:upsert:b:K2:1", "3:upsert:b:K1:2", "4:upsert:a:K2:2"}));
}

// The delta after a full read delivers again the rows written while the read paged, at the version
// the read already had (Dataverse promises no loss, not no repeat): nothing changed, nothing is fed.
TEST_F(change_feed_test, a_row_delivered_again_at_the_version_the_mirror_has_is_not_fed_again) {
  auto db = open_db();
  auto const spec = fed_books(config::table_mode::history);
  full(db, spec, {book("a", text("A1"), "a", 1), book("b", text("B1"), "b", 4)}, "link-1", 1000);
  delta(db, spec, upserts({book("b", text("B1"), "b", 4), book("a", text("A1"), "a v2", 5)}), "link-2", 2000);
  auto c = consumer();
  EXPECT_EQ(feed(c), (V{"1:upsert:a:A1:1", "2:upsert:b:B1:4", "3:upsert:a:A1:5"}));
  EXPECT_EQ(rows_of(c, "SELECT sample_bookid, dvsync_version, dvsync_valid_from, coalesce(dvsync_valid_to, '-') FROM "
                       "sample_book_history ORDER BY sample_bookid, dvsync_valid_from"),
            (V{"a:1:1000:2000", "a:5:2000:-", "b:4:1000:-"}));
  EXPECT_EQ(replay_differences(c), 0);
}

TEST_F(change_feed_test, a_full_resync_feeds_only_what_differs_from_the_mirror_it_replaces) {
  auto db = open_db();
  auto const spec = fed_books();
  full(db, spec, {book("a", text("A1"), "a", 1), book("b", text("B1"), "b", 1), book("c", text("C1"), "c", 1)},
       "link-1", 1000);
  // The delta link expired: the resync reads b changed, c gone, d new, a as it was.
  full(db, spec, {book("a", text("A1"), "a", 1), book("b", text("B1"), "b changed", 2), book("d", text("D1"), "d", 1)},
       "link-2", 2000);
  auto c = consumer();
  EXPECT_EQ(c.query_int("SELECT count(*) FROM dvsync_feed WHERE committed_at = 2000").value(), 3);
  EXPECT_EQ(feed(c).back(), "6:upsert:d:D1:1");
  EXPECT_EQ(c.query_int("SELECT count(*) FROM dvsync_feed WHERE committed_at = 2000 AND op = 'delete' AND id = 'c'").value(),
            1);
  EXPECT_EQ(replay_differences(c), 0);
  EXPECT_EQ(c.query_int("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'dvsync_old%'").value(), 0);
}

TEST_F(change_feed_test, a_full_resync_of_rows_in_random_key_order_over_a_mirror_built_so_too) {
  auto db = open_db();
  auto const spec = fed_books();
  // Keys in descending order go through the side table, and the mirror gets its id index after.
  full(db, spec, {book("d", text("K4"), "d", 1), book("c", text("K3"), "c", 1), book("b", text("K2"), "b", 1),
                  book("a", text("K1"), "a", 1)},
       "link-1", 1000);
  auto c = consumer();
  ASSERT_EQ(c.query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'dvsync_id_sample_book'").value(), 1);
  full(db, spec, {book("e", text("K5"), "e", 1), book("c", text("K3"), "c2", 2), book("b", text("K2"), "b", 1),
                  book("a", text("K1"), "a", 1)},
       "link-2", 2000);
  EXPECT_EQ(mirror_rows(c), (V{"K1:a:a:1", "K2:b:b:1", "K3:c:c2:2", "K5:e:e:1"}));
  EXPECT_EQ(c.query_int("SELECT count(*) FROM dvsync_feed WHERE committed_at = 2000").value(), 3);
  EXPECT_EQ(replay_differences(c), 0);
  EXPECT_EQ(c.query_int("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'dvsync_old%'").value(), 0);
  EXPECT_EQ(db.integrity_check().value(), "ok");
}

TEST_F(change_feed_test, a_full_resync_keeps_the_users_indexes_on_the_mirror) {
  auto db = open_db();
  auto const spec = fed_books();
  full(db, spec, {book("a", text("A1"), "a", 1)}, "link-1", 1000);
  auto c = consumer();
  ASSERT_TRUE(c.exec("CREATE INDEX by_name ON sample_book (sample_name)"));
  full(db, spec, {book("a", text("A1"), "a2", 2)}, "link-2", 2000);
  EXPECT_EQ(c.query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'by_name' AND tbl_name = 'sample_book'").value(), 1);
  EXPECT_EQ(replay_differences(c), 0);
}

TEST_F(change_feed_test, rows_older_than_the_retention_are_pruned_and_sequence_numbers_are_never_reused) {
  auto s = settings();
  s.change_feed_retention_days = 1;
  auto db = database::open(s).value();
  auto const spec = fed_books();
  full(db, spec, {book("a", text("A1"), "a", 1), book("b", text("B1"), "b", 1)}, "link-1", 1000);
  // Two days later: the first cycle's rows go, this one's stay; numbering goes on.
  delta(db, spec, upserts({book("c", text("C1"), "c", 2)}), "link-2", 1000 + 2 * 86400);
  auto c = consumer();
  EXPECT_EQ(feed(c), (V{"3:upsert:c:C1:2"}));
  delta(db, spec, deletes({"c"}), "link-3", 1000 + 4 * 86400);
  EXPECT_EQ(feed(c), (V{"4:delete:c:C1:2"}));
  // Another table's cycle prunes this table's old rows too: what goes is always a prefix of seq.
  auto other = spec;
  other.table = "other_book";
  other.entity_set = "other_books";
  full(db, other, {book("x", text("X1"), "x", 1)}, "link-o", 1000 + 6 * 86400);
  EXPECT_EQ(feed(c), (V{"5:upsert:x:X1:1"}));
  EXPECT_EQ(c.query_int("SELECT change_feed FROM dvsync_table_state WHERE table_name = 'other_book'").value(), 1);
}

TEST_F(change_feed_test, a_real_value_keeps_every_digit_in_the_feed) {
  auto db = open_db();
  auto const spec = fed_books();
  dataverse::record r{"a", 1, {dataverse::value{1.0 / 3}, dataverse::value{std::string("A1")}, dataverse::value{0.1}}};
  full(db, spec, {r}, "link-1", 1000);
  auto c = consumer();
  EXPECT_EQ(first_text(c, "SELECT row FROM dvsync_feed"),
            R"({"sample_bookcode":"A1","sample_bookid":"a","sample_name":0.33333333333333331,"sample_author":0.1})");
  EXPECT_EQ(c.query_int("SELECT json_extract(row, '$.sample_name') = (SELECT sample_name FROM sample_book) FROM dvsync_feed")
                .value(),
            1);
}

TEST_F(change_feed_test, a_table_of_400_columns_is_fed_whole) {
  // Far beyond SQLite's 127 arguments of a function and within its expression depth of 1000.
  config::table_spec wide{"wides", "wide", "wideid", "", {}};
  wide.change_feed = true;
  wide.mode = config::table_mode::history;
  std::vector<dataverse::value> values;
  for (int i = 0; i < 400; ++i) {
    wide.columns.emplace_back(fmt::format("c{}", i));
    values.emplace_back(std::int64_t{i});
  }
  auto db = open_db();
  ASSERT_TRUE(db.begin_cycle(wide, cycle_kind::full, "test"));
  ASSERT_TRUE(db.finish_cycle(wide, upserts({dataverse::record{"w1", 1, values}}), "link-1", 1000));
  values[399] = std::string("changed");
  ASSERT_TRUE(db.begin_cycle(wide, cycle_kind::delta, "test"));
  auto done = db.finish_cycle(wide, upserts({dataverse::record{"w1", 2, values}}), "link-2", 2000);
  ASSERT_TRUE(done) << done.error().message;
  auto c = consumer();
  EXPECT_EQ(c.query_int("SELECT count(*) FROM dvsync_feed").value(), 2);
  EXPECT_EQ(c.query_int("SELECT count(*) FROM json_each((SELECT row FROM dvsync_feed WHERE seq = 2))").value(), 401);
  EXPECT_EQ(first_text(c, "SELECT json_extract(row, '$.c399') FROM dvsync_feed WHERE seq = 2"), "changed");
  EXPECT_EQ(first_text(c, "SELECT c399 FROM wide_history WHERE dvsync_valid_to IS NULL"), "changed");
  EXPECT_EQ(c.query_int("SELECT c398 FROM wide_history WHERE dvsync_valid_to = 2000").value(), 398);
}

TEST_F(change_feed_test, soft_delete_keeps_deleted_rows_marked_with_the_time_of_the_delete) {
  auto db = open_db();
  auto const spec = fed_books(config::table_mode::soft_delete, false);
  full(db, spec, {book("a", text("A1"), "a", 1), book("b", text("B1"), "b", 1)}, "link-1", 1000);
  delta(db, spec, deletes({"b"}), "link-2", 2000);
  // A new row takes the deleted row's key: both are kept, keyed by their ids.
  delta(db, spec, upserts({book("n", text("B1"), "new b", 3)}), "link-3", 3000);
  auto c = consumer();
  EXPECT_EQ(mirror_rows(c), (V{"A1:a:a:1", "B1:n:new b:3"}));
  auto all = [&] {
    V out;
    auto st = c.prepare(
        "SELECT sample_bookid, sample_bookcode, sample_name, dvsync_version, coalesce(dvsync_deleted_at, '-') "
        "FROM sample_book_all ORDER BY sample_bookid");
    while (st->step().value())
      out.push_back(fmt::format("{}:{}:{}:{}:{}", st->column_text(0), st->column_text(1), st->column_text(2),
                                st->column_text(3), st->column_text(4)));
    return out;
  };
  EXPECT_EQ(all(), (V{"a:A1:a:1:-", "b:B1:b:1:2000", "n:B1:new b:3:-"}));
  // The id comes back (restored in Dataverse): live again, with its new values.
  delta(db, spec, upserts({book("b", text("B2"), "b restored", 4)}), "link-4", 4000);
  EXPECT_EQ(all(), (V{"a:A1:a:1:-", "b:B2:b restored:4:-", "n:B1:new b:3:-"}));
  // A full resync that no longer returns a: marked, not removed.
  full(db, spec, {book("b", text("B2"), "b restored", 4), book("n", text("B1"), "new b", 3)}, "link-5", 5000);
  EXPECT_EQ(all(), (V{"a:A1:a:1:5000", "b:B2:b restored:4:-", "n:B1:new b:3:-"}));
  EXPECT_EQ(c.query_int("SELECT count(*) FROM dvsync_feed").value(), 0);
}

TEST_F(change_feed_test, history_keeps_one_row_per_version_with_its_validity) {
  auto db = open_db();
  auto const spec = fed_books(config::table_mode::history, false);
  full(db, spec, {book("a", text("A1"), "a", 1), book("b", text("B1"), "b", 1)}, "link-1", 1000);
  delta(db, spec, upserts({book("a", text("A1"), "a v2", 2)}), "link-2", 2000);
  delta(db, spec, deletes({"b"}), "link-3", 3000);
  delta(db, spec, upserts({book("a", text("A2"), "a v3", 5)}), "link-4", 4000);
  auto c = consumer();
  V rows;
  auto st = c.prepare(
      "SELECT sample_bookid, sample_name, dvsync_version, dvsync_valid_from, coalesce(dvsync_valid_to, '-') "
      "FROM sample_book_history ORDER BY sample_bookid, dvsync_valid_from");
  while (st->step().value())
    rows.push_back(fmt::format("{}:{}:{}:{}-{}", st->column_text(0), st->column_text(1), st->column_text(2),
                               st->column_text(3), st->column_text(4)));
  EXPECT_EQ(rows, (V{"a:a:1:1000-2000", "a:a v2:2:2000-4000", "a:a v3:5:4000--", "b:b:1:1000-3000"}));
  // As of a moment: the rows valid then.
  EXPECT_EQ(c.query_int("SELECT count(*) FROM sample_book_history WHERE dvsync_valid_from <= 2500 AND "
                        "(dvsync_valid_to IS NULL OR dvsync_valid_to > 2500)")
                .value(),
            2);
}

TEST_F(change_feed_test, a_mode_table_made_for_a_mirror_that_has_rows_starts_from_them) {
  auto db = open_db();
  full(db, books(), {book("a", text("A1"), "a", 1)}, "link-1", 1000);
  // The configuration turns history on later: the next cycle's ensure makes and fills the table.
  delta(db, fed_books(config::table_mode::history, false), upserts({book("b", text("B1"), "b", 2)}), "link-2", 2000);
  auto c = consumer();
  EXPECT_EQ(c.query_int("SELECT count(*) FROM sample_book_history WHERE dvsync_valid_to IS NULL").value(), 2);
  EXPECT_EQ(first_text(c, "SELECT sample_bookid FROM sample_book_history WHERE dvsync_version = 1"), "a");
}

TEST_F(change_feed_test, a_mode_table_gains_the_mirrors_new_columns_and_keeps_removed_ones) {
  auto db = open_db();
  auto spec = fed_books(config::table_mode::soft_delete, false);
  full(db, spec, {book("a", text("A1"), "a", 1)}, "link-1", 1000);
  auto wider = spec;
  wider.columns.push_back("sample_pages");
  dataverse::record r{"a", 2, {dataverse::value{std::string("a")}, dataverse::value{std::string("A1")},
                               dataverse::value{std::string("author")}, dataverse::value{std::int64_t{320}}}};
  full(db, wider, {r}, "link-2", 2000);
  auto c = consumer();
  EXPECT_EQ(c.query_int("SELECT sample_pages FROM sample_book_all WHERE sample_bookid = 'a'").value(), 320);
  auto narrower = spec;
  narrower.columns.pop_back();  // sample_author removed in Dataverse
  dataverse::record n{"a", 3, {dataverse::value{std::string("a")}, dataverse::value{std::string("A1")}}};
  full(db, narrower, {n}, "link-3", 3000);
  EXPECT_EQ(first_text(c, "SELECT sample_author FROM sample_book_all WHERE sample_bookid = 'a'"), "author");
  EXPECT_EQ(c.query_int("SELECT dvsync_version FROM sample_book_all WHERE sample_bookid = 'a'").value(), 3);
}


// A mode's table follows only the cycles committed while the mode is on. Turned off and on again,
// it is brought up to the mirror as it is when it comes back: what changed meanwhile is recorded
// at that moment (the versions in between are not known to anyone any more).
TEST_F(change_feed_test, history_turned_off_and_on_again_catches_up_with_the_mirror) {
  auto db = open_db();
  auto const history = fed_books(config::table_mode::history, false);
  full(db, history, {book("a", text("A1"), "a", 1), book("b", text("B1"), "b", 1), book("k", text("K1"), "k", 1)},
       "link-1", 1000);
  auto page = upserts({book("a", text("A1"), "a v2", 2), book("c", text("C1"), "c", 3)});
  page.deletes = {"b"};
  delta(db, books(), page, "link-2", 2000);  // mode mirror: the history table is left alone
  delta(db, history, dataverse::page{}, "link-3", 3000);
  auto c = consumer();
  auto const rows = rows_of(c,
                            "SELECT sample_bookid, sample_name, dvsync_version, CASE WHEN dvsync_valid_to IS NULL THEN "
                            "'current' ELSE 'closed' END FROM sample_book_history ORDER BY sample_bookid, dvsync_history_id");
  EXPECT_EQ(rows, (V{"a:a:1:closed", "a:a v2:2:current", "b:b:1:closed", "c:c:3:current", "k:k:1:current"}));
  // Each current row is the mirror's, and it happened once: the next cycles change nothing more.
  delta(db, history, dataverse::page{}, "link-4", 4000);
  EXPECT_EQ(c.query_int("SELECT count(*) FROM sample_book_history").value(), 5);
  EXPECT_EQ(c.query_int("SELECT count(*) FROM sample_book_history h JOIN sample_book m USING (sample_bookid) "
                        "WHERE h.dvsync_valid_to IS NULL AND h.dvsync_version = m.dvsync_version")
                .value(),
            3);
}

TEST_F(change_feed_test, soft_delete_turned_off_and_on_again_marks_what_went_and_takes_what_came) {
  auto db = open_db();
  auto const soft = fed_books(config::table_mode::soft_delete, false);
  full(db, soft, {book("a", text("A1"), "a", 1), book("b", text("B1"), "b", 1)}, "link-1", 1000);
  auto page = upserts({book("a", text("A1"), "a v2", 2), book("c", text("C1"), "c", 3)});
  page.deletes = {"b"};
  // Switched to history meanwhile: the soft-delete table is not kept either.
  delta(db, fed_books(config::table_mode::history, false), page, "link-2", 2000);
  delta(db, soft, dataverse::page{}, "link-3", 3000);
  auto c = consumer();
  auto const rows = rows_of(c,
                            "SELECT sample_bookid, sample_name, dvsync_version, CASE WHEN dvsync_deleted_at IS NULL THEN "
                            "'live' ELSE 'deleted' END FROM sample_book_all ORDER BY sample_bookid");
  EXPECT_EQ(rows, (V{"a:a v2:2:live", "b:b:1:deleted", "c:c:3:live"}));
}

}  // namespace
}  // namespace dvsync::store::test
