#include "dataverse/page.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

namespace dvsync::dataverse {
namespace {

std::vector<value> every_kind() {
  return {value{}, value{std::int64_t{-7}}, value{std::numeric_limits<std::int64_t>::min()}, value{0.1},
          value{-0.0}, value{std::string()}, value{std::string("é\0x", 4)}, value{std::string(70000, 'x')}};
}

TEST(Record, HoldsEveryKindOfValue) {
  record r("aaaaaaaa-0000-0000-0000-000000000001", 7, every_kind());
  EXPECT_EQ(r.size(), every_kind().size());
  EXPECT_EQ(r.values(), every_kind());
  EXPECT_TRUE(r.is_null(0));
  EXPECT_FALSE(r.is_null(5)) << "the empty string is not null";
  EXPECT_EQ(r.at(1), value_view(std::int64_t{-7}));
  EXPECT_TRUE(std::signbit(std::get<double>(r.at(4)))) << "a double keeps its bits";
  EXPECT_EQ(r.at(6), value_view(std::string_view("é\0x", 4)));
  EXPECT_EQ(r.id, "aaaaaaaa-0000-0000-0000-000000000001");
  EXPECT_EQ(r.version, 7);
}

// The page parser sets values as members come, a repeated member again; the record it keeps is
// a compact copy that owns all its text.
TEST(Record, ValuesSetAgainAndCompacted) {
  auto scratch = std::make_unique<record>();
  scratch->reset(3);
  scratch->set(0, std::string_view("first"));
  scratch->set(1, std::int64_t{1});
  scratch->set(0, std::string_view("second"));
  scratch->set(1, value_view{});
  scratch->set(2, 2.5);
  scratch->set(2, std::string_view("third"));
  scratch->id = "id";
  record kept = scratch->compact();
  scratch->reset(3);
  scratch->set(0, std::string_view("overwritten"));
  scratch.reset();
  EXPECT_EQ(kept.values(), (std::vector<value>{value{std::string("second")}, value{}, value{std::string("third")}}));
  EXPECT_EQ(kept.id, "id");
  record copy = kept;
  kept = record();
  EXPECT_EQ(copy.at(2), value_view(std::string_view("third")));
}

TEST(Record, ResetMakesNulls) {
  record r("id", std::nullopt, every_kind());
  r.reset(2);
  EXPECT_EQ(r.values(), (std::vector<value>{value{}, value{}}));
}

}  // namespace
}  // namespace dvsync::dataverse
