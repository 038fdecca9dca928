#include "cli/runtime.hpp"

#include "cli/connection.hpp"
#include "sched/scheduler.hpp"
#include "store/database.hpp"
#include "sync/catalog.hpp"
#include "sync/engine.hpp"

#include <stdexcept>

namespace dvsync::cli {
namespace {

// The engine's page source is the Dataverse client.
class dataverse_pages final : public sync::page_source {
 public:
  dataverse_pages(dataverse::client& c, std::function<void()> on_page) : client_(c), on_page_(std::move(on_page)) {}

  boost::asio::awaitable<core::result<std::string>> get(std::string url, bool lookup_targets,
                                                        std::size_t values_per_row) override {
    auto body = co_await client_.get(std::move(url), lookup_targets, values_per_row);
    if (body && on_page_) on_page_();
    co_return body;
  }

  boost::asio::awaitable<core::result<std::int64_t>> row_estimate(std::string logical_name) override {
    return client_.total_record_count(std::move(logical_name));
  }

 private:
  dataverse::client& client_;
  std::function<void()> on_page_;
};

store::database open_database(config::settings const& s) {
  auto db = store::database::open(s.database);
  if (!db) throw std::runtime_error("database " + s.database.path + ": " + db.error().message);
  if (auto locked = db->acquire_lock(); !locked) throw std::runtime_error(locked.error().message);
  // Mirror tables are made by their first cycle, once the metadata has said what their columns are.
  return std::move(*db);
}

}  // namespace

struct runtime::parts {
  store::database db;
  cli::connection conn;
  dataverse_pages pages;
  client_metadata metadata;
  sync::catalog catalog;
  sync::engine engine;
  sched::scheduler scheduler;

  parts(config::settings const& s, boost::asio::io_context& io, std::stop_token stop, sched::hooks hooks, fetch_hooks fetch)
      : db(open_database(s)),
        conn(s, io, std::move(stop), std::move(fetch.on_progress)),
        pages(conn.dataverse, std::move(fetch.on_page)),
        metadata(conn.dataverse),
        catalog(metadata, s.sync.metadata_refresh),
        engine(db, pages, s.dataverse),
        scheduler(io.get_executor(), engine, catalog, db, s.tables, s.sync, std::move(hooks)) {}
};

runtime::runtime(config::settings settings, sched::hooks hooks, fetch_hooks fetch) : settings_(std::move(settings)) {
  parts_ = std::make_unique<parts>(settings_, io_, stop_.get_token(), std::move(hooks), std::move(fetch));
}

runtime::~runtime() = default;

sched::scheduler& runtime::scheduler() { return parts_->scheduler; }
sync::catalog& runtime::catalog() { return parts_->catalog; }
sync::engine& runtime::engine() { return parts_->engine; }
dataverse::client& runtime::dataverse() { return parts_->conn.dataverse; }
store::database& runtime::database() { return parts_->db; }

void runtime::stop() {
  stop_.request_stop();
  parts_->scheduler.stop();
}

}  // namespace dvsync::cli
