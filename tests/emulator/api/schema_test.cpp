#include "schema.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace emulator {
namespace {

std::string failure(std::string const& json) {
  try {
    parse_schema(json);
  } catch (std::runtime_error const& e) {
    return e.what();
  }
  return "accepted";
}

TEST(schema_default, starts_with_the_sample_book_table) {
  auto const s = parse_schema(default_schema_json());
  ASSERT_EQ(s.tables.size(), 4u);
  auto const& t = s.tables[0];
  EXPECT_EQ(t.entity_set, "sample_books");
  EXPECT_EQ(t.logical_name, "sample_book");
  EXPECT_EQ(t.primary_id, "sample_bookid");
  ASSERT_EQ(t.columns.size(), 3u);
  EXPECT_TRUE(t.columns[0].required);
  EXPECT_EQ(t.columns[0].max_length, 100);
  ASSERT_EQ(t.keys.size(), 1u);
  EXPECT_EQ(t.key_attributes(t.keys[0]), "sample_bookcode");
}

TEST(schema_default, is_the_shipped_dataverse_sample_file) {
  std::ifstream in(EMULATOR_SCHEMA_DIR "/dataverse_sample.json");
  ASSERT_TRUE(in) << EMULATOR_SCHEMA_DIR;
  std::stringstream file;
  file << in.rdbuf();
  EXPECT_EQ(file.str(), default_schema_json());
}

TEST(schema_default, equals_the_shipped_schema_file) {
  std::ifstream in(EMULATOR_SCHEMA_DIR "/sample_book.json");
  ASSERT_TRUE(in) << EMULATOR_SCHEMA_DIR;
  std::stringstream file;
  file << in.rdbuf();
  auto const a = parse_schema(file.str()).tables.at(0);
  auto const b = parse_schema(default_schema_json()).tables.at(0);
  EXPECT_EQ(a.entity_set, b.entity_set);
  EXPECT_EQ(a.primary_id, b.primary_id);
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (std::size_t i = 0; i < a.columns.size(); ++i) {
    EXPECT_EQ(a.columns[i].name, b.columns[i].name);
    EXPECT_EQ(a.columns[i].required, b.columns[i].required);
    EXPECT_EQ(a.columns[i].max_length, b.columns[i].max_length);
  }
  ASSERT_EQ(a.keys.size(), b.keys.size());
  EXPECT_EQ(a.keys[0].columns, b.keys[0].columns);
}

TEST(schema_parse, derives_the_primary_id_and_lookup_wire_names) {
  auto const s = parse_schema(R"({"tables":[{"entity_set":"accounts","logical_name":"account",
      "columns":[{"name":"primarycontactid","type":"lookup","target":"contacts"}]}]})");
  EXPECT_EQ(s.tables[0].primary_id, "accountid");
  EXPECT_EQ(s.tables[0].columns[0].wire_name, "_primarycontactid_value");
}

TEST(schema_parse, names_the_problem) {
  EXPECT_NE(failure("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(failure(R"({"tables":[]})").find("'tables'"), std::string::npos);
  EXPECT_NE(
      failure(
          R"({"tables":[{"entity_set":"a","logical_name":"a","columns":[{"name":"x","type":"string","colour":1}]}]})")
          .find("tables[0].columns[0]: unknown member 'colour'"),
      std::string::npos);
  EXPECT_NE(failure(R"({"tables":[{"entity_set":"a","logical_name":"a","columns":[{"name":"x","type":"lookup"}]}]})")
                .find("'target' is missing"),
            std::string::npos);
  EXPECT_NE(
      failure(
          R"({"tables":[{"entity_set":"a","logical_name":"a","columns":[{"name":"versionnumber","type":"integer"}]}]})")
          .find("system column"),
      std::string::npos);
  EXPECT_NE(failure(R"({"tables":[{"entity_set":"a","logical_name":"a","columns":[{"name":"x","type":"boolean"}],
                      "alternate_keys":[{"name":"k","attributes":["x"]}]}]})")
                .find("boolean"),
            std::string::npos);
  EXPECT_NE(failure(R"({"tables":[{"entity_set":"a","logical_name":"a","columns":[{"name":"x","type":"string"}],
                      "alternate_keys":[{"name":"k","attributes":["y"]}]}]})")
                .find("'y' is not a declared column"),
            std::string::npos);
  EXPECT_NE(failure(R"({"tables":[{"entity_set":"a","logical_name":"a","columns":[{"name":"x","type":"string"}]},
                                  {"entity_set":"a","logical_name":"b","columns":[{"name":"x","type":"string"}]}]})")
                .find("tables[1]: entity_set 'a'"),
            std::string::npos);
  EXPECT_NE(failure(R"({"tables":[{"entity_set":"a","logical_name":"A","columns":[{"name":"x","type":"string"}]}]})")
                .find("lower-case"),
            std::string::npos);
}

}  // namespace
}  // namespace emulator
