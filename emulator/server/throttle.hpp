#pragma once
// Service protection limits (reference §6.1), each answered with 429, Retry-After and its own error
// code: at most N Web API requests in a sliding window (0x80072322), at most M milliseconds of
// combined execution time in a sliding window (0x80072321), at most C requests in progress at once
// (0x80072326). Time is passed in, so the windows are tested without waiting.
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

// Requests in progress at once. Exceeding it "returns an error immediately" (api-limits.md).
class concurrency_limit {
 public:
  explicit concurrency_limit(int max_in_progress);

  // Counts the request in; false (and not counted) when the limit is reached.
  bool enter();
  void leave();
  int in_progress() const { return in_progress_; }

  http_response rejection() const;

 private:
  int max_;
  int in_progress_ = 0;
};

// Combined execution time of the requests that ended within a sliding window.
class execution_time_limit {
 public:
  using clock = std::chrono::steady_clock;

  execution_time_limit(std::chrono::milliseconds max_total, std::chrono::seconds window);

  // Nothing when the time spent in the window is below the limit; otherwise the wait until enough
  // of it leaves the window (whole seconds, at least 1).
  std::optional<std::chrono::seconds> admit(clock::time_point now);
  // A request that ran from `start` to `end`.
  void record(clock::time_point start, clock::time_point end);

  http_response rejection(std::chrono::seconds retry_after) const;

 private:
  struct span {
    clock::time_point ended;
    std::chrono::milliseconds took;
  };
  void forget_before(clock::time_point now);

  std::chrono::milliseconds max_;
  std::chrono::seconds window_;
  std::chrono::milliseconds total_{0};
  std::deque<span> spans_;
};

}  // namespace emulator
