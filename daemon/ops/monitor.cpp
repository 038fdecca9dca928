#include "ops/monitor.hpp"

#include <algorithm>

namespace dvsync::ops {
namespace {

std::vector<std::string> table_names(config::settings const& s) {
  std::vector<std::string> out;
  for (auto const& t : s.tables) out.push_back(t.table);
  return out;
}

http_reply probe(verdict const& v) { return {v.ok ? 200 : 503, "text/plain; charset=utf-8", v.reason + "\n"}; }

// The wait between cycles that liveness and the watchdog must allow: the longest of every table's.
config::sync_settings longest_waits(config::settings const& s) {
  auto sync = s.sync;
  for (auto const& t : s.tables)
    if (t.interval) sync.interval = std::max(sync.interval, *t.interval);
  return sync;
}

}  // namespace

monitor::monitor(config::settings const& s, std::string version, steady::time_point started)
    : metrics_(table_names(s), std::move(version)), limits_(limits_for(longest_waits(s))), last_progress_(started) {
  // Readiness: three of each table's own intervals.
  limits_.readiness = limits_for(s.sync).readiness;
  for (auto const& t : s.tables)
    if (t.interval) {
      auto sync = s.sync;
      sync.interval = *t.interval;
      own_readiness_[t.table] = limits_for(sync).readiness;
    }
}

verdict monitor::live(steady::time_point now) const { return liveness(now - last_progress_, limits_.liveness); }

verdict monitor::ready(std::int64_t now_unix) const {
  auto tables = metrics_.freshness();
  for (auto& t : tables)
    if (auto it = own_readiness_.find(t.table); it != own_readiness_.end()) t.limit = it->second;
  return readiness(tables, now_unix, limits_.readiness);
}

http_reply monitor::respond(std::string_view method, std::string_view target, std::int64_t now_unix,
                            steady::time_point now) const {
  auto path = target.substr(0, target.find('?'));
  bool const known = path == "/metrics" || path == "/healthz" || path == "/readyz";
  if (!known) return {404, "text/plain; charset=utf-8", "not found: try /metrics, /healthz or /readyz\n"};
  if (method != "GET" && method != "HEAD") return {405, "text/plain; charset=utf-8", "use GET\n"};
  if (path == "/healthz") return probe(live(now));
  if (path == "/readyz") return probe(ready(now_unix));
  return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_.render(now_unix)};
}

}  // namespace dvsync::ops
