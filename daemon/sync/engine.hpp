#pragma once
// One cycle of one table: plan from the stored state, fetch pages, stage each with its cursor,
// and merge the whole cycle together with its new delta link in the final commit.
#include "config/settings.hpp"
#include "core/error.hpp"
#include "sync/page_source.hpp"
#include "sync/plan.hpp"
#include "sync/store_thread.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace dvsync::store {
class database;
}

namespace dvsync::sync {

struct cycle_report {
  cycle_kind kind = cycle_kind::full;
  std::string reason;
  bool resumed = false;          // continued an interrupted cycle
  int pages = 0;                 // pages fetched by this run
  std::int64_t upserts = 0;      // new or updated rows received over the whole cycle
  std::int64_t deletes = 0;      // deletes received over the whole cycle
  std::int64_t rejects = 0;      // rows kept in dvsync_rejects
  std::int64_t rows = 0;         // rows in the mirror after the cycle
  std::chrono::milliseconds duration{0};
};

// How far a table's cycle has come, while it runs (a long initial load above all).
struct cycle_progress {
  cycle_kind kind = cycle_kind::full;
  std::int64_t rows_done = 0;                   // rows of the pages staged so far (upserts and deletes)
  std::optional<std::int64_t> rows_expected;    // the service's estimate of the table's rows, full reads only
  std::int64_t rows_at_start = 0;               // rows_done when this process began or resumed the cycle
  std::chrono::steady_clock::time_point started{};

  // Rows per second since this process began or resumed the cycle.
  double rate(std::chrono::steady_clock::time_point now) const;
  // Until the estimate is reached at that rate; none without an estimate or a rate.
  std::optional<std::chrono::seconds> eta(std::chrono::steady_clock::time_point now) const;
};

class engine {
 public:
  engine(store::database& db, page_source& source, config::dataverse_settings dataverse);
  ~engine();
  engine(engine const&) = delete;
  engine& operator=(engine const&) = delete;

  // Errors leave the mirror and its delta link as they were; pages already staged stay staged,
  // so the next run resumes where this one stopped.
  // Cycles of different tables may run at once (never two of one table): each awaits its own
  // pages, and all of them write through the one store thread.
  boost::asio::awaitable<core::result<cycle_report>> run_cycle(config::table_spec spec);

  // The cycles running now, by mirror table. Read on the io thread.
  std::map<std::string, cycle_progress> const& progress() const { return progress_; }

  // Where database work is done; the scheduler's bookkeeping goes there too.
  sync::store_thread& writer() { return *store_thread_; }

 private:
  store::database& db_;
  page_source& source_;
  config::dataverse_settings dataverse_;
  std::unique_ptr<sync::store_thread> store_thread_;
  std::map<std::string, cycle_progress> progress_;
};

}  // namespace dvsync::sync
