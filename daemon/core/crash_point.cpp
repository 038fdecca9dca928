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
  std::string name;  // empty: no crash point armed
  long hit = 1;      // crash on this arrival
};

armed_point read_environment() {
  armed_point p;
  char const* spec = std::getenv("DVSYNC_CRASH_AT");
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
      std::fprintf(stderr, "dvsync: DVSYNC_CRASH_AT=%s: the count must be a positive integer\n", spec);
      std::_Exit(70);
    }
    p.hit = value;
  }
  return p;
}

}  // namespace

void crash_point(std::string_view name) {
  static armed_point const armed = read_environment();
  // The store thread reaches some points, the io thread others.
  static std::atomic<long> arrivals{0};
  if (armed.name.empty() || name != armed.name) return;
  long const seen = ++arrivals;
  if (seen < armed.hit) return;
  // The test reads this line to know that the crash happened where it asked.
  std::fprintf(stderr, "dvsync: crash point %s reached (%ld), killing the process\n", armed.name.c_str(), seen);
  std::fflush(stderr);
  ::kill(::getpid(), SIGKILL);
  std::_Exit(137);
}
#else
void crash_point(std::string_view) {}
#endif

}  // namespace dvsync::core
