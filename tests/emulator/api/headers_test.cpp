#include "headers.hpp"

#include <gtest/gtest.h>

namespace emulator {
namespace {

http_request with(std::vector<std::pair<std::string, std::string>> headers) {
  http_request r;
  r.headers = std::move(headers);
  return r;
}

TEST(headers_prefer, parses_a_comma_list) {
  auto const p = parse_prefer(with({{"Prefer", "odata.track-changes,odata.maxpagesize=500"}}));
  EXPECT_TRUE(p.track_changes);
  EXPECT_EQ(p.max_page_size, 500);
  EXPECT_FALSE(p.return_representation);
}

TEST(headers_prefer, merges_repeated_headers_case_insensitively) {
  auto const p = parse_prefer(with(
      {{"prefer", "ODATA.MAXPAGESIZE = 3"}, {"PREFER", "return=representation"}, {"Prefer", "odata.track-changes"}}));
  EXPECT_TRUE(p.track_changes);
  EXPECT_EQ(p.max_page_size, 3);
  EXPECT_TRUE(p.return_representation);
}

TEST(headers_prefer, keeps_quoted_commas_inside_one_preference) {
  auto const p = parse_prefer(
      with({{"Prefer",
             R"(odata.include-annotations="OData.Community.Display.V1.FormattedValue,*", odata.maxpagesize="7")"}}));
  EXPECT_FALSE(p.track_changes);
  EXPECT_EQ(p.max_page_size, 7);
}

TEST(headers_prefer, ignores_invalid_page_sizes) {
  for (std::string v : {"odata.maxpagesize=0", "odata.maxpagesize=-3", "odata.maxpagesize=abc", "odata.maxpagesize"})
    EXPECT_FALSE(parse_prefer(with({{"Prefer", v}})).max_page_size) << v;
}

TEST(headers_find, is_case_insensitive_and_trims) {
  auto const r = with({{"if-match", "  W/\"12\" "}});
  EXPECT_EQ(find_header(r, "If-Match"), "W/\"12\"");
  EXPECT_FALSE(find_header(r, "If-None-Match"));
}

}  // namespace
}  // namespace emulator
