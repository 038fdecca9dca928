#include "http/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

namespace dvsync::http {

unit_random seeded_random(std::uint64_t seed) {
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine] {
    // generate_canonical may round up to 1.0 (LWG 2524).
    return std::min(std::generate_canonical<double, 64>(*engine), std::nextafter(1.0, 0.0));
  };
}

unit_random default_random() {
  std::random_device device;
  return seeded_random((static_cast<std::uint64_t>(device()) << 32) ^ device());
}

backoff::backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, unit_random random)
    : base_(std::max(base, std::chrono::milliseconds{0})),
      cap_(std::max(cap, std::chrono::milliseconds{0})),
      random_(std::move(random)) {}

std::chrono::milliseconds backoff::ceiling(int attempt) const {
  if (attempt < 0) attempt = 0;
  std::int64_t ceiling = base_.count();
  // Doubling stops as soon as the cap is reached, so the shift never overflows.
  for (int i = 0; i < attempt && ceiling > 0 && ceiling < cap_.count(); ++i) ceiling *= 2;
  return std::chrono::milliseconds{std::min(ceiling, cap_.count())};
}

std::chrono::milliseconds backoff::delay(int attempt) const {
  double u = random_();
  // An injected source may step outside [0, 1).
  if (!(u >= 0.0)) u = 0.0;
  if (u >= 1.0) u = std::nextafter(1.0, 0.0);
  auto const top = ceiling(attempt).count();
  auto const drawn = static_cast<std::int64_t>(std::floor(u * static_cast<double>(top)));
  return std::chrono::milliseconds{std::clamp<std::int64_t>(drawn, 0, std::max<std::int64_t>(top - 1, 0))};
}

}  // namespace dvsync::http
