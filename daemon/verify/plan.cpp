#include "verify/plan.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dvsync::verify {

std::int64_t repair_limit(std::int64_t source_rows) {
  return std::clamp<std::int64_t>(source_rows / 10, 10, 1000);
}

fix_decision decide_fix(fix_inputs const& in) {
  using store::fix_action;
  if (in.drifted <= 0) return {fix_action::none, "no drift"};
  if (in.full_resync_pending)
    return {fix_action::resync_pending, in.full_resync_reason + "; it replaces the whole table, drift included"};
  if (!in.lock_held)
    return {fix_action::resync_requested,
            fmt::format("{}: rows are not written beside a running daemon's cycles; it re-reads the whole table at "
                        "its next cycle",
                        in.lock_problem)};
  if (!in.columns_match)
    return {fix_action::resync_requested,
            "the mirror's columns differ from the table's: the full read that rebuilds it with the new columns "
            "repairs the drift"};
  auto const limit = repair_limit(in.source_rows);
  if (in.drifted > limit)
    return {fix_action::resync_requested,
            fmt::format("{} rows drifted, more than the {} a repair fetches by id; the next cycle (dvsync once, or "
                        "the daemon) re-reads the whole table",
                        in.drifted, limit)};
  return {fix_action::repaired, fmt::format("{} rows fetched by id and written in one transaction", in.drifted)};
}

}  // namespace dvsync::verify
