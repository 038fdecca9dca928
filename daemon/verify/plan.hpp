#pragma once
// What `dvsync verify --fix` does about a table's drift. Pure, so that every rule is tested
// without a database or a server.
#include "store/verify_store.hpp"

#include <cstdint>
#include <string>

namespace dvsync::verify {

struct fix_inputs {
  std::int64_t drifted = 0;         // rows of drift (missing + extra + stale)
  std::int64_t source_rows = 0;     // rows the source returned
  bool lock_held = false;           // this process holds the database's writer lock
  std::string lock_problem;         // when it does not: why (names the holder's PID)
  bool full_resync_pending = false; // a full cycle is in progress or requested
  std::string full_resync_reason;
  bool columns_match = true;        // the mirror has the table's configured columns
};

struct fix_decision {
  store::fix_action action = store::fix_action::none;  // repaired: fetch the drifted rows by id and write them
  std::string reason;                                  // why, in a sentence, for the report
};

// The most rows a repair fetches one by one: a tenth of the table, at least 10, at most 1000. Each
// costs one request (a full read costs one per 5,000 rows); drift beyond that says the mirror is
// broadly wrong, and a full resync rebuilds it whole.
std::int64_t repair_limit(std::int64_t source_rows);

// In this order: no drift, nothing; a full resync already pending repairs everything; without the
// writer lock (a running daemon holds it) no row is written beside its cycles, a full resync is
// requested for it to do; a mirror whose columns changed cannot take rows of the new columns until
// its rebuild; drift over repair_limit is a full resync; anything else is repaired by id.
fix_decision decide_fix(fix_inputs const& in);

}  // namespace dvsync::verify
