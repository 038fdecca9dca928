#include "fixture.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <thread>

namespace dvsync::test {

std::string dvsync_binary() { return DVSYNC_BINARY; }

void daemon_test::SetUp() {
  db_path_ = (dir_ / "state" / "mirror.db").string();
  config_path_ = (dir_ / "dvsync.json").string();
  start_emulator();
  write_config();
}

void daemon_test::start_emulator(std::vector<std::string> const& flags) {
  emulator_.reset();
  emulator_ = std::make_unique<emulator_process>(flags);
  token_.clear();
}

void daemon_test::write_config(config_overrides const& o) {
  auto origin = o.origin.empty() ? emulator_->origin() : o.origin;
  write_file(config_path_, fmt::format(R"({{
  "dataverse": {{ "url": "{0}", "api_version": "9.2" }},
  "auth": {{ "authority": "{0}", "tenant_id": "dvsync-test-tenant", "client_id": "{1}" }},
  "database": {{ "path": "{2}"{13} }},
  "sync": {{ "interval_s": {3}, "page_size": {4}, "max_attempts": {5}, "backoff_base_s": {6},
             "backoff_cap_s": {7}, "retry_after_cap_s": {8}, "request_timeout_s": {9}{11} }},
  {10}
  "tables": {12}
}})",
                                       origin, emulator_client_id, db_path_, o.interval_s, o.page_size, o.max_attempts,
                                       o.backoff_base_s, o.backoff_cap_s, o.retry_after_cap_s, o.request_timeout_s,
                                       o.extra_top_level, o.extra_sync, o.tables, o.extra_database));
}

environment daemon_test::secret_env() const { return {{"DVSYNC_CLIENT_SECRET", std::string(emulator_client_secret)}}; }

process_result daemon_test::dvsync(std::vector<std::string> args, environment env) {
  std::vector<std::string> argv{dvsync_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--config");
  argv.push_back(config_path_);
  for (auto const& [k, v] : secret_env()) env.try_emplace(k, v);
  return run_process(argv, env);
}

child daemon_test::start_daemon(std::string const& log_name, environment env) {
  for (auto const& [k, v] : secret_env()) env.try_emplace(k, v);
  return child({dvsync_binary(), "run", "--config", config_path_, "--log-level", "debug"}, env, (dir_ / log_name).string());
}

http_reply daemon_test::api(std::string const& method, std::string const& path, std::string const& body) {
  if (token_.empty()) token_ = emulator_->token();
  auto headers = web_api_headers(token_);
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  return http_call(method, emulator_->api_url(path), body, headers);
}

void daemon_test::create_book(int i, std::string const& author_prefix) {
  auto r = api("POST", "sample_books",
               fmt::format(R"({{"sample_name":"Demo Book {0}","sample_bookcode":"BookCode{0}","sample_author":"{1}{0}"}})", i,
                           author_prefix));
  ASSERT_EQ(r.status, 204) << r.body;
}

void daemon_test::create_books(int first, int last) {
  for (int i = first; i <= last; ++i) create_book(i);
}

std::string daemon_test::id_of(std::string const& code) {
  auto r = api("GET", "sample_books(sample_bookcode='" + code + "')?$select=sample_bookcode");
  if (r.status != 200) throw std::runtime_error("no book " + code + ": " + r.body);
  return std::string(boost::json::parse(r.body).at("sample_bookid").as_string());
}

void daemon_test::faults(std::string const& json) {
  auto r = emulator_->control("faults", json);
  ASSERT_EQ(r.status, 200) << r.body;
}

std::uint64_t daemon_test::requests(std::string const& path_suffix, int status) {
  return count_requests([&](std::string_view path) { return path.ends_with(path_suffix); }, status);
}

std::uint64_t daemon_test::metadata_requests(int status) {
  return count_requests([](std::string_view path) { return path.find("/EntityDefinitions") != std::string_view::npos; },
                        status);
}

std::uint64_t daemon_test::count_requests(std::function<bool(std::string_view)> const& path_matches, int status) {
  auto r = emulator_->control_get("stats");
  std::uint64_t n = 0;
  auto const stats = boost::json::parse(r.body);
  for (auto const& item : stats.at("requests").as_array()) {
    auto const& o = item.as_object();
    std::string_view path = o.at("path").as_string();
    if (!path_matches(path)) continue;
    if (status != 0 && o.at("status").to_number<int>() != status) continue;
    n += o.at("count").to_number<std::uint64_t>();
  }
  return n;
}

row_set daemon_test::source() const { return rows_from_dump(emulator_->control_get("rows?entity_set=sample_books").body, shape_); }

row_set daemon_test::mirror() const { return rows_from_mirror(db_path_, shape_); }

void daemon_test::expect_mirror_equals_source() const {
  auto d = compare(source(), mirror());
  EXPECT_TRUE(d.empty()) << d.describe();
  EXPECT_EQ(integrity_check(db_path_), "ok");
}

std::string daemon_test::state(std::string const& column) const {
  return query_text(db_path_, "SELECT " + column + " FROM dvsync_table_state WHERE table_name = 'sample_book'");
}

bool daemon_test::wait_for_state(std::string const& column, std::string const& value, std::chrono::seconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (state(column) == value) return true;
    } catch (std::exception const&) {
      // Not created yet, or mid-migration: look again.
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace dvsync::test
