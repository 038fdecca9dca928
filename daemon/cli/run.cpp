#include "cli/commands.hpp"
#include "cli/runtime.hpp"
#include "cli/summary.hpp"
#include "core/log.hpp"
#include "ops/notify.hpp"
#include "sched/scheduler.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <cstdlib>

namespace dvsync::cli {
namespace {

using steady = std::chrono::steady_clock;

// WATCHDOG=1 goes out only while the loop shows progress: a cycle ended or a wait began within
// the longest time a healthy loop can spend in one step (every retry of a request, plus a wait).
class watchdog {
 public:
  watchdog(boost::asio::io_context& io, ops::notifier& n, std::chrono::seconds stall_limit)
      : timer_(io), notifier_(n), stall_limit_(stall_limit) {}

  void progress() {
    last_progress_ = steady::now();
    notifier_.watchdog();
  }

  void start() {
    auto period = notifier_.watchdog_interval();
    if (!period) return;
    period_ = std::chrono::duration_cast<std::chrono::milliseconds>(*period);
    arm();
  }

  void cancel() { timer_.cancel(); }

 private:
  void arm() {
    timer_.expires_after(period_);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      if (steady::now() - last_progress_ < stall_limit_) notifier_.watchdog();
      else core::log::error("watchdog.stalled", {{"note", "no loop progress; the service manager will restart us"}});
      arm();
    });
  }

  boost::asio::steady_timer timer_;
  ops::notifier& notifier_;
  std::chrono::seconds stall_limit_;
  std::chrono::milliseconds period_{0};
  steady::time_point last_progress_ = steady::now();
};

}  // namespace

int run_daemon(arguments const& a) {
  auto s = load_settings(a);
  if (!s) return exit_config;
  auto notifier = ops::notifier::from_environment();

  auto const& sync = s->sync;
  auto stall_limit = 2 * sync.interval + sync.max_attempts * (sync.request_timeout + sync.retry_after_cap);
  std::unique_ptr<watchdog> dog;
  sched::hooks hooks;
  hooks.on_cycle = [&notifier](config::table_spec const& spec, core::result<sync::cycle_report> const& r) {
    notifier.status(summarize(spec, r));
  };
  hooks.on_progress = [&dog] {
    if (dog) dog->progress();
  };
  runtime rt(*s, std::move(hooks));
  dog = std::make_unique<watchdog>(rt.io(), notifier, std::chrono::duration_cast<std::chrono::seconds>(stall_limit));

  boost::asio::signal_set signals(rt.io(), SIGTERM, SIGINT, SIGHUP);
  int stop_signals = 0;
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      core::log::warn("signal.hup", {{"note", "configuration is read at start only; restart dvsync to reload it"}});
    } else if (++stop_signals == 1) {
      core::log::info("daemon.stopping", {{"signal", sig}});
      notifier.stopping();
      rt.stop();
    } else {
      // A second stop signal: the operator wants out now. Committed pages are safe on disk.
      core::log::warn("daemon.abort", {{"signal", sig}});
      std::_Exit(1);
    }
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);

  core::log::info("daemon.ready", {{"tables", s->tables.size()}, {"interval_s", sync.interval.count()},
                                   {"database", s->database.path}});
  notifier.ready();
  dog->start();

  bool crashed = false;
  boost::asio::co_spawn(rt.io(), rt.scheduler().run(), [&](std::exception_ptr e) {
    if (e) {
      crashed = true;
      try {
        std::rethrow_exception(e);
      } catch (std::exception const& ex) {
        core::log::error("daemon.crashed", {{"error", ex.what()}});
      }
    }
    signals.cancel();
    dog->cancel();
  });
  rt.io().run();
  core::log::info("daemon.stopped");
  return crashed ? exit_failure : 0;
}

}  // namespace dvsync::cli
