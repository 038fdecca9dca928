#pragma once
// `dvsync verify` for one table: an untracked paged read of every row's id and version (with
// --values, of every row whole), compared with a copy of the mirror's taken from one committed cycle; differences that the source's own
// changes since that cycle's delta link explain are left out (they are what the next cycle brings,
// not drift); with --fix, the drift is repaired by id or a full resync is requested (verify/plan.hpp).
//
// Why the delta link: the mirror is the source as of its last delta link, and the read happens
// later, while rows go on changing (and the daemon goes on committing). A row whose id the GET of
// that link returns changed after it, and the next cycle applies the change. The GET is a read:
// the link is neither stored nor changed, and it is asked for only when there are differences to
// explain. A row changed again while that GET pages is left out of its answer (its latest version
// is past the answer's window), so each remaining difference is read once more by id: a row whose
// version (or absence) is still what the untracked read saw has not changed since the link, and
// is drift; any other is changing now, and the next cycles bring it.
#include "config/settings.hpp"
#include "config/table_spec.hpp"
#include "dataverse/client.hpp"
#include "store/database.hpp"
#include "store/verify_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace dvsync::verify {

enum class table_status {
  no_drift = 1,
  drift,
  not_synced,  // never synced, or its first full read is in progress: nothing to compare with
  failed,      // the table could not be verified (the report's error says why)
};
char const* to_string(table_status s);  // "ok", "drift", "not_synced", "failed"

struct table_report {
  std::string table;
  table_status status = table_status::failed;
  std::string error;                 // failed, and the note of not_synced
  store::drift found;                // the drift, with examples
  std::int64_t pending = 0;          // differences explained by changes since the delta link
  std::int64_t source_rows = 0;
  std::int64_t mirror_rows = 0;      // the mirror's rows and rejects, as copied
  store::fix_action fix = store::fix_action::none;
  std::string fix_reason;
  std::optional<store::repair_totals> repaired;
  bool rechecked = true;             // false: too many differences to read each again by id (recheck_limit)
  bool values = false;               // the values were compared, not only ids and versions
  std::string values_note;           // values were asked for and not (all) compared: why
  std::uint64_t requests = 0;        // answers to this table's pages, delta and rows by id (retries included)
  std::int64_t duration_ms = 0;
};

struct fix_options {
  bool enabled = false;
  bool lock_held = false;
  std::string lock_problem;  // when not held: why
};

// The most differences read again one by one (one request each); beyond it the counts stand as
// found, and may include rows changing at that moment. It is also the most a repair writes.
inline constexpr std::int64_t recheck_limit = 1000;

class verifier {
 public:
  verifier(dataverse::client& client, store::database& db, config::settings const& settings, std::size_t examples = 5);

  // Never throws for an expected failure: the report says failed and why. `values`: the source's
  // rows are read whole and compared value by value with the mirror's (altered rows), not only
  // their ids and versions.
  boost::asio::awaitable<table_report> verify(config::table_spec spec, fix_options fix, bool values = false);

 private:
  // Every row's id and version, and with `values` the rows themselves, read as a full cycle reads
  // them (`lookup_targets` as its reads ask).
  boost::asio::awaitable<core::result<void>> read_source(config::table_spec const& spec, bool values,
                                                         bool lookup_targets);
  // The ids of the changes since the delta link, into the working tables; how many there were.
  boost::asio::awaitable<core::result<std::size_t>> read_changes(config::table_spec const& spec, std::string delta_link);
  // The differences read again by id: the rows that drifted for certain (fetched whole, for a
  // repair, or gone), and the ids of rows changing since the untracked read.
  struct recheck_outcome {
    dataverse::page fetched;
    std::vector<std::string> gone;
    std::vector<std::string> changing;
  };
  // `lookup_targets`: as the table's cycles ask, so that a repair writes what a cycle would.
  boost::asio::awaitable<core::result<recheck_outcome>> recheck(config::table_spec const& spec,
                                                                std::vector<store::drift_example> candidates,
                                                                bool lookup_targets);

  dataverse::client& client_;
  store::database& db_;
  store::verify_store store_;
  config::dataverse_settings dataverse_;
  int page_size_;
  std::size_t examples_;
};

}  // namespace dvsync::verify
