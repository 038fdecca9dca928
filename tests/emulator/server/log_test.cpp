#include "server/log.hpp"

#include <gtest/gtest.h>

namespace emulator {
namespace {

TEST(log, plain_values_are_written_as_they_are) {
  EXPECT_EQ(render_log_line("request", {{"method", "GET"}, {"status", "200"}}), "event=request method=GET status=200");
}

TEST(log, values_that_could_forge_a_line_or_a_field_are_quoted_and_escaped) {
  auto line = render_log_line("request", {{"path", "/a b\nevent=forged x=\"1\"\\"}, {"empty", ""}});
  EXPECT_EQ(line, R"(event=request path="/a b\nevent=forged x=\"1\"\\" empty="")");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(render_log_line("x", {{"c", std::string("\x01\x7f", 2)}}), R"(event=x c="\x01\x7f")");
}

}  // namespace
}  // namespace emulator
