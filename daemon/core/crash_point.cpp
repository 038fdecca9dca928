#include "core/crash_point.hpp"

#ifdef DVSYNC_CRASH_POINTS
#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#endif

namespace dvsync::core {

#ifdef DVSYNC_CRASH_POINTS
namespace {

struct armed_point {
  std::string name;  // empty: not armed
  long hit = 1;      // act on this arrival
};

armed_point read_environment(char const* variable) {
  armed_point p;
  char const* spec = std::getenv(variable);
  if (spec == nullptr) return p;
  std::string_view s(spec);
  auto colon = s.find(':');
  p.name = std::string(s.substr(0, colon));
  if (colon != std::string_view::npos) {
    auto n = s.substr(colon + 1);
    long value = 0;
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), value);
    // A malformed count must not silently disarm the test that set it.
    if (ec != std::errc{} || end != n.data() + n.size() || value < 1) {
      std::fprintf(stderr, "dvsync: %s=%s: the count must be a positive integer\n", variable, spec);
      std::_Exit(70);
    }
    p.hit = value;
  }
  return p;
}

// Whether this arrival at `name` is the one the point is armed for.
bool reached(armed_point const& armed, std::atomic<long>& arrivals, std::string_view name) {
  if (armed.name.empty() || name != armed.name) return false;
  return ++arrivals == armed.hit;
}

}  // namespace

void crash_point(std::string_view name) {
  static armed_point const crash = read_environment("DVSYNC_CRASH_AT");
  static armed_point const hang = read_environment("DVSYNC_HANG_AT");
  // The store thread reaches some points, the io thread others.
  static std::atomic<long> crash_arrivals{0};
  static std::atomic<long> hang_arrivals{0};
  // The test reads these lines to know that it happened where it asked.
  if (reached(crash, crash_arrivals, name)) {
    std::fprintf(stderr, "dvsync: crash point %s reached (%ld), killing the process\n", crash.name.c_str(), crash.hit);
    std::fflush(stderr);
    ::kill(::getpid(), SIGKILL);
    std::_Exit(137);
  }
  if (reached(hang, hang_arrivals, name)) {
    std::fprintf(stderr, "dvsync: hang point %s reached (%ld), this thread stops here\n", hang.name.c_str(), hang.hit);
    std::fflush(stderr);
    for (;;) ::pause();
  }
}
#else
void crash_point(std::string_view) {}
#endif

}  // namespace dvsync::core
