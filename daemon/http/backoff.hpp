#pragma once
// Capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
// Jitter"): delay(n) = uniform(0, min(cap, base * 2^n)). Full jitter spreads clients that failed
// together, so they do not retry together.
#include <chrono>
#include <cstdint>
#include <functional>

namespace dvsync::http {

// Returns a value in [0, 1). Injected so tests see exact delays without sleeping.
using unit_random = std::function<double()>;

// A std::mt19937_64 seeded with `seed`, as a unit_random.
unit_random seeded_random(std::uint64_t seed);

// A std::mt19937_64 seeded from std::random_device.
unit_random default_random();

class backoff {
 public:
  backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, unit_random random);

  // min(cap, base * 2^attempt); attempt 0 is the first retry.
  std::chrono::milliseconds ceiling(int attempt) const;

  // A draw from [0, ceiling(attempt)).
  std::chrono::milliseconds delay(int attempt) const;

 private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds cap_;
  unit_random random_;
};

}  // namespace dvsync::http
