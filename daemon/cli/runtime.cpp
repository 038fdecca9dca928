#include "cli/runtime.hpp"

#include "auth/secret.hpp"
#include "auth/token_provider.hpp"
#include "dataverse/client.hpp"
#include "http/client.hpp"
#include "sched/scheduler.hpp"
#include "store/database.hpp"
#include "sync/catalog.hpp"
#include "sync/engine.hpp"

#include <stdexcept>

namespace dvsync::cli {
namespace {

// The engine's page source is the Dataverse client.
// The catalog's metadata source is the Dataverse client too.
class dataverse_metadata final : public sync::metadata_source {
 public:
  explicit dataverse_metadata(dataverse::client& c) : client_(c) {}
  boost::asio::awaitable<core::result<std::string>> get_metadata(std::string query) override {
    return client_.get_metadata(std::move(query));
  }

 private:
  dataverse::client& client_;
};

class dataverse_pages final : public sync::page_source {
 public:
  dataverse_pages(dataverse::client& c, std::function<void()> on_page) : client_(c), on_page_(std::move(on_page)) {}

  boost::asio::awaitable<core::result<std::string>> get(std::string url, bool lookup_targets) override {
    auto body = co_await client_.get(std::move(url), lookup_targets);
    if (body && on_page_) on_page_();
    co_return body;
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

std::string load_secret(config::settings const& s) {
  auto secret = auth::load_client_secret(s.auth);
  if (!secret) throw std::runtime_error("client secret: " + secret.error().message);
  return std::move(*secret);
}

dataverse::client_options dataverse_options(config::settings const& s, std::stop_token stop,
                                            std::function<void()> on_progress) {
  auto o = dataverse::make_client_options(s, std::move(stop));
  o.on_progress = std::move(on_progress);
  return o;
}

}  // namespace

struct runtime::parts {
  store::database db;
  http::client http;
  auth::token_provider tokens;
  dataverse::client dataverse;
  dataverse_pages pages;
  dataverse_metadata metadata;
  sync::catalog catalog;
  sync::engine engine;
  sched::scheduler scheduler;

  parts(config::settings const& s, boost::asio::io_context& io, std::stop_token stop, sched::hooks hooks, fetch_hooks fetch)
      : db(open_database(s)),
        http(io.get_executor(), http::tls_options{s.tls.ca_file, true},
             http::timeouts{std::chrono::seconds(30), s.sync.request_timeout}),
        tokens(http, auth::make_token_endpoint(s.auth, s.dataverse), load_secret(s)),
        dataverse(http, tokens, dataverse_options(s, std::move(stop), std::move(fetch.on_progress))),
        pages(dataverse, std::move(fetch.on_page)),
        metadata(dataverse),
        catalog(metadata),
        engine(db, pages, s.dataverse),
        scheduler(io.get_executor(), engine, catalog, db, s.tables, s.sync, std::move(hooks)) {}
};

runtime::runtime(config::settings settings, sched::hooks hooks, fetch_hooks fetch) : settings_(std::move(settings)) {
  parts_ = std::make_unique<parts>(settings_, io_, stop_.get_token(), std::move(hooks), std::move(fetch));
}

runtime::~runtime() = default;

sched::scheduler& runtime::scheduler() { return parts_->scheduler; }
sync::catalog& runtime::catalog() { return parts_->catalog; }
dataverse::client& runtime::dataverse() { return parts_->dataverse; }
store::database& runtime::database() { return parts_->db; }

void runtime::stop() {
  stop_.request_stop();
  parts_->scheduler.stop();
}

}  // namespace dvsync::cli
