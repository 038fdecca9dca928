#pragma once
// Reading and validating the configuration file. parse() is pure (text in, settings or problems
// out); check_environment() looks at the file system only; load() does both. Every problem found is
// reported, each with the JSON path of the field it is about, so one run of `dvsync check-config`
// lists everything that needs fixing.
#include "config/settings.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dvsync::config {

struct problem {
  std::string path;     // JSON path such as `tables[0].columns[2]`; empty for the file as a whole
  std::string message;
};

// `value` is set exactly when `problems` is empty.
struct parse_result {
  std::optional<settings> value;
  std::vector<problem> problems;
};

// Validates the JSON text against the schema documented in config/README.md and applies defaults.
// Touches nothing outside its arguments.
parse_result parse(std::string_view json_text);

// Checks that need the file system, but neither the network nor the database: a usable client
// secret, a readable tls.ca_file, a database directory that exists or could be created.
// What the caller is about to do: `sync` needs the client secret and the CA file; `local` (status,
// resync, healthcheck) only reads the configuration and the database, so a reader who may not see
// the secret can still run them.
enum class purpose { sync = 1, local };

std::vector<problem> check_environment(settings const& s, purpose p = purpose::sync);

// Reads the file at `path` (an unreadable file is a problem at path ""), then parse() and
// check_environment().
parse_result load(std::string const& path, purpose p = purpose::sync);

// One line per problem: `config: <path>: <message>`, control characters escaped.
std::string describe(std::vector<problem> const& problems);

// True for a name that may be spliced into SQL as an identifier: ^[A-Za-z_][A-Za-z0-9_]{0,127}$.
// (The `dvsync_` reservation is a config rule on top of this, see parse().)
bool is_identifier(std::string_view name);

}  // namespace dvsync::config
