#pragma once
// The pages of one cycle, fetched ahead of the page being written. While the store thread writes
// page k, the io thread fetches and parses the pages after it, up to `depth` of them waiting: a
// write that takes longer than a fetch (an automatic checkpoint every few pages) no longer holds
// the next fetch back, and a slow fetch finds pages already waiting to be written.
//
// Fetching stops after a page that ends the read: a failed request, a page that cannot be parsed
// or whose links leave the service (the bearer token is only ever sent to the configured host),
// or the last page. The cycle then reads that page from next() and decides: it ends, or it starts
// the pipeline again from another URL (a fallback).
//
// Both sides run on the io thread: run() is co_awaited together with the cycle (`&&`), and the
// cycle calls close() however it ends, after which run() returns once the request in flight, if
// any, has completed.
#include "config/table_spec.hpp"
#include "core/error.hpp"
#include "dataverse/page.hpp"
#include "sync/page_source.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <deque>
#include <optional>
#include <string>

namespace dvsync::sync {

// One page from the source: the outcome of the GET (its errors decide fallbacks) and, when it
// succeeded, the parsed page, or why it cannot be used. The body is freed once parsed.
struct fetched {
  core::result<std::string> body = core::make_error(core::errc::cancelled, "not fetched");
  std::optional<core::result<dataverse::page>> page;
};

class page_pipeline {
 public:
  page_pipeline(boost::asio::any_io_executor ex, page_source& source, config::table_spec const& spec,
                std::string dataverse_url, std::size_t depth);

  // Reads from `url` (a cycle's first URL, or its cursor): the first page answers it. Called
  // before the first next(), and again only after next() has returned a page that ends the read.
  // `lookup_targets`: ask for the target table of polymorphic lookups (an annotation).
  void start(std::string url, bool lookup_targets);

  // The next page in order.
  boost::asio::awaitable<fetched> next();

  // No more pages are wanted.
  void close();

  // The fetching side; returns after close().
  boost::asio::awaitable<void> run();

 private:
  boost::asio::awaitable<void> wait(boost::asio::steady_timer& t);
  boost::asio::awaitable<fetched> fetch(std::string url, bool lookup_targets);

  page_source& source_;
  config::table_spec const& spec_;
  std::string dataverse_url_;
  std::size_t depth_;
  std::optional<std::string> start_url_;
  bool start_lookup_targets_ = false;
  std::deque<fetched> ready_;
  bool closed_ = false;
  boost::asio::steady_timer producer_wake_;
  boost::asio::steady_timer consumer_wake_;
};

}  // namespace dvsync::sync
