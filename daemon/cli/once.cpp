#include "cli/commands.hpp"
#include "cli/progress_line.hpp"
#include "cli/retention.hpp"
#include "cli/runtime.hpp"
#include "cli/summary.hpp"
#include "core/log.hpp"
#include "sched/scheduler.hpp"
#include "sync/engine.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace dvsync::cli {
namespace {

// Cron runs nothing but `once`: it also keeps the retention current and warns of aging links.
boost::asio::awaitable<core::result<std::vector<sync::cycle_report>>> sync_then_check_retention(runtime& rt) {
  auto reports = co_await rt.scheduler().run_once();
  if (!rt.stopping()) co_await refresh_retention_and_warn(rt);
  co_return reports;
}

// On a terminal: the running cycles' progress below the log, every second, until the end.
void show_progress(runtime& rt, boost::asio::steady_timer& timer) {
  timer.expires_after(std::chrono::seconds(1));
  timer.async_wait([&rt, &timer](boost::system::error_code ec) {
    if (ec) return;
    core::log::set_footer(progress_lines(rt.engine().progress(), std::chrono::steady_clock::now()));
    show_progress(rt, timer);
  });
}

}  // namespace

int once(arguments const& a) {
  auto s = load_settings(a);
  if (!s) return exit_config;

  sched::hooks hooks;
  hooks.on_cycle = [](std::string const& table, core::result<sync::cycle_report> const& r) {
    core::log::print_line(stdout, summarize(table, r));
  };
  runtime rt(*s, std::move(hooks));
  boost::asio::steady_timer progress(rt.io());
  bool const terminal = ::isatty(STDERR_FILENO) == 1;
  if (terminal) show_progress(rt, progress);

  boost::asio::signal_set signals(rt.io(), SIGTERM, SIGINT);
  signals.async_wait([&rt](boost::system::error_code ec, int) {
    if (!ec) rt.stop();
  });

  std::optional<core::error> failure;
  boost::asio::co_spawn(rt.io(), sync_then_check_retention(rt),
                        [&](std::exception_ptr e, core::result<std::vector<sync::cycle_report>> r) {
                          signals.cancel();
                          progress.cancel();
                          if (e) {
                            try {
                              std::rethrow_exception(e);
                            } catch (std::exception const& ex) {
                              failure = core::make_error(core::errc::io, ex.what());
                            }
                          } else if (!r) {
                            failure = r.error();
                          }
                        });
  rt.io().run();
  if (terminal) core::log::set_footer("");
  if (failure) {
    std::fprintf(stderr, "dvsync: once failed: %s\n", failure->message.c_str());
    return exit_failure;
  }
  return 0;
}

}  // namespace dvsync::cli
