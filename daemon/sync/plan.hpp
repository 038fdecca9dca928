#pragma once
// What the next cycle of one table does, decided from what the database remembers alone.
// Pure: no I/O, so every branch is unit-tested.
#include "store/state.hpp"

#include <optional>
#include <string>

namespace dvsync::sync {

using store::cycle_kind;

// The parts of a table's stored state that decide the next cycle.
struct remembered {
  std::optional<std::string> delta_link;      // the last complete cycle's link
  std::optional<cycle_kind> in_progress;      // a cycle that started and has not finished
  std::string in_progress_reason;
  std::optional<std::string> cursor;          // the nextLink to fetch next within that cycle
  bool resync_requested = false;
  std::string resync_reason;
};

struct plan {
  cycle_kind kind = cycle_kind::full;
  std::string reason;     // initial, manual, token_expired, cursor_refused, delta
  std::string url;        // the first URL to GET
  bool begin = true;      // start a new cycle (clears staging); false when resuming
  bool resuming = false;  // url is a saved cursor from an interrupted cycle
};

plan make_plan(remembered const& state, std::string const& initial_url);

// The running cycle read again from its beginning (a fallback): a full read from the initial URL,
// for the same reason; a delta from the stored link.
plan from_the_beginning(plan const& running, std::optional<std::string> const& delta_link, std::string const& initial_url);

}  // namespace dvsync::sync
