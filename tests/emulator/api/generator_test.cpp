// Generated rows as the initial tracked read serves them: text from the table's sequence in id
// order (ascending) or in a random permutation of it (shuffled).

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "api_client.hpp"

namespace emulator::test {
namespace {

struct served_row {
  std::string id, code, name;
};

// Every row of the initial tracked read, page by page, in the order served.
std::vector<served_row> initial_read(web_api& api) {
  api_client c{api};
  header_list const prefer = {{"Prefer", "odata.track-changes"}, {"Prefer", "odata.maxpagesize=700"}};
  std::vector<served_row> rows;
  auto page = c.get(books + "?$select=sample_bookcode,sample_name", prefer);
  for (int guard = 0; guard < 1000; ++guard) {
    EXPECT_EQ(page.status, 200) << page.body;
    if (page.status != 200) break;
    auto const body = json_of(page);
    for (auto const& v : body.at("value").as_array()) {
      auto const& o = v.as_object();
      rows.push_back({text(o, "sample_bookid"), text(o, "sample_bookcode"), text(o, "sample_name")});
    }
    std::string const next = text(body, "@odata.nextLink");
    if (next.empty()) break;
    page = c.follow(next, prefer);
  }
  return rows;
}

// "bookcode-123" -> 123
long number_of(std::string const& text) { return std::stol(text.substr(text.rfind('-') + 1)); }

std::vector<served_row> seeded(std::int64_t count, std::uint64_t seed, seed_order order) {
  web_api api{options{}};
  api.seed("sample_books", count, seed, order);
  return initial_read(api);
}

std::vector<long> numbers(std::vector<served_row> const& rows, std::string served_row::*column) {
  std::vector<long> out;
  for (auto const& r : rows) out.push_back(number_of(r.*column));
  return out;
}

TEST(generator, ascending_seed_serves_keys_in_id_order) {
  auto const rows = seeded(2000, 7, seed_order::ascending);
  ASSERT_EQ(rows.size(), 2000u);
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end(), [](auto const& a, auto const& b) { return a.id < b.id; }));
  auto const codes = numbers(rows, &served_row::code);
  EXPECT_TRUE(std::is_sorted(codes.begin(), codes.end()));
  EXPECT_EQ(std::set<long>(codes.begin(), codes.end()).size(), codes.size());
}

TEST(generator, shuffled_seed_serves_a_permutation_of_the_ascending_keys) {
  auto const ascending = seeded(2000, 7, seed_order::ascending);
  auto const shuffled = seeded(2000, 7, seed_order::shuffled);
  ASSERT_EQ(shuffled.size(), 2000u);
  // Still served in id order (ids ascend as they were seeded); only the text is permuted.
  EXPECT_TRUE(
      std::is_sorted(shuffled.begin(), shuffled.end(), [](auto const& a, auto const& b) { return a.id < b.id; }));

  auto const codes = numbers(shuffled, &served_row::code);
  std::vector<std::string> texts;
  for (auto const& r : shuffled) texts.push_back(r.code);
  EXPECT_EQ(std::set<std::string>(texts.begin(), texts.end()).size(), texts.size()) << "keys must be unique";
  EXPECT_FALSE(std::is_sorted(codes.begin(), codes.end()));
  EXPECT_FALSE(std::is_sorted(texts.begin(), texts.end()));

  // The same numbers as an ascending seed: a permutation of them, not other values.
  auto sorted_codes = codes;
  std::sort(sorted_codes.begin(), sorted_codes.end());
  EXPECT_EQ(sorted_codes, numbers(ascending, &served_row::code));
  // Every text column of a row shares its number, as in id order.
  EXPECT_EQ(numbers(shuffled, &served_row::name), codes);

  // Far from sorted: a random permutation has about n/2 ascents, a sorted one n-1.
  std::size_t ascents = 0;
  for (std::size_t i = 1; i < codes.size(); ++i) ascents += codes[i] > codes[i - 1] ? 1 : 0;
  EXPECT_LT(ascents, codes.size() * 6 / 10);
}

TEST(generator, shuffled_order_is_deterministic_for_a_seed) {
  auto const first = numbers(seeded(500, 11, seed_order::shuffled), &served_row::code);
  auto const again = numbers(seeded(500, 11, seed_order::shuffled), &served_row::code);
  auto const other = numbers(seeded(500, 12, seed_order::shuffled), &served_row::code);
  EXPECT_EQ(first, again);
  EXPECT_NE(first, other);
}

TEST(generator, shuffled_seed_after_rows_keeps_keys_unique) {
  web_api api{options{}};
  api.seed("sample_books", 300, 3, seed_order::ascending);
  api.seed("sample_books", 300, 3, seed_order::shuffled);
  api.seed("sample_books", 0, 3, seed_order::shuffled);
  auto const rows = initial_read(api);
  ASSERT_EQ(rows.size(), 600u);
  std::set<std::string> codes;
  for (auto const& r : rows) codes.insert(r.code);
  EXPECT_EQ(codes.size(), rows.size());
}

}  // namespace
}  // namespace emulator::test
