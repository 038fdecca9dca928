#include "server/router.hpp"

#include "server/gzip.hpp"
#include "server/headers.hpp"

#include <boost/json.hpp>

namespace emulator {
namespace {

constexpr std::string_view control_prefix = "/_emulator/";
constexpr std::string_view web_api_prefix = "/api/data/";

http_response not_found(std::string_view origin, std::string_view target) {
  boost::json::object error;
  error["code"] = "";
  error["message"] = "No HTTP resource was found that matches the request URI '" + std::string(origin) +
                     std::string(target) + "'.";
  http_response r;
  r.status = 404;
  r.headers = {{"Content-Type", "application/json; charset=utf-8"}};
  r.body = boost::json::serialize(boost::json::object{{"error", std::move(error)}});
  return r;
}

http_response fault_response(fault const& f) {
  http_response r;
  r.status = *f.status;
  if (f.retry_after) r.headers.emplace_back("Retry-After", *f.retry_after);
  if (!f.content_type.empty()) {
    r.headers.emplace_back("Content-Type", f.content_type);
  } else if (!f.body.empty()) {
    r.headers.emplace_back("Content-Type", "application/json; odata.metadata=minimal");
  }
  r.body = f.body;
  return r;
}

}  // namespace

std::optional<std::string> token_path_tenant(std::string_view path) {
  constexpr std::string_view suffix = "/oauth2/v2.0/token";
  if (path.size() <= suffix.size() + 1 || path.front() != '/' || !path.ends_with(suffix)) return std::nullopt;
  auto tenant = path.substr(1, path.size() - suffix.size() - 1);
  if (tenant.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(tenant);
}

router::router(web_api& api, router_settings s)
    : api_(api),
      settings_(std::move(s)),
      tokens_(settings_.auth),
      faults_(),
      stats_(),
      control_(api_, tokens_, faults_, stats_) {}

router::client_limits& router::limits_of(std::string const& client) {
  auto [it, added] = limits_.try_emplace(client);
  if (added) {
    auto& l = it->second;
    if (settings_.throttle)
      l.requests.emplace(settings_.throttle->requests, std::chrono::seconds(settings_.throttle->window_s));
    if (settings_.execution_limit)
      l.execution.emplace(std::chrono::milliseconds(settings_.execution_limit->milliseconds),
                          std::chrono::seconds(settings_.execution_limit->window_s));
    if (settings_.max_concurrent) l.concurrency.emplace(*settings_.max_concurrent);
  }
  return it->second;
}

std::optional<http_response> router::protection_refusal(std::string const& client, clock::time_point now) {
  // The limits are per user: here, per application the bearer token was issued to. Without bearer
  // checks (--no-auth), callers without a known token count together as one.
  auto& l = limits_of(client);
  if (l.requests)
    if (auto wait = l.requests->admit(now)) return l.requests->rejection(*wait);
  if (l.execution)
    if (auto wait = l.execution->admit(now)) return l.execution->rejection(*wait);
  if (l.concurrency && !l.concurrency->enter()) return l.concurrency->rejection();
  return std::nullopt;
}

reply router::route(http_request const& r, clock::time_point now) {
  reply out;
  out.path = std::string(path_of(r.target));
  if (out.path.starts_with(control_prefix)) {
    out.counted = false;
    out.response = control_.handle(r);
    return out;
  }

  bool is_web_api = out.path.starts_with(web_api_prefix);
  if (is_web_api && settings_.check_bearer) {
    if (auto status = tokens_.check(r, now); status != bearer_status::valid) {
      out.response = token_issuer::unauthorized(status, r.origin);
      return out;
    }
  }
  if (is_web_api) {
    out.client = tokens_.holder(r);
    if (auto refused = protection_refusal(out.client, now)) {
      out.response = std::move(*refused);
      set_header(out.response.headers, "x-ms-dop-hint", std::to_string(settings_.dop_hint));
      return out;
    }
    out.in_progress = true;
    out.started = now;
  }

  auto f = faults_.take(r.method, r.target, joined_values(r.headers, "Prefer"));
  if (f) {
    out.delay = f->delay;
    if (f->reset) {
      out.reset = true;
      return out;
    }
  }
  if (f && f->status) {
    out.response = fault_response(*f);
  } else if (is_web_api) {
    out.response = api_.handle(r);
  } else if (auto tenant = token_path_tenant(out.path)) {
    out.response = tokens_.issue(r, *tenant, now);
  } else {
    out.response = not_found(r.origin, r.target);
  }

  if (is_web_api) set_header(out.response.headers, "x-ms-dop-hint", std::to_string(settings_.dop_hint));
  if (f && (f->drop_next_link || f->drop_delta_link))
    out.response.body = without_links(out.response.body, f->drop_next_link, f->drop_delta_link);
  if (f && f->wrong_types) out.response.body = with_wrong_types(out.response.body, *f->wrong_types);
  if (f && f->corrupt_json) out.response.body = corrupted_json(out.response.body);

  if (settings_.gzip && !out.response.body.empty()) {
    auto accept = header_value(r.headers, "Accept-Encoding");
    if (accept && accepts_gzip(*accept)) {
      out.response.body = gzip_compress(out.response.body);
      set_header(out.response.headers, "Content-Encoding", "gzip");
      set_header(out.response.headers, "Vary", "Accept-Encoding");
    }
  }
  if (f && f->truncate_after && *f->truncate_after < out.response.body.size()) out.truncate_after = f->truncate_after;
  return out;
}

void router::sent(reply const& r, std::uint64_t bytes) {
  if (r.in_progress) {
    auto& l = limits_of(r.client);
    if (l.concurrency) l.concurrency->leave();
    if (l.execution) l.execution->record(r.started, clock::now());
  }
  if (r.counted) stats_.record(r.path, r.reset ? status_connection_reset : r.response.status, bytes);
}

}  // namespace emulator
