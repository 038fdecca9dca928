// Full reads whose keys do not arrive in key order: real tables are read in id order, so their
// alternate keys come in any order. Rows out of order wait in the side table and are sorted in by
// the final commit; the mirror must be the same as if they had come in order.
#include "store/database.hpp"

#include "store_fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace dvsync::store::test {
namespace {

using V = std::vector<std::string>;
using full_read_order_test = store_test;

dataverse::value text(std::string s) { return dataverse::value{std::move(s)}; }

std::int64_t count(connection& c, std::string const& sql) { return c.query_int(sql).value(); }

// Whether the last full cycle sorted side rows in: only that build creates this index.
bool sorted_in(connection& c) {
  return count(c, "SELECT count(*) FROM sqlite_schema WHERE name = 'dvsync_id_sample_book'") == 1;
}

TEST_F(full_read_order_test, keys_in_random_order_give_the_mirror_that_keys_in_order_give) {
  std::vector<dataverse::record> rows;
  V expected;
  for (int i = 0; i < 3000; ++i) {
    auto n = std::to_string(10000 + i);
    rows.push_back(book("id-" + n, text("code-" + n), "name-" + n, i + 1));
    expected.push_back("code-" + n + ":id-" + n + ":name-" + n + ":" + std::to_string(i + 1));
  }
  std::shuffle(rows.begin(), rows.end(), std::mt19937_64{7});
  auto db = open_db();
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "initial"));
  for (std::size_t p = 0; p + 1000 < rows.size(); p += 1000)
    ASSERT_TRUE(db.stage_page(books(), upserts({rows.begin() + p, rows.begin() + p + 1000}), "next"));
  auto totals = db.finish_cycle(books(), upserts({rows.end() - 1000, rows.end()}), "link-1", 1000);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(totals->rows, 3000);
  EXPECT_EQ(totals->upserts, 3000);

  auto r = reader();
  EXPECT_EQ(mirror_rows(r), expected);
  EXPECT_TRUE(sorted_in(r));
  EXPECT_EQ(first_text(r, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(count(r, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'dvsync\\_s%' ESCAPE '\\'"), 0)
      << "shadow, side, sorted and stage are gone";
  // The id stays unique: the index built after the rows refuses a second row of one id.
  EXPECT_EQ(count(r, "SELECT count(*) FROM pragma_index_list('sample_book') WHERE \"unique\" AND name = "
                     "'dvsync_id_sample_book'"),
            1);

  // Deltas work on a mirror built this way: a key change and a delete.
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  auto page = upserts({book("id-10005", text("code-99999"), "moved", 5000)});
  page.deletes = {"id-10006"};
  ASSERT_TRUE(db.finish_cycle(books(), page, "link-2", 2000));
  EXPECT_EQ(count(r, "SELECT count(*) FROM sample_book"), 2999);
  EXPECT_EQ(first_text(r, "SELECT sample_name FROM sample_book WHERE sample_bookcode = 'code-99999'"), "moved");
}

TEST_F(full_read_order_test, codes_numbered_in_order_go_straight_into_the_shadow) {
  // code-1 ... code-3000 arrive in numeric order: as text, a few ascending runs per page.
  std::vector<dataverse::record> rows;
  for (int i = 1; i <= 3000; ++i) rows.push_back(book("id-" + std::to_string(i), text("code-" + std::to_string(i)), "n", i));
  auto db = open_db();
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "initial"));
  for (std::size_t p = 0; p + 1000 < rows.size(); p += 1000)
    ASSERT_TRUE(db.stage_page(books(), upserts({rows.begin() + p, rows.begin() + p + 1000}), "next"));
  ASSERT_TRUE(db.finish_cycle(books(), upserts({rows.end() - 1000, rows.end()}), "link-1", 1000));
  auto r = reader();
  EXPECT_EQ(count(r, "SELECT count(*) FROM sample_book"), 3000);
  EXPECT_FALSE(sorted_in(r));
}

TEST_F(full_read_order_test, full_reads_in_order_and_out_of_order_replace_each_other) {
  auto db = open_db();
  auto r = reader();
  for (int cycle = 0; cycle < 4; ++cycle) {
    bool const shuffled = cycle % 2 == 0;
    V in = {"b", "c", "a"};
    if (!shuffled) std::sort(in.begin(), in.end());
    std::vector<dataverse::record> rows;
    for (auto const& k : in) rows.push_back(book("id-" + k, text(k), k + std::to_string(cycle), cycle + 1));
    ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "resync"));
    auto totals = db.finish_cycle(books(), upserts(rows), "link", 1000 + cycle);
    ASSERT_TRUE(totals) << "cycle " << cycle << ": " << totals.error().message;
    EXPECT_EQ(totals->deletes, 0) << cycle;
    auto c = std::to_string(cycle);
    auto v = std::to_string(cycle + 1);
    EXPECT_EQ(mirror_rows(r), (V{"a:id-a:a" + c + ":" + v, "b:id-b:b" + c + ":" + v, "c:id-c:c" + c + ":" + v}));
    EXPECT_EQ(first_text(r, "PRAGMA integrity_check"), "ok");
    EXPECT_EQ(count(r, "SELECT count(*) FROM pragma_index_list('sample_book') WHERE \"unique\""), 2)
        << "the key and the id, once each, after cycle " << cycle;
    EXPECT_EQ(sorted_in(r), shuffled) << cycle;
  }
}

TEST_F(full_read_order_test, an_id_read_under_two_keys_keeps_its_newest_version) {
  // a moved from M to B while the read went on; c then took M.
  auto db = open_db();
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "initial"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("a", text("M"), "a old", 5), book("z", text("Z"), "z", 1)}), "n"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("a", text("B"), "a new", 9)}), "n"));
  auto totals = db.finish_cycle(books(), upserts({book("c", text("M"), "c", 10)}), "link-1", 1000);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(totals->rows, 3);
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"B:a:a new:9", "M:c:c:10", "Z:z:z:1"}));
  EXPECT_TRUE(sorted_in(r)) << "the second row of a went to the side table";
}

TEST_F(full_read_order_test, when_two_ids_claim_one_key_in_a_full_read_the_higher_version_wins) {
  auto db = open_db();
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "initial"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("b", text("K"), "b", 11), book("z", text("Z"), "z", 1)}), "n"));
  ASSERT_TRUE(db.finish_cycle(books(), upserts({book("a", text("K"), "a", 10)}), "link-1", 1000));
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"K:b:b:11", "Z:z:z:1"}));
  EXPECT_TRUE(sorted_in(r));
}

TEST_F(full_read_order_test, deletes_and_rejects_remove_out_of_order_rows_of_earlier_pages_only) {
  auto db = open_db();
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "initial"));
  // Pages of two rows in descending key order are scattered: their rows go to the side table.
  // Page 1: x, z in the shadow; page 2: y at A; page 3: y loses its key, x is deleted; page 4: y
  // at B (later than the reject: it stays), w at C deleted in the same page.
  ASSERT_TRUE(db.stage_page(books(), upserts({book("x", text("X"), "x", 1), book("z", text("Z"), "z", 1)}), "n"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("u", text("U"), "u", 2), book("y", text("A"), "y1", 2)}), "n"));
  dataverse::page p3;
  p3.rejects = {{"y", "{}", "no key"}};
  p3.deletes = {"x"};
  ASSERT_TRUE(db.stage_page(books(), p3, "n"));
  auto p4 = upserts({book("w", text("C"), "w", 4), book("y", text("B"), "y2", 4)});
  p4.deletes = {"w", "u"};
  ASSERT_TRUE(db.stage_page(books(), p4, "n"));
  auto totals = db.finish_cycle(books(), upserts({book("v", text("V"), "v", 1), book("t", text("D"), "t", 1)}), "link-1", 1000);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(totals->rows, 4);
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"B:y:y2:4", "D:t:t:1", "V:v:v:1", "Z:z:z:1"}));
  EXPECT_EQ(reject_rows(r), V{});
  EXPECT_TRUE(sorted_in(r));
}

TEST_F(full_read_order_test, a_reject_after_an_out_of_order_row_removes_it) {
  auto db = open_db();
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "initial"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("z", text("Z"), "z", 1), book("y", text("A"), "y", 2)}), "n"));
  dataverse::page last;
  last.rejects = {{"y", "{}", "no key"}};
  ASSERT_TRUE(db.finish_cycle(books(), last, "link-1", 1000));
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"Z:z:z:1"}));
  EXPECT_EQ(reject_rows(r), (V{"y:no key"}));
  EXPECT_TRUE(sorted_in(r));
}

TEST_F(full_read_order_test, an_out_of_order_read_resumes_across_a_restart) {
  auto db = std::make_optional(open_db());
  ASSERT_TRUE(db->begin_cycle(books(), cycle_kind::full, "initial"));
  ASSERT_TRUE(db->stage_page(books(), upserts({book("z", text("Z"), "z", 1), book("m", text("M"), "m", 1)}), "n1"));
  dataverse::page p2;
  p2.rejects = {{"m", "{}", "no key"}};
  ASSERT_TRUE(db->stage_page(books(), p2, "n2"));
  db.reset();
  db.emplace(open_db());
  // After the restart m comes back with a key, in a later page than its reject: it stays.
  ASSERT_TRUE(db->finish_cycle(books(), upserts({book("b", text("B"), "b", 1), book("m", text("A"), "m", 3)}), "link-1", 1000));
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"A:m:m:3", "B:b:b:1", "Z:z:z:1"}));
  EXPECT_EQ(reject_rows(r), V{});
  EXPECT_TRUE(sorted_in(r));
}

TEST_F(full_read_order_test, a_full_read_begun_by_an_older_dvsync_is_finished_by_this_one) {
  auto db = std::make_optional(open_db());
  ASSERT_TRUE(db->begin_cycle(books(), cycle_kind::full, "initial"));
  ASSERT_TRUE(db->stage_page(books(), upserts({book("y", text("Y"), "y", 1), book("z", text("Z"), "z", 1)}), "n1"));
  db.reset();
  {
    // What the previous version left: a stage without page numbers, and no side table.
    auto c = connection::open(db_path(), open_mode::read_write, std::chrono::milliseconds{1000}).value();
    ASSERT_TRUE(c.exec("DROP TABLE dvsync_side_sample_book; ALTER TABLE dvsync_stage_sample_book DROP COLUMN dvsync_page"));
  }
  db.emplace(open_db());
  ASSERT_TRUE(db->finish_cycle(books(), upserts({book("b", text("B"), "b", 2), book("a", text("A"), "a", 2)}), "link-1", 1000));
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"A:a:a:2", "B:b:b:2", "Y:y:y:1", "Z:z:z:1"}));
  EXPECT_TRUE(sorted_in(r));
}

}  // namespace
}  // namespace dvsync::store::test
