#pragma once
// database's per-table statements for staging pages (kept for the cycle); only the store's .cpp
// files see it.
#include "store/database.hpp"

#include <optional>

namespace dvsync::store {

struct database::page_writer {
  cycle_kind kind = cycle_kind::full;
  table_layout layout;
  // Pages of the cycle so far, this one included once staging it began: the order in which a full
  // read's side rows, deletes and rejects of one id came.
  std::int64_t page = 0;
  statement insert;    // a delta's plain insert into the stage; a full read's into the shadow
  statement fallback;  // when `insert` wrote nothing: the stage's guarded upsert; the side table
  statement stage_delete;
  statement stage_reject;
  std::optional<statement> delete_shadow;  // full cycles only
  std::optional<statement> prune_rejects;  // full cycles only
};

}  // namespace dvsync::store
