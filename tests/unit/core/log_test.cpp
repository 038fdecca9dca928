#include "core/log.hpp"

#include <gtest/gtest.h>

namespace dvsync::core::log {
namespace {

TEST(log_render, writes_key_value_pairs_after_the_event) {
  options o;
  o.journald_prefix = true;
  auto line = render(o, level::info, "cycle.done", {{"table", "sample_book"}, {"pages", 3}});
  EXPECT_EQ(line, "<6>level=info event=cycle.done table=sample_book pages=3");
}

TEST(log_render, quotes_and_escapes_values_so_no_value_can_forge_a_line) {
  options o;
  o.journald_prefix = true;
  auto line = render(o, level::error, "x", {{"msg", "a b\nlevel=info event=forged"}});
  EXPECT_EQ(line, "<3>level=error event=x msg=\"a b\\nlevel=info event=forged\"");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(log_render, json_format_is_one_object_per_line) {
  options o;
  o.style = format::json;
  auto line = render(o, level::warn, "retry", {{"reason", "429"}, {"wait_s", 2}});
  EXPECT_NE(line.find("\"level\":\"warn\",\"event\":\"retry\",\"reason\":\"429\",\"wait_s\":\"2\""), std::string::npos)
      << line;
  EXPECT_EQ(line.front(), '{');
  EXPECT_EQ(line.back(), '}');
}

TEST(log_fingerprint, is_stable_short_and_does_not_contain_the_value) {
  auto a = fingerprint("https://x/api/data/v9.2/sample_books?$deltatoken=919042%2108");
  EXPECT_EQ(a, fingerprint("https://x/api/data/v9.2/sample_books?$deltatoken=919042%2108"));
  EXPECT_NE(a, fingerprint("https://x/api/data/v9.2/sample_books?$deltatoken=919043%2108"));
  EXPECT_EQ(a.size(), 12u);
}

TEST(log_parse_level, accepts_the_documented_names_only) {
  EXPECT_EQ(parse_level("debug"), level::debug);
  EXPECT_EQ(parse_level("warning"), level::warn);
  EXPECT_FALSE(parse_level("verbose").has_value());
}

TEST(log_journal_stream, names_the_stream_only_when_device_and_inode_both_match) {
  EXPECT_TRUE(names_journal_stream("8:306630", 8, 306630));
  EXPECT_TRUE(names_journal_stream("66306:18446744073709551615", 66306, 18446744073709551615ULL));
  // The variable inherited by a child whose stderr now goes elsewhere names another inode.
  EXPECT_FALSE(names_journal_stream("8:306630", 8, 306631));
  EXPECT_FALSE(names_journal_stream("8:306630", 9, 306630));
}

TEST(log_journal_stream, a_malformed_value_names_no_stream) {
  for (auto const* value : {"", ":", "8", "8:", ":306630", "8:306630:1", " 8:306630", "8:306630 ", "8:-1",
                            "0x8:306630", "8:306630x", "99999999999999999999:1"})
    EXPECT_FALSE(names_journal_stream(value, 8, 306630)) << '"' << value << '"';
}

}  // namespace
}  // namespace dvsync::core::log
