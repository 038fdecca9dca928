#pragma once
// GETs against the Dataverse Web API with the headers change tracking needs, and the retry
// policy of DESIGN.md decision 6: wait out Retry-After, back off with full jitter, refresh the
// token once on 401, give up after max_attempts.
#include "auth/token_provider.hpp"
#include "config/settings.hpp"
#include "core/error.hpp"
#include "dataverse/request_gate.hpp"
#include "http/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <stop_token>
#include <string>

namespace dvsync::dataverse {

struct client_options {
  std::string api_root;                  // https://org.crm.dynamics.com/api/data/v9.2 (no trailing slash)
  int page_size = 5000;                  // odata.maxpagesize, for rows of up to cells_per_page / page_size values
  int cells_per_page = 100'000;          // a page of a wide table asks for fewer rows (rows_per_page)
  int max_attempts = 6;                  // attempts per request, the first included
  int max_parallel_requests = 8;         // cap on requests in flight across every table (request_gate)
  std::chrono::milliseconds backoff_base{std::chrono::seconds{1}};
  std::chrono::milliseconds backoff_cap{std::chrono::seconds{60}};
  std::chrono::seconds retry_after_cap{300};
  // Waits between attempts; the default is a steady_timer that a stop request cuts short.
  std::function<boost::asio::awaitable<void>(std::chrono::milliseconds)> sleep;
  std::function<double()> random;        // [0, 1) for jitter; default: a randomly seeded mt19937_64
  std::stop_token stop;                  // checked before every attempt and after every wait
  // Called when an attempt starts and when a retry wait starts or ends: the daemon's watchdog counts
  // each as progress, so it can tell a long but healthy retry sequence from a hang.
  std::function<void()> on_progress;
};

// The rows a page may hold: the configured page size, or fewer for rows of many values, so that
// a page of a 60-column table holds about as many values as one of a 20-column table (its parsed
// rows, not the row count, set the daemon's memory). Never below 100.
int rows_per_page(client_options const& o, std::size_t values_per_row);

// The options the configuration implies: api_root from dataverse.url and api_version, the sync
// section's page size, attempts, backoff and Retry-After cap; default sleep and randomness.
client_options make_client_options(config::settings const& settings, std::stop_token stop);

// Counters for metrics; read them at any time from the io_context thread.
struct client_stats {
  std::map<int, std::uint64_t> requests_by_status;        // responses received, by HTTP status
  std::map<std::string, std::uint64_t> retries_by_reason; // by core::to_string(errc)
  std::uint64_t token_refreshes = 0;                      // forced by a 401
  double throttle_wait_seconds = 0;                       // time spent waiting for Retry-After
  std::uint64_t service_pauses = 0;                       // 429s that paused every table's requests
};

class client {
 public:
  client(http::client& http, auth::token_provider& tokens, client_options options);

  // GETs an absolute URL (a built initial URL, a nextLink or a deltaLink, sent unchanged) with
  // `Prefer: odata.track-changes,odata.maxpagesize=N` and returns the body of the 2xx answer.
  // `lookup_targets` also asks for the lookuplogicalname annotation of lookups; `values_per_row`
  // (0: unknown) bounds the page size, see rows_per_page. A 404 is errc::schema_changed (the table
  // is gone: see table_read_error).
  boost::asio::awaitable<core::result<std::string>> get(std::string url, bool lookup_targets = false,
                                                        std::size_t values_per_row = 0);

  // GETs a page of an untracked read of rows (its first URL, or a nextLink sent unchanged) with
  // `Prefer: odata.maxpagesize=N` (N within 1..5000, the service's largest page, and at most what
  // rows_per_page allows `values_per_row`) and, with `lookup_targets`, the annotation get() asks
  // for: `dvsync verify` reads every row's id and version this way, or every row whole.
  boost::asio::awaitable<core::result<std::string>> get_untracked(std::string url, int page_size,
                                                                  bool lookup_targets = false,
                                                                  std::size_t values_per_row = 0);

  // GETs one row (`<set>(<guid>)?$select=...`), untracked; a row that is gone is errc::http_status
  // with http_status 404. `lookup_targets` as for get().
  boost::asio::awaitable<core::result<std::string>> get_row(std::string url, bool lookup_targets);

  // GETs a metadata query relative to the Web API root (dataverse/metadata.hpp), untracked.
  boost::asio::awaitable<core::result<std::string>> get_metadata(std::string query);

  // RetrieveTotalRecordCount: the service's count of the table's rows, from a snapshot of the last
  // 24 hours (an estimate for progress, never used for correctness).
  boost::asio::awaitable<core::result<std::int64_t>> total_record_count(std::string logical_name);

  // Organization.expirechangetrackingindays: how long a delta token stays usable.
  boost::asio::awaitable<core::result<int>> change_tracking_retention_days();

  client_stats const& stats() const { return stats_; }
  request_gate const& gate() const { return gate_; }

 private:
  boost::asio::awaitable<core::result<std::string>> fetch(std::string url, bool track_changes, bool lookup_targets,
                                                          int page_size);
  boost::asio::awaitable<void> wait(std::chrono::milliseconds d);

  http::client& http_;
  auth::token_provider& tokens_;
  client_options options_;
  client_stats stats_;
  request_gate gate_;
};

}  // namespace dvsync::dataverse
