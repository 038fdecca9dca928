#include "config/config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dvsync::config {
namespace {

// The configuration shown in the daemon issue, verbatim.
constexpr std::string_view issue_example = R"({
  "dataverse": { "url": "https://contoso.crm.dynamics.com", "api_version": "9.2" },
  "auth": { "authority": "https://login.microsoftonline.com", "tenant_id": "...", "client_id": "...",
            "client_secret_file": "/etc/dvsync/client_secret" },
  "database": { "path": "/var/lib/dvsync/mirror.db" },
  "sync": { "interval_s": 60, "page_size": 5000 },
  "tables": [ { "entity_set": "sample_books", "table": "sample_book", "id": "sample_bookid",
                "key": "sample_bookcode", "columns": ["sample_name", "sample_bookcode", "sample_author"] } ]
})";

std::string read_file(std::filesystem::path const& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The issue example with one piece of text replaced; fails the test if the piece is not there.
std::string with(std::string_view from, std::string_view to, std::string base = std::string(issue_example)) {
  auto at = base.find(from);
  EXPECT_NE(at, std::string::npos) << "test bug: " << from << " not in the base config";
  if (at != std::string::npos) base.replace(at, from.size(), to);
  return base;
}

std::vector<std::string> paths(parse_result const& r) {
  std::vector<std::string> out;
  for (auto const& p : r.problems) out.push_back(p.path);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Parses and expects exactly the given problem paths (and no settings).
void expect_problems(std::string const& text, std::vector<std::string> expected) {
  auto r = parse(text);
  EXPECT_FALSE(r.value.has_value());
  EXPECT_EQ(paths(r), sorted(std::move(expected))) << describe(r.problems);
}

settings expect_valid(std::string const& text) {
  auto r = parse(text);
  EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
  return r.value.value_or(settings{});
}

TEST(ConfigParse, IssueExampleIsValidWithDefaults) {
  auto r = parse(issue_example);
  ASSERT_TRUE(r.value) << describe(r.problems);
  settings const& s = *r.value;
  settings const defaults;
  EXPECT_EQ(s.dataverse.url, "https://contoso.crm.dynamics.com");
  EXPECT_EQ(s.dataverse.api_version, "9.2");
  EXPECT_EQ(s.auth.authority, "https://login.microsoftonline.com");
  EXPECT_EQ(s.auth.tenant_id, "...");
  EXPECT_EQ(s.auth.client_id, "...");
  EXPECT_EQ(s.auth.client_secret_file, "/etc/dvsync/client_secret");
  EXPECT_EQ(s.database.path, "/var/lib/dvsync/mirror.db");
  EXPECT_EQ(s.database.synchronous_full, defaults.database.synchronous_full);
  EXPECT_EQ(s.database.busy_timeout, defaults.database.busy_timeout);
  EXPECT_EQ(s.sync.interval, std::chrono::seconds(60));
  EXPECT_EQ(s.sync.page_size, 5000);
  EXPECT_EQ(s.sync.request_timeout, defaults.sync.request_timeout);
  EXPECT_EQ(s.sync.max_response_mb, defaults.sync.max_response_mb);
  EXPECT_EQ(s.sync.max_attempts, defaults.sync.max_attempts);
  EXPECT_EQ(s.sync.backoff_base, defaults.sync.backoff_base);
  EXPECT_EQ(s.sync.backoff_cap, defaults.sync.backoff_cap);
  EXPECT_EQ(s.sync.retry_after_cap, defaults.sync.retry_after_cap);
  EXPECT_EQ(s.tls.ca_file, "");
  EXPECT_EQ(s.log.level, defaults.log.level);
  EXPECT_EQ(s.log.format, defaults.log.format);
  EXPECT_FALSE(s.metrics_listen.has_value());
  ASSERT_EQ(s.tables.size(), 1u);
  EXPECT_EQ(s.tables[0].entity_set, "sample_books");
  EXPECT_EQ(s.tables[0].table, "sample_book");
  EXPECT_EQ(s.tables[0].id, "sample_bookid");
  EXPECT_EQ(s.tables[0].key, "sample_bookcode");
  EXPECT_EQ(s.tables[0].columns, (std::vector<std::string>{"sample_name", "sample_bookcode", "sample_author"}));
}

TEST(ConfigParse, ProxySectionTakesAUrlWithoutCredentialsAndAHostList) {
  auto ok = parse(with(R"("tables")", R"("proxy": { "url": "http://proxy.corp:3128", "no_proxy": "" }, "tables")"));
  ASSERT_TRUE(ok.value) << describe(ok.problems);
  EXPECT_EQ(ok.value->proxy.url, "http://proxy.corp:3128");
  EXPECT_EQ(ok.value->proxy.no_proxy, std::optional<std::string>(""));
  auto unset = parse(std::string(issue_example));
  ASSERT_TRUE(unset.value);
  EXPECT_EQ(unset.value->proxy.url, "");
  EXPECT_FALSE(unset.value->proxy.no_proxy);

  auto credentials = parse(with(R"("tables")", R"("proxy": { "url": "http://u:hunter2@proxy:3128" }, "tables")"));
  EXPECT_EQ(paths(credentials), std::vector<std::string>{"proxy.url"});
  EXPECT_EQ(describe(credentials.problems).find("hunter2"), std::string::npos) << describe(credentials.problems);
  auto bad = parse(with(R"("tables")", R"("proxy": { "no_proxy": 7, "user": "x" }, "tables")"));
  EXPECT_EQ(paths(bad), (std::vector<std::string>{"proxy.no_proxy", "proxy.user"}));
}

TEST(ConfigParse, ACertificateAndASecretFileTogetherAreRefused) {
  auto both = parse(with(R"("client_secret_file": "/etc/dvsync/client_secret")",
                         R"("client_secret_file": "/etc/dvsync/client_secret", "client_certificate_file": "/etc/dvsync/c.pem")"));
  EXPECT_EQ(paths(both), std::vector<std::string>{"auth.client_certificate_file"});
  auto certificate = parse(with(R"("client_secret_file": "/etc/dvsync/client_secret")",
                                R"("client_certificate_file": "/etc/dvsync/c.pem")"));
  ASSERT_TRUE(certificate.value) << describe(certificate.problems);
  EXPECT_EQ(certificate.value->auth.client_certificate_file, "/etc/dvsync/c.pem");
}

// config/dvsync.example.json documents every key with its default: it must parse to the defaults.
TEST(ConfigParse, ExampleFileShowsTheDefaults) {
  auto r = parse(read_file(DVSYNC_EXAMPLE_CONFIG));
  ASSERT_TRUE(r.value) << describe(r.problems);
  settings const& s = *r.value;
  settings const d;
  EXPECT_EQ(s.dataverse.api_version, d.dataverse.api_version);
  EXPECT_EQ(s.auth.authority, d.auth.authority);
  EXPECT_EQ(s.auth.client_certificate_file, d.auth.client_certificate_file);
  EXPECT_EQ(s.database.synchronous_full, d.database.synchronous_full);
  EXPECT_EQ(s.database.busy_timeout, d.database.busy_timeout);
  EXPECT_EQ(s.sync.interval, d.sync.interval);
  EXPECT_EQ(s.sync.page_size, d.sync.page_size);
  EXPECT_EQ(s.sync.request_timeout, d.sync.request_timeout);
  EXPECT_EQ(s.sync.max_response_mb, d.sync.max_response_mb);
  EXPECT_EQ(s.sync.max_attempts, d.sync.max_attempts);
  EXPECT_EQ(s.sync.backoff_base, d.sync.backoff_base);
  EXPECT_EQ(s.sync.backoff_cap, d.sync.backoff_cap);
  EXPECT_EQ(s.sync.retry_after_cap, d.sync.retry_after_cap);
  EXPECT_EQ(s.sync.metadata_refresh, d.sync.metadata_refresh);
  EXPECT_EQ(s.sync.max_parallel_requests, d.sync.max_parallel_requests);
  EXPECT_EQ(s.tls.ca_file, d.tls.ca_file);
  EXPECT_EQ(s.log.level, d.log.level);
  EXPECT_EQ(s.log.format, d.log.format);
  EXPECT_EQ(s.metrics_listen, d.metrics_listen);
  EXPECT_EQ(s.proxy.url, d.proxy.url);
  EXPECT_EQ(s.proxy.no_proxy, d.proxy.no_proxy);
}

TEST(ConfigParse, DataFilesValid) {
  int seen = 0;
  for (auto const& entry : std::filesystem::directory_iterator(std::filesystem::path(DVSYNC_TEST_CONFIGS_DIR) / "valid")) {
    auto r = parse(read_file(entry.path()));
    EXPECT_TRUE(r.value) << entry.path() << "\n" << describe(r.problems);
    ++seen;
  }
  EXPECT_GE(seen, 2);
}

// Each invalid/<name>.json comes with <name>.paths: the exact problem paths, one per line.
TEST(ConfigParse, DataFilesInvalidReportExactPaths) {
  int seen = 0;
  for (auto const& entry : std::filesystem::directory_iterator(std::filesystem::path(DVSYNC_TEST_CONFIGS_DIR) / "invalid")) {
    if (entry.path().extension() != ".json") continue;
    auto expected_file = entry.path();
    expected_file.replace_extension(".paths");
    std::ifstream in(expected_file);
    ASSERT_TRUE(in) << "missing " << expected_file;
    std::vector<std::string> expected;
    for (std::string line; std::getline(in, line);) expected.push_back(line);
    SCOPED_TRACE(entry.path().string());
    expect_problems(read_file(entry.path()), expected);
    ++seen;
  }
  EXPECT_GE(seen, 5);
}

TEST(ConfigParse, UnknownKeys) {
  expect_problems(with(R"("tables":)", R"("extra": 1, "tables":)"), {"extra"});
  expect_problems(with(R"("interval_s": 60)", R"("interval": 60)"), {"sync.interval"});
  expect_problems(with(R"("api_version": "9.2")", R"("api_version": "9.2", "scope": "x")"), {"dataverse.scope"});
  expect_problems(with(R"("table": "sample_book")", R"("table": "sample_book", "filter": "a eq 1")"),
                  {"tables[0].filter"});
  expect_problems(with(R"("tables":)", R"("tls": {"ca": "/x"}, "metrics": {"port": 1}, "log": {"lvl": "x"}, "tables":)"),
                  {"tls.ca", "metrics.port", "log.lvl"});
  auto r = parse(with(R"("tables":)", R"("extra": 1, "tables":)"));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].message.find("unknown key"), std::string::npos);
}

TEST(ConfigParse, RepeatedKeyIsAProblem) {
  expect_problems(with(R"("interval_s": 60)", R"("interval_s": 60, "interval_s": 5)"), {"sync.interval_s"});
  expect_problems(with(R"("key": "sample_bookcode")", R"("key": "sample_bookcode", "key": "sample_name")"),
                  {"tables[0].key"});
}

TEST(ConfigParse, MissingRequiredFields) {
  expect_problems(with(R"("url": "https://contoso.crm.dynamics.com", )", ""), {"dataverse.url"});
  expect_problems(with(R"("tenant_id": "...", )", ""), {"auth.tenant_id"});
  expect_problems(with(R"("client_id": "...",)", ""), {"auth.client_id"});
  expect_problems(with(R"("path": "/var/lib/dvsync/mirror.db")", ""), {"database.path"});
  expect_problems(with(R"("database": { "path": "/var/lib/dvsync/mirror.db" },)", ""), {"database"});
  // A table names its logical name, or (as entries did before metadata discovery) its entity set
  // together with the mirror table's name.
  expect_problems(with(R"("entity_set": "sample_books", )", ""), {"tables[0].logical_name"});
  expect_problems(with(R"("table": "sample_book", )", ""), {"tables[0].table"});
  expect_problems(R"({"dataverse": {"url": "https://a.example"}, "auth": {"tenant_id": "t", "client_id": "c"},
                      "database": {"path": "m.db"}})",
                  {"tables"});
}

TEST(ConfigParse, OptionalSectionsMayBeOmitted) {
  auto s = expect_valid(with(R"("sync": { "interval_s": 60, "page_size": 5000 },)", ""));
  EXPECT_EQ(s.sync.interval, settings{}.sync.interval);
  EXPECT_EQ(s.sync.page_size, settings{}.sync.page_size);
  s = expect_valid(with(R"("authority": "https://login.microsoftonline.com", )", ""));
  EXPECT_EQ(s.auth.authority, settings{}.auth.authority);
  s = expect_valid(
      with(R"("client_secret_file": "/etc/dvsync/client_secret")", "", with(R"("client_id": "...",)", R"("client_id": "...")")));
  EXPECT_EQ(s.auth.client_secret_file, "");
}

TEST(ConfigParse, WrongTypes) {
  expect_problems(with(R"("interval_s": 60)", R"("interval_s": "60")"), {"sync.interval_s"});
  expect_problems(with(R"("url": "https://contoso.crm.dynamics.com")", R"("url": 5)"), {"dataverse.url"});
  expect_problems(with(R"("url": "https://contoso.crm.dynamics.com")", R"("url": null)"), {"dataverse.url"});
  expect_problems(with(R"("columns": ["sample_name", "sample_bookcode", "sample_author"])", R"("columns": "sample_name")"),
                  {"tables[0].columns"});
  expect_problems(with(R"("sample_author"])", R"(7])"), {"tables[0].columns[2]"});
  expect_problems(with(R"("sync": { "interval_s": 60, "page_size": 5000 })", R"("sync": [60, 5000])"), {"sync"});
  expect_problems(with(R"("api_version": "9.2")", R"("api_version": 9.2)"), {"dataverse.api_version"});
  expect_problems(R"({"dataverse": 1, "auth": {"tenant_id": "t", "client_id": "c"}, "database": {"path": "m.db"},
                      "tables": {}})",
                  {"dataverse", "tables"});
  expect_problems(with(R"("tables": [ {)", R"("tables": [ 5, {)"), {"tables[0]"});
  expect_problems("[]", {""});
  expect_problems("\"config\"", {""});
}

TEST(ConfigParse, MalformedJsonNamesTheLine) {
  auto r = parse("{\n  \"dataverse\": {\n    \"url\": \"x\",\n  }\n}");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].path, "");
  EXPECT_NE(r.problems[0].message.find("line 4"), std::string::npos) << r.problems[0].message;
  EXPECT_EQ(paths(parse("")), std::vector<std::string>{""});
  EXPECT_EQ(paths(parse(std::string(issue_example) + "{}")), std::vector<std::string>{""});
}

class BadIdentifier : public ::testing::TestWithParam<std::string> {};

TEST_P(BadIdentifier, RefusedInEveryIdentifierField) {
  std::string bad(GetParam());
  std::string escaped;
  for (char c : bad) {
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  std::string quoted = "\"" + escaped + "\"";
  expect_problems(with(R"("table": "sample_book")", R"("table": )" + quoted), {"tables[0].table"});
  expect_problems(with(R"("entity_set": "sample_books")", R"("entity_set": )" + quoted), {"tables[0].entity_set"});
  expect_problems(with(R"("id": "sample_bookid")", R"("id": )" + quoted), {"tables[0].id"});
  expect_problems(with(R"("sample_author"])", quoted + "]"), {"tables[0].columns[2]"});
  // A bad key is reported once, not again as "not one of columns".
  expect_problems(with(R"("key": "sample_bookcode")", R"("key": )" + quoted), {"tables[0].key"});
}

INSTANTIATE_TEST_SUITE_P(ConfigParse, BadIdentifier,
                         ::testing::Values("x\"; DROP TABLE y;--", "a;b", "sample book", "1book", "", "book-code",
                                           "na\xc3\xafve", "dvsync_version", "DVSYNC_Cursor", "a\nb",
                                           std::string(129, 'a')));

TEST(ConfigParse, IdentifierLimits) {
  EXPECT_TRUE(is_identifier("_"));
  EXPECT_TRUE(is_identifier("sample_bookcode"));
  EXPECT_TRUE(is_identifier(std::string(128, 'a')));
  EXPECT_FALSE(is_identifier(std::string(129, 'a')));
  EXPECT_FALSE(is_identifier("9a"));
  EXPECT_FALSE(is_identifier(""));
  EXPECT_FALSE(is_identifier("a\"b"));
  expect_valid(with(R"("table": "sample_book")", R"("table": ")" + std::string(128, 't') + "\""));
  expect_problems(with(R"("table": "sample_book")", R"("table": "sqlite_master")"), {"tables[0].table"});
}

TEST(ConfigParse, HttpsRequiredExceptOnLoopback) {
  for (std::string_view url : {"http://contoso.crm.dynamics.com", "http://10.0.0.1:8080", "http://128.0.0.1",
                               "http://[::2]:8080", "http://localhost.example.com", "http://127.0.0.1.nip.io",
                               "http://127.0.0.1x"}) {
    SCOPED_TRACE(url);
    expect_problems(with("https://contoso.crm.dynamics.com", url), {"dataverse.url"});
    expect_problems(with("https://login.microsoftonline.com", url), {"auth.authority"});
  }
  for (std::string_view url : {"http://127.0.0.1:8080", "http://127.1.2.3", "http://localhost:1234", "http://LOCALHOST",
                               "http://[::1]:8080", "https://[::1]:8443"}) {
    SCOPED_TRACE(url);
    std::string normalised(url);  // scheme and host in lower case; these URLs have nothing else
    std::transform(normalised.begin(), normalised.end(), normalised.begin(), [](unsigned char c) { return std::tolower(c); });
    EXPECT_EQ(expect_valid(with("https://contoso.crm.dynamics.com", url)).dataverse.url, normalised);
    EXPECT_EQ(expect_valid(with("https://login.microsoftonline.com", url)).auth.authority, normalised);
  }
}

TEST(ConfigParse, UrlShape) {
  for (std::string_view url : {"contoso.crm.dynamics.com", "/api/data", "ftp://contoso.crm.dynamics.com",
                               "https://contoso.crm.dynamics.com?x=1", "https://contoso.crm.dynamics.com/#top",
                               "https://user:pw@contoso.crm.dynamics.com", "https://contoso.crm.dynamics.com:99999",
                               "https://contoso.crm.dynamics.com:0", "https://", "https:///path", "https://a b"}) {
    SCOPED_TRACE(url);
    expect_problems(with("https://contoso.crm.dynamics.com", url), {"dataverse.url"});
  }
}

TEST(ConfigParse, TrailingSlashesAreStripped) {
  auto s = expect_valid(with(R"("https://contoso.crm.dynamics.com")", R"("https://contoso.crm.dynamics.com/")"));
  EXPECT_EQ(s.dataverse.url, "https://contoso.crm.dynamics.com");
  s = expect_valid(with(R"("https://login.microsoftonline.com")", R"("https://login.microsoftonline.com//")"));
  EXPECT_EQ(s.auth.authority, "https://login.microsoftonline.com");
}

// Found by fuzzing: the scope sent to the token endpoint is built from dataverse.url as written.
TEST(ConfigParse, SchemeAndHostAreLowerCased) {
  auto s = expect_valid(with(R"("https://contoso.crm.dynamics.com")", R"("HTTPS://Contoso.CRM.dynamics.com:443/Org/")"));
  EXPECT_EQ(s.dataverse.url, "https://contoso.crm.dynamics.com:443/Org");
  s = expect_valid(with(R"("https://login.microsoftonline.com")", R"("Https://LOGIN.microsoftonline.com")"));
  EXPECT_EQ(s.auth.authority, "https://login.microsoftonline.com");
}

TEST(ConfigParse, ApiVersions) {
  for (std::string_view v : {"9.0", "9.1", "9.2"})
    EXPECT_EQ(expect_valid(with(R"("9.2")", "\"" + std::string(v) + "\"")).dataverse.api_version, v);
  for (std::string_view v : {"\"9.3\"", "\"v9.2\"", "\"8.2\"", "\"\""})
    expect_problems(with(R"("9.2")", v), {"dataverse.api_version"});
}

TEST(ConfigParse, Numbers) {
  auto sync_with = [](std::string_view body) {
    return with(R"("sync": { "interval_s": 60, "page_size": 5000 })", "\"sync\": {" + std::string(body) + "}");
  };
  for (std::string_view bad : {"0", "-1", "1.5", "60.0", "\"60\"", "true", "null", "99999999999999999999",
                               "18446744073709551615"})
    expect_problems(sync_with("\"interval_s\": " + std::string(bad)), {"sync.interval_s"});
  EXPECT_EQ(expect_valid(sync_with(R"("interval_s": 1)")).sync.interval, std::chrono::seconds(1));

  for (std::string_view bad : {"0", "-5", "5001", "2.5"})
    expect_problems(sync_with("\"page_size\": " + std::string(bad)), {"sync.page_size"});
  EXPECT_EQ(expect_valid(sync_with(R"("page_size": 1)")).sync.page_size, 1);
  EXPECT_EQ(expect_valid(sync_with(R"("page_size": 5000)")).sync.page_size, 5000);

  expect_problems(sync_with(R"("request_timeout_s": 0)"), {"sync.request_timeout_s"});
  EXPECT_EQ(expect_valid(sync_with(R"("request_timeout_s": 30)")).sync.request_timeout, std::chrono::seconds(30));
  for (std::string_view bad : {"0", "4097", "1.5", "\"128\""})
    expect_problems(sync_with("\"max_response_mb\": " + std::string(bad)), {"sync.max_response_mb"});
  EXPECT_EQ(expect_valid(sync_with(R"("max_response_mb": 1)")).sync.max_response_mb, 1);
  EXPECT_EQ(expect_valid(sync_with(R"("max_response_mb": 4096)")).sync.max_response_mb, 4096);
  expect_problems(sync_with(R"("max_attempts": 0)"), {"sync.max_attempts"});
  expect_problems(sync_with(R"("max_attempts": 101)"), {"sync.max_attempts"});
  EXPECT_EQ(expect_valid(sync_with(R"("max_attempts": 100)")).sync.max_attempts, 100);
  expect_problems(sync_with(R"("retry_after_cap_s": 0)"), {"sync.retry_after_cap_s"});
  expect_problems(sync_with(R"("backoff_base_s": 0)"), {"sync.backoff_base_s"});
  expect_problems(sync_with(R"("backoff_base_s": 10, "backoff_cap_s": 5)"), {"sync.backoff_cap_s"});
  expect_problems(sync_with(R"("backoff_base_s": 600)"), {"sync.backoff_base_s"});
  for (std::string_view bad : {"0", "53", "-1", "4.0"})
    expect_problems(sync_with("\"max_parallel_requests\": " + std::string(bad)), {"sync.max_parallel_requests"});
  EXPECT_EQ(expect_valid(sync_with(R"("max_parallel_requests": 1)")).sync.max_parallel_requests, 1);
  EXPECT_EQ(expect_valid(sync_with(R"("max_parallel_requests": 52)")).sync.max_parallel_requests, 52);
  auto s = expect_valid(sync_with(R"("backoff_base_s": 2, "backoff_cap_s": 2)"));
  EXPECT_EQ(s.sync.backoff_base, std::chrono::seconds(2));
  EXPECT_EQ(s.sync.backoff_cap, std::chrono::seconds(2));

  auto db_with = [](std::string_view body) {
    return with(R"("database": { "path": "/var/lib/dvsync/mirror.db" })",
                R"("database": { "path": "/var/lib/dvsync/mirror.db", )" + std::string(body) + "}");
  };
  expect_problems(db_with(R"("busy_timeout_ms": -1)"), {"database.busy_timeout_ms"});
  expect_problems(db_with(R"("busy_timeout_ms": 3000000000)"), {"database.busy_timeout_ms"});
  EXPECT_EQ(expect_valid(db_with(R"("busy_timeout_ms": 0)")).database.busy_timeout, std::chrono::milliseconds(0));
  EXPECT_FALSE(expect_valid(db_with(R"("synchronous": "normal")")).database.synchronous_full);
  EXPECT_TRUE(expect_valid(db_with(R"("synchronous": "full")")).database.synchronous_full);
  expect_problems(db_with(R"("synchronous": "off")"), {"database.synchronous"});
  expect_problems(db_with(R"("synchronous": "FULL")"), {"database.synchronous"});
}

TEST(ConfigParse, ATableMayBeJustItsLogicalName) {
  std::string base(issue_example);
  auto at = base.find(R"("tables": [)");
  auto s = expect_valid(base.substr(0, at) + R"("tables": [ {"logical_name": "account"} ] })");
  ASSERT_EQ(s.tables.size(), 1u);
  auto const& t = s.tables[0];
  EXPECT_EQ(t.logical_name, "account");
  EXPECT_EQ(t.table, "account");  // the mirror is named after the table
  EXPECT_EQ(t.entity_set, "");    // from the metadata
  EXPECT_EQ(t.id, "");
  EXPECT_EQ(t.key, "");           // keyed by the GUID
  EXPECT_FALSE(t.columns);        // every column that can be mirrored
  // Overrides and exclusions.
  s = expect_valid(base.substr(0, at) +
                   R"("tables": [ {"logical_name": "account", "table": "crm_account", "key": "accountnumber",
                                   "exclude_columns": ["description", "entityimage"]} ] })");
  EXPECT_EQ(s.tables[0].table, "crm_account");
  EXPECT_EQ(s.tables[0].key, "accountnumber");
  EXPECT_EQ(s.tables[0].exclude_columns, (std::vector<std::string>{"description", "entityimage"}));
  EXPECT_FALSE(s.tables[0].interval) << "the table follows sync.interval_s";
  // A table's own interval.
  s = expect_valid(base.substr(0, at) + R"("tables": [ {"logical_name": "account", "interval_s": 5} ] })");
  EXPECT_EQ(s.tables[0].interval, std::chrono::seconds(5));
  expect_problems(base.substr(0, at) + R"("tables": [ {"logical_name": "account", "interval_s": 0} ] })",
                  {"tables[0].interval_s"});
  // What is kept besides the mirror.
  EXPECT_EQ(s.tables[0].mode, table_mode::mirror);
  EXPECT_FALSE(s.tables[0].change_feed);
  EXPECT_EQ(s.database.change_feed_retention_days, 7);
  s = expect_valid(base.substr(0, at) + R"("tables": [ {"logical_name": "account", "mode": "history", "change_feed": true},
                                                      {"logical_name": "contact", "mode": "soft_delete"} ] })");
  EXPECT_EQ(s.tables[0].mode, table_mode::history);
  EXPECT_TRUE(s.tables[0].change_feed);
  EXPECT_EQ(s.tables[1].mode, table_mode::soft_delete);
  expect_problems(base.substr(0, at) + R"("tables": [ {"logical_name": "account", "mode": "append", "change_feed": 1},
                                                     {"logical_name": "contact", "mode": "history"},
                                                     {"logical_name": "contact_history"} ] })",
                  {"tables[0].mode", "tables[0].change_feed", "tables[1].mode"});
  // Every problem of an entry, each with its path.
  expect_problems(base.substr(0, at) + R"("tables": [ {"logical_name": "x y", "exclude_columns": ["a", "A", 3],
                                                     "key": "a", "columns": ["a"]} ] })",
                  {"tables[0].logical_name", "tables[0].exclude_columns[1]", "tables[0].exclude_columns[2]",
                   "tables[0].exclude_columns", "tables[0].key"});
  expect_problems(base.substr(0, at) + R"("tables": [ {"logical_name": "account"}, {"logical_name": "Account", "table": "b"} ] })",
                  {"tables[1].logical_name"});
}

TEST(ConfigParse, TableRules) {
  expect_problems(with(R"("key": "sample_bookcode")", R"("key": "sample_isbn")"), {"tables[0].key"});
  expect_problems(with(R"("sample_author"])", R"("sample_author", "sample_bookid"])"), {"tables[0].id"});
  expect_problems(with(R"("sample_author"])", R"("sample_author", "SAMPLE_NAME"])"), {"tables[0].columns[3]"});
  expect_problems(with(R"(["sample_name", "sample_bookcode", "sample_author"])", "[]"), {"tables[0].columns"});
  std::string table = R"({ "entity_set": "sample_books", "table": "sample_book", "id": "sample_bookid",
                "key": "sample_bookcode", "columns": ["sample_name", "sample_bookcode", "sample_author"] })";
  std::string other = R"({ "entity_set": "accounts", "table": "account", "id": "accountid",
                "key": "accountnumber", "columns": ["accountnumber"] })";
  auto tables = [](std::string list) {
    std::string base(issue_example);
    auto at = base.find(R"("tables": [)");
    return base.substr(0, at) + R"("tables": [)" + list + "] }";
  };
  EXPECT_EQ(expect_valid(tables(table + "," + other)).tables.size(), 2u);
  expect_problems(tables(""), {"tables"});
  expect_problems(tables(table + "," + table), {"tables[1].table", "tables[1].entity_set"});
  std::string same_table = other;
  same_table.replace(same_table.find(R"("account")"), 9, R"("Sample_Book")");
  expect_problems(tables(table + "," + same_table), {"tables[1].table"});
  std::string same_set = other;
  same_set.replace(same_set.find(R"("accounts")"), 10, R"("sample_books")");
  same_set.replace(same_set.find(R"("account")"), 9, R"("contact")");
  expect_problems(tables(table + "," + other + "," + same_set), {"tables[2].entity_set"});
}

TEST(ConfigParse, OptionalStringsAcceptNull) {
  auto s = expect_valid(with(R"("tables":)", R"("tls": {"ca_file": null}, "metrics": {"listen": null}, "tables":)"));
  EXPECT_EQ(s.tls.ca_file, "");
  EXPECT_FALSE(s.metrics_listen.has_value());
  s = expect_valid(with(R"("/etc/dvsync/client_secret")", "null"));
  EXPECT_EQ(s.auth.client_secret_file, "");
  expect_problems(with(R"("tables":)", R"("tls": {"ca_file": ""}, "tables":)"), {"tls.ca_file"});
  expect_problems(with(R"("/etc/dvsync/client_secret")", R"("")"), {"auth.client_secret_file"});
  expect_problems(with(R"("tenant_id": "...")", R"("tenant_id": "")"), {"auth.tenant_id"});
  expect_problems(with(R"("tenant_id": "...")", R"("tenant_id": null)"), {"auth.tenant_id"});
}

TEST(ConfigParse, LogAndMetrics) {
  auto s = expect_valid(with(R"("tables":)", R"("log": {"level": "debug", "format": "json"}, "tables":)"));
  EXPECT_EQ(s.log.level, "debug");
  EXPECT_EQ(s.log.format, "json");
  expect_problems(with(R"("tables":)", R"("log": {"level": "verbose", "format": "xml"}, "tables":)"),
                  {"log.level", "log.format"});
  for (std::string_view ok : {"127.0.0.1:9464", "[::1]:9464", "0.0.0.0:1", "localhost:65535", "127.0.0.1:0"}) {
    auto m = expect_valid(with(R"("tables":)", R"("metrics": {"listen": ")" + std::string(ok) + R"("}, "tables":)"));
    EXPECT_EQ(m.metrics_listen, std::optional<std::string>(ok));
  }
  for (std::string_view bad : {"9464", ":9464", "host:", "host:00", "host:65536", "::1:9464", "[::1]", "h:x1"})
    expect_problems(with(R"("tables":)", R"("metrics": {"listen": ")" + std::string(bad) + R"("}, "tables":)"),
                    {"metrics.listen"});
}

TEST(ConfigParse, EveryProblemIsReported) {
  std::string text = R"({
    "dataverse": { "url": "http://contoso.crm.dynamics.com", "api_version": "9.9" },
    "auth": { "tenant_id": 1 },
    "database": { "path": "", "synchronous": "off" },
    "sync": { "interval_s": 0, "page_size": 5001, "max_attempts": -1 },
    "log": { "level": "loud" },
    "tables": [ { "entity_set": "sample_books", "table": "dvsync_x", "id": "sample_bookid",
                  "key": "code", "columns": ["sample_name", "x;y"], "extra": 1 } ],
    "surprise": {}
  })";
  expect_problems(text, {"dataverse.url", "dataverse.api_version", "auth.tenant_id", "auth.client_id", "database.path",
                         "database.synchronous", "sync.interval_s", "sync.page_size", "sync.max_attempts", "log.level",
                         "tables[0].table", "tables[0].key", "tables[0].columns[1]", "tables[0].extra", "surprise"});
}

TEST(ConfigDescribe, OneLinePerProblemWithPath) {
  std::vector<problem> problems{{"sync.interval_s", "must be an integer of at least 1, not 0"},
                                {"", "cannot read /etc/dvsync.json: No such file or directory"},
                                {"tables[0].table", "\"a\nb\" is not valid"}};
  EXPECT_EQ(describe(problems),
            "config: sync.interval_s: must be an integer of at least 1, not 0\n"
            "config: cannot read /etc/dvsync.json: No such file or directory\n"
            "config: tables[0].table: \"a\\nb\" is not valid\n");
  EXPECT_EQ(describe({}), "");
}

TEST(ConfigDescribe, MessagesNameTheOffendingValue) {
  auto r = parse(with(R"("interval_s": 60)", R"("interval_s": 0)"));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(describe(r.problems), "config: sync.interval_s: must be an integer from 1 to 2592000, not 0\n");
  r = parse(with(R"("table": "sample_book")", R"("table": "x\"; DROP TABLE y;--")"));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].message.find("DROP TABLE"), std::string::npos);
}

}  // namespace
}  // namespace dvsync::config
