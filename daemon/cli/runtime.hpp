#pragma once
// Everything `once` and `run` need, built in dependency order: database (locked, tables ensured),
// HTTP client, token provider, Dataverse client, metadata catalog, sync engine, scheduler. Construction throws
// std::runtime_error when the daemon cannot start (database unusable, lock held, no secret).
#include "config/settings.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <stop_token>

namespace dvsync::sched {
class scheduler;
struct hooks;
}  // namespace dvsync::sched

namespace dvsync::dataverse {
class client;
}

namespace dvsync::store {
class database;
}

namespace dvsync::sync {
class catalog;
class engine;
}

namespace dvsync::cli {

// Finer progress than sched::hooks sees, for the watchdog and the metrics.
struct fetch_hooks {
  std::function<void()> on_page;      // a page arrived (any table)
  std::function<void()> on_progress;  // a request attempt started, a retry wait started or ended
};

class runtime {
 public:
  runtime(config::settings settings, sched::hooks hooks, fetch_hooks fetch = {});
  ~runtime();

  boost::asio::io_context& io() { return io_; }
  sched::scheduler& scheduler();
  sync::catalog& catalog();
  sync::engine& engine();
  dataverse::client& dataverse();
  store::database& database();
  config::settings const& settings() const { return settings_; }

  // Stops the scheduler and cuts every retry wait short.
  void stop();
  bool stopping() const { return stop_.stop_requested(); }

 private:
  struct parts;
  config::settings settings_;
  boost::asio::io_context io_;
  std::stop_source stop_;
  std::unique_ptr<parts> parts_;
};

}  // namespace dvsync::cli
