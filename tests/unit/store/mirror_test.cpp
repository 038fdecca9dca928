#include "store/database.hpp"

#include "store_fixture.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

namespace dvsync::store::test {
namespace {

using V = std::vector<std::string>;
using mirror_test = store_test;

std::string text(char const* s) { return s; }

TEST_F(mirror_test, a_full_cycle_is_invisible_to_readers_until_its_last_page_commits) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "old a", 1), book("b", text("Y"), "b", 1)});
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"X:a:old a:1", "Y:b:b:1"}));

  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "manual"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("a", text("X"), "new a", 2), book("c", text("Z"), "c", 1)}), "next-1"));
  {
    auto snapshot = transaction::begin_read(r).value();
    EXPECT_EQ(mirror_rows(r), (V{"X:a:old a:1", "Y:b:b:1"}));
    ASSERT_TRUE(db.stage_page(books(), upserts({book("d", text("W"), "d", 1)}), "next-2"));
    EXPECT_EQ(mirror_rows(r), (V{"X:a:old a:1", "Y:b:b:1"}));
    auto totals = db.finish_cycle(books(), upserts({book("e", text("V"), "e", 1)}), "link-2", 2000);
    ASSERT_TRUE(totals) << totals.error().message;
    // b was not returned by the full read: removed in the same commit.
    EXPECT_EQ(totals->upserts, 4);
    EXPECT_EQ(totals->deletes, 1);
    EXPECT_EQ(totals->rows, 4);
    // Still inside the reader's snapshot: the old, complete mirror.
    EXPECT_EQ(mirror_rows(r), (V{"X:a:old a:1", "Y:b:b:1"}));
    EXPECT_EQ(first_text(r, "SELECT delta_link FROM dvsync_table_state"), "link-1");
  }
  EXPECT_EQ(mirror_rows(r), (V{"V:e:e:1", "W:d:d:1", "X:a:new a:2", "Z:c:c:1"}));
  EXPECT_EQ(first_text(r, "SELECT delta_link FROM dvsync_table_state"), "link-2");
  EXPECT_EQ(r.query_int("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'dvsync_s%'").value(), 0);

  auto s = db.load_state("sample_book").value();
  EXPECT_EQ(s.last_cycle_pages, 3);
  EXPECT_EQ(s.last_cycle_upserts, 4);
  EXPECT_EQ(s.last_cycle_deletes, 1);
  EXPECT_EQ(s.full_resyncs, 1);
  EXPECT_EQ(s.delta_link_at, 2000);
  EXPECT_FALSE(s.cycle_kind);
  EXPECT_EQ(db.integrity_check().value(), "ok");
}

TEST_F(mirror_test, a_delta_applies_upserts_and_deletes_and_ignores_unknown_deletes) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1), book("b", text("Y"), "b", 1), book("c", text("Z"), "c", 1)});
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  auto first = upserts({book("d", text("W"), "d", 5), book("a", text("X"), "a renamed", 6)});
  first.deletes = {"c"};
  ASSERT_TRUE(db.stage_page(books(), first, "next-1"));
  auto totals = db.finish_cycle(books(), deletes({"never-seen"}), "link-2", 2000);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(totals->upserts, 2);
  EXPECT_EQ(totals->deletes, 2);
  EXPECT_EQ(totals->rows, 3);
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"W:d:d:5", "X:a:a renamed:6", "Y:b:b:1"}));
  auto s = db.load_state("sample_book").value();
  EXPECT_EQ(s.delta_link, "link-2");
  EXPECT_EQ(s.full_resyncs, 0);
  EXPECT_EQ(s.last_cycle_pages, 2);
}

TEST_F(mirror_test, an_idle_poll_changes_no_schema_and_a_delta_makes_its_stage_with_its_first_page) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  ASSERT_TRUE(db.checkpoint_after_cycle());
  auto r = reader();
  auto const schema = r.query_int("PRAGMA schema_version").value();
  auto cycle_tables = [&] {
    return r.query_int("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'dvsync\\_%\\_sample\\_book' ESCAPE '\\' "
                       "AND name NOT IN ('dvsync_id_sample_book')")
        .value();
  };
  // A schema change would make SQLite compile every statement again at each poll.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
    EXPECT_EQ(cycle_tables(), 0);
    auto totals = db.finish_cycle(books(), {}, "link-idle", 2000 + i);
    ASSERT_TRUE(totals) << totals.error().message;
    EXPECT_EQ(totals->rows, 1);
  }
  EXPECT_EQ(r.query_int("PRAGMA schema_version").value(), schema);
  EXPECT_FALSE(db.checkpoint_due()) << "an idle poll changes no data";

  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("b", text("Y"), "b", 2)}), "next-1"));
  EXPECT_EQ(cycle_tables(), 1) << "the first page made the stage";
  auto totals = db.finish_cycle(books(), deletes({"a"}), "link-2", 3000);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(cycle_tables(), 0);
  EXPECT_EQ(mirror_rows(r), (V{"Y:b:b:2"}));

  // A delta of one page: the last page stages into a stage it makes itself.
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  totals = db.finish_cycle(books(), upserts({book("c", text("Z"), "c", 3)}), "link-3", 4000);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(totals->upserts, 1);
  EXPECT_EQ(mirror_rows(r), (V{"Y:b:b:2", "Z:c:c:3"}));
}

TEST_F(mirror_test, applying_the_same_delta_twice_changes_nothing) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1), book("b", text("Y"), "b", 1)});
  auto page = upserts({book("a", text("Q"), "a2", 2)});
  page.deletes = {"b"};
  for (auto link : {"link-2", "link-3"}) {
    ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
    ASSERT_TRUE(db.finish_cycle(books(), page, link, 2000));
  }
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"Q:a:a2:2"}));
}

TEST_F(mirror_test, a_key_change_moves_the_row) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.finish_cycle(books(), upserts({book("a", text("Q"), "a", 2)}), "link-2", 2000));
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"Q:a:a:2"}));
}

TEST_F(mirror_test, two_rows_swapping_keys_end_equal_to_the_source) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1), book("b", text("Y"), "b", 1), book("c", text("Z"), "c", 1)});
  // One page, and again across pages with the higher version staged first.
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.finish_cycle(books(), upserts({book("a", text("Y"), "a", 2), book("b", text("X"), "b", 3)}), "link-2", 2000));
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"X:b:b:3", "Y:a:a:2", "Z:c:c:1"}));

  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("c", text("X"), "c", 9)}), "next-1"));
  ASSERT_TRUE(db.finish_cycle(books(), upserts({book("b", text("Z"), "b", 8)}), "link-3", 3000));
  EXPECT_EQ(mirror_rows(r), (V{"X:c:c:9", "Y:a:a:2", "Z:b:b:8"}));
}

TEST_F(mirror_test, when_two_staged_rows_claim_one_key_the_higher_version_wins) {
  // b took key Y after a's read; a's own later change comes with the next delta.
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1), book("b", text("W"), "b", 1)});
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("b", text("Y"), "b", 11)}), "next-1"));
  ASSERT_TRUE(db.finish_cycle(books(), upserts({book("a", text("Y"), "a", 10)}), "link-2", 2000));
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"Y:b:b:11"}));
}

TEST_F(mirror_test, the_row_count_of_a_delta_is_exact_without_counting_the_table) {
  auto db = open_db();
  auto r = reader();
  initial_sync(db, {book("a", text("X"), "a", 1), book("b", text("Y"), "b", 1), book("c", text("Z"), "c", 1),
                    book("d", text("W"), "d", 1)});
  auto check = [&](dataverse::page const& page, std::string const& link) {
    ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
    auto totals = db.finish_cycle(books(), page, link, 2000);
    ASSERT_TRUE(totals) << totals.error().message;
    auto counted = r.query_int("SELECT count(*) FROM sample_book").value();
    EXPECT_EQ(totals->rows, counted) << link;
    EXPECT_EQ(db.read_status(2000).value().at(0).rows, counted) << link;
    EXPECT_EQ(db.load_state("sample_book").value().mirror_rows, counted) << link;
  };
  // A new row; a key change; a key taken from a row the delta does not mention.
  check(upserts({book("e", text("V"), "e", 2), book("a", text("Q"), "a", 2), book("b", text("Z"), "b", 2)}), "link-2");
  // Two rows swap keys; a delete of a known and of an unknown id; a reject of a mirrored row.
  auto mixed = upserts({book("a", text("V"), "a", 3), book("e", text("Q"), "e", 3)});
  mixed.deletes = {"d", "never-seen"};
  mixed.rejects = {{"b", "{}", "no key"}};
  check(mixed, "link-3");
  // Two staged rows claim one key; the same id twice; nothing at all.
  check(upserts({book("f", text("K"), "f", 4), book("g", text("K"), "g", 5), book("a", text("V"), "a", 6),
                 book("a", text("V"), "a", 7)}),
        "link-4");
  check({}, "link-5");
}

TEST_F(mirror_test, the_row_count_is_stored_with_the_cycle_so_a_new_process_does_not_count_the_table) {
  {
    auto db = open_db();
    initial_sync(db, {book("a", text("X"), "a", 1), book("b", text("Y"), "b", 1)});
    EXPECT_EQ(db.load_state("sample_book").value().mirror_rows, 2);
  }
  // A count the table does not have, to tell a stored count from one made again.
  {
    auto raw = connection::open(db_path(), open_mode::read_write, std::chrono::milliseconds{5000}).value();
    ASSERT_TRUE(raw.exec("UPDATE dvsync_table_state SET mirror_rows = 41"));
  }
  auto db = open_db();
  EXPECT_EQ(db.read_status(2000).value().at(0).rows, 41);
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  auto totals = db.finish_cycle(books(), upserts({book("c", text("Z"), "c", 2)}), "link-2", 2000);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(totals->rows, 42);

  // A full cycle counts what it built; a mirror table made anew is counted again.
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "manual"));
  totals = db.finish_cycle(books(), upserts({book("a", text("X"), "a", 3)}), "link-3", 3000);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(db.load_state("sample_book").value().mirror_rows, 1);
  {
    auto raw = connection::open(db_path(), open_mode::read_write, std::chrono::milliseconds{5000}).value();
    ASSERT_TRUE(raw.exec("DROP TABLE sample_book"));
  }
  auto again = open_db();
  ASSERT_TRUE(again.ensure_table(books()));
  EXPECT_EQ(again.load_state("sample_book").value().mirror_rows, std::nullopt);
  EXPECT_EQ(again.read_status(4000).value().at(0).rows, 0);
}

TEST_F(mirror_test, a_row_count_not_stored_yet_is_counted_and_a_wrong_one_is_corrected) {
  auto raw = [&](std::string const& sql) {
    auto c = connection::open(db_path(), open_mode::read_write, std::chrono::milliseconds{5000}).value();
    ASSERT_TRUE(c.exec(sql));
  };
  {
    auto db = open_db();
    initial_sync(db, {book("a", text("X"), "a", 1), book("b", text("Y"), "b", 1), book("c", text("Z"), "c", 1)});
  }
  // As a database upgraded from schema version 2 has it.
  raw("UPDATE dvsync_table_state SET mirror_rows = NULL");
  {
    auto db = open_db();
    EXPECT_EQ(db.read_status(2000).value().at(0).rows, 3);
    ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
    auto totals = db.finish_cycle(books(), deletes({"a"}), "link-2", 2000);
    ASSERT_TRUE(totals) << totals.error().message;
    EXPECT_EQ(totals->rows, 2);
    EXPECT_EQ(db.load_state("sample_book").value().mirror_rows, 2);
  }
  // Rows deleted by hand behind dvsync's back: the count it stored cannot go below zero.
  raw("DELETE FROM sample_book; UPDATE dvsync_table_state SET mirror_rows = 0");
  raw("INSERT INTO sample_book (sample_bookcode, sample_bookid, sample_name, sample_author, dvsync_version) "
      "VALUES ('Y', 'b', 'b', 'author', 1)");
  auto db = open_db();
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  auto totals = db.finish_cycle(books(), deletes({"b"}), "link-3", 3000);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(totals->rows, 0);
}

TEST_F(mirror_test, cycle_tables_left_under_another_case_are_dropped_when_a_cycle_begins) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  {
    auto c = connection::open(db_path(), open_mode::read_write, std::chrono::milliseconds{5000}).value();
    ASSERT_TRUE(c.exec("CREATE TABLE DVSYNC_STAGE_SAMPLE_BOOK (junk)"));
  }
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  auto r = reader();
  EXPECT_EQ(r.query_int("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'dvsync_stage_%'").value(), 0);
  ASSERT_TRUE(db.finish_cycle(books(), upserts({book("b", text("Y"), "b", 2)}), "link-2", 2000));
  EXPECT_EQ(mirror_rows(r), (V{"X:a:a:1", "Y:b:b:2"}));
}

TEST_F(mirror_test, a_cycle_whose_staged_pages_are_gone_refuses_to_go_on) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  EXPECT_TRUE(db.staging_intact(books(), cycle_kind::delta).value()) << "nothing in progress";
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  EXPECT_TRUE(db.staging_intact(books(), cycle_kind::delta).value()) << "nothing staged yet";
  ASSERT_TRUE(db.stage_page(books(), deletes({"a"}), "next-1"));
  EXPECT_TRUE(db.staging_intact(books(), cycle_kind::delta).value());
  {
    auto c = connection::open(db_path(), open_mode::read_write, std::chrono::milliseconds{5000}).value();
    ASSERT_TRUE(c.exec("DROP TABLE dvsync_stage_sample_book"));
  }
  EXPECT_FALSE(db.staging_intact(books(), cycle_kind::delta).value());
  // Finishing would store a delta link past the delete that was staged.
  EXPECT_FALSE(db.stage_page(books(), upserts({book("b", text("Y"), "b", 2)}), "next-2"));
  auto last = db.finish_cycle(books(), {}, "link-2", 2000);
  ASSERT_FALSE(last);
  EXPECT_NE(last.error().message.find("working tables of the cycle in progress are gone"), std::string::npos)
      << last.error().message;
  // Another process resuming the cycle is told the same.
  auto other = open_db();
  auto resumed = other.stage_page(books(), upserts({book("b", text("Y"), "b", 2)}), "next-2");
  ASSERT_FALSE(resumed);
  EXPECT_NE(resumed.error().message.find("are gone"), std::string::npos) << resumed.error().message;
  EXPECT_EQ(db.load_state("sample_book").value().delta_link, "link-1");

  // A delta that never made its stage is abandoned like any other.
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.abandon_cycle(books()));
  EXPECT_EQ(db.load_state("sample_book").value().cycle_kind, std::nullopt);
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"X:a:a:1"}));

  // A full read whose shadow is gone cannot resume either.
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "manual"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("b", text("Y"), "b", 2)}), "next-1"));
  EXPECT_TRUE(db.staging_intact(books(), cycle_kind::full).value());
  {
    auto c = connection::open(db_path(), open_mode::read_write, std::chrono::milliseconds{5000}).value();
    ASSERT_TRUE(c.exec("DROP TABLE dvsync_shadow_sample_book"));
  }
  EXPECT_FALSE(db.staging_intact(books(), cycle_kind::full).value());
}

TEST_F(mirror_test, a_delta_begun_by_an_older_dvsync_is_finished_by_this_one) {
  auto db = std::make_optional(open_db());
  initial_sync(*db, {book("a", text("X"), "a", 1)});
  ASSERT_TRUE(db->begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db->stage_page(books(), upserts({book("b", text("Y"), "b", 2)}), "next-1"));
  db.reset();
  {
    // What the previous version left: a stage without page numbers.
    auto c = connection::open(db_path(), open_mode::read_write, std::chrono::milliseconds{5000}).value();
    ASSERT_TRUE(c.exec("ALTER TABLE dvsync_stage_sample_book DROP COLUMN dvsync_page"));
  }
  db.emplace(open_db());
  ASSERT_TRUE(db->stage_page(books(), deletes({"a"}), "next-2"));
  ASSERT_TRUE(db->finish_cycle(books(), upserts({book("c", text("Z"), "c", 3)}), "link-2", 2000));
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"Y:b:b:2", "Z:c:c:3"}));
}

TEST_F(mirror_test, a_row_created_and_deleted_within_one_cycle_leaves_nothing) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("n", text("N"), "new", 4)}), "next-1"));
  auto totals = db.finish_cycle(books(), deletes({"n"}), "link-2", 2000);
  ASSERT_TRUE(totals);
  EXPECT_EQ(totals->upserts, 0);
  EXPECT_EQ(totals->deletes, 1);
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"X:a:a:1"}));
}

TEST_F(mirror_test, duplicates_within_a_cycle_keep_the_highest_version) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("a", text("X"), "five", 5)}), "next-1"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("a", text("X"), "four", 4)}), "next-2"));
  ASSERT_TRUE(db.finish_cycle(books(), {}, "link-2", 2000));
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"X:a:five:5"}));

  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("a", text("X"), "six", 6)}), "next-1"));
  ASSERT_TRUE(db.finish_cycle(books(), upserts({book("a", text("X"), "seven", 7)}), "link-3", 3000));
  EXPECT_EQ(mirror_rows(r), (V{"X:a:seven:7"}));

  // A full read keeps the highest version too, even when the duplicate has another key.
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "manual"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("a", text("Q"), "nine", 9)}), "next-1"));
  ASSERT_TRUE(db.finish_cycle(books(), upserts({book("a", text("X"), "eight", 8)}), "link-4", 4000));
  EXPECT_EQ(mirror_rows(r), (V{"Q:a:nine:9"}));
}

TEST_F(mirror_test, a_row_with_a_null_or_empty_key_is_rejected_and_a_later_valid_version_restores_it) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1), book("b", text("Y"), "b", 1)});
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  dataverse::page page;
  page.rejects = {{"a", R"({"sample_bookid":"a","sample_bookcode":null})", "key sample_bookcode is null"}};
  // An empty key that reaches the store is rejected too, with its values as JSON.
  page.upserts = {book("b", text(""), "b", 2), book("c", dataverse::value{}, "c", 2)};
  auto totals = db.finish_cycle(books(), page, "link-2", 2000);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(totals->rejects, 3);
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), V{});
  EXPECT_EQ(reject_rows(r), (V{"a:key sample_bookcode is null", "b:key sample_bookcode is empty", "c:key sample_bookcode is null"}));
  EXPECT_EQ(first_text(r, "SELECT raw_json FROM dvsync_rejects WHERE id = 'b'"),
            R"({"sample_bookid":"b","sample_name":"b","sample_bookcode":"","sample_author":"author"})");
  EXPECT_EQ(r.query_int("SELECT seen_at FROM dvsync_rejects WHERE id = 'a'").value(), 2000);

  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  auto fixed = upserts({book("a", text("X"), "a", 3)});
  fixed.deletes = {"b", "c"};
  ASSERT_TRUE(db.finish_cycle(books(), fixed, "link-3", 3000));
  EXPECT_EQ(mirror_rows(r), (V{"X:a:a:3"}));
  EXPECT_EQ(reject_rows(r), V{});
}

TEST_F(mirror_test, a_full_resync_removes_rows_and_rejects_the_read_did_not_return) {
  auto db = open_db();
  dataverse::page first = upserts({book("a", text("X"), "a", 1), book("b", text("Y"), "b", 1)});
  first.rejects = {{"r", "{}", "no key"}};
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "initial"));
  ASSERT_TRUE(db.finish_cycle(books(), first, "link-1", 1000));
  auto r = reader();
  EXPECT_EQ(reject_rows(r), (V{"r:no key"}));
  EXPECT_EQ(db.load_state("sample_book").value().full_resyncs, 0);

  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "token_expired"));
  dataverse::page again = upserts({book("b", text("Y"), "b", 2)});
  again.rejects = {{"s", "{}", "no key"}};
  auto totals = db.finish_cycle(books(), again, "link-2", 2000);
  ASSERT_TRUE(totals);
  EXPECT_EQ(totals->deletes, 1);
  EXPECT_EQ(mirror_rows(r), (V{"Y:b:b:2"}));
  EXPECT_EQ(reject_rows(r), (V{"s:no key"}));
  EXPECT_EQ(db.load_state("sample_book").value().full_resyncs, 1);
}

TEST_F(mirror_test, in_a_full_read_the_later_of_a_reject_and_an_upsert_of_one_id_wins) {
  auto db = open_db();
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "initial"));
  dataverse::page p1 = upserts({book("a", text("X"), "a", 1)});
  p1.rejects = {{"b", "{}", "no key"}};
  ASSERT_TRUE(db.stage_page(books(), p1, "next-1"));
  dataverse::page p2 = upserts({book("b", text("Y"), "b", 2)});
  p2.rejects = {{"a", "{}", "no key"}};
  ASSERT_TRUE(db.finish_cycle(books(), p2, "link-1", 1000));
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"Y:b:b:2"}));
  EXPECT_EQ(reject_rows(r), (V{"a:no key"}));
}

TEST_F(mirror_test, an_interrupted_cycle_keeps_its_staged_pages_and_cursor_across_a_restart) {
  auto db = std::make_optional(open_db());
  initial_sync(*db, {book("a", text("X"), "a", 1)});
  for (auto kind : {cycle_kind::full, cycle_kind::delta}) {
    // Full: b, c, d replace a. Delta: e, f, g join b, c, d.
    auto const full = kind == cycle_kind::full;
    ASSERT_TRUE(db->begin_cycle(books(), kind, "test"));
    ASSERT_TRUE(db->stage_page(books(), upserts({full ? book("b", text("B"), "b", 2) : book("e", text("E"), "e", 5)}), "next-1"));
    ASSERT_TRUE(db->stage_page(books(), upserts({full ? book("c", text("C"), "c", 3) : book("f", text("F"), "f", 6)}), "next-2"));
    db.reset();  // as if the process died here: only what was committed exists
    db.emplace(open_db());
    auto s = db->load_state("sample_book").value();
    EXPECT_EQ(s.cycle_kind, kind);
    EXPECT_EQ(s.cursor, "next-2");
    EXPECT_EQ(s.pages_staged, 2);
    EXPECT_EQ(s.cycle_reason, "test");
    auto last = upserts({full ? book("d", text("D"), "d", 4) : book("g", text("G"), "g", 7)});
    auto totals = db->finish_cycle(books(), last, "link-" + std::string(to_string(kind)), 2000);
    ASSERT_TRUE(totals) << totals.error().message;
    EXPECT_EQ(totals->upserts, 3);
    auto r = reader();
    auto expected = full ? V{"B:b:b:2", "C:c:c:3", "D:d:d:4"}
                         : V{"B:b:b:2", "C:c:c:3", "D:d:d:4", "E:e:e:5", "F:f:f:6", "G:g:g:7"};
    EXPECT_EQ(mirror_rows(r), expected);
    EXPECT_EQ(db->load_state("sample_book").value().last_cycle_pages, 3);
  }
}

TEST_F(mirror_test, abandoning_a_cycle_discards_its_staging_and_keeps_mirror_and_link) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.stage_page(books(), deletes({"a"}), "next-1"));
  ASSERT_TRUE(db.abandon_cycle(books()));
  auto s = db.load_state("sample_book").value();
  EXPECT_FALSE(s.cycle_kind);
  EXPECT_FALSE(s.cursor);
  EXPECT_EQ(s.pages_staged, 0);
  EXPECT_EQ(s.delta_link, "link-1");
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"X:a:a:1"}));
  EXPECT_EQ(r.query_int("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'dvsync_s%'").value(), 0);

  auto orphan = db.stage_page(books(), deletes({"a"}), "next-2");
  ASSERT_FALSE(orphan);
  EXPECT_NE(orphan.error().message.find("no cycle in progress"), std::string::npos);
  EXPECT_FALSE(db.finish_cycle(books(), {}, "link-2", 2000));
  EXPECT_EQ(mirror_rows(r), (V{"X:a:a:1"}));
}

TEST_F(mirror_test, beginning_a_cycle_discards_what_an_earlier_one_staged) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.stage_page(books(), deletes({"a"}), "next-1"));
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "token_expired"));
  ASSERT_TRUE(db.finish_cycle(books(), upserts({book("a", text("X"), "a", 1), book("b", text("Y"), "b", 1)}), "link-2", 2000));
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"X:a:a:1", "Y:b:b:1"}));
}

TEST_F(mirror_test, ensure_table_refuses_a_table_that_mirrors_another_entity_set) {
  auto db = open_db();
  ASSERT_TRUE(db.ensure_table(books()));
  auto other = books();
  other.entity_set = "sample_magazines";
  auto r = db.ensure_table(other);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::errc::config_invalid);
  EXPECT_NE(r.error().message.find("sample_books"), std::string::npos);
}

TEST_F(mirror_test, a_dropped_mirror_table_also_drops_its_delta_link) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  {
    auto raw = connection::open(db_path(), open_mode::read_write, std::chrono::milliseconds{1000}).value();
    ASSERT_TRUE(raw.exec("DROP TABLE sample_book"));
  }
  ASSERT_TRUE(db.ensure_table(books()));
  auto s = db.load_state("sample_book").value();
  EXPECT_FALSE(s.delta_link);
  EXPECT_EQ(phase_of(s), phase::never_synced);
}

TEST_F(mirror_test, user_indexes_and_views_survive_a_full_resync) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  {
    auto raw = connection::open(db_path(), open_mode::read_write, std::chrono::milliseconds{1000}).value();
    ASSERT_TRUE(raw.exec("CREATE INDEX by_name ON sample_book (sample_name); "
                         "CREATE VIEW names AS SELECT sample_name FROM sample_book"));
  }
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "manual"));
  auto done = db.finish_cycle(books(), upserts({book("b", text("Y"), "b", 1)}), "link-2", 2000);
  ASSERT_TRUE(done) << done.error().message;
  auto r = reader();
  EXPECT_EQ(first_text(r, "SELECT tbl_name FROM sqlite_schema WHERE name = 'by_name'"), "sample_book");
  EXPECT_EQ(first_text(r, "SELECT group_concat(sample_name) FROM names"), "b");
  EXPECT_EQ(db.integrity_check().value(), "ok");
}

TEST_F(mirror_test, identifiers_needing_quotes_work_end_to_end) {
  auto db = open_db();
  config::table_spec odd{"odd_set", "odd\"table", "the id", "key\"col", {"key\"col", "select"}};
  ASSERT_TRUE(db.begin_cycle(odd, cycle_kind::full, "initial"));
  dataverse::record rec{"g1", 1, {dataverse::value{std::string("k1")}, dataverse::value{std::int64_t{5}}}};
  ASSERT_TRUE(db.finish_cycle(odd, upserts({rec}), "link-1", 1000));
  auto r = reader();
  EXPECT_EQ(first_text(r, "SELECT \"key\"\"col\" || '/' || \"the id\" || '/' || \"select\" FROM \"odd\"\"table\""), "k1/g1/5");
  ASSERT_TRUE(db.begin_cycle(odd, cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.finish_cycle(odd, deletes({"g1"}), "link-2", 2000));
  EXPECT_EQ(r.query_int("SELECT count(*) FROM \"odd\"\"table\"").value(), 0);
}

TEST_F(mirror_test, a_record_with_the_wrong_number_of_values_fails_the_page_without_staging_it) {
  auto db = open_db();
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "initial"));
  dataverse::record bad{"a", 1, {dataverse::value{std::string("only one")}}};
  auto r = db.stage_page(books(), upserts({book("b", text("Y"), "b", 1), bad}), "next-1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::errc::protocol);
  auto s = db.load_state("sample_book").value();
  EXPECT_EQ(s.pages_staged, 0);
  EXPECT_FALSE(s.cursor);
  auto raw = reader();
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM dvsync_shadow_sample_book").value(), 0);
}

TEST_F(mirror_test, a_cycle_leaves_its_checkpoint_to_be_run_after_it) {
  // Rows of 10,000 characters: one to a 16 KiB page, so the cycle writes more than the 1,000
  // frames at which SQLite's automatic checkpoint would copy them into the database at commit.
  auto db = open_db();
  std::vector<dataverse::record> rows;
  for (int i = 0; i < 1200; ++i) {
    auto n = std::to_string(100000 + i);
    rows.push_back(book("id-" + n, dataverse::value{"code-" + n}, std::string(10000, 'x'), 1));
  }
  initial_sync(db, rows);
  auto const size_before = std::filesystem::file_size(db_path());
  EXPECT_LT(size_before, 1200u * 16384u / 2) << "the commit copied the WAL into the database itself";
  auto r = reader();
  EXPECT_EQ(r.query_int("SELECT count(*) FROM sample_book").value(), 1200) << "committed rows are visible at once";

  auto done = db.checkpoint_after_cycle();
  ASSERT_TRUE(done) << done.error().message;
  ASSERT_TRUE(*done);
  EXPECT_GE((*done)->checkpointed_frames, 1200);
  EXPECT_GE(std::filesystem::file_size(db_path()), 1200u * 16384u);

  auto again = db.checkpoint_after_cycle();
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again) << "nothing is due until another cycle commits";
}

TEST_F(mirror_test, a_delta_updates_rows_in_place_and_replaces_those_whose_key_or_id_moved) {
  auto db = open_db();
  initial_sync(db, {book("a", text("A"), "a", 1), book("b", text("B"), "b", 1), book("c", text("C"), "c", 1)});
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  // a: same key, new name; b: new key; d: new row taking c's key after c was deleted upstream.
  auto page = upserts({book("a", text("A"), "a2", 2), book("b", text("B2"), "b2", 3), book("d", text("C"), "d", 4)});
  page.deletes = {"c"};
  auto totals = db.finish_cycle(books(), page, "link-2", 2000);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(totals->rows, 3);
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"A:a:a2:2", "B2:b:b2:3", "C:d:d:4"}));
  EXPECT_EQ(first_text(r, "PRAGMA integrity_check"), "ok");
}

TEST_F(mirror_test, a_reader_holding_one_snapshot_holds_checkpoints_back_and_is_reported) {
  auto db = open_db();
  initial_sync(db, {book("a", text("A"), "a", 1)});
  ASSERT_TRUE(db.checkpoint_after_cycle());
  auto r = reader();
  ASSERT_TRUE(r.exec("BEGIN"));
  EXPECT_EQ(r.query_int("SELECT count(*) FROM sample_book").value(), 1);  // the snapshot starts here
  auto delta = [&](int i) {
    ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
    auto n = std::to_string(i);
    ASSERT_TRUE(db.finish_cycle(books(), upserts({book("id-" + n, dataverse::value{"code-" + n}, "x", i + 2)}), "link", 2000));
  };
  testing::internal::CaptureStderr();
  for (int i = 0; i < 5; ++i) {
    delta(i);
    auto done = db.checkpoint_after_cycle();
    ASSERT_TRUE(done && *done);
    EXPECT_FALSE((*done)->complete) << i;
  }
  auto held = testing::internal::GetCapturedStderr();
  EXPECT_NE(held.find("level=warn event=store.checkpoint_held_back cycles=5"), std::string::npos) << held;
  // The metrics' counts: one complete before the snapshot, five held back, frames left behind.
  auto counts = db.checkpoints();
  EXPECT_EQ(counts.complete, 1u);
  EXPECT_EQ(counts.incomplete, 5u);
  EXPECT_EQ(counts.failed, 0u);
  EXPECT_GT(counts.frames_pending, 0u);
  EXPECT_EQ(r.query_int("SELECT count(*) FROM sample_book").value(), 1) << "the reader's snapshot stays";

  ASSERT_TRUE(r.exec("COMMIT"));
  testing::internal::CaptureStderr();
  delta(5);
  auto done = db.checkpoint_after_cycle();
  auto caught_up = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(done && *done);
  EXPECT_TRUE((*done)->complete);
  EXPECT_NE(caught_up.find("event=store.checkpoint_caught_up held_back_cycles=5"), std::string::npos) << caught_up;
  counts = db.checkpoints();
  EXPECT_EQ(counts.complete, 2u);
  EXPECT_EQ(counts.incomplete, 5u);
  EXPECT_EQ(counts.frames_pending, 0u);
}

}  // namespace
}  // namespace dvsync::store::test
