#pragma once
// One function per subcommand, each in its own file; each returns the process exit code.
#include "cli/args.hpp"
#include "config/settings.hpp"

#include <optional>

namespace dvsync::cli {

int check_config(arguments const& a);
int once(arguments const& a);
int run_daemon(arguments const& a);
int status(arguments const& a);
int resync(arguments const& a);
int healthcheck(arguments const& a);
int discover(arguments const& a);
int verify(arguments const& a);

// Loads and validates the configuration, applies the log settings (and command-line overrides).
// Prints every problem to stderr and returns nothing when the configuration is unusable.
std::optional<config::settings> load_settings(arguments const& a);

// Whether --table NAME, when given, names a configured table; prints the problem when not.
bool table_option_known(arguments const& a, config::settings const& s);

}  // namespace dvsync::cli
