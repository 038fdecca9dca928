// Bad configurations through the real binary (reliability plan T20). Each case edits the working
// configuration of the integration fixture, which points at a live emulator; `check-config`, `once`
// and `run` must each exit 78 naming the field by its JSON path, before touching the network (the
// emulator counts no request) or the database (no file, not even its directory, is created).
// The invalid configurations of tests/data/configs/invalid run the same way against their
// `.paths` files.
#include "fixture.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <sys/stat.h>

namespace dvsync::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int ex_config = 78;

bool contains(std::string const& haystack, std::string const& needle) { return haystack.find(needle) != std::string::npos; }

// One change to the working configuration, addressed by a JSON pointer. `json` is the new value
// (`@DIR@` becomes the test's directory); nullopt removes the member.
struct edit {
  std::string pointer;
  std::optional<std::string> json;
};

enum class secret { environment, file_missing, file_is_directory, file_mode_0640, file_mode_0604, none };

struct bad_config {
  std::string name;
  std::vector<edit> edits;
  std::vector<std::string> paths;  // every one must be named on stderr
  secret client_secret = secret::environment;
};

std::ostream& operator<<(std::ostream& os, bad_config const& c) { return os << c.name; }

std::string replace_all(std::string s, std::string const& from, std::string const& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

void apply(json::value& root, edit const& e, std::string const& dir) {
  auto slash = e.pointer.rfind('/');
  std::string parent_pointer = e.pointer.substr(0, slash);
  std::string last = e.pointer.substr(slash + 1);
  json::error_code ec;
  json::value* parent = parent_pointer.empty() ? &root : root.find_pointer(parent_pointer, ec);
  if (!parent) throw std::runtime_error("no " + parent_pointer + " in the base configuration");
  std::optional<json::value> v;
  if (e.json) v = json::parse(replace_all(*e.json, "@DIR@", dir));
  if (parent->is_array()) {
    auto& a = parent->as_array();
    std::size_t i = std::stoul(last);
    if (v) a.at(i) = *v;
    else a.erase(a.begin() + static_cast<std::ptrdiff_t>(i));
  } else if (v) {
    parent->as_object().insert_or_assign(last, *v);
  } else if (!parent->as_object().erase(last)) {
    throw std::runtime_error("no " + e.pointer + " in the base configuration");
  }
}

class config_matrix : public daemon_test, public ::testing::WithParamInterface<bad_config> {
 protected:
  // The files and directories under the test directory, so a test can see that nothing appeared.
  std::vector<std::string> tree() const {
    std::vector<std::string> out;
    for (auto const& entry : fs::recursive_directory_iterator(dir_.path())) out.push_back(entry.path().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  std::uint64_t total_requests() {
    auto r = emulator_->control_get("stats");
    return json::parse(r.body).at("total_requests").to_number<std::uint64_t>();
  }

  // `dvsync <command> --config <config_path_>`, bounded: a daemon that wrongly starts is killed.
  process_result run_command(std::string const& command, environment const& env) {
    return run_process({dvsync_binary(), command, "--config", config_path_}, env, std::chrono::seconds(20));
  }
};

TEST_P(config_matrix, exits_78_naming_the_field_before_any_network_or_database_access) {
  bad_config const& c = GetParam();
  std::string const dir = dir_.path().string();
  environment env;
  std::string secret_path = (dir_ / "client_secret").string();
  switch (c.client_secret) {
    case secret::environment: env = secret_env(); break;
    case secret::file_mode_0640: write_file(secret_path, std::string(emulator_client_secret), 0640); break;
    case secret::file_mode_0604: write_file(secret_path, std::string(emulator_client_secret), 0604); break;
    case secret::file_is_directory: fs::create_directory(secret_path); break;
    case secret::file_missing:
    case secret::none: break;
  }
  if (c.client_secret != secret::environment) {
    env["DVSYNC_CLIENT_SECRET"] = "";
    env["CREDENTIALS_DIRECTORY"] = "";
  }
  // write_file applies the process umask; the test is about the mode, so set it exactly.
  if (c.client_secret == secret::file_mode_0640) ::chmod(secret_path.c_str(), 0640);
  if (c.client_secret == secret::file_mode_0604) ::chmod(secret_path.c_str(), 0604);

  json::value config = json::parse(read_file(config_path_));
  if (c.client_secret != secret::environment && c.client_secret != secret::none)
    config.as_object()["auth"].as_object()["client_secret_file"] = secret_path;
  for (auto const& e : c.edits) apply(config, e, dir);
  write_file(config_path_, json::serialize(config));

  auto const before = tree();
  ASSERT_FALSE(fs::exists(dir_ / "state"));
  for (std::string command : {"check-config", "once", "run"}) {
    SCOPED_TRACE(command);
    auto r = run_command(command, env);
    EXPECT_EQ(r.exit_code, ex_config) << r.err;
    for (auto const& path : c.paths) EXPECT_TRUE(contains(r.err, "config: " + path + ": ")) << "field " << path << " not named:\n" << r.err;
    EXPECT_TRUE(contains(r.err, "nothing was started")) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    // The secret is never echoed back, even when it was (wrongly) written into the file.
    EXPECT_FALSE(contains(r.err, std::string(emulator_client_secret))) << r.err;
  }
  EXPECT_EQ(tree(), before) << "a command created files";
  EXPECT_FALSE(fs::exists(dir_ / "state"));
  EXPECT_EQ(total_requests(), 0u) << "a command talked to the emulator";
}

std::vector<bad_config> matrix() {
  return {
      // Unknown keys, at the top level and nested.
      {"unknown_top_level_key", {{"/extra", "true"}}, {"extra"}},
      {"unknown_key_in_sync", {{"/sync/intervall_s", "5"}}, {"sync.intervall_s"}},
      {"unknown_key_in_a_table", {{"/tables/0/filter", R"("sample_author eq 'x'")"}}, {"tables[0].filter"}},
      {"unknown_mode", {{"/tables/0/mode", R"("append_only")"}}, {"tables[0].mode"}},
      {"change_feed_not_a_boolean", {{"/tables/0/change_feed", R"("yes")"}}, {"tables[0].change_feed"}},
      {"feed_retention_zero", {{"/database/change_feed_retention_days", "0"}}, {"database.change_feed_retention_days"}},
      {"client_secret_in_the_file", {{"/auth/client_secret", R"("dvsync-test-secret")"}}, {"auth.client_secret"}},
      // Missing fields.
      {"missing_dataverse", {{"/dataverse", std::nullopt}}, {"dataverse"}},
      {"missing_dataverse_url", {{"/dataverse/url", std::nullopt}}, {"dataverse.url"}},
      {"missing_client_id", {{"/auth/client_id", std::nullopt}}, {"auth.client_id"}},
      {"missing_tenant_id", {{"/auth/tenant_id", std::nullopt}}, {"auth.tenant_id"}},
      {"missing_database_path", {{"/database/path", std::nullopt}}, {"database.path"}},
      {"missing_tables", {{"/tables", std::nullopt}}, {"tables"}},
      {"missing_table_name", {{"/tables/0/entity_set", std::nullopt}}, {"tables[0].logical_name"}},
      {"missing_table_of_an_entity_set", {{"/tables/0/table", std::nullopt}}, {"tables[0].table"}},
      {"empty_tables", {{"/tables", "[]"}}, {"tables"}},
      // Identifiers that would reach SQL.
      {"table_with_a_double_quote", {{"/tables/0/table", R"("sample\"book")"}}, {"tables[0].table"}},
      {"table_sql_injection", {{"/tables/0/table", R"("x\"; DROP TABLE y;--")"}}, {"tables[0].table"}},
      {"column_with_a_semicolon", {{"/tables/0/columns/2", R"("sample_author;")"}}, {"tables[0].columns[2]"}},
      {"entity_set_with_a_single_quote", {{"/tables/0/entity_set", R"("sample_books'")"}}, {"tables[0].entity_set"}},
      {"id_with_a_comment", {{"/tables/0/id", R"("sample_bookid --")"}}, {"tables[0].id"}},
      {"key_with_a_single_quote", {{"/tables/0/key", R"("sample_book'code")"}}, {"tables[0].key"}},
      {"dvsync_prefixed_table", {{"/tables/0/table", R"("dvsync_table_state")"}}, {"tables[0].table"}},
      {"dvsync_prefixed_column_any_case", {{"/tables/0/columns/0", R"("DVSYNC_version")"}}, {"tables[0].columns[0]"}},
      {"sqlite_prefixed_table", {{"/tables/0/table", R"("sqlite_master")"}}, {"tables[0].table"}},
      // Plain HTTP off loopback, and other schemes.
      {"http_to_a_remote_dataverse", {{"/dataverse/url", R"("http://contoso.crm.dynamics.com")"}}, {"dataverse.url"}},
      {"http_to_a_remote_authority", {{"/auth/authority", R"("http://10.1.2.3:8080")"}}, {"auth.authority"}},
      {"http_to_a_lookalike_of_loopback", {{"/dataverse/url", R"("http://127.0.0.1.example.com")"}}, {"dataverse.url"}},
      {"ftp_dataverse", {{"/dataverse/url", R"("ftp://127.0.0.1/")"}}, {"dataverse.url"}},
      {"url_with_credentials", {{"/dataverse/url", R"("https://user:pw@contoso.crm.dynamics.com")"}}, {"dataverse.url"}},
      // The client secret.
      {"no_client_secret_anywhere", {}, {"auth.client_secret_file"}, secret::none},
      {"secret_file_missing", {}, {"auth.client_secret_file"}, secret::file_missing},
      {"secret_file_is_a_directory", {}, {"auth.client_secret_file"}, secret::file_is_directory},
      {"secret_file_group_readable", {}, {"auth.client_secret_file"}, secret::file_mode_0640},
      {"secret_file_world_readable", {}, {"auth.client_secret_file"}, secret::file_mode_0604},
      // Numbers: zero, negative, too big, not integers, other types.
      {"interval_zero", {{"/sync/interval_s", "0"}}, {"sync.interval_s"}},
      {"interval_negative", {{"/sync/interval_s", "-60"}}, {"sync.interval_s"}},
      {"interval_too_big", {{"/sync/interval_s", "100000000"}}, {"sync.interval_s"}},
      {"interval_with_a_fraction", {{"/sync/interval_s", "2.5"}}, {"sync.interval_s"}},
      {"interval_with_an_exponent", {{"/sync/interval_s", "1e3"}}, {"sync.interval_s"}},
      {"interval_as_a_string", {{"/sync/interval_s", R"("60")"}}, {"sync.interval_s"}},
      {"page_size_zero", {{"/sync/page_size", "0"}}, {"sync.page_size"}},
      {"page_size_above_dataverse_limit", {{"/sync/page_size", "5001"}}, {"sync.page_size"}},
      {"request_timeout_beyond_int64", {{"/sync/request_timeout_s", "18446744073709551615"}}, {"sync.request_timeout_s"}},
      {"max_attempts_boolean", {{"/sync/max_attempts", "true"}}, {"sync.max_attempts"}},
      {"max_attempts_null", {{"/sync/max_attempts", "null"}}, {"sync.max_attempts"}},
      {"busy_timeout_above_int", {{"/database/busy_timeout_ms", "2147483648"}}, {"database.busy_timeout_ms"}},
      {"backoff_cap_below_base", {{"/sync/backoff_base_s", "10"}, {"/sync/backoff_cap_s", "5"}}, {"sync.backoff_cap_s"}},
      // Wrong types and values elsewhere.
      {"dataverse_as_a_string", {{"/dataverse", R"("http://127.0.0.1")"}}, {"dataverse"}},
      {"tables_as_an_object", {{"/tables", "{}"}}, {"tables"}},
      {"table_as_an_array", {{"/tables/0", "[]"}}, {"tables[0]"}},
      {"columns_as_a_string", {{"/tables/0/columns", R"("sample_name")"}}, {"tables[0].columns"}},
      {"column_as_a_number", {{"/tables/0/columns/1", "7"}}, {"tables[0].columns[1]"}},
      {"client_id_as_a_number", {{"/auth/client_id", "5"}}, {"auth.client_id"}},
      {"unknown_api_version", {{"/dataverse/api_version", R"("8.2")"}}, {"dataverse.api_version"}},
      {"unknown_synchronous_mode", {{"/database/synchronous", R"("off")"}}, {"database.synchronous"}},
      {"unknown_log_level", {{"/log", R"({"level":"verbose"})"}}, {"log.level"}},
      {"metrics_listen_without_port", {{"/metrics", R"({"listen":"127.0.0.1"})"}}, {"metrics.listen"}},
      {"ca_file_missing", {{"/tls", R"({"ca_file":"@DIR@/no-such-ca.pem"})"}}, {"tls.ca_file"}},
      {"database_path_is_a_directory", {{"/database/path", R"("@DIR@")"}}, {"database.path"}},
      // Several problems at once: every one is listed.
      {"several_problems",
       {{"/sync/interval_s", "0"}, {"/tables/0/table", R"("a;b")"}, {"/auth/scope", R"("x")"}},
       {"sync.interval_s", "tables[0].table", "auth.scope"}},
  };
}

INSTANTIATE_TEST_SUITE_P(bad, config_matrix, ::testing::ValuesIn(matrix()),
                         [](::testing::TestParamInfo<bad_config> const& info) { return info.param.name; });

// --- the invalid configurations shared with the config unit tests ---

std::vector<std::string> invalid_data_configs() {
  std::vector<std::string> names;
  for (auto const& entry : fs::directory_iterator(DVSYNC_INVALID_CONFIGS))
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> lines_of(std::string const& text) {
  std::vector<std::string> out;
  std::string line;
  for (char c : text) {
    if (c == '\n') {
      out.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  if (!line.empty()) out.push_back(line);
  return out;
}

class invalid_data_config : public ::testing::TestWithParam<std::string> {};

TEST_P(invalid_data_config, exits_78_listing_exactly_the_expected_fields) {
  fs::path const base = fs::path(DVSYNC_INVALID_CONFIGS) / GetParam();
  auto const expected = lines_of(read_file(base.string() + ".paths"));
  ASSERT_FALSE(expected.empty()) << base << ".paths lists no field";
  temp_dir dir;
  std::string const config = (dir / "dvsync.json").string();
  write_file(config, read_file(base.string() + ".json"));
  // Whatever database path the file names must not appear because of us.
  std::optional<std::string> db_path;
  try {
    db_path = std::string(json::parse(read_file(config)).at_pointer("/database/path").as_string());
  } catch (std::exception const&) {
  }
  bool const db_existed = db_path && fs::exists(*db_path);

  for (std::string command : {"check-config", "once", "run"}) {
    SCOPED_TRACE(command);
    auto r = run_process({dvsync_binary(), command, "--config", config},
                         {{"DVSYNC_CLIENT_SECRET", std::string(emulator_client_secret)}}, std::chrono::seconds(20));
    EXPECT_EQ(r.exit_code, ex_config) << r.err;
    auto problem_lines = lines_of(r.err);
    std::erase_if(problem_lines, [](std::string const& l) { return !l.starts_with("config: "); });
    EXPECT_EQ(problem_lines.size(), expected.size()) << r.err;
    for (auto const& path : expected) {
      if (path.empty()) continue;  // a problem with the file as a whole (e.g. not JSON)
      EXPECT_TRUE(contains(r.err, "config: " + path + ": ")) << "field " << path << " not named:\n" << r.err;
    }
  }
  if (db_path && !db_existed) {
    EXPECT_FALSE(fs::exists(*db_path)) << *db_path << " was created";
  }
}

INSTANTIATE_TEST_SUITE_P(data, invalid_data_config, ::testing::ValuesIn(invalid_data_configs()),
                         [](::testing::TestParamInfo<std::string> const& info) { return info.param; });

}  // namespace
}  // namespace dvsync::test
