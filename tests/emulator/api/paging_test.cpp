#include "paging.hpp"

#include <gtest/gtest.h>

#include "schema.hpp"
#include "url.hpp"

namespace emulator {
namespace {

table_schema const& books() {
  static schema const s = parse_schema(default_schema_json());
  return s.tables.front();
}

std::string decoded(std::string const& encoded) {
  return *percent_decode(encoded, true);
}

TEST(paging_deltatoken, uses_the_documented_encoding) {
  // 08/22/2017 08:10:44 UTC, the documented example token 919042!08/22/2017 08:10:44.
  delta_token const t{919042, 1503389444};
  EXPECT_EQ(encode_deltatoken(t), "919042%2108%2f22%2f2017%2008%3a10%3a44");
  auto const back = decode_deltatoken(decoded(encode_deltatoken(t)));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->version, 919042);
  EXPECT_EQ(back->time, 1503389444);
}

TEST(paging_deltatoken, rejects_malformed_tokens) {
  for (std::string_view bad : {"", "919042", "919042!", "x!08/22/2017 08:10:44", "919042!08/22/2017 08:10",
                               "-1!08/22/2017 08:10:44", "919042!02/30/2017 08:10:44", "919042!08/22/2017 08:10:44x"})
    EXPECT_FALSE(decode_deltatoken(bad)) << bad;
}

TEST(paging_skiptoken, round_trips_every_kind) {
  page_cursor plain;
  plain.kind = cursor_kind::plain;
  plain.page_number = 3;
  plain.page_size = 7;
  plain.first_id = *guid::parse("49b0be2e-d01c-ed11-b83e-000d3a572421");
  plain.last_id = *guid::parse("d5026a4d-d01c-ed11-b83e-000d3a572421");

  page_cursor initial = plain;
  initial.kind = cursor_kind::initial;
  initial.token_version = 1234;
  initial.token_time = 1700000000;

  page_cursor delta;
  delta.kind = cursor_kind::delta;
  delta.page_number = 5;
  delta.page_size = 2;
  delta.from_version = 10;
  delta.from_time = 1690000000;
  delta.token_version = 50;
  delta.token_time = 1700000000;
  delta.phase = delta_phase::deletes;
  delta.last_version = 33;

  for (auto const& c : {plain, initial, delta}) {
    auto const back = decode_skiptoken(decoded(encode_skiptoken(c, books())), books());
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->kind, c.kind);
    EXPECT_EQ(back->page_number, c.page_number);
    EXPECT_EQ(back->page_size, c.page_size);
    EXPECT_EQ(back->first_id, c.kind == cursor_kind::delta ? guid{} : c.first_id);
    EXPECT_EQ(back->last_id, c.kind == cursor_kind::delta ? guid{} : c.last_id);
    EXPECT_EQ(back->token_version, c.token_version);
    EXPECT_EQ(back->token_time, c.token_time);
    EXPECT_EQ(back->from_version, c.from_version);
    EXPECT_EQ(back->phase, c.phase);
    EXPECT_EQ(back->last_version, c.last_version);
  }
}

TEST(paging_skiptoken, looks_like_the_documented_cookie) {
  page_cursor plain;
  plain.page_number = 2;
  plain.page_size = 2;
  plain.first_id = *guid::parse("49b0be2e-d01c-ed11-b83e-000d3a572421");
  plain.last_id = *guid::parse("d5026a4d-d01c-ed11-b83e-000d3a572421");
  std::string const token = encode_skiptoken(plain, books());
  EXPECT_EQ(token.rfind("%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522", 0), 0u)
      << token;
  EXPECT_NE(token.find("%253csample_bookid%2520last%253d%2522%257bD5026A4D-D01C-ED11-B83E-000D3A572421%257d"),
            std::string::npos)
      << token;
  EXPECT_NE(token.find("istracking=%22False%22%20/%3E"), std::string::npos) << token;
}

TEST(paging_skiptoken, rejects_tampered_or_foreign_cookies) {
  page_cursor delta;
  delta.kind = cursor_kind::delta;
  delta.page_size = 2;
  delta.from_version = 10;
  delta.token_version = 50;
  delta.last_version = 20;
  std::string const good = decoded(encode_skiptoken(delta, books()));
  ASSERT_TRUE(decode_skiptoken(good, books()));

  auto replaced = [&](std::string from, std::string to) {
    std::string s = good;
    auto const at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  EXPECT_FALSE(decode_skiptoken(replaced("pagenumber=\"2\"", "pagenumber=\"3\""), books()));  // page mismatch
  EXPECT_FALSE(decode_skiptoken(replaced("sample_bookid", "contactid"), books()));            // another table
  EXPECT_FALSE(decode_skiptoken(replaced("istracking=\"True\"", "istracking=\"False\""), books()));
  EXPECT_FALSE(
      decode_skiptoken(replaced("lastversion%3d%2220%22", "lastversion%3d%2299%22"), books()));  // past the window
  EXPECT_FALSE(decode_skiptoken(good + "x", books()));
  EXPECT_FALSE(decode_skiptoken("<cookie pagenumber=\"2\" istracking=\"True\" />", books()));
  EXPECT_FALSE(decode_skiptoken("", books()));
}

}  // namespace
}  // namespace emulator
