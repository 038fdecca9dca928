#include "cli/commands.hpp"
#include "cli/retention.hpp"
#include "cli/runtime.hpp"
#include "cli/summary.hpp"
#include "core/log.hpp"
#include "dataverse/client.hpp"
#include "ops/http_server.hpp"
#include "ops/monitor.hpp"
#include "ops/notify.hpp"
#include "sched/scheduler.hpp"
#include "store/database.hpp"
#include "store/verify_store.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <csignal>
#include <cstdlib>
#include <optional>
#include <signal.h>

#ifndef DVSYNC_VERSION
#define DVSYNC_VERSION "0.0.0"
#endif

namespace dvsync::cli {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using steady = std::chrono::steady_clock;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void log_exception(std::string_view event, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (std::exception const& ex) {
    core::log::error(event, {{"error", ex.what()}});
  }
}

// Completes every wait() once stop() is called, including waits that begin afterwards.
class stop_event {
 public:
  explicit stop_event(asio::io_context& io) : timer_(io, asio::steady_timer::time_point::max()) {}

  void stop() {
    stopped_ = true;
    timer_.cancel();
  }
  bool stopped() const { return stopped_; }

  asio::awaitable<void> wait() {
    if (stopped_) co_return;
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }

 private:
  asio::steady_timer timer_;
  bool stopped_ = false;
};

// WATCHDOG=1 goes out every half WATCHDOG_USEC, but only while the loop reported progress within
// the watchdog stall limit (ops::limits_for): a loop stuck in one step stops the pings and the
// service manager restarts the daemon. The timer runs on the loop's own thread, so a thread that
// hangs outright stops the pings as well.
class watchdog {
 public:
  watchdog(asio::io_context& io, ops::notifier& n, ops::monitor const& m)
      : timer_(io), notifier_(n), monitor_(m) {}

  void start() {
    auto period = notifier_.watchdog_interval();
    if (!period) return;
    period_ = std::chrono::duration_cast<std::chrono::milliseconds>(*period);
    core::log::info("watchdog.enabled", {{"ping_ms", period_.count()},
                                         {"stall_limit_s", monitor_.limits().watchdog_stall.count()}});
    notifier_.watchdog();
    arm();
  }

  void cancel() { timer_.cancel(); }

 private:
  void arm() {
    timer_.expires_after(period_);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      auto const since = steady::now() - monitor_.last_progress();
      if (since < monitor_.limits().watchdog_stall) {
        notifier_.watchdog();
        stalled_ = false;
      } else if (!stalled_) {
        stalled_ = true;
        core::log::error("watchdog.stalled",
                         {{"since_progress_s", std::chrono::duration_cast<std::chrono::seconds>(since).count()},
                          {"note", "no loop progress; WATCHDOG=1 stops and the service manager restarts dvsync"}});
      }
      arm();
    });
  }

  asio::steady_timer timer_;
  ops::notifier& notifier_;
  ops::monitor const& monitor_;
  std::chrono::milliseconds period_{0};
  bool stalled_ = false;
};

// The daemon's parts that need each other: the runtime (database, client, loop), the monitor fed
// by the runtime's hooks, and the tasks that live beside the loop.
class daemon_process {
 public:
  daemon_process(config::settings const& s, ops::notifier& n)
      : notifier_(n), monitor_(s, DVSYNC_VERSION, steady::now()), rt_(s, loop_hooks(), fetch_hooks()), stop_(rt_.io()),
        dog_(rt_.io(), notifier_, monitor_) {
    if (auto days = rt_.database().change_retention_days(); days && *days) monitor_.metrics().retention_days(**days);
    refresh_tables();
    if (s.metrics_listen) {
      server_.emplace(rt_.io().get_executor(), *s.metrics_listen,
                      [this](std::string_view method, std::string_view target) { return answer(method, target); });
      core::log::info("metrics.listening", {{"listen", *s.metrics_listen}, {"port", server_->port()}});
    }
  }

  asio::io_context& io() { return rt_.io(); }
  ops::monitor const& monitor() const { return monitor_; }

  void start() {
    dog_.start();
    if (server_) server_->start();
    asio::co_spawn(rt_.io(), check_retention(this), [](std::exception_ptr e) { log_exception("token.retention_failed", e); });
  }

  // First stop: the loop abandons its cycle (staged pages stay for the next start), the side
  // tasks end, and io().run() returns once everything has unwound.
  void stop() {
    notifier_.stopping();
    rt_.stop();
    stop_.stop();
    if (server_) server_->stop();
  }

  // After the loop has ended, by itself or by stop().
  void finish() {
    stop_.stop();
    dog_.cancel();
    if (server_) server_->stop();
  }

  sched::scheduler& scheduler() { return rt_.scheduler(); }

 private:
  sched::hooks loop_hooks() {
    sched::hooks h;
    h.on_cycle = [this](std::string const& table, core::result<sync::cycle_report> const& r) {
      notifier_.status(summarize(table, r));
      monitor_.metrics().cycle_finished(table, r);
      refresh_tables();
      if (!r) log_expiry_warnings(table);
    };
    h.on_progress = [this] { monitor_.progress(steady::now()); };
    return h;
  }

  cli::fetch_hooks fetch_hooks() {
    cli::fetch_hooks h;
    h.on_page = [this] {
      monitor_.metrics().page_fetched();
      monitor_.progress(steady::now());
    };
    h.on_progress = [this] { monitor_.progress(steady::now()); };
    return h;
  }

  // The per-table gauges as the database has them: rows, rejects, last success and attempt, token age.
  void refresh_tables() {
    auto const now = unix_now();
    auto tables = rt_.database().read_status(now);
    if (!tables) {
      core::log::warn("metrics.status_unreadable", {{"error", tables.error().message}});
      return;
    }
    for (auto const& t : *tables) monitor_.metrics().table_status(t, now);
    // `dvsync verify` writes its outcomes beside the daemon; they show from the next cycle's end.
    if (auto verified = store::verify_store(rt_.database()).last_outcomes())
      monitor_.metrics().verify_outcomes(*verified);
    else
      core::log::warn("metrics.verify_unreadable", {{"error", verified.error().message}});
  }

  // Only tables named by `only` (all when empty).
  void log_expiry_warnings(std::string_view only = {}) {
    for (auto const& w : monitor_.metrics().expiry_warnings(unix_now())) {
      if (!only.empty() && w.table != only) continue;
      log_expiry_warning(w);
    }
  }

  ops::http_reply answer(std::string_view method, std::string_view target) {
    monitor_.metrics().client(rt_.dataverse().stats());
    auto const& gate = rt_.dataverse().gate();
    monitor_.metrics().requests_gate(gate.limit(), gate.in_flight(), gate.lowered_count());
    monitor_.metrics().progress(rt_.engine().progress(), steady::now());
    if (auto bytes = rt_.database().wal_bytes()) monitor_.metrics().wal_bytes(*bytes);
    monitor_.metrics().checkpoints(rt_.database().checkpoints());
    return monitor_.respond(method, target, unix_now(), steady::now());
  }

  static asio::awaitable<void> check_retention(daemon_process* self) {
    while (!self->stop_.stopped()) {
      auto outcome = co_await (self->rt_.dataverse().change_tracking_retention_days() || self->stop_.wait());
      if (outcome.index() == 1) co_return;
      auto const& days = std::get<0>(outcome);
      if (days) {
        if (auto stored = self->rt_.database().record_change_retention(*days, unix_now()); !stored)
          core::log::warn("token.retention_not_stored", {{"error", stored.error().message}});
        self->monitor_.metrics().retention_days(*days);
        core::log::info("token.retention", {{"retention_days", *days}});
      } else if (days.error().code != core::errc::cancelled) {
        core::log::warn("token.retention_unknown", {{"error", days.error().message}, {"retry_in_h", retention_check_period.count()}});
      }
      self->log_expiry_warnings();
      asio::steady_timer next(co_await asio::this_coro::executor, retention_check_period);
      co_await (next.async_wait(asio::as_tuple(asio::use_awaitable)) || self->stop_.wait());
    }
  }

  ops::notifier& notifier_;
  ops::monitor monitor_;
  runtime rt_;
  stop_event stop_;
  watchdog dog_;
  std::optional<ops::http_server> server_;
};

}  // namespace

int run_daemon(arguments const& a) {
  // A stop signal during start-up (opening and migrating the database can take a while) must not
  // end the process by the default action, which is not the clean exit a stop promises: hold the
  // signals until their handler is installed below, which then receives any that arrived.
  sigset_t held;
  sigemptyset(&held);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&held, sig);
  pthread_sigmask(SIG_BLOCK, &held, nullptr);
  auto s = load_settings(a);
  if (!s) return exit_config;
  auto notifier = ops::notifier::from_environment();
  daemon_process d(*s, notifier);

  asio::signal_set signals(d.io(), SIGTERM, SIGINT, SIGHUP);
  int stop_signals = 0;
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      core::log::warn("signal.hup", {{"note", "configuration is read at start only; restart dvsync to reload it"}});
    } else if (++stop_signals == 1) {
      core::log::info("daemon.stopping", {{"signal", sig}});
      d.stop();
    } else {
      // A second stop signal: the operator wants out now. Committed pages are safe on disk.
      core::log::warn("daemon.abort", {{"signal", sig}});
      std::_Exit(1);
    }
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  pthread_sigmask(SIG_UNBLOCK, &held, nullptr);

  core::log::info("daemon.ready", {{"tables", s->tables.size()}, {"interval_s", s->sync.interval.count()},
                                   {"database", s->database.path},
                                   {"watchdog_stall_limit_s", d.monitor().limits().watchdog_stall.count()}});
  notifier.ready();
  d.start();

  bool crashed = false;
  asio::co_spawn(d.io(), d.scheduler().run(), [&](std::exception_ptr e) {
    if (e) {
      crashed = true;
      log_exception("daemon.crashed", e);
    }
    signals.cancel();
    d.finish();
  });
  d.io().run();
  core::log::info("daemon.stopped");
  return crashed ? exit_failure : 0;
}

}  // namespace dvsync::cli
