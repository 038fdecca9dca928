#include "sched/scheduler.hpp"

#include "core/log.hpp"
#include "sched/retry_wait.hpp"
#include "store/database.hpp"

#include <boost/asio/as_tuple.hpp>
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
  // $select: the metadata is read again and the cycle tried once more with the table as it is now.
  for (int attempt = 1;; ++attempt) {
    auto resolved = co_await catalog_.resolve(table);
    if (!resolved) co_return resolved.error();
    auto const& spec = resolved->table.spec;
    if (resolved->fresh)
      if (auto stored = db_.store_choice_labels(spec, resolved->table.labels); !stored)
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
  (void)db_.record_attempt(table.table, unix_now());
  if (hooks_.on_progress) hooks_.on_progress();
  auto outcome = co_await (resolve_and_run(table) || wait_for_stop());
  core::result<sync::cycle_report> r = core::make_error(core::errc::cancelled, "stopped during the cycle");
  if (outcome.index() == 0) r = std::move(std::get<0>(outcome));
  if (!r) {
    auto const& e = r.error();
    if (e.code == core::errc::cancelled)
      core::log::info("cycle.stopped", {{"table", table.table}, {"note", "staged pages are kept and resumed at the next start"}});
    else
      core::log::error("cycle.failed", {{"table", table.table}, {"error", core::to_string(e.code)}, {"message", e.message}});
    if (e.code != core::errc::cancelled) (void)db_.record_failure(table.table, e.message, unix_now());
  }
  if (hooks_.on_cycle) hooks_.on_cycle(table.table, r);
  if (hooks_.on_progress) hooks_.on_progress();
  co_return r;
}

asio::awaitable<core::result<std::vector<sync::cycle_report>>> scheduler::run_once() {
  std::vector<sync::cycle_report> reports;
  std::optional<core::error> first_failure;
  for (auto const& table : tables_) {
    auto r = co_await cycle(table);
    if (r)
      reports.push_back(*r);
    else if (!first_failure)
      first_failure = r.error();
  }
  if (first_failure) co_return *first_failure;
  co_return reports;
}

asio::awaitable<void> scheduler::run() {
  int failures = 0;
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  while (!stopping_) {
    bool all_ok = true;
    for (auto const& table : tables_) {
      if (stopping_) break;
      auto r = co_await cycle(table);
      all_ok = all_ok && (r || r.error().code == core::errc::cancelled);
    }
    failures = all_ok ? 0 : failures + 1;
    if (stopping_) break;
    auto wait = next_wait(settings_.interval, failures, settings_.backoff_base, uniform(rng_));
    if (failures > 0) core::log::info("cycle.retry_later", {{"wait_ms", wait.count()}, {"consecutive_failures", failures}});
    if (hooks_.on_progress) hooks_.on_progress();
    co_await sleep(wait);
  }
}

}  // namespace dvsync::sched
