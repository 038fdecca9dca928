#include "sync/engine.hpp"

#include "core/crash_point.hpp"
#include "core/log.hpp"
#include "dataverse/links.hpp"
#include "store/database.hpp"
#include "sync/page_pipeline.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <optional>

namespace dvsync::sync {
namespace {

using clock = std::chrono::steady_clock;
using namespace boost::asio::experimental::awaitable_operators;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

remembered to_remembered(store::table_state const& s) {
  remembered r;
  r.delta_link = s.delta_link;
  r.in_progress = s.cycle_kind;
  r.in_progress_reason = s.cycle_reason;
  r.cursor = s.cursor;
  r.resync_requested = s.resync_requested;
  r.resync_reason = s.resync_reason;
  return r;
}

// How often a running cycle says how far it has come, at info level.
constexpr std::chrono::seconds progress_log_period{30};

}  // namespace

double cycle_progress::rate(clock::time_point now) const {
  double const seconds = std::chrono::duration<double>(now - started).count();
  if (seconds <= 0) return 0;
  return static_cast<double>(rows_done - rows_at_start) / seconds;
}

std::optional<std::chrono::seconds> cycle_progress::eta(clock::time_point now) const {
  double const r = rate(now);
  if (!rows_expected || r <= 0) return std::nullopt;
  double const left = static_cast<double>(std::max<std::int64_t>(*rows_expected - rows_done, 0));
  return std::chrono::seconds(static_cast<std::int64_t>(left / r + 0.5));
}

engine::engine(store::database& db, page_source& source, config::dataverse_settings dataverse)
    : db_(db), source_(source), dataverse_(std::move(dataverse)), store_thread_(std::make_unique<sync::store_thread>()) {}

engine::~engine() = default;

boost::asio::awaitable<core::result<cycle_report>> engine::run_cycle(config::table_spec spec) {
  auto const started = clock::now();
  // Creates the mirror, or finds that its columns changed (a migration: the next cycle is a full
  // read) before the plan is made from the state.
  auto& writer = *store_thread_;
  if (auto ensured = co_await writer.run([&] { return db_.ensure_table(spec); }); !ensured) co_return ensured.error();
  auto state = co_await writer.run([&] { return db_.load_state(spec.table); });
  if (!state) co_return state.error();
  remembered known = to_remembered(*state);
  if (known.in_progress && known.cursor) {
    auto intact = co_await writer.run([&] { return db_.staging_intact(spec, *known.in_progress); });
    if (!intact) co_return intact.error();
    if (!*intact) {
      // Staged pages never touch the mirror, and its delta link still describes it: reading the
      // pages again loses nothing.
      core::log::warn("cycle.staging_lost", {{"table", spec.table}, {"pages_staged", state->pages_staged},
                                              {"action", "start the cycle again"}});
      known.in_progress.reset();
      known.cursor.reset();
    }
  }
  plan p = make_plan(known, dataverse::initial_url(dataverse_, spec));

  // A plan may be replaced once by a fallback: an expired token turns a delta into a full resync,
  // a refused cursor restarts the interrupted cycle from its beginning, and so does a read that
  // lost its delta link while asking for lookup targets (without asking, this time).
  bool fell_back = false;
  // The target table of a polymorphic lookup comes only in an annotation, and a service was seen
  // to drop the delta link of a tracked read that asked for annotations (dataverse-protocol.md).
  bool lookup_targets = !state->lookup_targets_lost_at && config::has_lookup_targets(spec);

  if (p.begin) {
    if (auto r = co_await writer.run([&] { return db_.begin_cycle(spec, p.kind, p.reason); }); !r) co_return r.error();
  }
  // Progress for status, metrics and logs; gone when the cycle ends, however it ends.
  auto& progress = progress_[spec.table];
  progress = cycle_progress{p.kind, p.resuming ? state->rows_staged : 0, p.resuming ? state->rows_expected : std::nullopt,
                            p.resuming ? state->rows_staged : 0, clock::now()};
  struct forget_progress {
    std::map<std::string, cycle_progress>& all;
    std::string table;
    ~forget_progress() { all.erase(table); }
  } forget{progress_, spec.table};
  auto last_progress_log = clock::now();
  bool asked_estimate = false;

  cycle_report report;
  report.kind = p.kind;
  report.reason = p.reason;
  report.resumed = p.resuming;
  core::log::info("cycle.start", {{"table", spec.table}, {"kind", store::to_string(p.kind)}, {"reason", p.reason},
                                  {"resumed", p.resuming ? "yes" : "no"}});

  // Pages are fetched ahead of the one being written (page_pipeline), at most this many waiting.
  constexpr std::size_t pages_ahead = 2;
  page_pipeline pages(co_await boost::asio::this_coro::executor, source_, spec, dataverse_.url, pages_ahead);
  pages.start(p.url, lookup_targets);
  auto read = [&]() -> boost::asio::awaitable<core::result<cycle_report>> {
    // However the cycle ends, nothing more is fetched for it.
    struct close_pipeline {
      page_pipeline& pipeline;
      ~close_pipeline() { pipeline.close(); }
    } closer{pages};
    bool first_fetch = true;
    // A fallback: the cycle is abandoned and begins again as `next`.
    auto fall_back_to = [&](plan next) -> boost::asio::awaitable<core::result<void>> {
      fell_back = true;
      p = std::move(next);
      if (auto r = co_await writer.run([&] { return db_.abandon_cycle(spec); }); !r) co_return r.error();
      if (auto r = co_await writer.run([&] { return db_.begin_cycle(spec, p.kind, p.reason); }); !r) co_return r.error();
      progress = cycle_progress{p.kind, 0, std::nullopt, 0, clock::now()};
      asked_estimate = false;
      report.kind = p.kind;
      report.reason = p.reason;
      report.resumed = false;
      report.pages = 0;
      first_fetch = true;
      pages.start(p.url, lookup_targets);
      co_return core::result<void>{};
    };
    for (;;) {
      fetched f = co_await pages.next();
      auto const& body = f.body;
      if (!body) {
        auto const& e = body.error();
        plan next;
        if (!fell_back && e.code == core::errc::token_expired) {
          core::log::warn("cycle.token_expired", {{"table", spec.table}, {"action", "full resync"}});
          next = {cycle_kind::full, "token_expired", dataverse::initial_url(dataverse_, spec), true, false};
        } else if (!fell_back && p.resuming && first_fetch &&
                   (e.code == core::errc::http_status || e.http_status == 404)) {
          // The server refused the saved nextLink (a 4xx: its paging state is gone). Transport
          // failures are not a refusal: they keep the staged pages for the next attempt. A 404
          // may also mean the table is gone: the read from the beginning then says so.
          core::log::warn("cycle.cursor_refused", {{"table", spec.table}, {"error", e.message}});
          next = from_the_beginning(p, state->delta_link, dataverse::initial_url(dataverse_, spec));
        } else {
          co_return e;
        }
        if (auto r = co_await fall_back_to(std::move(next)); !r) co_return r.error();
        continue;
      }
      first_fetch = false;
      ++report.pages;
      core::crash_point("after_fetch");

      // A page that cannot be parsed, or whose links leave the service, ends the cycle.
      auto& page = *f.page;
      if (!page) co_return page.error();

      if (page->next_link) {
        // The io thread fetches and parses the next pages meanwhile. A page that fails to stage
        // ends the cycle; the pages fetched ahead are dropped.
        auto staged = co_await writer.run([&] { return db_.stage_page(spec, *page, *page->next_link); });
        if (!staged) co_return staged.error();
        core::crash_point("after_commit");
        core::log::debug("cycle.page", {{"table", spec.table}, {"page", report.pages},
                                        {"rows", page->upserts.size()}, {"deletes", page->deletes.size()}});
        progress.rows_done += static_cast<std::int64_t>(page->upserts.size() + page->deletes.size());
        if (progress.kind == cycle_kind::full && !progress.rows_expected && !asked_estimate && !spec.logical_name.empty()) {
          // A read of more than one page: worth an estimate of its end. Only an estimate: without
          // one, progress shows rows and rate but no percentage or time left.
          asked_estimate = true;
          auto estimate = co_await source_.row_estimate(spec.logical_name);
          if (estimate) {
            progress.rows_expected = *estimate;
            (void)co_await writer.run([&] { return db_.record_rows_expected(spec.table, *estimate); });
          } else {
            core::log::debug("cycle.no_estimate", {{"table", spec.table}, {"error", estimate.error().message}});
          }
        }
        if (auto const now = clock::now(); now - last_progress_log >= progress_log_period) {
          last_progress_log = now;
          auto const rate = static_cast<std::int64_t>(progress.rate(now));
          if (auto eta = progress.eta(now))
            core::log::info("cycle.progress", {{"table", spec.table}, {"kind", store::to_string(progress.kind)},
                                               {"rows", progress.rows_done}, {"rows_expected", *progress.rows_expected},
                                               {"rows_per_s", rate}, {"eta_s", static_cast<std::int64_t>(eta->count())}});
          else
            core::log::info("cycle.progress", {{"table", spec.table}, {"kind", store::to_string(progress.kind)},
                                               {"rows", progress.rows_done}, {"rows_per_s", rate}});
        }
        continue;
      }
      if (!page->delta_link && lookup_targets) {
        // Remembered, so that no later read of the table asks; the pages this read staged, with
        // targets, are dropped. A cycle that already fell back once fails, and the next one
        // starts without asking.
        lookup_targets = false;
        if (auto r = co_await writer.run([&] { return db_.record_lookup_targets_lost(spec.table, unix_now()); }); !r)
          co_return r.error();
        core::log::warn("cycle.lookup_targets_lost_delta_link",
                        {{"table", spec.table}, {"kind", store::to_string(p.kind)},
                         {"action", fell_back ? "the next cycle reads without lookup targets"
                                              : "read again without lookup targets (their type columns stay NULL)"}});
        if (fell_back) {
          if (auto r = co_await writer.run([&] { return db_.abandon_cycle(spec); }); !r) co_return r.error();
        } else {
          if (auto r = co_await fall_back_to(from_the_beginning(p, state->delta_link, dataverse::initial_url(dataverse_, spec)));
              !r)
            co_return r.error();
          continue;
        }
      }
      if (!page->delta_link)
        co_return core::make_error(core::errc::protocol, "the last page has neither @odata.nextLink nor @odata.deltaLink");

      auto totals = co_await writer.run([&] { return db_.finish_cycle(spec, *page, *page->delta_link, unix_now()); });
      if (!totals) co_return totals.error();
      core::crash_point("after_commit");
      // The checkpoint the final commit left runs on the store thread (which alone reads whether
      // one is due); a failure is only logged, as the next commit's automatic checkpoint, or
      // closing the database, does the same work.
      writer.post([this] {
        if (auto r = db_.checkpoint_after_cycle(); !r)
          core::log::warn("store.checkpoint_failed", {{"error", r.error().message}});
      });
      report.upserts = totals->upserts;
      report.deletes = totals->deletes;
      report.rejects = totals->rejects;
      report.rows = totals->rows;
      report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started);
      core::log::info("cycle.done", {{"table", spec.table}, {"kind", store::to_string(report.kind)},
                                     {"reason", report.reason}, {"pages", report.pages}, {"upserts", report.upserts},
                                     {"deletes", report.deletes}, {"rejects", report.rejects}, {"rows", report.rows},
                                     {"duration_ms", report.duration.count()},
                                     {"link", core::log::fingerprint(*page->delta_link)}});
      co_return report;
    }
  };
  co_return co_await (pages.run() && read());
}

}  // namespace dvsync::sync
