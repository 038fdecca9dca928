#pragma once
// Test-only crash points: named places in a sync cycle where the reliability suite makes the
// process die as `kill -9` would, to prove that every such moment is recoverable. Compiled in only
// with the build option DVSYNC_CRASH_POINTS (off in Release builds); otherwise a call does nothing.
//
// DVSYNC_CRASH_AT=<name>[:<n>] kills the process with SIGKILL the n-th time (default the first)
// execution reaches crash_point(<name>). DVSYNC_HANG_AT=<name>[:<n>] makes the thread that gets
// there stop for good instead, as a deadlock would (the watchdog test). The environment is read
// once, at the first call.
#include <string_view>

namespace dvsync::core {

void crash_point(std::string_view name);

}  // namespace dvsync::core
