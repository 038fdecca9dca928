#pragma once
// The organization's change-tracking retention (how long Dataverse keeps a delta link usable) and
// the warning for delta links past half of it, as `once` needs them: cron runs nothing else.
#include "ops/metrics.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>

namespace dvsync::cli {

class runtime;

// `run` reads the retention at start and then daily; `once` at most this often.
inline constexpr std::chrono::hours retention_check_period{24};

// Reads and stores the retention unless it was read within retention_check_period; then logs
// token.expiry_warning for each table whose delta link is past half of it. Failures are logged.
boost::asio::awaitable<void> refresh_retention_and_warn(runtime& rt);

// token.expiry_warning, as `run` and `once` log it.
void log_expiry_warning(ops::expiry_warning const& w);

}  // namespace dvsync::cli
