// The configuration parser on arbitrary files. It either returns settings or problems, never
// both; accepted settings hold only what the rest of the daemon assumes was validated (SQL-safe
// identifiers, https or loopback URLs, numbers in range); every problem is one escaped line.
#include "config/config.hpp"
#include "require.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace dvsync;
using fuzz::require;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

void require_identifier(std::string const& name) {
  require(config::is_identifier(name), "identifiers match the SQL identifier pattern");
  require(!lower(name).starts_with("dvsync_"), "dvsync_ is reserved");
}

void require_endpoint(std::string const& url) {
  require(url.starts_with("https://") || url.starts_with("http://"), "endpoints are http(s) URLs");
  require(!url.ends_with("/"), "endpoints lose their trailing slash");
  require(url.find_first_of("?#") == std::string::npos, "endpoints have no query or fragment");
}

void check_settings(config::settings const& s) {
  require_endpoint(s.dataverse.url);
  require_endpoint(s.auth.authority);
  require(!s.auth.tenant_id.empty() && !s.auth.client_id.empty(), "tenant and client are set");
  require(!s.database.path.empty(), "a database path is set");
  require(s.sync.interval.count() >= 1, "interval at least 1 s");
  require(s.sync.page_size >= 1 && s.sync.page_size <= 5000, "page size within Dataverse's range");
  require(s.sync.max_attempts >= 1, "at least one attempt");
  require(s.sync.backoff_cap >= s.sync.backoff_base, "backoff cap not below base");
  require(s.sync.retry_after_cap.count() >= 1 && s.sync.request_timeout.count() >= 1, "positive caps");
  require(!s.tables.empty(), "at least one table");
  auto distinct_identifiers = [](std::vector<std::string> const& names) {
    for (auto const& c : names) require_identifier(c);
    for (std::size_t i = 0; i < names.size(); ++i)
      for (std::size_t j = i + 1; j < names.size(); ++j) require(lower(names[i]) != lower(names[j]), "columns are distinct");
  };
  for (auto const& t : s.tables) {
    require_identifier(t.table);
    require(!t.logical_name.empty() || !t.entity_set.empty(), "a table names its logical name or entity set");
    // Optional names are empty or identifiers.
    for (auto const* name : {&t.logical_name, &t.entity_set, &t.id, &t.key})
      if (!name->empty()) require_identifier(*name);
    require(!lower(t.table).starts_with("sqlite_"), "sqlite_ is reserved");
    distinct_identifiers(t.exclude_columns);
    if (t.columns) {
      require(!t.columns->empty(), "listed columns are not empty");
      distinct_identifiers(*t.columns);
      require(t.key.empty() || std::find(t.columns->begin(), t.columns->end(), t.key) != t.columns->end(),
              "the key is a column");
      require(t.exclude_columns.empty(), "columns and exclude_columns are not combined");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view text(reinterpret_cast<char const*>(data), size);
  auto parsed = config::parse(text);
  require(parsed.value.has_value() == parsed.problems.empty(), "settings exactly when there is no problem");
  if (parsed.value) {
    check_settings(*parsed.value);
    return 0;
  }
  std::string described = config::describe(parsed.problems);
  require(static_cast<std::size_t>(std::count(described.begin(), described.end(), '\n')) == parsed.problems.size(),
          "one line per problem");
  for (char c : described) {
    auto u = static_cast<unsigned char>(c);
    require(c == '\n' || (u >= 0x20 && u != 0x7f), "control characters are escaped");
  }
  return 0;
}
