#include "sync/page_pipeline.hpp"

#include "dataverse/links.hpp"
#include "dataverse/page_parser.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <utility>

namespace dvsync::sync {

namespace asio = boost::asio;

page_pipeline::page_pipeline(asio::any_io_executor ex, page_source& source, config::table_spec const& spec,
                             std::string dataverse_url, std::size_t depth)
    : source_(source),
      spec_(spec),
      dataverse_url_(std::move(dataverse_url)),
      depth_(std::max<std::size_t>(depth, 1)),
      producer_wake_(ex, asio::steady_timer::time_point::max()),
      consumer_wake_(ex, asio::steady_timer::time_point::max()) {}

void page_pipeline::start(std::string url, bool lookup_targets) {
  start_url_ = std::move(url);
  start_lookup_targets_ = lookup_targets;
  producer_wake_.cancel();
}

void page_pipeline::close() {
  closed_ = true;
  producer_wake_.cancel();
}

asio::awaitable<void> page_pipeline::wait(asio::steady_timer& t) {
  // Woken by cancel(). Everything runs on the io thread, and each side checks its condition just
  // before waiting, so no wake-up is missed. A cancelled cycle (the daemon stopping) does not come
  // back here: its next co_await throws operation_aborted (asio's throw_if_cancelled).
  t.expires_at(asio::steady_timer::time_point::max());
  auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  (void)ec;
}

asio::awaitable<fetched> page_pipeline::fetch(std::string url, bool lookup_targets) {
  fetched out;
  // Every field of a row, its id and version.
  std::size_t const values = config::values_per_row(spec_);
  out.body = co_await source_.get(std::move(url), lookup_targets, values);
  if (out.body) {
    out.page = dataverse::parse_page(*out.body, spec_);
    // Not `= std::string()`: libstdc++ copies a short string into the old buffer and keeps its
    // capacity, so a page's body stayed in memory until the next page was parsed.
    std::string().swap(*out.body);
  }
  co_return out;
}

asio::awaitable<fetched> page_pipeline::next() {
  while (ready_.empty()) {
    if (closed_) co_return fetched{};
    co_await wait(consumer_wake_);
  }
  fetched f = std::move(ready_.front());
  ready_.pop_front();
  producer_wake_.cancel();
  co_return f;
}

asio::awaitable<void> page_pipeline::run() {
  for (;;) {
    while (!closed_ && !start_url_) co_await wait(producer_wake_);
    if (closed_) break;
    std::string url = std::move(*start_url_);
    start_url_.reset();
    bool const lookup_targets = start_lookup_targets_;
    dataverse::link_guard links(dataverse_url_, url);
    for (bool more = true; more && !closed_;) {
      while (!closed_ && ready_.size() >= depth_) co_await wait(producer_wake_);
      if (closed_) break;
      fetched f = co_await fetch(url, lookup_targets);
      more = false;
      if (f.page && *f.page) {
        if (auto ok = links.check(**f.page); !ok) {
          *f.page = ok.error();
        } else if ((*f.page)->next_link) {
          url = *(*f.page)->next_link;
          more = true;
        }
      }
      ready_.push_back(std::move(f));
      consumer_wake_.cancel();
    }
  }
  // A cycle waiting for a page gets an empty one (not fetched: cancelled).
  consumer_wake_.cancel();
}

}  // namespace dvsync::sync
