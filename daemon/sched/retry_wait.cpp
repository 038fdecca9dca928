#include "sched/retry_wait.hpp"

#include <algorithm>
#include <cmath>

namespace dvsync::sched {

std::chrono::milliseconds next_wait(std::chrono::seconds interval, int consecutive_failures, std::chrono::seconds base,
                                    double random01) {
  using ms = std::chrono::milliseconds;
  if (consecutive_failures <= 0) return interval;
  double const exponent = std::min(consecutive_failures - 1, 30);
  double const ceiling = std::min<double>(ms(interval).count(), ms(base).count() * std::pow(2.0, exponent));
  // Equal jitter: at least half the ceiling, so failing cycles never retry back to back.
  return ms(static_cast<ms::rep>(ceiling / 2 + (ceiling / 2) * std::clamp(random01, 0.0, 1.0)));
}

}  // namespace dvsync::sched
