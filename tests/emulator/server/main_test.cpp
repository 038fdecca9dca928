// The dataverse-emulator command line: flags, exit codes, the port file and signals.
#include "web_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

namespace dvsync::test {
namespace {

TEST(emulator_cli, bad_flags_exit_64_with_a_message_naming_the_flag) {
  struct bad {
    std::vector<std::string> args;
    std::string flag;
  };
  std::vector<bad> cases{{{"--throttle", "lots"}, "--throttle"},
                         {{"--listen", "nowhere"}, "--listen"},
                         {{"--max-page-size", "-1"}, "--max-page-size"},
                         {{"--no-such-flag"}, "--no-such-flag"},
                         {{"--token-lifetime-s"}, "--token-lifetime-s"}};
  for (auto const& c : cases) {
    auto r = run_emulator_cli(c.args);
    EXPECT_EQ(r.exit_code, 64) << c.flag;
    EXPECT_NE(r.err.find(c.flag), std::string::npos) << r.err;
  }
}

TEST(emulator_cli, an_unreadable_schema_file_is_named) {
  auto r = run_emulator_cli({"--schema", "/nonexistent/schema.json"});
  EXPECT_EQ(r.exit_code, 66);
  EXPECT_NE(r.err.find("--schema"), std::string::npos) << r.err;
}

TEST(emulator_cli, an_invalid_schema_or_seed_is_named) {
  temp_dir dir;
  auto schema = (dir / "schema.json").string();
  std::ofstream(schema) << "{ this is not a schema";
  auto bad_schema = run_emulator_cli({"--schema", schema});
  EXPECT_EQ(bad_schema.exit_code, 65);
  EXPECT_NE(bad_schema.err.find("--schema"), std::string::npos) << bad_schema.err;
  auto bad_seed = run_emulator_cli({"--seed", "no_such_set:5"});
  EXPECT_EQ(bad_seed.exit_code, 64);
  EXPECT_NE(bad_seed.err.find("--seed"), std::string::npos) << bad_seed.err;
}

TEST(emulator_cli, a_port_in_use_is_a_startup_error_naming_the_address) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor busy(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto port = std::to_string(busy.local_endpoint().port());
  auto r = run_emulator_cli({"--listen", "127.0.0.1:" + port});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("127.0.0.1:" + port), std::string::npos) << r.err;
}

TEST(emulator_cli, help_and_version_exit_0) {
  auto help = run_emulator_cli({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--port-file"), std::string::npos);
  auto version = run_emulator_cli({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(version.out.starts_with("dataverse-emulator ")) << version.out;
}

TEST(emulator_cli, the_port_file_names_the_port_it_listens_on_and_sigterm_exits_0) {
  emulator_process emu;
  EXPECT_GT(emu.port(), 0);
  auto r = emu.control_get("health");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_NE(emu.output().find("listening on http://127.0.0.1:" + std::to_string(emu.port())), std::string::npos);
  EXPECT_EQ(emu.stop(), 0);
}

TEST(emulator_cli, seed_flag_fills_the_table_before_listening) {
  emulator_process sample({"--seed", "sample"});
  EXPECT_EQ(json_of(sample.control_get("rows")).as_array().size(), 10u);
  emulator_process generated({"--seed", "2500"});
  EXPECT_EQ(json_of(generated.control_get("rows")).as_array().size(), 2500u);
}

TEST(emulator_cli, log_requests_writes_one_line_per_request_without_the_query) {
  emulator_process emu({"--log-requests", "--no-auth"});
  http_call("GET", emu.api_url("sample_books?$select=sample_name"));
  EXPECT_EQ(emu.stop(), 0);
  auto out = emu.output();
  EXPECT_NE(out.find("event=request method=GET path=/api/data/v9.2/sample_books status=200"), std::string::npos) << out;
  EXPECT_EQ(out.find("$select"), std::string::npos) << out;
}

}  // namespace
}  // namespace dvsync::test
