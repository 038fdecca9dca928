#include "cli/args.hpp"

#include <array>
#include <string_view>
#include <utility>

namespace dvsync::cli {
namespace {

constexpr std::array<std::pair<std::string_view, command>, 9> commands{{
    {"check-config", command::check_config},
    {"once", command::once},
    {"run", command::run},
    {"status", command::status},
    {"resync", command::resync},
    {"healthcheck", command::healthcheck},
    {"discover", command::discover},
    {"verify", command::verify},
    {"help", command::help},
}};

// Which options each command accepts; anything else is refused rather than ignored.
bool accepts(command c, std::string_view option) {
  if (option == "--config" || option == "--log-level" || option == "--log-format") return c != command::help;
  if (option == "--json") return c == command::status || c == command::verify;
  if (option == "--fix" || option == "--values") return c == command::verify;
  if (option == "--table") return c == command::resync || c == command::discover || c == command::verify;
  return false;
}

}  // namespace

parse_outcome parse_arguments(std::vector<std::string> const& argv) {
  arguments a;
  if (argv.empty()) return {a, {}};
  std::size_t i = 0;
  std::string_view first = argv[0];
  if (first == "--help" || first == "-h") return {a, {}};
  if (first == "--version" || first == "-V") {
    a.cmd = command::version;
    return {a, {}};
  }
  bool found = false;
  for (auto const& [name, c] : commands)
    if (first == name) {
      a.cmd = c;
      found = true;
    }
  if (!found) return {std::nullopt, "unknown command '" + std::string(first) + "' (see dvsync --help)"};

  for (i = 1; i < argv.size(); ++i) {
    std::string_view opt = argv[i];
    std::string value;
    if (auto eq = opt.find('='); opt.starts_with("--") && eq != std::string_view::npos) {
      value = std::string(opt.substr(eq + 1));
      opt = opt.substr(0, eq);
    } else if (opt == "--config" || opt == "--table" || opt == "--log-level" || opt == "--log-format") {
      if (i + 1 >= argv.size()) return {std::nullopt, "option '" + std::string(opt) + "' needs a value"};
      value = argv[++i];
    }
    if (opt == "--help" || opt == "-h") {
      a.cmd = command::help;
      return {a, {}};
    }
    if (!accepts(a.cmd, opt))
      return {std::nullopt, "unknown option '" + std::string(opt) + "' for '" + argv[0] + "' (see dvsync --help)"};
    if (opt == "--json" || opt == "--fix" || opt == "--values") {
      if (!value.empty()) return {std::nullopt, "option '" + std::string(opt) + "' takes no value"};
      (opt == "--json" ? a.json : opt == "--fix" ? a.fix : a.values) = true;
    } else if (value.empty()) {
      return {std::nullopt, "option '" + std::string(opt) + "' needs a non-empty value"};
    } else if (opt == "--config") {
      a.config_path = value;
    } else if (opt == "--table") {
      a.table = value;
    } else if (opt == "--log-level") {
      a.log_level = value;
    } else if (opt == "--log-format") {
      a.log_format = value;
    }
  }
  return {a, {}};
}

std::string usage() {
  return R"(dvsync: keeps a local SQLite mirror of Microsoft Dataverse tables current through change tracking.

usage: dvsync COMMAND [--config FILE] [options]

commands:
  check-config   validate the configuration (no network, no database); exit 0, or 78 listing every problem
  once           one sync cycle for every configured table, then exit (0 on success)
  run            the daemon: a cycle every sync.interval_s until SIGTERM or SIGINT
  status         per table: rows, phase, last success, last error, token age (reads the database only)
                 --json   machine-readable output
  resync         make the next cycle of every table (or --table NAME) a full resync
  healthcheck    exit 0 if the running daemon's health endpoint reports healthy, else 1
  discover       the organization's tables: logical name, entity set, change tracking, alternate keys
                 --table NAME   the configuration entry and the CREATE TABLE dvsync would make for NAME
  verify         compare every row's id and version in Dataverse with the mirror: missing, extra and
                 stale rows with examples; exit 0 without drift, 1 with drift (or when it cannot tell)
                 --table NAME   only this table
                 --fix          repair the rows that drifted (fetched by id), or request a full resync
                                when the drift is large or a running daemon holds the database
                 --values       also read every row whole and compare its values: altered rows
                                (same version, other values: an edit of the mirror, or a value the
                                source changed without a new version); costs a full read
                 --json         machine-readable output

options:
  --config FILE        configuration file (default /etc/dvsync/dvsync.json)
  --log-level LEVEL    debug, info, warn or error (overrides log.level)
  --log-format FORMAT  text or json (overrides log.format)
  --help, --version

The client secret is read from DVSYNC_CLIENT_SECRET, $CREDENTIALS_DIRECTORY/client_secret, or
auth.client_secret_file (which must not be group- or world-readable).
)";
}

}  // namespace dvsync::cli
