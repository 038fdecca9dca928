#pragma once
// One cycle of one table: plan from the stored state, fetch pages, stage each with its cursor,
// and merge the whole cycle together with its new delta link in the final commit.
#include "config/settings.hpp"
#include "core/error.hpp"
#include "sync/page_source.hpp"
#include "sync/plan.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
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

class engine {
 public:
  engine(store::database& db, page_source& source, config::dataverse_settings dataverse);
  ~engine();
  engine(engine const&) = delete;
  engine& operator=(engine const&) = delete;

  // Errors leave the mirror and its delta link as they were; pages already staged stay staged,
  // so the next run resumes where this one stopped.
  boost::asio::awaitable<core::result<cycle_report>> run_cycle(config::table_spec spec);

 private:
  store::database& db_;
  page_source& source_;
  config::dataverse_settings dataverse_;
  struct store_thread;
  std::unique_ptr<store_thread> store_thread_;
};

}  // namespace dvsync::sync
