#pragma once
// database's per-table statement cache for staging pages; only the store's .cpp files see it.
#include "store/database.hpp"

#include <optional>

namespace dvsync::store {

struct database::page_writer {
  cycle_kind kind = cycle_kind::full;
  table_layout layout;
  statement upsert;                        // into the shadow (full) or the stage (delta)
  statement insert;                        // the same row, plainly: tried before `upsert`
  statement stage_delete;
  statement stage_reject;
  std::optional<statement> delete_shadow;  // full cycles only
  std::optional<statement> prune_rejects;  // full cycles only
};

}  // namespace dvsync::store
