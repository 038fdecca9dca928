#include "ops/monitor.hpp"

namespace dvsync::ops {
namespace {

std::vector<std::string> table_names(config::settings const& s) {
  std::vector<std::string> out;
  for (auto const& t : s.tables) out.push_back(t.table);
  return out;
}

http_reply probe(verdict const& v) { return {v.ok ? 200 : 503, "text/plain; charset=utf-8", v.reason + "\n"}; }

}  // namespace

monitor::monitor(config::settings const& s, std::string version, steady::time_point started)
    : metrics_(table_names(s), std::move(version)), limits_(limits_for(s.sync)), last_progress_(started) {}

verdict monitor::live(steady::time_point now) const { return liveness(now - last_progress_, limits_.liveness); }

verdict monitor::ready(std::int64_t now_unix) const { return readiness(metrics_.freshness(), now_unix, limits_.readiness); }

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
