#include "store/record_json.hpp"

#include "store_fixture.hpp"

#include <gtest/gtest.h>

namespace dvsync::store::test {
namespace {

TEST(record_json, writes_the_id_and_every_column_as_json) {
  dataverse::record r{"0a-1", 7, {dataverse::value{std::string("say \"hi\"\\\n")}, dataverse::value{}, dataverse::value{std::int64_t{-3}}}};
  EXPECT_EQ(record_json(books(), r),
            R"({"sample_bookid":"0a-1","sample_name":"say \"hi\"\\\u000a","sample_bookcode":null,"sample_author":-3})");
  dataverse::record d{"x", std::nullopt, {dataverse::value{0.5}, dataverse::value{std::string("")}, dataverse::value{std::string("é")}}};
  EXPECT_EQ(record_json(books(), d), R"({"sample_bookid":"x","sample_name":0.5,"sample_bookcode":"","sample_author":"é"})");
}

}  // namespace
}  // namespace dvsync::store::test
