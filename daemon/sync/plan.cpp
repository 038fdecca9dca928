#include "sync/plan.hpp"

namespace dvsync::sync {

plan make_plan(remembered const& s, std::string const& initial_url) {
  if (s.in_progress) {
    // An interrupted cycle resumes from the page after the last one it committed.
    if (s.cursor) return {*s.in_progress, s.in_progress_reason, *s.cursor, false, true};
    // Interrupted before its first page committed: nothing staged, start it again.
    if (*s.in_progress == cycle_kind::delta && s.delta_link)
      return {cycle_kind::delta, "delta", *s.delta_link, true, false};
    return {cycle_kind::full, s.in_progress_reason.empty() ? "initial" : s.in_progress_reason, initial_url, true, false};
  }
  if (s.resync_requested) return {cycle_kind::full, s.resync_reason.empty() ? "manual" : s.resync_reason, initial_url, true, false};
  if (!s.delta_link) return {cycle_kind::full, "initial", initial_url, true, false};
  return {cycle_kind::delta, "delta", *s.delta_link, true, false};
}

plan from_the_beginning(plan const& running, std::optional<std::string> const& delta_link, std::string const& initial_url) {
  // Not made again from the state: a full read after an expired token leaves that token stored.
  if (running.kind == cycle_kind::delta && delta_link) return {cycle_kind::delta, "delta", *delta_link, true, false};
  return {cycle_kind::full, running.reason.empty() ? "initial" : running.reason, initial_url, true, false};
}

}  // namespace dvsync::sync
