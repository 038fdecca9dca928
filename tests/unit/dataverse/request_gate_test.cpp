// The request gate that every table's requests share: the limit follows x-ms-dop-hint under the
// configured cap, a pause holds every request back, a concurrency error halves the limit and
// successes raise it again. Run on a real io_context with real timers.
#include "dataverse/request_gate.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dvsync::dataverse {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock = request_gate::clock;

// A request that holds its slot for `hold`, recording when it got the slot.
asio::awaitable<void> request(request_gate& gate, std::chrono::milliseconds hold, std::vector<clock::time_point>& admitted,
                              int& most_in_flight) {
  auto slot = co_await gate.acquire();
  admitted.push_back(clock::now());
  most_in_flight = std::max(most_in_flight, gate.in_flight());
  asio::steady_timer t(co_await asio::this_coro::executor, hold);
  co_await t.async_wait(asio::use_awaitable);
}

struct run_result {
  std::vector<clock::time_point> admitted;
  int most_in_flight = 0;
};

run_result run_requests(request_gate& gate, int n, std::chrono::milliseconds hold) {
  asio::io_context io;
  run_result r;
  for (int i = 0; i < n; ++i) asio::co_spawn(io, request(gate, hold, r.admitted, r.most_in_flight), asio::detached);
  io.run();
  return r;
}

TEST(RequestGate, OneAtATimeUntilTheServiceHintsThenTheHintUnderTheCap) {
  request_gate gate(8);
  EXPECT_EQ(gate.limit(), 1) << "no hint yet";
  EXPECT_EQ(run_requests(gate, 4, 5ms).most_in_flight, 1);

  gate.observe_hint(4);
  EXPECT_EQ(gate.limit(), 4);
  EXPECT_EQ(run_requests(gate, 12, 20ms).most_in_flight, 4);

  gate.observe_hint(48);
  EXPECT_EQ(gate.limit(), 8) << "the hint is capped by sync.max_parallel_requests";
  EXPECT_EQ(run_requests(gate, 20, 20ms).most_in_flight, 8);

  gate.observe_hint(2);
  EXPECT_EQ(gate.limit(), 2) << "a smaller hint applies at once";
  gate.observe_hint(0);
  EXPECT_EQ(gate.limit(), 2) << "a nonsense hint is ignored";
}

TEST(RequestGate, APauseHoldsBackEveryRequestUntilItEnds) {
  request_gate gate(4);
  gate.observe_hint(4);
  auto const until = clock::now() + 300ms;
  gate.pause_until(until);
  gate.pause_until(clock::now() + 10ms);  // an earlier end never shortens a pause
  auto r = run_requests(gate, 4, 1ms);
  ASSERT_EQ(r.admitted.size(), 4u);
  for (auto t : r.admitted) EXPECT_GE(t, until);
}

TEST(RequestGate, APauseReachesRequestsAlreadyWaitingForASlot) {
  request_gate gate(1);
  gate.observe_hint(1);
  asio::io_context io;
  std::vector<clock::time_point> admitted;
  int most = 0;
  clock::time_point pause_end{};
  // The first request holds the only slot for 50 ms; during it, a 429 pauses everything for 300 ms.
  asio::co_spawn(io, request(gate, 50ms, admitted, most), asio::detached);
  asio::co_spawn(io, request(gate, 1ms, admitted, most), asio::detached);
  asio::steady_timer throttled(io, 10ms);
  throttled.async_wait([&](auto) {
    pause_end = clock::now() + 300ms;
    gate.pause_until(pause_end);
  });
  io.run();
  ASSERT_EQ(admitted.size(), 2u);
  EXPECT_GE(admitted[1], pause_end) << "the waiting request left during the pause";
}

TEST(RequestGate, AConcurrencyErrorHalvesTheLimitAndSuccessesRaiseItBackToTheHint) {
  request_gate gate(16);
  gate.observe_hint(8);
  asio::io_context io;
  // Eight requests in flight when the service counts one too many.
  std::vector<request_gate::slot> held;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 8; ++i) held.push_back(co_await gate.acquire());
      },
      asio::detached);
  io.run();
  ASSERT_EQ(gate.in_flight(), 8);
  gate.lower();
  EXPECT_EQ(gate.limit(), 4);
  held.clear();
  gate.lower();
  EXPECT_EQ(gate.limit(), 1) << "halved again (never below one)";
  EXPECT_EQ(gate.lowered_count(), 2u);

  gate.observe_hint(8);
  EXPECT_EQ(gate.limit(), 1) << "the same hint does not undo a lowering";
  for (int i = 0; i < request_gate::recovery_run - 1; ++i) gate.succeeded();
  EXPECT_EQ(gate.limit(), 1);
  gate.succeeded();
  EXPECT_EQ(gate.limit(), 2) << "one more after a run of successes";
  for (int i = 0; i < 10 * request_gate::recovery_run; ++i) gate.succeeded();
  EXPECT_EQ(gate.limit(), 8) << "back to the hint, never above it";
}

TEST(RequestGate, AFreedSlotGoesToTheRequestThatWaitedLongestNotToOneAskingJustThen) {
  request_gate gate(1);
  gate.observe_hint(1);
  asio::io_context io;
  std::vector<std::string> order;
  // A table that asks again as soon as its page is in, and another that waits meanwhile.
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (int page = 0; page < 3; ++page) {
      auto s = co_await gate.acquire();
      order.push_back("big");
      asio::steady_timer t(co_await asio::this_coro::executor, 5ms);
      co_await t.async_wait(asio::use_awaitable);
    }
  }, asio::detached);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto s = co_await gate.acquire();
    order.push_back("small");
  }, asio::detached);
  io.run();
  EXPECT_EQ(order, (std::vector<std::string>{"big", "small", "big", "big"}));
  EXPECT_EQ(gate.in_flight(), 0);
}

TEST(RequestGate, ASlotHandedToAWaiterThatIsDestroyedGoesToTheNext) {
  request_gate gate(1);
  gate.observe_hint(1);
  asio::io_context io;
  request_gate::slot first;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { first = co_await gate.acquire(); }, asio::detached);
  io.run_for(5ms);
  bool third_admitted = false;
  {
    asio::io_context doomed;
    asio::co_spawn(doomed, [&]() -> asio::awaitable<void> { auto s = co_await gate.acquire(); }, asio::detached);
    doomed.run_for(5ms);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      auto s = co_await gate.acquire();
      third_admitted = true;
    }, asio::detached);
    io.restart();  // it ran out of work once the first request had its slot
    io.run_for(5ms);
    first.release();  // handed to the doomed waiter, first in line, which never runs again
    EXPECT_EQ(gate.in_flight(), 1);
  }
  io.restart();
  io.run_for(20ms);
  EXPECT_TRUE(third_admitted) << "the slot the destroyed waiter did not take went on to the next";
  EXPECT_EQ(gate.in_flight(), 0);
}

TEST(RequestGate, AWaiterThatIsDestroyedLeavesTheQueue) {
  request_gate gate(1);
  gate.observe_hint(1);
  {
    asio::io_context io;
    request_gate::slot first;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> { first = co_await gate.acquire(); }, asio::detached);
    // This one waits for the slot; the io_context is destroyed with it still waiting.
    asio::co_spawn(io, [&]() -> asio::awaitable<void> { auto s = co_await gate.acquire(); }, asio::detached);
    io.run_for(20ms);
    EXPECT_EQ(gate.in_flight(), 1);
    first.release();
  }
  EXPECT_EQ(gate.in_flight(), 0);
  EXPECT_EQ(run_requests(gate, 2, 1ms).admitted.size(), 2u) << "the gate still works after a waiter vanished";
}

}  // namespace
}  // namespace dvsync::dataverse
