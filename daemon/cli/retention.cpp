#include "cli/retention.hpp"

#include "cli/runtime.hpp"
#include "core/log.hpp"
#include "dataverse/client.hpp"
#include "ops/health.hpp"
#include "store/database.hpp"

namespace dvsync::cli {
namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

boost::asio::awaitable<void> refresh_retention_and_warn(runtime& rt) {
  auto& db = rt.database();
  auto checked = db.change_retention_checked_at();
  auto const period_s = std::chrono::duration_cast<std::chrono::seconds>(retention_check_period).count();
  if (checked && (!*checked || unix_now() - **checked >= period_s)) {
    auto days = co_await rt.dataverse().change_tracking_retention_days();
    if (days) {
      if (auto stored = db.record_change_retention(*days, unix_now()); !stored)
        core::log::warn("token.retention_not_stored", {{"error", stored.error().message}});
      else
        core::log::info("token.retention", {{"retention_days", *days}});
    } else if (days.error().code != core::errc::cancelled) {
      core::log::warn("token.retention_unknown", {{"error", days.error().message}});
    }
  }

  auto retention = db.change_retention_days();
  if (!retention || !*retention) co_return;
  auto const now = unix_now();
  auto tables = db.read_status(now);
  if (!tables) co_return;
  for (auto const& t : *tables)
    if (ops::token_expiry_warning(t.token_age_s, *retention)) log_expiry_warning({t.table, *t.token_age_s, **retention});
}

void log_expiry_warning(ops::expiry_warning const& w) {
  core::log::warn("token.expiry_warning",
                  {{"table", w.table}, {"token_age_s", w.token_age_s}, {"retention_days", w.retention_days},
                   {"expires_in_s", std::int64_t{w.retention_days} * 86400 - w.token_age_s},
                   {"note", "the delta link is past half its retention; once it expires the next cycle is a full resync"}});
}

}  // namespace dvsync::cli
