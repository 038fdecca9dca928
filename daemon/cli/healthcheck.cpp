#include "cli/commands.hpp"

#include <cstdio>

namespace dvsync::cli {

int healthcheck(arguments const& a) {
  auto s = load_settings(a);
  if (!s) return exit_config;
  if (!s->metrics_listen) {
    std::fprintf(stderr, "dvsync: healthcheck needs metrics.listen in %s\n", a.config_path.c_str());
    return exit_failure;
  }
  std::fprintf(stderr, "dvsync: the health endpoint is not built yet\n");
  return exit_failure;
}

}  // namespace dvsync::cli
