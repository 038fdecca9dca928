#pragma once
// The service protection limits are per user (protocol §6.1), so every table's requests pass one
// gate: at most `limit()` in flight, and none while a 429 says to wait. The limit follows the
// service's `x-ms-dop-hint` (its recommended degree of parallelism), never above the configured
// cap; a "too many concurrent requests" error halves it, and it climbs back by one after each run
// of successful requests (additive increase, multiplicative decrease).
//
// Requests get their slots in the order they asked: a freed slot goes to the one that has waited
// longest, never to a request that asks just then (a table re-asking after each page would
// otherwise keep a slot from the tables behind it).
//
// For one io_context thread; waiting is cancellable (a waiter that is destroyed leaves the queue,
// and gives back a slot handed to it that it did not take).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <list>

namespace dvsync::dataverse {

class request_gate {
 public:
  using clock = std::chrono::steady_clock;

  // cap: sync.max_parallel_requests. Until the service has sent a hint, one request at a time.
  explicit request_gate(int cap);

  // A permission to send one request; gives its place back when destroyed.
  class slot {
   public:
    slot() = default;
    explicit slot(request_gate* g) : gate_(g) {}
    slot(slot&& o) noexcept : gate_(o.gate_) { o.gate_ = nullptr; }
    slot& operator=(slot&& o) noexcept;
    ~slot() { release(); }
    void release();

   private:
    request_gate* gate_ = nullptr;
  };

  // Waits until no pause is in force and fewer than limit() requests are in flight.
  boost::asio::awaitable<slot> acquire();

  // A 429 or 503 with Retry-After: no request of any table leaves before `until`.
  void pause_until(clock::time_point until);
  // The x-ms-dop-hint of a response.
  void observe_hint(int hint);
  // 0x80072326: the service counted more concurrent requests than it allows.
  void lower();
  // A request that the service answered without a throttling error.
  void succeeded();

  int limit() const { return limit_; }
  int target() const { return target_; }
  int in_flight() const { return in_flight_; }
  int cap() const { return cap_; }
  clock::time_point paused_until() const { return paused_until_; }
  std::uint64_t lowered_count() const { return lowered_; }

  // Successful requests after which a lowered limit climbs back by one.
  static constexpr int recovery_run = 20;

 private:
  struct waiter {
    boost::asio::steady_timer* timer;
    bool woken = false;    // told to look again (or handed a slot): no longer asleep in the queue
    bool granted = false;  // a slot is counted in in_flight_ for it
  };
  // Hands free slots to the waiters asleep longest, while the limit allows and no pause holds.
  void dispatch();
  void give_back();  // a slot in flight ends
  void wake_all();
  bool anyone_asleep() const;

  int cap_;
  int target_ = 1;    // the hint, capped; 1 until a hint arrives
  int limit_ = 1;     // the target, or less after a concurrency error
  int in_flight_ = 0;
  int successes_since_change_ = 0;
  std::uint64_t lowered_ = 0;
  clock::time_point paused_until_{};
  std::list<waiter> waiters_;
};

}  // namespace dvsync::dataverse
