#include "address.hpp"

#include <gtest/gtest.h>

namespace emulator {
namespace {

table_schema const& books() {
  static schema const s = parse_schema(default_schema_json());
  return s.tables.front();
}

TEST(address_segment, parses_names_ids_and_keys) {
  auto const plain = parse_segment("sample_books");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->name, "sample_books");
  EXPECT_FALSE(plain->has_key);

  auto const key = parse_segment("contacts(firstname='Joe',emailaddress1='abc@example.com')");
  ASSERT_TRUE(key);
  ASSERT_EQ(key->parts.size(), 2u);
  EXPECT_EQ(key->parts[0].name, "firstname");
  EXPECT_EQ(key->parts[0].value, "Joe");
  EXPECT_TRUE(key->parts[0].quoted);
  EXPECT_EQ(key->parts[1].value, "abc@example.com");

  auto const quoted = parse_segment("sample_books(sample_bookcode='O''Brien, Jr. (=)')");
  ASSERT_TRUE(quoted);
  EXPECT_EQ(quoted->parts.at(0).value, "O'Brien, Jr. (=)");

  auto const id = parse_segment("sample_books(00000000-0000-0000-0000-000000000001)");
  ASSERT_TRUE(id);
  EXPECT_TRUE(id->parts.at(0).name.empty());
  EXPECT_FALSE(id->parts.at(0).quoted);
}

TEST(address_segment, rejects_broken_predicates) {
  for (std::string_view bad : {"sample_books(", "sample_books()", "sample_books(a='x'", "sample_books(a='x')b",
                               "sample_books(='x')", "sample_books(a='x',)"})
    EXPECT_FALSE(parse_segment(bad)) << bad;
}

TEST(address_resolve, maps_ids_and_alternate_keys) {
  auto const by_id =
      resolve_address(books(), parse_segment("x(sample_bookid=49B0BE2E-D01C-ED11-B83E-000D3A572421)")->parts);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->id->str(), "49b0be2e-d01c-ed11-b83e-000d3a572421");

  auto const by_key = resolve_address(books(), parse_segment("x(sample_bookcode='BookCode0')")->parts);
  ASSERT_TRUE(by_key);
  EXPECT_EQ(by_key->key, 0u);
  EXPECT_EQ(by_key->composite, "\"BookCode0\"");
  ASSERT_EQ(by_key->values.size(), 1u);
  EXPECT_EQ(by_key->values[0].first, 1u);  // sample_bookcode is the second column
}

TEST(address_resolve, a_non_key_column_is_the_documented_error) {
  auto const r = resolve_address(books(), parse_segment("x(sample_name='Demo Book 0')")->parts);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(
      r.error().message,
      "The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM.sample_book'. Ensure that the "
      "names and number of key properties match the declared or alternate key properties for the resource "
      "'Microsoft.Dynamics.CRM.sample_book'.");
  EXPECT_FALSE(resolve_address(books(), parse_segment("x(not-a-guid)")->parts));
  EXPECT_FALSE(resolve_address(books(), parse_segment("x(sample_bookcode=unquoted)")->parts));
}

TEST(address_resolve, an_empty_key_value_is_refused_when_empty_means_null) {
  auto const parts = parse_segment("x(sample_bookcode='')")->parts;
  EXPECT_FALSE(resolve_address(books(), parts));
  EXPECT_TRUE(resolve_address(books(), parts, codec_options{false}));
}

}  // namespace
}  // namespace emulator
