#pragma once
// When the daemon counts as alive, ready and at risk, decided by pure functions of the
// configuration and of times passed in, so every threshold is tested without waiting.
//
// The loop reports progress at every step that a healthy loop finishes in bounded time: a cycle
// begins or ends, a request attempt starts, a page arrives, a retry wait starts or ends, the wait
// between cycles begins. The longest legitimate gap between two of them is therefore the longest
// single step: the wait between cycles (interval_s), a retry wait (retry_after_cap_s or
// backoff_cap_s), or one attempt (a token request and the request itself, each bounded by
// request_timeout_s). docs/OPERATIONS.md states the same rule for operators.
#include "config/settings.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dvsync::ops {

struct limits {
  std::chrono::seconds longest_step{0};    // the longest legitimate gap between two progress reports
  std::chrono::seconds watchdog_stall{0};  // WATCHDOG=1 stops once progress is older than this
  std::chrono::seconds liveness{0};        // /healthz fails once progress is older than this
  std::chrono::seconds readiness{0};       // /readyz fails once a table's last success is older than this
};

// Room for what no deadline bounds: database commits (the merge that ends a large cycle), a busy
// machine.
inline constexpr std::chrono::seconds watchdog_margin{60};

// longest_step = max(interval, retry_after_cap, backoff_cap, 2 x request_timeout);
// watchdog_stall = longest_step + watchdog_margin; liveness = 2 x interval + longest_step;
// readiness = 3 x interval.
limits limits_for(config::sync_settings const& s);

struct verdict {
  bool ok = false;
  std::string reason;  // one line, for the probe's body and `dvsync healthcheck`
};

verdict liveness(std::chrono::steady_clock::duration since_progress, std::chrono::seconds limit);

struct table_freshness {
  std::string table;
  std::optional<std::int64_t> last_success_at;  // unix seconds; none: the initial sync has not finished
  std::optional<std::chrono::seconds> limit = {};  // this table's own (3 x its interval_s); none: the common one
};

// Ready when every table finished its initial sync and last succeeded less than `limit` ago.
verdict readiness(std::vector<table_freshness> const& tables, std::int64_t now, std::chrono::seconds limit);

// Dataverse forgets a delta link retention_days after it was issued; the next cycle is then a full
// resync. Warn once the link is older than half of that, while a successful delta still saves it.
// No warning while either value is unknown.
bool token_expiry_warning(std::optional<std::int64_t> token_age_s, std::optional<int> retention_days);

}  // namespace dvsync::ops
