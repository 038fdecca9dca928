#pragma once
// The end of a full cycle: what the read built becomes the mirror, in the cycle's final
// transaction. Only the store's .cpp files see this header.
#include "core/error.hpp"
#include "store/sqlite.hpp"
#include "store/table_layout.hpp"

#include <cstdint>
#include <string>

namespace dvsync::store {

struct full_merge_result {
  std::int64_t rows = 0;     // rows of the new mirror
  std::int64_t removed = 0;  // rows of the old mirror whose id the read did not return
};

// Puts the rows of a full read in the mirror's place: the shadow as it is when every row came in
// key order, else the shadow and the side table sorted into one table whose id index is built
// last. Rejects of the read replace the table's rejects; indexes and triggers that users added to
// the mirror are recreated (one that no longer fits the data is dropped with a warning).
// With `capture`, the difference between the old mirror and the new one is recorded for the change
// feed and the table's mode (change_capture.hpp).
core::result<full_merge_result> merge_full(connection& c, table_layout const& l, std::string const& table,
                                           std::int64_t now, bool capture);

}  // namespace dvsync::store
