#include "dataverse/client.hpp"

#include "core/log.hpp"
#include "dataverse/errors.hpp"
#include "http/backoff.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <optional>

namespace dvsync::dataverse {

namespace asio = boost::asio;
namespace json = boost::json;
using core::errc;

namespace {

// The service's error code when the user has more requests in flight than it allows (protocol §6.1).
constexpr std::string_view concurrency_limit_code = "0x80072326";

// x-ms-dop-hint: the service's recommended degree of parallelism (protocol §1.4). Absent or not a
// number: no hint.
std::optional<int> dop_hint(http::response const& res) {
  auto value = res.header("x-ms-dop-hint");
  if (!value) return std::nullopt;
  int n = 0;
  for (char c : *value) {
    if (c < '0' || c > '9' || n > 100'000) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (value->empty() || n < 1) return std::nullopt;
  return n;
}

// Asked for only when a table has lookups to several tables: the annotation names the row's
// target table. FormattedValue annotations are never asked for: with them, a delta link was once
// reported missing from tracked reads (MicrosoftDocs/powerapps-docs issue 439).
constexpr std::string_view lookup_annotation = "odata.include-annotations=\"Microsoft.Dynamics.CRM.lookuplogicalname\"";

http::request make_request(std::string url, std::string const& token, bool track_changes, bool lookup_targets,
                           int page_size) {
  http::request req;
  req.method = http::verb::get;
  req.url = std::move(url);
  req.headers = {{"Accept", "application/json"},
                 {"OData-MaxVersion", "4.0"},
                 {"OData-Version", "4.0"},
                 {"Authorization", "Bearer " + token}};
  // page_size 0: a request that is not a page of rows (metadata, functions, one row by id).
  std::string prefer;
  auto add = [&prefer](std::string_view p) {
    if (!prefer.empty()) prefer += ',';
    prefer += p;
  };
  if (track_changes) add("odata.track-changes");
  if (page_size > 0) add("odata.maxpagesize=" + std::to_string(page_size));
  if (lookup_targets) add(lookup_annotation);
  if (!prefer.empty()) req.headers.push_back({"Prefer", std::move(prefer)});
  return req;
}

}  // namespace

client_options make_client_options(config::settings const& settings, std::stop_token stop) {
  client_options o;
  std::string root = settings.dataverse.url;
  while (!root.empty() && root.back() == '/') root.pop_back();
  o.api_root = root + "/api/data/v" + settings.dataverse.api_version;
  o.page_size = settings.sync.page_size;
  o.max_attempts = settings.sync.max_attempts;
  o.max_parallel_requests = settings.sync.max_parallel_requests;
  o.backoff_base = settings.sync.backoff_base;
  o.backoff_cap = settings.sync.backoff_cap;
  o.retry_after_cap = settings.sync.retry_after_cap;
  o.stop = std::move(stop);
  return o;
}

client::client(http::client& http, auth::token_provider& tokens, client_options options)
    : http_(http), tokens_(tokens), options_(std::move(options)), gate_(options_.max_parallel_requests) {
  if (!options_.random) options_.random = http::default_random();
  options_.max_attempts = std::max(options_.max_attempts, 1);
  while (!options_.api_root.empty() && options_.api_root.back() == '/') options_.api_root.pop_back();
}

int rows_per_page(client_options const& o, std::size_t values_per_row) {
  if (values_per_row == 0) return o.page_size;
  auto const fitting = static_cast<std::size_t>(std::max(o.cells_per_page, 1)) / values_per_row;
  return static_cast<int>(std::clamp<std::size_t>(fitting, std::min(100, o.page_size), o.page_size));
}

asio::awaitable<core::result<std::string>> client::get(std::string url, bool lookup_targets, std::size_t values_per_row) {
  auto body = co_await fetch(std::move(url), true, lookup_targets, rows_per_page(options_, values_per_row));
  if (!body) co_return table_read_error(body.error());
  co_return body;
}

asio::awaitable<core::result<std::string>> client::get_untracked(std::string url, int page_size, bool lookup_targets,
                                                                 std::size_t values_per_row) {
  if (values_per_row > 0) page_size = std::min(page_size, rows_per_page(options_, values_per_row));
  return fetch(std::move(url), false, lookup_targets, std::clamp(page_size, 1, 5000));
}

asio::awaitable<core::result<std::string>> client::get_row(std::string url, bool lookup_targets) {
  return fetch(std::move(url), false, lookup_targets, 0);
}

asio::awaitable<core::result<std::string>> client::get_metadata(std::string query) {
  return fetch(options_.api_root + "/" + query, false, false, 0);
}

asio::awaitable<core::result<std::string>> client::fetch(std::string url, bool track_changes, bool lookup_targets,
                                                         int page_size) {
  http::backoff const policy(options_.backoff_base, options_.backoff_cap, options_.random);
  bool refreshed_after_401 = false;
  bool force_refresh = false;
  for (int attempt = 1;; ++attempt) {
    if (options_.stop.stop_requested()) co_return core::make_error(errc::cancelled, "stop requested");
    if (options_.on_progress) options_.on_progress();

    std::optional<core::error> failure;
    auto token = co_await tokens_.bearer(force_refresh);
    force_refresh = false;
    if (!token) {
      failure = token.error();
    } else {
      // Every table's requests share the user's limits: wait for a place among them.
      auto slot = co_await gate_.acquire();
      if (options_.stop.stop_requested()) co_return core::make_error(errc::cancelled, "stop requested");
      auto res = co_await http_.send(make_request(url, *token, track_changes, lookup_targets, page_size));
      if (!res) {
        failure = res.error();
      } else {
        ++stats_.requests_by_status[res->status];
        if (auto hint = dop_hint(*res)) gate_.observe_hint(*hint);
        auto checked = check_response(*res, std::chrono::system_clock::now(), options_.retry_after_cap);
        if (checked) {
          gate_.succeeded();
          co_return std::move(res->body);
        }
        failure = checked.error();
        if (failure->service_code == concurrency_limit_code) {
          gate_.lower();
          core::log::warn("dataverse.parallelism_lowered", {{"limit", gate_.limit()}, {"hint", gate_.target()},
                                                            {"error", failure->message}});
        }
      }
    }

    core::error e = std::move(*failure);
    std::chrono::milliseconds delay{0};
    switch (e.code) {
      case errc::unauthorized:
        // A token can be revoked or expire early; a second 401 with a fresh one is final.
        if (refreshed_after_401) co_return e;
        refreshed_after_401 = true;
        force_refresh = true;
        ++stats_.token_refreshes;
        break;
      case errc::throttled:
      case errc::server_busy:
      case errc::network:
      case errc::timeout:
        delay = e.retry_after ? std::chrono::milliseconds(std::min(*e.retry_after, options_.retry_after_cap))
                              : policy.delay(attempt - 1);
        break;
      default:
        co_return e;
    }
    if (attempt >= options_.max_attempts) {
      e.message += " (gave up after " + std::to_string(attempt) + " attempts)";
      co_return e;
    }

    core::log::warn("dataverse.retry", {{"reason", core::to_string(e.code)},
                                        {"attempt", attempt},
                                        {"max_attempts", options_.max_attempts},
                                        {"wait_ms", static_cast<std::int64_t>(delay.count())},
                                        {"status", e.http_status},
                                        {"error", e.message},
                                        {"link", core::log::fingerprint(url)}});
    ++stats_.retries_by_reason[core::to_string(e.code)];
    if (e.code == errc::throttled) stats_.throttle_wait_seconds += std::chrono::duration<double>(delay).count();
    // Service protection extends the penalty for every request sent early, and it counts per user:
    // no table sends anything until then.
    if (e.code == errc::throttled && e.retry_after) {
      gate_.pause_until(request_gate::clock::now() + delay);
      ++stats_.service_pauses;
    }
    if (delay > std::chrono::milliseconds{0}) {
      if (options_.on_progress) options_.on_progress();
      co_await wait(delay);
      if (options_.on_progress) options_.on_progress();
    }
  }
}

asio::awaitable<void> client::wait(std::chrono::milliseconds d) {
  if (options_.sleep) {
    co_await options_.sleep(d);
    co_return;
  }
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  // request_stop() runs on the io_context thread (signal handlers do), so cancel() is safe here.
  std::stop_callback on_stop(options_.stop, [&timer] { timer.cancel(); });
  // A stop requested before the callback existed cancelled nothing: do not start the wait.
  if (options_.stop.stop_requested()) co_return;
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<core::result<std::int64_t>> client::total_record_count(std::string logical_name) {
  // A collection parameter is passed by alias, its value a JSON array (percent-encoded here).
  auto body = co_await fetch(options_.api_root + "/RetrieveTotalRecordCount(EntityNames=@p1)?@p1=%5B%22" + logical_name + "%22%5D",
                             false, false, 0);
  if (!body) co_return body.error();
  boost::system::error_code ec;
  json::value const doc = json::parse(*body, ec);
  if (!ec && doc.is_object())
    if (auto const* c = doc.get_object().if_contains("EntityRecordCountCollection"); c != nullptr && c->is_object()) {
      auto const* keys = c->get_object().if_contains("Keys");
      auto const* values = c->get_object().if_contains("Values");
      if (keys && values && keys->is_array() && values->is_array() && keys->get_array().size() == values->get_array().size())
        for (std::size_t i = 0; i < keys->get_array().size(); ++i) {
          auto const& k = keys->get_array()[i];
          auto const& v = values->get_array()[i];
          if (k.is_string() && k.get_string() == logical_name && v.is_int64() && v.get_int64() >= 0) co_return v.get_int64();
        }
    }
  co_return core::make_error(errc::protocol, "RetrieveTotalRecordCount's answer has no count for " + logical_name);
}

asio::awaitable<core::result<int>> client::change_tracking_retention_days() {
  auto body = co_await fetch(options_.api_root + "/organizations?$select=expirechangetrackingindays", false, false, 0);
  if (!body) co_return body.error();

  boost::system::error_code ec;
  json::value const doc = json::parse(*body, ec);
  json::value const* days = nullptr;
  if (!ec && doc.is_object()) {
    if (auto const* value = doc.get_object().if_contains("value"); value != nullptr && value->is_array() &&
                                                                   !value->get_array().empty() &&
                                                                   value->get_array().front().is_object()) {
      days = value->get_array().front().get_object().if_contains("expirechangetrackingindays");
    }
  }
  if (days == nullptr || !days->is_int64() || days->get_int64() < 0 || days->get_int64() > 100000) {
    co_return core::make_error(errc::protocol, "organizations answer has no expirechangetrackingindays number");
  }
  co_return static_cast<int>(days->get_int64());
}

}  // namespace dvsync::dataverse
