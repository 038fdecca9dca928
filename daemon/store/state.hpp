#pragma once
// What the database remembers about each mirror table (dvsync_table_state), and the status view
// of it that `dvsync status` prints. Times are unix seconds.
#include <cstdint>
#include <optional>
#include <string>

namespace dvsync::store {

enum class cycle_kind {
  full = 1,  // a tracked read of the whole table into the shadow table
  delta,     // the changes since the stored delta link, through the stage table
};

const char* to_string(cycle_kind k);  // "full", "delta"

struct table_state {
  std::string table;
  std::string entity_set;
  std::optional<std::string> delta_link;            // the last complete cycle's link; none: never synced
  std::optional<std::int64_t> delta_link_at;
  std::optional<::dvsync::store::cycle_kind> cycle_kind;  // the cycle in progress, if any
  std::string cycle_reason;                         // initial, manual, token_expired, delta, ...
  std::optional<std::string> cursor;                // nextLink to fetch next; none: the cycle's first URL
  std::optional<std::int64_t> cycle_started_at;
  std::int64_t pages_staged = 0;
  bool resync_requested = false;                    // the next cycle is a full resync
  std::string resync_reason;
  std::optional<std::int64_t> last_attempt_at;
  std::optional<std::int64_t> last_success_at;
  std::optional<std::string> last_error;            // cleared by the next successful cycle
  std::optional<std::int64_t> last_error_at;
  std::int64_t last_cycle_upserts = 0;
  std::int64_t last_cycle_deletes = 0;
  std::int64_t last_cycle_rejects = 0;
  std::int64_t last_cycle_pages = 0;
  std::int64_t full_resyncs = 0;                    // full cycles that replaced an already synced mirror
  bool change_feed = false;                         // as the configuration said at its last cycle
  std::optional<std::int64_t> feed_last_seq;        // dvsync_feed.seq of its last change fed
  std::optional<std::int64_t> mirror_rows;          // as the last cycle's commit left them; none: not known
  std::int64_t rows_staged = 0;                     // rows of the pages staged by the cycle in progress
  std::optional<std::int64_t> rows_expected;        // the service's estimate of the table's rows
  // When the service lost the delta link of a read that asked for lookup targets; set: reads no
  // longer ask (until a requested resync).
  std::optional<std::int64_t> lookup_targets_lost_at;
};

enum class phase {
  never_synced = 1,  // no delta link and no cycle in progress
  initial,           // the first full read is in progress
  resuming,          // a cycle is in progress over an already synced mirror
  idle,              // synced, nothing in progress
};

const char* to_string(phase p);  // "never synced", "initial", "resuming", "idle"

phase phase_of(table_state const& s);

// One table as `dvsync status` shows it. Leaves out the delta link, which is a credential-like
// secret of the mirror.
struct table_status {
  std::string table;
  std::string entity_set;
  std::int64_t rows = 0;
  std::int64_t rejects = 0;
  ::dvsync::store::phase phase = ::dvsync::store::phase::never_synced;
  std::optional<::dvsync::store::cycle_kind> cycle_kind;
  std::string cycle_reason;
  std::int64_t pages_staged = 0;
  std::int64_t rows_staged = 0;
  std::optional<std::int64_t> rows_expected;
  std::optional<std::int64_t> cycle_started_at;
  bool resync_requested = false;
  std::optional<std::int64_t> last_attempt_at;
  std::optional<std::int64_t> last_success_at;
  std::optional<std::string> last_error;
  std::optional<std::int64_t> last_error_at;
  std::optional<std::int64_t> token_age_s;  // now - delta_link_at
  std::int64_t last_cycle_upserts = 0;
  std::int64_t last_cycle_deletes = 0;
  std::int64_t last_cycle_rejects = 0;
  std::int64_t last_cycle_pages = 0;
  std::int64_t full_resyncs = 0;
  bool change_feed = false;
  std::optional<std::int64_t> feed_last_seq;
  std::optional<std::int64_t> lookup_targets_lost_at;
};

// The counts of a finished cycle. Upserts: rows written to the mirror (after duplicates within
// the cycle collapsed). Deletes: for a delta, the delete entries received; for a full cycle, the
// mirror rows the read did not return, which it removed. Rows: rows in the mirror afterwards.
struct cycle_totals {
  std::int64_t upserts = 0;
  std::int64_t deletes = 0;
  std::int64_t rejects = 0;
  std::int64_t rows = 0;
};

}  // namespace dvsync::store
