#pragma once
// What the daemon knows about itself, and the answers of its HTTP endpoints: /metrics (Prometheus
// text), /healthz (the loop makes progress) and /readyz (every table synced recently). Time is
// passed in, so the answers are tested without a server or a clock.
#include "config/settings.hpp"
#include "ops/health.hpp"
#include "ops/http_server.hpp"
#include "ops/metrics.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace dvsync::ops {

class monitor {
 public:
  using steady = std::chrono::steady_clock;

  // Progress counts from `started`: a daemon that never gets going fails /healthz in time.
  monitor(config::settings const& s, std::string version, steady::time_point started);

  ops::metrics& metrics() { return metrics_; }
  ops::limits const& limits() const { return limits_; }

  void progress(steady::time_point now) { last_progress_ = now; }
  steady::time_point last_progress() const { return last_progress_; }

  verdict live(steady::time_point now) const;
  verdict ready(std::int64_t now_unix) const;

  // GET or HEAD of /metrics, /healthz, /readyz (a query string is ignored); 404 and 405 otherwise.
  http_reply respond(std::string_view method, std::string_view target, std::int64_t now_unix,
                     steady::time_point now) const;

 private:
  ops::metrics metrics_;
  ops::limits limits_;
  std::map<std::string, std::chrono::seconds> own_readiness_;  // tables with their own interval_s
  steady::time_point last_progress_;
};

}  // namespace dvsync::ops
