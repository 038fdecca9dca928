// The mirror of tables described by their metadata: typed columns, no alternate key, choice
// labels, and columns that change.
#include "store/database.hpp"

#include "store_fixture.hpp"

#include <gtest/gtest.h>

namespace dvsync::store::test {
namespace {

using V = std::vector<std::string>;
using config::column_spec;
using config::column_type;
using real_tables_test = store_test;

std::string text(char const* s) { return s; }

// An account as the metadata describes it: keyed by its GUID, typed columns.
config::table_spec accounts() {
  config::table_spec t{"accounts", "account", "accountid", "", {}};
  t.logical_name = "account";
  t.columns = {column_spec{"name", "name", column_type::text},
               column_spec{"revenue", "revenue", column_type::decimal},
               column_spec{"numberofemployees", "numberofemployees", column_type::integer},
               column_spec{"creditonhold", "creditonhold", column_type::boolean},
               column_spec{"industrycode", "industrycode", column_type::choice},
               column_spec{"sample_channels", "sample_channels", column_type::choices},
               column_spec{"ownerid", "_ownerid_value", column_type::lookup, true}};
  return t;
}

// Values in config::fields_of order: name, revenue, its exact digits, employees, credit on hold,
// industry, channels, owner, owner's table.
dataverse::record account(std::string id, char const* name, double revenue, char const* digits,
                          std::int64_t version, std::int64_t industry = 1) {
  using dataverse::value;
  return {std::move(id), version,
          {value{std::string(name)}, value{revenue}, value{std::string(digits)}, value{std::int64_t{12}},
           value{std::int64_t{0}}, value{industry}, value{std::string("[1,3]")},
           value{std::string("22cc22cc-dd33-ee44-ff55-66aa66aa66aa")}, value{std::string("systemuser")}}};
}

std::vector<std::string> rows(connection& c, std::string const& sql) {
  auto st = c.prepare(sql);
  if (!st) return {"error: " + st.error().message};
  std::vector<std::string> out;
  for (;;) {
    auto row = st->step();
    if (!row) return {"error: " + row.error().message};
    if (!*row) break;
    std::string line;
    for (int i = 0; i < st->column_count(); ++i) line += (i ? "|" : "") + st->column_text(i);
    out.push_back(line);
  }
  return out;
}

TEST_F(real_tables_test, a_table_without_a_key_is_keyed_by_its_guid_and_its_columns_are_typed) {
  auto db = open_db();
  ASSERT_TRUE(db.begin_cycle(accounts(), cycle_kind::full, "initial"));
  ASSERT_TRUE(db.finish_cycle(accounts(), upserts({account("b", "Beta", 0.1, "0.1", 2),
                                                   account("a", "Alpha", 922337203685477.5807, "922337203685477.5807", 1)}),
                              "link-1", 1000));
  auto r = reader();
  auto sql = first_text(r, "SELECT sql FROM sqlite_schema WHERE name = 'account'");
  EXPECT_NE(sql.find(R"("accountid" TEXT PRIMARY KEY NOT NULL)"), std::string::npos) << sql;
  EXPECT_NE(sql.find(R"("revenue" REAL, "dvsync_exact_revenue" TEXT)"), std::string::npos) << sql;
  EXPECT_NE(sql.find(R"("numberofemployees" INTEGER)"), std::string::npos) << sql;
  EXPECT_NE(sql.find(R"("ownerid" TEXT, "owneridtype" TEXT)"), std::string::npos) << sql;
  EXPECT_EQ(rows(r, "SELECT accountid, name, typeof(revenue), dvsync_exact_revenue, typeof(numberofemployees), "
                    "sample_channels, owneridtype FROM account ORDER BY accountid"),
            (V{"a|Alpha|real|922337203685477.5807|integer|[1,3]|systemuser", "b|Beta|real|0.1|integer|[1,3]|systemuser"}));
  // Money sums and sorts as numbers.
  EXPECT_EQ(first_text(r, "SELECT name FROM account ORDER BY revenue LIMIT 1"), "Beta");

  // A delta: an update in place, a new row, a delete.
  ASSERT_TRUE(db.begin_cycle(accounts(), cycle_kind::delta, "delta"));
  dataverse::page p = upserts({account("b", "Beta 2", 5, "5.0000", 3), account("c", "Gamma", 7, "7.0000", 4)});
  p.deletes = {"a"};
  auto totals = db.finish_cycle(accounts(), p, "link-2", 2000);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(totals->rows, 2);
  EXPECT_EQ(rows(r, "SELECT accountid, name, dvsync_exact_revenue, dvsync_version FROM account ORDER BY accountid"),
            (V{"b|Beta 2|5.0000|3", "c|Gamma|7.0000|4"}));
}

TEST_F(real_tables_test, choice_labels_show_beside_their_values_in_a_view) {
  auto db = open_db();
  ASSERT_TRUE(db.begin_cycle(accounts(), cycle_kind::full, "initial"));
  ASSERT_TRUE(db.finish_cycle(accounts(), upserts({account("a", "Alpha", 1, "1", 1, 2)}), "link-1", 1000));
  std::vector<config::choice_label> labels{{"industrycode", 1, "Accounting"}, {"industrycode", 2, "Agriculture"},
                                           {"sample_channels", 1, "Email"}, {"sample_channels", 3, "Phone"}};
  ASSERT_TRUE(db.store_choice_labels(accounts(), labels));
  auto r = reader();
  EXPECT_EQ(rows(r, "SELECT name, industrycode, industrycode_label, sample_channels_label FROM account_labeled"),
            (V{"Alpha|2|Agriculture|Email, Phone"}));
  // Labels read again replace the old ones.
  labels[1].label = "Farming";
  ASSERT_TRUE(db.store_choice_labels(accounts(), labels));
  EXPECT_EQ(rows(r, "SELECT industrycode_label FROM account_labeled"), (V{"Farming"}));
}

TEST_F(real_tables_test, changed_columns_build_a_new_table_beside_the_old_one_which_readers_keep_until_it_is_complete) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1), book("b", text("Y"), "b", 1)});
  // A delta staged with the old columns when the change is noticed: it cannot finish.
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.stage_page(books(), deletes({"a"}), "next-1"));

  auto changed = books();
  changed.columns = {"sample_name", "sample_bookcode", "sample_isbn"};
  ASSERT_TRUE(db.ensure_table(changed));
  auto state = db.load_state("sample_book").value();
  EXPECT_TRUE(state.resync_requested);
  EXPECT_EQ(state.resync_reason, "columns_changed");
  EXPECT_FALSE(state.cycle_kind) << "the old delta is dropped";
  EXPECT_EQ(state.delta_link, "link-1") << "the old table keeps its link until replaced";

  ASSERT_TRUE(db.begin_cycle(changed, cycle_kind::full, "columns_changed"));
  ASSERT_TRUE(db.stage_page(changed, upserts({book("a", text("X"), "a", 2)}), "next-1"));
  auto r = reader();
  EXPECT_EQ(rows(r, "SELECT sample_bookcode, sample_author FROM sample_book ORDER BY 1"),
            (V{"X|author", "Y|author"}))
      << "readers see the old, complete table while the new one is read";
  ASSERT_TRUE(db.finish_cycle(changed, upserts({book("b", text("Y"), "b", 2)}), "link-2", 2000));
  EXPECT_EQ(rows(r, "SELECT sample_bookcode, sample_isbn, dvsync_version FROM sample_book ORDER BY 1"),
            (V{"X|author|2", "Y|author|2"}));
  state = db.load_state("sample_book").value();
  EXPECT_FALSE(state.resync_requested);
  EXPECT_EQ(state.delta_link, "link-2");
}

TEST_F(real_tables_test, a_delta_that_staged_nothing_yet_is_dropped_too_when_the_columns_change) {
  // A delta refused on its first page (the service no longer knows a selected column) has no
  // working table; left in progress, it would be resumed from the old link at every retry.
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  auto changed = books();
  changed.columns = {"sample_name", "sample_bookcode"};
  ASSERT_TRUE(db.ensure_table(changed));
  auto state = db.load_state("sample_book").value();
  EXPECT_FALSE(state.cycle_kind);
  EXPECT_TRUE(state.resync_requested);
}

TEST_F(real_tables_test, a_rebuild_begun_for_other_columns_starts_again_with_the_columns_of_now) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  auto first = books();
  first.columns = {"sample_name", "sample_bookcode", "sample_isbn"};
  ASSERT_TRUE(db.ensure_table(first));
  ASSERT_TRUE(db.begin_cycle(first, cycle_kind::full, "columns_changed"));
  ASSERT_TRUE(db.stage_page(first, upserts({book("a", text("X"), "a", 2)}), "next-1"));
  // The columns change again before the rebuild ends (or a restart finds other metadata).
  auto second = books();
  second.columns = {"sample_name", "sample_bookcode", "sample_pages"};
  ASSERT_TRUE(db.ensure_table(second));
  auto state = db.load_state("sample_book").value();
  EXPECT_FALSE(state.cycle_kind) << "the shadow has other columns: it is dropped";
  EXPECT_TRUE(state.resync_requested);
  // The same columns again keep the rebuild in progress.
  ASSERT_TRUE(db.begin_cycle(second, cycle_kind::full, "columns_changed"));
  ASSERT_TRUE(db.stage_page(second, upserts({book("a", text("X"), "a", 2)}), "next-1"));
  ASSERT_TRUE(db.ensure_table(second));
  EXPECT_EQ(db.load_state("sample_book").value().cycle_kind, cycle_kind::full);
  ASSERT_TRUE(db.staging_intact(second, cycle_kind::full).value());
}

}  // namespace
}  // namespace dvsync::store::test
