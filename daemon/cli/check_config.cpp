#include "cli/commands.hpp"

#include <cstdio>

namespace dvsync::cli {

// Touches neither the network nor the database: safe to run next to a live daemon.
int check_config(arguments const& a) {
  auto s = load_settings(a);
  if (!s) return exit_config;
  std::printf("%s: ok (%zu table%s, database %s)\n", a.config_path.c_str(), s->tables.size(),
              s->tables.size() == 1 ? "" : "s", s->database.path.c_str());
  return 0;
}

}  // namespace dvsync::cli
