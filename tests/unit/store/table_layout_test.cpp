#include "store/table_layout.hpp"

#include "store_fixture.hpp"

#include <gtest/gtest.h>

namespace dvsync::store::test {
namespace {

TEST(table_layout, mirror_columns_are_key_id_other_columns_then_version) {
  auto l = make_layout(books()).value();
  EXPECT_EQ(l.columns, (std::vector<std::string>{"sample_bookcode", "sample_bookid", "sample_name", "sample_author",
                                                 "dvsync_version"}));
  EXPECT_EQ(l.key_value, 1u);
  EXPECT_EQ(l.other_values, (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(l.shadow_name, "dvsync_shadow_sample_book");
  EXPECT_EQ(l.stage_name, "dvsync_stage_sample_book");
  EXPECT_EQ(l.create_table("sample_book"),
            "CREATE TABLE IF NOT EXISTS \"sample_book\" (\"sample_bookcode\" TEXT PRIMARY KEY NOT NULL, "
            "\"sample_bookid\" TEXT NOT NULL UNIQUE, \"sample_name\", \"sample_author\", \"dvsync_version\" INTEGER) "
            "WITHOUT ROWID");
}

TEST(table_layout, a_listed_id_column_is_not_duplicated) {
  auto spec = books();
  spec.columns.push_back("sample_bookid");
  auto l = make_layout(spec).value();
  EXPECT_EQ(l.columns.size(), 5u);
  EXPECT_EQ(l.other_values, (std::vector<std::size_t>{0, 2}));
}

TEST(table_layout, specs_that_break_the_mirror_rules_are_config_errors) {
  auto with = [](auto change) {
    auto s = books();
    change(s);
    auto l = make_layout(s);
    return l ? std::string("accepted") : l.error().message;
  };
  EXPECT_NE(with([](auto& s) { s.key = "sample_isbn"; }).find("is not one of the columns"), std::string::npos);
  EXPECT_NE(with([](auto& s) { s.key = "SAMPLE_BOOKID"; }).find("key and id are the same"), std::string::npos);
  EXPECT_NE(with([](auto& s) { s.columns.push_back("Sample_Name"); }).find("listed twice"), std::string::npos);
  EXPECT_NE(with([](auto& s) { s.columns.push_back("dvsync_version"); }).find("reserved"), std::string::npos);
  EXPECT_NE(with([](auto& s) { s.table = "DVSYNC_table_state"; }).find("reserved"), std::string::npos);
  EXPECT_NE(with([](auto& s) { s.table = "sqlite_master"; }).find("reserved"), std::string::npos);
  auto bad = make_layout([] {
    auto s = books();
    s.key = "x";
    return s;
  }());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::errc::config_invalid);
}

TEST(table_layout, column_difference_names_what_is_missing_and_what_is_extra) {
  std::vector<std::string> expected = {"k", "id", "a", "b", "dvsync_version"};
  EXPECT_FALSE(column_difference({"K", "ID", "a", "b", "dvsync_version"}, expected));
  auto diff = column_difference({"k", "id", "a", "c", "dvsync_version"}, expected);
  ASSERT_TRUE(diff);
  EXPECT_NE(diff->find("missing: b"), std::string::npos) << *diff;
  EXPECT_NE(diff->find("not configured: c"), std::string::npos) << *diff;
  auto order = column_difference({"k", "id", "b", "a", "dvsync_version"}, expected);
  ASSERT_TRUE(order);
  EXPECT_NE(order->find("another order"), std::string::npos) << *order;
}

}  // namespace
}  // namespace dvsync::store::test
