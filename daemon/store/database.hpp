#pragma once
// The mirror database: one SQLite file holding the mirror tables, their delta links and the
// staged pages of cycles in progress. The daemon is its only writer; readers open it read-only.
//
// A cycle is begin_cycle, any number of stage_page (each commits one page with the cursor to
// fetch next), then finish_cycle, which merges everything staged and stores the new delta link in
// one commit: readers see the mirror as of one complete cycle or the next, never in between.
// Member functions are defined by job: database.cpp (opening, lock, maintenance), mirror.cpp
// (tables and cycles), state.cpp (state and status).
//
// The public functions may be called from more than one thread: each runs alone (each is one whole
// transaction), so the sync engine can stage a page on a thread of its own while the io thread
// records state.
#include "config/settings.hpp"
#include "core/error.hpp"
#include "dataverse/page.hpp"
#include "store/file_lock.hpp"
#include "store/sqlite.hpp"
#include "store/state.hpp"
#include "store/table_layout.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace dvsync::store {

// What the daemon's checkpoints have done since it opened the database, for the metrics.
struct checkpoint_counts {
  std::uint64_t complete = 0;      // every frame of the WAL copied into the database
  std::uint64_t incomplete = 0;    // a reader's snapshot (or a busy lock) kept some frames in the WAL
  std::uint64_t failed = 0;        // SQLite refused the checkpoint (an I/O error, say)
  std::uint64_t frames_pending = 0;  // frames the last checkpoint left in the WAL
};

class database {
 public:
  // Creates the parent directory (0750) and the file (0640) when missing, sets WAL, synchronous,
  // busy timeout, foreign keys, defensive mode, and applies pending schema migrations, each in
  // its own transaction.
  static core::result<database> open(config::database_settings const& settings);
  // For readers such as `dvsync status`: `file:...?mode=ro`, creates nothing, and fails with
  // errc::io when the file does not exist.
  static core::result<database> open_read_only(std::string const& path,
                                               std::chrono::milliseconds busy_timeout = std::chrono::milliseconds{5000});

  database(database&&) noexcept;
  database& operator=(database&&) noexcept;
  ~database();

  // Single writer: errc::locked (naming the holder's PID) when another process holds the lock.
  // Held until this object is destroyed; calling it again is a no-op.
  core::result<void> acquire_lock();

  // --- mirror tables and cycles (mirror.cpp) ---

  // Creates the mirror table and its state row when missing. When the mirror exists with other
  // columns (the table's columns changed in Dataverse or in the configuration), the next cycle is a
  // full read that builds the new table beside the old one (resync reason columns_changed), and a
  // cycle whose working tables were made for other columns starts again. errc::config_invalid when
  // the state names another entity set. If the mirror table had been dropped, its delta link is
  // forgotten: the next cycle is a full read.
  core::result<void> ensure_table(config::table_spec const& spec);

  // Starts a cycle (ensuring the table first): discards anything staged, creates the empty shadow,
  // side and stage of a full cycle (a delta's stage is made by its first page), records kind and
  // reason; the cursor is cleared.
  core::result<void> begin_cycle(config::table_spec const& spec, cycle_kind kind, std::string reason);
  // Stages one page and stores `next_link` as the cursor, in one commit.
  core::result<void> stage_page(config::table_spec const& spec, dataverse::page const& page,
                                std::string const& next_link);
  // Stages the last page, merges the cycle into the mirror, stores the delta link, clears the
  // cycle, in one commit. A full cycle replaces the mirror (rows the read did not return are gone)
  // and its rejects; a delta applies deletes, rejects and upserts (ascending version).
  core::result<cycle_totals> finish_cycle(config::table_spec const& spec, dataverse::page const& last_page,
                                          std::string const& delta_link, std::int64_t now);
  // Discards what the cycle in progress staged and forgets it; mirror and delta link stay.
  core::result<void> abandon_cycle(config::table_spec const& spec);
  // Whether the pages a cycle of `kind` has staged are still there: false when its working tables
  // are gone (dropped by hand), and the cycle must start again instead of resuming.
  core::result<bool> staging_intact(config::table_spec const& spec, cycle_kind kind);

  // --- choice labels (labels.cpp) ---

  // Replaces the table's labels and its view "<table>_labeled" (each choice column followed by
  // <column>_label; a multi-select's labels joined by ", "), in one commit. The view is made
  // only while the mirror has the table's columns; a migration's final commit makes it then.
  core::result<void> store_choice_labels(config::table_spec const& spec, std::vector<config::choice_label> const& labels);

  // --- state and status (state.cpp) ---

  // A table without a state row yet reads as never synced.
  core::result<table_state> load_state(std::string const& table);
  // The next cycle of the table becomes a full resync (kept until a full cycle finishes).
  // False when the table has no state yet: its first cycle is a full read anyway.
  core::result<bool> request_resync(std::string const& table, std::string const& reason);
  // Short transactions of their own; they never touch mirror data, staging or links.
  core::result<void> record_attempt(std::string const& table, std::int64_t now);
  // The service's estimate of the rows of the table whose full read is in progress (progress, ETA).
  core::result<void> record_rows_expected(std::string const& table, std::int64_t rows);
  // The service lost the delta link of a read that asked for lookup targets: the table's reads
  // stop asking until a resync is requested.
  core::result<void> record_lookup_targets_lost(std::string const& table, std::int64_t now);
  core::result<void> record_failure(std::string const& table, std::string const& message, std::int64_t now);
  // Every table with state, by name, read in one snapshot.
  core::result<std::vector<table_status>> read_status(std::int64_t now);
  // Organization.expirechangetrackingindays as last read from Dataverse; none until first read.
  core::result<void> record_change_retention(int days, std::int64_t now);
  core::result<std::optional<int>> change_retention_days();
  // When it was last read (unix seconds); none until first read.
  core::result<std::optional<std::int64_t>> change_retention_checked_at();

  // --- maintenance (database.cpp) ---

  core::result<std::uint64_t> wal_bytes() const;
  core::result<std::string> integrity_check();  // "ok" when healthy
  // For idle time: copies the WAL into the database and truncates it, without waiting for readers
  // (complete=false when a reader kept it from finishing).
  core::result<connection::checkpoint_outcome> checkpoint_truncate();
  // The checkpoint that a cycle's final commit leaves to be run after it (PASSIVE: readers go on);
  // none when no cycle committed data since the last one. A reader that holds one snapshot keeps
  // it from finishing and the WAL grows: after 5 such checkpoints in a row (and every 60 after)
  // it warns, store.checkpoint_held_back, and says when it catches up.
  core::result<std::optional<connection::checkpoint_outcome>> checkpoint_after_cycle();
  // Whether checkpoint_after_cycle has work (an idle poll leaves none).
  bool checkpoint_due() {
    auto const one_at_a_time = serialize();
    return checkpoint_due_;
  }
  // Counts of checkpoint_after_cycle and checkpoint_truncate outcomes. Never waits for the
  // database: a scrape must not queue behind a page being staged.
  checkpoint_counts checkpoints() const;

  std::string const& path() const { return path_; }

 private:
  // `dvsync verify`'s working tables and repairs live on this connection (store/verify_store.hpp).
  friend class verify_store;

  // The statements that stage the pages of one table's cycle: prepared at its first page and
  // reused until the cycle ends or its tables are rebuilt.
  struct page_writer;

  database(std::string path, connection conn);
  core::result<page_writer*> writer_for(config::table_spec const& spec, cycle_kind kind);
  core::result<std::optional<cycle_kind>> cycle_in_progress(std::string const& table);
  core::result<void> stage_rows(page_writer& w, config::table_spec const& spec, dataverse::page const& page);
  core::result<void> advance_cursor(std::string const& table, std::string const& next_link, std::int64_t rows);
  // Drops and makes again the table's labeled view when it has choice columns; none otherwise.
  core::result<void> make_labeled_view(config::table_spec const& spec);
  // The mirror's row count: remembered, else as the last cycle stored it, else counted.
  core::result<std::int64_t> mirror_rows(table_layout const& layout);
  // Sets the durability of the next commits, outside any transaction. Commits that change no
  // mirror data (bookkeeping, staged pages, the end of an idle poll) skip the fsync of
  // synchronous=FULL: power loss may undo them, which leaves mirror, delta link and cursor as
  // consistent as before, and the next data commit syncs them too. Commits that change the mirror
  // keep the configured level (DESIGN.md decision 7).
  core::result<void> durability(bool changes_data);
  // Held for the whole of each public function; recursive, as some call others.
  std::unique_lock<std::recursive_mutex> serialize() { return std::unique_lock(*mutex_); }

  // Declared first so that it is released last, after the connection has closed.
  std::optional<file_lock> lock_;
  std::string path_;
  connection conn_;
  std::unique_ptr<statement> read_cycle_kind_;
  std::unique_ptr<statement> advance_cursor_;
  std::map<std::string, std::unique_ptr<page_writer>> writers_;
  // Rows of each mirror table as this connection last committed them (it is the only writer):
  // status and the end of a delta cycle need no count(*), which reads the whole table.
  std::map<std::string, std::int64_t> mirror_rows_;
  bool synchronous_full_ = true;  // as configured
  std::chrono::seconds feed_retention_{7 * 86400};  // database.change_feed_retention_days
  bool relaxed_ = false;          // synchronous is NORMAL for now, FULL being configured
  bool checkpoint_due_ = false;   // a cycle committed data and left its checkpoint for later
  int checkpoints_held_back_ = 0; // after-cycle checkpoints in a row that a reader kept incomplete
  struct checkpoint_counters;      // atomics, read from any thread
  std::unique_ptr<checkpoint_counters> counters_;
  core::result<connection::checkpoint_outcome> counted(core::result<connection::checkpoint_outcome> outcome);
  std::unique_ptr<std::recursive_mutex> mutex_ = std::make_unique<std::recursive_mutex>();
};

}  // namespace dvsync::store
