#include "cli/cli.hpp"

#include "cli/commands.hpp"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#ifndef DVSYNC_VERSION
#define DVSYNC_VERSION "0.0.0"
#endif

namespace dvsync::cli {

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = parse_arguments(args);
  if (!parsed.args) {
    std::fprintf(stderr, "dvsync: %s\n", parsed.error.c_str());
    return exit_usage;
  }
  auto const& a = *parsed.args;
  try {
    switch (a.cmd) {
      case command::help: std::fputs(usage().c_str(), stdout); return 0;
      case command::version: std::printf("dvsync %s\n", DVSYNC_VERSION); return 0;
      case command::check_config: return check_config(a);
      case command::once: return once(a);
      case command::run: return run_daemon(a);
      case command::status: return status(a);
      case command::resync: return resync(a);
      case command::healthcheck: return healthcheck(a);
      case command::discover: return discover(a);
      case command::verify: return verify(a);
    }
  } catch (std::exception const& e) {
    // Only "cannot start" and broken invariants throw; say so plainly and fail.
    std::fprintf(stderr, "dvsync: %s\n", e.what());
  }
  return exit_failure;
}

}  // namespace dvsync::cli
