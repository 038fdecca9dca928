#pragma once
// What a cycle's merge changed in a mirror table, for what is kept besides the mirror: the change
// feed (dvsync_feed), the soft-delete table (<table>_all) and the history table
// (<table>_history). While a delta is merged, temporary triggers of the writer's connection record
// every row it inserts, updates or deletes in temp.dvsync_changes; a full cycle swaps a new table
// in instead of changing rows, so the difference between the two tables is recorded instead.
// Before the cycle commits, the changes are applied to the feed and the mode's table, in the same
// transaction as the mirror and the delta link, then forgotten.
//
// The temporary triggers and table belong to the writer's connection alone: nothing appears in the
// schema that readers see, and a change made to the mirror by hand is not fed.
#include "config/table_spec.hpp"
#include "core/error.hpp"
#include "store/sqlite.hpp"
#include "store/table_layout.hpp"

#include <cstdint>
#include <string>

namespace dvsync::store {

// Whether anything besides the mirror follows the table's changes.
bool captures_changes(config::table_spec const& spec);

// The mode's table (<table>_all or <table>_history), or empty for mode mirror.
std::string mode_table_name(config::table_spec const& spec);

// Makes the mode's table when missing, filled from the mirror as it is (each row valid from
// `now`), and adds the mirror's columns it lacks: a mode's table only gains columns, so that rows
// kept from before a column was removed keep their values. A table that exists but was not `kept`
// (the mode was off for some commits) is brought up to the mirror as it is: rows gone are closed
// or marked deleted at `now`, rows new or different are added as of `now`.
core::result<void> ensure_mode_table(connection& c, table_layout const& l, config::table_spec const& spec,
                                     std::int64_t now, bool kept);

// Around a delta's merge: the triggers that record its changes. Made again each time, as the
// columns may have changed since the last cycle.
core::result<void> start_capture(connection& c, table_layout const& l);
core::result<void> stop_capture(connection& c, table_layout const& l);

// After a full cycle's swap: records the difference between the mirror before, kept under
// `old_name`, and the mirror now (ids gone: delete; rows new or different: upsert).
core::result<void> capture_difference(connection& c, table_layout const& l, std::string const& old_name);

// Applies the recorded changes to the feed and the mode's table, prunes the feed rows up to the
// last one committed before `feed_cutoff` (every table's), and forgets the changes.
core::result<void> apply_changes(connection& c, table_layout const& l, config::table_spec const& spec,
                                 std::int64_t now, std::int64_t feed_cutoff);

}  // namespace dvsync::store
