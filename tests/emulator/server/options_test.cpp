#include "server/options.hpp"

#include <gtest/gtest.h>

namespace emulator {
namespace {

parsed_command parse(std::vector<std::string> args) { return parse_command_line(args); }

TEST(options, defaults_are_the_documented_ones) {
  auto c = parse({});
  ASSERT_EQ(c.what, parsed_command::action::run) << c.error;
  EXPECT_EQ(c.options.listen_host, "127.0.0.1");
  EXPECT_EQ(c.options.listen_port, 0);
  EXPECT_EQ(c.options.client_id, "dvsync-test-client");
  EXPECT_EQ(c.options.client_secret, "dvsync-test-secret");
  EXPECT_EQ(c.options.tenant, "");
  EXPECT_EQ(c.options.token_lifetime_s, 3600);
  EXPECT_EQ(c.options.change_retention_days, 7);
  EXPECT_EQ(c.options.max_page_size, 5000);
  EXPECT_EQ(c.options.expired_token_status, 400);
  // Microsoft's service protection limits (api-limits.md): 6,000 requests and 1,200 s of combined
  // execution time per 5-minute sliding window, 52 concurrent requests.
  ASSERT_TRUE(c.options.throttle.has_value());
  EXPECT_EQ(c.options.throttle->requests, 6000);
  EXPECT_EQ(c.options.throttle->window_s, 300);
  ASSERT_TRUE(c.options.execution_limit.has_value());
  EXPECT_EQ(c.options.execution_limit->milliseconds, 1'200'000);
  EXPECT_EQ(c.options.execution_limit->window_s, 300);
  EXPECT_EQ(c.options.max_concurrent, 52);
  EXPECT_TRUE(c.options.extra_clients.empty());
  EXPECT_EQ(c.options.dop_hint, 8);
  EXPECT_FALSE(c.options.gzip);
  EXPECT_FALSE(c.options.no_auth);
  EXPECT_EQ(c.options.seed.what, seed_request::kind::none);
}

TEST(options, reads_every_flag_in_both_spellings) {
  auto c = parse({"--listen", "[::1]:8080", "--port-file=/tmp/p", "--schema", "s.json", "--seed", "sample",
                  "--client-id", "id", "--client-secret=sec", "--tenant", "t", "--token-lifetime-s", "2",
                  "--change-retention-days=30", "--max-page-size", "3", "--throttle", "10/60", "--gzip",
                  "--expired-token-status", "410", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--no-auth",
                  "--log-requests", "--execution-limit", "1200000/300", "--max-concurrent=52", "--dop-hint", "48"});
  ASSERT_EQ(c.what, parsed_command::action::run) << c.error;
  auto const& o = c.options;
  ASSERT_TRUE(o.execution_limit.has_value());
  EXPECT_EQ(o.execution_limit->milliseconds, 1200000);
  EXPECT_EQ(o.execution_limit->window_s, 300);
  EXPECT_EQ(o.max_concurrent, 52);
  EXPECT_EQ(o.dop_hint, 48);
  EXPECT_EQ(o.listen_host, "::1");
  EXPECT_EQ(o.listen_port, 8080);
  EXPECT_EQ(o.port_file, "/tmp/p");
  EXPECT_EQ(o.schema_file, "s.json");
  EXPECT_EQ(o.seed.what, seed_request::kind::sample);
  EXPECT_EQ(o.client_id, "id");
  EXPECT_EQ(o.client_secret, "sec");
  EXPECT_EQ(o.tenant, "t");
  EXPECT_EQ(o.token_lifetime_s, 2);
  EXPECT_EQ(o.change_retention_days, 30);
  EXPECT_EQ(o.max_page_size, 3);
  ASSERT_TRUE(o.throttle.has_value());
  EXPECT_EQ(o.throttle->requests, 10);
  EXPECT_EQ(o.throttle->window_s, 60);
  EXPECT_TRUE(o.gzip);
  EXPECT_EQ(o.expired_token_status, 410);
  EXPECT_EQ(o.tls_cert, "c.pem");
  EXPECT_EQ(o.tls_key, "k.pem");
  EXPECT_TRUE(o.no_auth);
  EXPECT_TRUE(o.log_requests);
}

TEST(options, service_protection_flags_are_checked) {
  for (auto const& bad : std::vector<std::vector<std::string>>{{"--execution-limit", "100"},
                                                               {"--execution-limit", "0/300"},
                                                               {"--max-concurrent", "0"},
                                                               {"--dop-hint", "x"}}) {
    auto c = parse(bad);
    EXPECT_EQ(c.what, parsed_command::action::usage_error) << bad[0] << " " << bad[1];
    EXPECT_NE(c.error.find(bad[0]), std::string::npos) << c.error;
  }
}

TEST(options, each_service_protection_limit_or_all_of_them_can_be_turned_off) {
  auto each = parse({"--throttle", "off", "--execution-limit=off", "--max-concurrent", "off"});
  ASSERT_EQ(each.what, parsed_command::action::run) << each.error;
  EXPECT_FALSE(each.options.throttle.has_value());
  EXPECT_FALSE(each.options.execution_limit.has_value());
  EXPECT_FALSE(each.options.max_concurrent.has_value());

  // Flags apply in order: all off, then one back on.
  auto all = parse({"--service-limits", "off", "--max-concurrent", "4"});
  ASSERT_EQ(all.what, parsed_command::action::run) << all.error;
  EXPECT_FALSE(all.options.throttle.has_value());
  EXPECT_FALSE(all.options.execution_limit.has_value());
  EXPECT_EQ(all.options.max_concurrent, 4);

  auto back = parse({"--service-limits", "off", "--service-limits", "documented"});
  ASSERT_EQ(back.what, parsed_command::action::run) << back.error;
  EXPECT_EQ(back.options.throttle->requests, 6000);
  EXPECT_EQ(back.options.execution_limit->milliseconds, 1'200'000);
  EXPECT_EQ(back.options.max_concurrent, 52);

  auto bad = parse({"--service-limits", "none"});
  EXPECT_EQ(bad.what, parsed_command::action::usage_error);
  EXPECT_NE(bad.error.find("--service-limits"), std::string::npos) << bad.error;
}

TEST(options, extra_clients_are_registered_with_their_secrets) {
  auto c = parse({"--extra-client", "other:pass:word", "--extra-client=third:x"});
  ASSERT_EQ(c.what, parsed_command::action::run) << c.error;
  ASSERT_EQ(c.options.extra_clients.size(), 2u);
  EXPECT_EQ(c.options.extra_clients[0].id, "other");
  EXPECT_EQ(c.options.extra_clients[0].secret, "pass:word");
  EXPECT_EQ(c.options.extra_clients[1].id, "third");
  for (auto const& bad : std::vector<std::vector<std::string>>{
           {"--extra-client", "nosecret"}, {"--extra-client", ":s"}, {"--extra-client", "dvsync-test-client:s"}}) {
    auto r = parse(bad);
    EXPECT_EQ(r.what, parsed_command::action::usage_error) << bad[1];
    EXPECT_NE(r.error.find("--extra-client"), std::string::npos) << r.error;
  }
}

TEST(options, seed_takes_a_count_and_an_optional_entity_set) {
  auto n = parse({"--seed", "1000000"});
  ASSERT_EQ(n.what, parsed_command::action::run) << n.error;
  EXPECT_EQ(n.options.seed.what, seed_request::kind::generated);
  EXPECT_EQ(n.options.seed.entity_set, "sample_books");
  EXPECT_EQ(n.options.seed.count, 1000000);
  auto s = parse({"--seed", "x_orders:5"});
  ASSERT_EQ(s.what, parsed_command::action::run) << s.error;
  EXPECT_EQ(s.options.seed.entity_set, "x_orders");
  EXPECT_EQ(s.options.seed.count, 5);
  EXPECT_EQ(s.options.seed.order, seed_order::ascending);
}

TEST(options, seed_order_shuffles_generated_rows_only) {
  auto shuffled = parse({"--seed", "100", "--seed-order", "shuffled"});
  ASSERT_EQ(shuffled.what, parsed_command::action::run) << shuffled.error;
  EXPECT_EQ(shuffled.options.seed.order, seed_order::shuffled);
  auto ascending = parse({"--seed-order=ascending", "--seed", "x_orders:5"});
  ASSERT_EQ(ascending.what, parsed_command::action::run) << ascending.error;
  EXPECT_EQ(ascending.options.seed.order, seed_order::ascending);
  for (auto const& args : std::vector<std::vector<std::string>>{{"--seed", "100", "--seed-order", "random"},
                                                               {"--seed", "sample", "--seed-order", "shuffled"},
                                                               {"--seed-order", "shuffled"}}) {
    auto r = parse(args);
    EXPECT_EQ(r.what, parsed_command::action::usage_error) << args.back();
    EXPECT_NE(r.error.find("--seed-order"), std::string::npos) << r.error;
  }
}

struct bad_case {
  std::vector<std::string> args;
  std::string named;  // the flag or value the message must name
};

TEST(options, bad_flags_are_usage_errors_that_name_the_flag) {
  std::vector<bad_case> cases{
      {{"--listen", "127.0.0.1"}, "--listen"},
      {{"--listen", "nohost:80"}, "--listen"},
      {{"--listen", "127.0.0.1:70000"}, "--listen"},
      {{"--throttle", "10"}, "--throttle"},
      {{"--throttle", "0/5"}, "--throttle"},
      {{"--token-lifetime-s", "soon"}, "--token-lifetime-s"},
      {{"--max-page-size", "0"}, "--max-page-size"},
      {{"--change-retention-days", "366"}, "--change-retention-days"},
      {{"--seed", "many"}, "--seed"},
      {{"--port-file"}, "--port-file"},
      {{"--frobnicate"}, "--frobnicate"},
      {{"--gzip=yes"}, "--gzip"},
      {{"stray"}, "stray"},
      {{"--tls-cert", "c.pem"}, "--tls-key"},
      {{"--client-secret", ""}, "--client-secret"},
  };
  for (auto const& c : cases) {
    auto r = parse(c.args);
    EXPECT_EQ(r.what, parsed_command::action::usage_error) << c.args.front();
    EXPECT_NE(r.error.find(c.named), std::string::npos) << r.error;
  }
}

TEST(options, help_wins_over_version_and_run) {
  EXPECT_EQ(parse({"--version", "--help"}).what, parsed_command::action::help);
  EXPECT_EQ(parse({"--version"}).what, parsed_command::action::version);
  EXPECT_NE(usage_text().find("--throttle R/S"), std::string::npos);
}

}  // namespace
}  // namespace emulator
