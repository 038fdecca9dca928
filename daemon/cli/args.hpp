#pragma once
// The command line, parsed without side effects: `dvsync COMMAND [--config FILE] [options]`.
#include <optional>
#include <string>
#include <vector>

namespace dvsync::cli {

enum class command { help = 1, version, check_config, once, run, status, resync, healthcheck, discover, verify };

struct arguments {
  command cmd = command::help;
  std::string config_path = "/etc/dvsync/dvsync.json";
  bool json = false;                        // status --json, verify --json
  bool fix = false;                         // verify --fix
  bool values = false;                      // verify --values
  std::optional<std::string> table;         // resync, discover and verify --table NAME
  std::optional<std::string> log_level;     // overrides log.level
  std::optional<std::string> log_format;    // overrides log.format
};

struct parse_outcome {
  std::optional<arguments> args;
  std::string error;  // set when args is empty: one line, names the offending argument
};

parse_outcome parse_arguments(std::vector<std::string> const& argv_without_program);

// The text of `dvsync --help`.
std::string usage();

// EX_USAGE and EX_CONFIG from sysexits.h, which systemd and operators recognise.
inline constexpr int exit_usage = 64;
inline constexpr int exit_config = 78;
inline constexpr int exit_failure = 1;

}  // namespace dvsync::cli
