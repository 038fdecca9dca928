#include "dataverse/request_gate.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace dvsync::dataverse {

namespace asio = boost::asio;

request_gate::request_gate(int cap) : cap_(std::max(cap, 1)) {}

request_gate::slot& request_gate::slot::operator=(slot&& o) noexcept {
  if (this != &o) {
    release();
    gate_ = o.gate_;
    o.gate_ = nullptr;
  }
  return *this;
}

void request_gate::slot::release() {
  if (gate_ == nullptr) return;
  gate_->give_back();
  gate_ = nullptr;
}

asio::awaitable<request_gate::slot> request_gate::acquire() {
  auto ex = co_await asio::this_coro::executor;
  for (;;) {
    auto const now = clock::now();
    if (paused_until_ > now) {
      asio::steady_timer t(ex, paused_until_);
      co_await t.async_wait(asio::use_awaitable);
      continue;
    }
    // Only when nobody waits: a free slot is otherwise already on its way to the first in line.
    if (in_flight_ < limit_ && !anyone_asleep()) break;
    // Woken with a slot (dispatch), or to look again (a pause, a raised limit); the node leaves
    // the queue however this coroutine ends, and a slot handed to it and not taken goes back.
    asio::steady_timer t(ex, clock::time_point::max());
    auto node = waiters_.insert(waiters_.end(), waiter{&t});
    struct unlink {
      request_gate& gate;
      std::list<waiter>::iterator it;
      ~unlink() {
        bool const unused = it->granted;
        gate.waiters_.erase(it);
        if (unused) gate.give_back();
      }
    } guard{*this, node};
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (node->granted) {
      node->granted = false;
      // A pause that began after the slot was handed over holds this request back too.
      if (paused_until_ <= clock::now()) co_return slot(this);
      give_back();
    }
  }
  ++in_flight_;
  co_return slot(this);
}

bool request_gate::anyone_asleep() const {
  return std::any_of(waiters_.begin(), waiters_.end(), [](waiter const& w) { return !w.woken; });
}

void request_gate::give_back() {
  --in_flight_;
  dispatch();
}

void request_gate::dispatch() {
  if (paused_until_ > clock::now()) return;
  for (auto& w : waiters_) {
    if (in_flight_ >= limit_) return;
    if (w.woken) continue;
    w.woken = true;
    w.granted = true;
    ++in_flight_;
    w.timer->cancel();
  }
}

void request_gate::wake_all() {
  for (auto& w : waiters_) {
    w.woken = true;
    w.timer->cancel();
  }
}

void request_gate::pause_until(clock::time_point until) {
  if (until <= paused_until_) return;
  paused_until_ = until;
  // Waiters re-check and wait for the pause instead of a slot.
  wake_all();
}

void request_gate::observe_hint(int hint) {
  if (hint < 1) return;
  int const target = std::min(hint, cap_);
  if (target == target_) return;
  bool const raised = target > target_;
  target_ = target;
  // A lowered limit stays lowered until successes raise it; a smaller hint applies at once.
  if (limit_ > target_ || (raised && lowered_ == 0)) limit_ = target_;
  if (raised) dispatch();
}

void request_gate::lower() {
  ++lowered_;
  limit_ = std::max(1, std::min(limit_, in_flight_) / 2);
  successes_since_change_ = 0;
}

void request_gate::succeeded() {
  if (limit_ >= target_) return;
  if (++successes_since_change_ < recovery_run) return;
  successes_since_change_ = 0;
  ++limit_;
  dispatch();
}

}  // namespace dvsync::dataverse
