#pragma once
// The daemon's loops: one per table, all at once: the table's cycle, then a wait of its interval
// (the table's interval_s, else sync.interval_s; shorter after a failure), until stop(). A table's
// long initial load never holds back another table's deltas: they share only the request gate
// (the service's limits, dataverse/request_gate.hpp) and the store thread, which writes one page
// or commit at a time. stop() cancels whatever is awaited at that moment: a page fetch in flight is
// abandoned (nothing of it was committed), and staged pages stay for the next start to resume.
#include "config/settings.hpp"
#include "core/error.hpp"
#include "sync/catalog.hpp"
#include "sync/engine.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <random>
#include <string>
#include <vector>

namespace dvsync::store {
class database;
}

namespace dvsync::sched {

struct hooks {
  // After each table's cycle, successful or not (named by its mirror table).
  std::function<void(std::string const&, core::result<sync::cycle_report> const&)> on_cycle;
  // Whenever the loop makes progress (a cycle began or ended, a wait began): feeds health and the
  // watchdog.
  std::function<void()> on_progress;
};

class scheduler {
 public:
  scheduler(boost::asio::any_io_executor ex, sync::engine& engine, sync::catalog& catalog, store::database& db,
            std::vector<config::table_config> tables, config::sync_settings settings, hooks h = {});

  // Runs until stop(). Never throws for sync failures: they are recorded and retried.
  boost::asio::awaitable<void> run();

  // Every table once, all at once. Returns the first failure in the configured order, if any,
  // after every table's cycle has ended.
  boost::asio::awaitable<core::result<std::vector<sync::cycle_report>>> run_once();

  void stop();
  bool stopping() const { return stopping_; }

 private:
  boost::asio::awaitable<core::result<sync::cycle_report>> cycle(config::table_config table);
  // One table's loop of run().
  boost::asio::awaitable<void> keep_in_sync(config::table_config table);
  // Runs body(i) for every table i at once; returns when all have returned.
  boost::asio::awaitable<void> for_each_table(std::function<boost::asio::awaitable<void>(std::size_t)> body);
  // The table's metadata resolved (labels stored when read anew), then its cycle.
  boost::asio::awaitable<core::result<sync::cycle_report>> resolve_and_run(config::table_config const& table);
  boost::asio::awaitable<void> wait_for_stop();
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds d);

  sync::engine& engine_;
  sync::catalog& catalog_;
  store::database& db_;
  std::vector<config::table_config> tables_;
  config::sync_settings settings_;
  hooks hooks_;
  boost::asio::steady_timer stop_timer_;
  bool stopping_ = false;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace dvsync::sched
