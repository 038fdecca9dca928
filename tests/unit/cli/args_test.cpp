#include "cli/args.hpp"

#include <gtest/gtest.h>

namespace dvsync::cli {
namespace {

TEST(parse_arguments, reads_a_command_and_its_options) {
  auto r = parse_arguments({"status", "--config", "/tmp/x.json", "--json"});
  ASSERT_TRUE(r.args) << r.error;
  EXPECT_EQ(r.args->cmd, command::status);
  EXPECT_EQ(r.args->config_path, "/tmp/x.json");
  EXPECT_TRUE(r.args->json);
}

TEST(parse_arguments, accepts_option_equals_value) {
  auto r = parse_arguments({"resync", "--config=/c.json", "--table=sample_book"});
  ASSERT_TRUE(r.args) << r.error;
  EXPECT_EQ(r.args->config_path, "/c.json");
  EXPECT_EQ(r.args->table, "sample_book");
}

TEST(parse_arguments, defaults_to_the_system_config_path) {
  auto r = parse_arguments({"once"});
  ASSERT_TRUE(r.args);
  EXPECT_EQ(r.args->config_path, "/etc/dvsync/dvsync.json");
}

TEST(parse_arguments, refuses_unknown_flags_naming_them) {
  auto r = parse_arguments({"once", "--cofnig", "x"});
  ASSERT_FALSE(r.args);
  EXPECT_NE(r.error.find("--cofnig"), std::string::npos);
}

TEST(parse_arguments, refuses_options_of_other_commands) {
  EXPECT_FALSE(parse_arguments({"once", "--json"}).args);
  EXPECT_FALSE(parse_arguments({"status", "--table", "t"}).args);
}

TEST(parse_arguments, verify_takes_table_fix_and_json) {
  auto r = parse_arguments({"verify", "--table", "sample_book", "--fix", "--json"});
  ASSERT_TRUE(r.args) << r.error;
  EXPECT_EQ(r.args->cmd, command::verify);
  EXPECT_EQ(r.args->table, "sample_book");
  EXPECT_TRUE(r.args->fix);
  EXPECT_TRUE(r.args->json);
  auto plain = parse_arguments({"verify"});
  ASSERT_TRUE(plain.args) << plain.error;
  EXPECT_FALSE(plain.args->fix);
  EXPECT_FALSE(parse_arguments({"verify", "--fix=yes"}).args);
  EXPECT_FALSE(parse_arguments({"resync", "--fix"}).args);
  EXPECT_FALSE(plain.args->values);
  auto values = parse_arguments({"verify", "--values"});
  ASSERT_TRUE(values.args) << values.error;
  EXPECT_TRUE(values.args->values);
  EXPECT_FALSE(parse_arguments({"verify", "--values=1"}).args);
  EXPECT_FALSE(parse_arguments({"status", "--values"}).args);
}

TEST(parse_arguments, refuses_unknown_commands_and_missing_values) {
  auto r = parse_arguments({"sync"});
  ASSERT_FALSE(r.args);
  EXPECT_NE(r.error.find("sync"), std::string::npos);
  EXPECT_FALSE(parse_arguments({"run", "--config"}).args);
}

TEST(parse_arguments, version_and_help) {
  EXPECT_EQ(parse_arguments({"--version"}).args->cmd, command::version);
  EXPECT_EQ(parse_arguments({"--help"}).args->cmd, command::help);
  EXPECT_EQ(parse_arguments({}).args->cmd, command::help);
  EXPECT_EQ(parse_arguments({"run", "--help"}).args->cmd, command::help);
}

}  // namespace
}  // namespace dvsync::cli
