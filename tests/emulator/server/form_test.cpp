#include "server/form.hpp"

#include <gtest/gtest.h>

namespace emulator {
namespace {

TEST(form, decodes_plus_and_percent_escapes) {
  EXPECT_EQ(form_decode("a+b%2Fc%3a"), "a b/c:");
  EXPECT_FALSE(form_decode("bad%2").has_value());
  EXPECT_FALSE(form_decode("bad%zz").has_value());
}

TEST(form, finds_a_field_by_its_decoded_name) {
  std::string body = "grant_type=client_credentials&scope=http%3A%2F%2Fh%3A1%2F.default&empty=&flag";
  EXPECT_EQ(form_field(body, "grant_type"), "client_credentials");
  EXPECT_EQ(form_field(body, "scope"), "http://h:1/.default");
  EXPECT_EQ(form_field(body, "empty"), "");
  EXPECT_EQ(form_field(body, "flag"), "");
  EXPECT_FALSE(form_field(body, "client_id").has_value());
}

}  // namespace
}  // namespace emulator
