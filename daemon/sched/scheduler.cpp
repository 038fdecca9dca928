#include "sched/scheduler.hpp"

#include "core/log.hpp"
#include "sched/retry_wait.hpp"
#include "store/database.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace dvsync::sched {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

scheduler::scheduler(asio::any_io_executor ex, sync::engine& engine, sync::catalog& catalog, store::database& db,
                     std::vector<config::table_config> tables, config::sync_settings settings, hooks h)
    : engine_(engine),
      catalog_(catalog),
      db_(db),
      tables_(std::move(tables)),
      settings_(settings),
      hooks_(std::move(h)),
      stop_timer_(ex, asio::steady_timer::time_point::max()) {}

void scheduler::stop() {
  stopping_ = true;
  // Completes every pending and future wait_for_stop() at once.
  stop_timer_.expires_at(asio::steady_timer::time_point::min());
}

asio::awaitable<void> scheduler::wait_for_stop() {
  if (stopping_) co_return;
  co_await stop_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> scheduler::sleep(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await (t.async_wait(asio::as_tuple(asio::use_awaitable)) || wait_for_stop());
}

asio::awaitable<core::result<sync::cycle_report>> scheduler::resolve_and_run(config::table_config const& table) {
  // A column removed from the table (or one the delta link names) makes the service refuse the
  // $select, and a table deleted answers 404: the metadata is read again and the cycle tried once
  // more with the table as it is now (a deleted one then fails with the catalog's "no such table").
  for (int attempt = 1;; ++attempt) {
    auto resolved = co_await catalog_.resolve(table);
    if (!resolved) co_return resolved.error();
    auto const& spec = resolved->table.spec;
    if (resolved->fresh)
      if (auto stored = co_await engine_.writer().run([&] { return db_.store_choice_labels(spec, resolved->table.labels); });
          !stored)
        core::log::warn("metadata.labels_not_stored", {{"table", table.table}, {"error", stored.error().message}});
    auto r = co_await engine_.run_cycle(spec);
    if (r || r.error().code != core::errc::schema_changed || attempt == 2) co_return r;
    core::log::warn("metadata.changed", {{"table", table.table}, {"error", r.error().message},
                                         {"action", "read the metadata again"}});
    catalog_.forget(table.table);
  }
}

asio::awaitable<core::result<sync::cycle_report>> scheduler::cycle(config::table_config table) {
  if (stopping_) co_return core::make_error(core::errc::cancelled, "stopping");
  auto const attempted_at = unix_now();
  (void)co_await engine_.writer().run([&] { return db_.record_attempt(table.table, attempted_at); });
  if (hooks_.on_progress) hooks_.on_progress();
  auto outcome = co_await (resolve_and_run(table) || wait_for_stop());
  core::result<sync::cycle_report> r = core::make_error(core::errc::cancelled, "stopped during the cycle");
  if (outcome.index() == 0) r = std::move(std::get<0>(outcome));
  if (!r) {
    auto const& e = r.error();
    if (e.code == core::errc::cancelled) {
      core::log::info("cycle.stopped", {{"table", table.table}, {"note", "staged pages are kept and resumed at the next start"}});
    } else {
      // Stored before it is logged: whoever reads the log line finds it in `dvsync status`.
      auto const failed_at = unix_now();
      (void)co_await engine_.writer().run([&] { return db_.record_failure(table.table, e.message, failed_at); });
      core::log::error("cycle.failed", {{"table", table.table}, {"error", core::to_string(e.code)}, {"message", e.message}});
    }
  }
  if (hooks_.on_cycle) hooks_.on_cycle(table.table, r);
  if (hooks_.on_progress) hooks_.on_progress();
  co_return r;
}

asio::awaitable<void> scheduler::for_each_table(std::function<asio::awaitable<void>(std::size_t)> body) {
  auto ex = co_await asio::this_coro::executor;
  // Shared with the spawned coroutines, which may outlive this frame if it is destroyed.
  struct join {
    std::size_t pending;
    asio::steady_timer all_done;
    std::exception_ptr failure;
  };
  auto j = std::make_shared<join>(join{tables_.size(), asio::steady_timer(ex, asio::steady_timer::time_point::max()), {}});
  for (std::size_t i = 0; i < tables_.size(); ++i)
    asio::co_spawn(ex, body(i), [j](std::exception_ptr e) {
      if (e && !j->failure) j->failure = e;
      if (--j->pending == 0) j->all_done.cancel();
    });
  while (j->pending > 0) co_await j->all_done.async_wait(asio::as_tuple(asio::use_awaitable));
  if (j->failure) std::rethrow_exception(j->failure);
}

asio::awaitable<core::result<std::vector<sync::cycle_report>>> scheduler::run_once() {
  std::vector<std::optional<core::result<sync::cycle_report>>> outcomes(tables_.size());
  co_await for_each_table([&](std::size_t i) -> asio::awaitable<void> { outcomes[i] = co_await cycle(tables_[i]); });
  std::vector<sync::cycle_report> reports;
  for (auto const& r : outcomes)
    if (r && !*r) co_return r->error();
  for (auto const& r : outcomes)
    if (r) reports.push_back(**r);
  co_return reports;
}

asio::awaitable<void> scheduler::keep_in_sync(config::table_config table) {
  int failures = 0;
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  auto const interval = table.interval.value_or(settings_.interval);
  while (!stopping_) {
    auto r = co_await cycle(table);
    bool const ok = r || r.error().code == core::errc::cancelled;
    failures = ok ? 0 : failures + 1;
    if (stopping_) break;
    auto wait = next_wait(interval, failures, settings_.backoff_base, uniform(rng_));
    if (failures > 0)
      core::log::info("cycle.retry_later", {{"table", table.table}, {"wait_ms", wait.count()}, {"consecutive_failures", failures}});
    if (hooks_.on_progress) hooks_.on_progress();
    co_await sleep(wait);
  }
}

asio::awaitable<void> scheduler::run() {
  co_await for_each_table([this](std::size_t i) { return keep_in_sync(tables_[i]); });
}

}  // namespace dvsync::sched
