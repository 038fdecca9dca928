#pragma once
// How long the daemon waits before the next cycle: the interval after a success; after failures,
// a capped exponential delay with jitter that never exceeds the interval, so a short outage
// (a full disk freed, a network back) is noticed quickly without hammering the service.
#include <chrono>

namespace dvsync::sched {

// random01 is a uniform draw in [0, 1), injected so tests need no clock or randomness.
std::chrono::milliseconds next_wait(std::chrono::seconds interval, int consecutive_failures,
                                    std::chrono::seconds base, double random01);

}  // namespace dvsync::sched
