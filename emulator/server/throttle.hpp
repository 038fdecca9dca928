#pragma once
// Service protection limits: at most N Web API requests in a sliding window, then 429 with
// Retry-After. Time is passed in, so the window is tested without waiting.
#include "api/web_api.hpp"

#include <chrono>
#include <deque>
#include <optional>

namespace emulator {

class request_throttle {
 public:
  using clock = std::chrono::steady_clock;

  request_throttle(int max_requests, std::chrono::seconds window);

  // Counts the request and returns nothing when it is within the limit; otherwise the wait until a
  // slot frees (whole seconds, at least 1). Rejected requests do not take a slot.
  std::optional<std::chrono::seconds> admit(clock::time_point now);

  // The 429 response Dataverse sends, with the configured numbers in the message.
  http_response rejection(std::chrono::seconds retry_after) const;

 private:
  int max_requests_;
  std::chrono::seconds window_;
  std::deque<clock::time_point> admitted_;  // at most max_requests_ entries
};

}  // namespace emulator
