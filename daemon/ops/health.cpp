#include "ops/health.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dvsync::ops {

limits limits_for(config::sync_settings const& s) {
  limits l;
  l.longest_step = std::max({s.interval, s.retry_after_cap, s.backoff_cap, 2 * s.request_timeout});
  l.watchdog_stall = l.longest_step + watchdog_margin;
  l.liveness = 2 * s.interval + l.longest_step;
  l.readiness = 3 * s.interval;
  return l;
}

verdict liveness(std::chrono::steady_clock::duration since_progress, std::chrono::seconds limit) {
  auto const seconds = std::chrono::duration_cast<std::chrono::seconds>(since_progress).count();
  if (since_progress <= limit) return {true, fmt::format("alive: last progress {} s ago (limit {} s)", seconds, limit.count())};
  return {false, fmt::format("stalled: no progress for {} s (limit {} s)", seconds, limit.count())};
}

verdict readiness(std::vector<table_freshness> const& tables, std::int64_t now, std::chrono::seconds limit) {
  std::string problems;
  auto add = [&problems](std::string text) {
    if (!problems.empty()) problems += "; ";
    problems += text;
  };
  for (auto const& t : tables) {
    auto const own = t.limit.value_or(limit);
    if (!t.last_success_at)
      add(fmt::format("{}: initial sync not finished", t.table));
    else if (now - *t.last_success_at >= own.count())
      add(fmt::format("{}: last success {} s ago (limit {} s)", t.table, now - *t.last_success_at, own.count()));
  }
  if (!problems.empty()) return {false, "not ready: " + problems};
  return {true, fmt::format("ready: {} table(s) synced within {} s", tables.size(), limit.count())};
}

bool token_expiry_warning(std::optional<std::int64_t> token_age_s, std::optional<int> retention_days) {
  if (!token_age_s || !retention_days) return false;
  // Twice the age against the full retention: no rounding of odd seconds.
  return 2 * *token_age_s > std::int64_t{*retention_days} * 86400;
}

}  // namespace dvsync::ops
