#pragma once
// `dvsync once` on a terminal: one live line per table whose cycle is running (rows done, the
// service's estimate, rate and time left), kept below the log and redrawn every second.
#include "sync/engine.hpp"

#include <chrono>
#include <map>
#include <string>

namespace dvsync::cli {

// The lines for the cycles running now; empty when none is.
std::string progress_lines(std::map<std::string, sync::cycle_progress> const& running,
                           std::chrono::steady_clock::time_point now);

}  // namespace dvsync::cli
