#include "json_text.hpp"

#include <gtest/gtest.h>

namespace emulator {
namespace {

std::string iso_time(std::int64_t unix_seconds) {
  std::string s;
  append_iso_time(s, unix_seconds);
  return s;
}

TEST(json_text_string, escapes_what_json_requires) {
  std::string out;
  append_json_string(out, "a\"b\\c\n\x01 é");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001 é\"");
}

TEST(json_text_time, formats_and_parses_iso_times) {
  EXPECT_EQ(iso_time(1680904741), "2023-04-07T21:59:01Z");
  EXPECT_EQ(parse_iso_time("2023-04-07T21:59:01Z"), 1680904741);
  EXPECT_EQ(parse_iso_time("2023-04-07T14:59:01.123-07:00"), 1680904741);
  EXPECT_EQ(parse_iso_time("2023-04-07"), 1680825600);
  EXPECT_EQ(iso_time(-1), "1969-12-31T23:59:59Z");
  for (std::string_view bad :
       {"2023-02-29", "2023-04-07T25:00:00Z", "2023-04-07 21:59:01Z", "2023-04-07T21:59:01Q", ""})
    EXPECT_FALSE(parse_iso_time(bad)) << bad;
}

TEST(json_text_time, formats_and_parses_token_times) {
  EXPECT_EQ(token_time(1503389444), "08/22/2017 08:10:44");
  EXPECT_EQ(parse_token_time("08/22/2017 08:10:44"), 1503389444);
  EXPECT_FALSE(parse_token_time("8/22/2017 08:10:44"));
}

TEST(json_text_length, counts_utf16_units) {
  EXPECT_EQ(utf16_length("abc"), 3u);
  EXPECT_EQ(utf16_length("é"), 1u);
  EXPECT_EQ(utf16_length("\xF0\x9F\x98\x80"), 2u);  // one emoji is a surrogate pair
}

}  // namespace
}  // namespace emulator
