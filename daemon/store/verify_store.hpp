#pragma once
// What `dvsync verify` keeps in the database: a copy of one table's ids and versions as of one
// committed cycle, the ids and versions the source returned (with --values, its rows too, in a
// table with the mirror's columns and declared types, so that each value is stored as the mirror
// stores it), the ids changed in the source since that cycle's delta link, all in TEMP tables of the verifying connection (on disk, never seen by
// another connection, gone with it); the comparison of these by SQL; the repair of the rows that
// drifted; and the outcome of the last verify of each table (dvsync_verify), which the daemon
// exports as metrics.
#include "config/table_spec.hpp"
#include "core/error.hpp"
#include "dataverse/page.hpp"
#include "store/table_layout.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dvsync::store {

class database;

// The mirror as the verify copied it, in the read snapshot of one commit.
struct verify_baseline {
  std::string delta_link;                 // the link that describes the copy; empty: never synced
  std::int64_t mirror_rows = 0;           // rows copied: the mirror's and its rejects'
  bool full_resync_pending = false;       // a full cycle is in progress or requested: it replaces the table
  std::string full_resync_reason;
  bool columns_match = true;              // the mirror has the configured columns (rows can be written)
  bool values = false;                    // the rows' values are compared too (asked, columns_match, and
                                          // no full resync pending: it replaces the table)
  bool lookup_targets_lost = false;       // the table's reads no longer ask for lookup targets
};

enum class drift_kind { missing = 1, extra, stale, altered };
char const* to_string(drift_kind k);  // "missing", "extra", "stale", "altered"

struct drift_counts {
  std::int64_t missing = 0;  // in the source, not in the mirror (nor its rejects)
  std::int64_t extra = 0;    // in the mirror (or its rejects), not in the source
  std::int64_t stale = 0;    // in both, with another version
  std::int64_t altered = 0;  // in both, with the same version and other values (compared with --values only)
  std::int64_t total() const { return missing + extra + stale + altered; }
  friend bool operator==(drift_counts const&, drift_counts const&) = default;
};

struct drift_example {
  drift_kind kind = drift_kind::missing;
  std::string id;
  std::optional<std::int64_t> mirror_version;  // none for a missing row
  std::optional<std::int64_t> source_version;  // none for an extra row
  std::vector<std::string> columns;            // altered: the mirror's columns whose values differ
};

struct drift {
  drift_counts counts;
  std::vector<drift_example> missing, extra, stale, altered;  // the first few of each, by id
};

// The rows a repair wrote: upserted (fetched from the source), rejected (fetched, and kept in
// dvsync_rejects), deleted (gone from the source).
struct repair_totals {
  std::int64_t upserted = 0;
  std::int64_t rejected = 0;
  std::int64_t deleted = 0;
  std::int64_t rows = 0;  // the mirror's rows afterwards
};

// What --fix did about a table's drift.
enum class fix_action {
  none = 1,          // no --fix, or no drift
  repaired,          // the drifted rows were fetched by id and written
  resync_requested,  // request_resync: the next cycle re-reads the whole table
  resync_pending,    // a full resync was already pending; it replaces the table
};
char const* to_string(fix_action a);  // "none", "repaired", "resync_requested", "resync_pending"

// One row of dvsync_verify: the last verify of a table that completed.
struct verify_outcome {
  std::string table;
  std::int64_t finished_at = 0;  // unix seconds
  std::int64_t duration_ms = 0;
  std::int64_t source_rows = 0;
  std::int64_t mirror_rows = 0;
  drift_counts drift;
  std::int64_t pending = 0;      // differences explained by changes since the delta link
  fix_action fix = fix_action::none;
  bool values = false;           // the values were compared (--values), not only ids and versions
};

// Works on an open database's connection; one table at a time (begin() starts over).
class verify_store {
 public:
  explicit verify_store(database& db) : db_(db) {}

  // Creates the working tables afresh and copies into them, in one read snapshot, the mirror's
  // ids and versions, its rejects' and its delta link. A table whose mirror does not exist yet
  // copies nothing and has no delta link. `values`: the source's rows will be compared value by
  // value too (baseline.values says whether they can be: not while the mirror's columns differ
  // from the configured ones, as the next full cycle rebuilds it).
  core::result<verify_baseline> begin(config::table_spec const& spec, bool values = false);
  // The ids and versions of one page of the source's rows (a row read twice keeps its last version).
  core::result<void> add_source(dataverse::page const& page);
  // The rows of one page of the source, read whole, when values are compared (baseline.values):
  // each bound as the mirror's merge binds it, into a table with the mirror's declared types, so
  // that a value compares equal exactly when the merge would have stored the same.
  core::result<void> add_rows(dataverse::page const& page);
  // The ids of one page of the changes since the delta link (upserts and deletes), or of rows
  // seen changing since (deletes): left out of the comparison.
  core::result<void> add_changed(dataverse::page const& page);
  core::result<std::int64_t> source_rows();
  // The working tables' size on disk (SQLite's temp files, in SQLITE_TMPDIR, TMPDIR or /var/tmp).
  core::result<std::int64_t> working_bytes();
  // Source against copy, leaving out ids changed since the delta link; `examples` of each kind.
  // Altered rows are those whose version the source, the copy and the mirror as it is now agree on,
  // and whose values differ: an edit of the mirror by hand, or a bug. (A row the daemon has changed
  // since the copy is stale or pending, never altered.)
  core::result<drift> compare(std::size_t examples);
  // The rows of the drift compare() counts, missing then stale then altered then extra, at most
  // `limit`, each with the version the source returned (none for an extra row).
  core::result<std::vector<drift_example>> drifted(std::size_t limit);
  // Drops the working tables.
  core::result<void> end();

  // Writes, in one transaction through the mirror's own statements, the rows fetched from the
  // source (`fetched`: upserts, and rejects for rows that cannot enter the mirror) and deletes the
  // rows of `gone`; records the mirror's new row count. The delta link is left as it is: rows newer
  // than it come again in the next delta, which applies them once more (DESIGN.md decision 5). The
  // transaction fails (errc::database) and writes nothing when the stored delta link is no longer
  // `delta_link`: a cycle committed after the verify read the mirror.
  core::result<repair_totals> repair(config::table_spec const& spec, dataverse::page const& fetched,
                                     std::vector<std::string> const& gone, std::string const& delta_link,
                                     std::int64_t now);

  core::result<void> record(verify_outcome const& outcome);
  // Every table's last verify, by table name.
  core::result<std::vector<verify_outcome>> last_outcomes();

 private:
  database& db_;
  // Set by begin() when values are compared: the table, and the columns compared.
  struct values_plan {
    table_layout layout;
    std::vector<std::string> compared;
  };
  std::optional<values_plan> values_;
};

}  // namespace dvsync::store
