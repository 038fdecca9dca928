#include "store/full_merge.hpp"

#include "core/log.hpp"
#include "store/change_capture.hpp"
#include "store/table_statement.hpp"

#include <fmt/format.h>

#include <optional>
#include <vector>

namespace dvsync::store {
namespace {

// Indexes and triggers that users added to a mirror table: a full cycle replaces the table, and
// recreates them on the new one. dvsync's own (the id index of a sorted build) are not theirs.
struct user_object {
  std::string name;
  std::string sql;
};

core::result<std::vector<user_object>> user_objects(connection& c, std::string const& table) {
  auto st = c.prepare(
      "SELECT name, sql FROM sqlite_schema WHERE tbl_name = ?1 COLLATE NOCASE AND type IN ('index', 'trigger') "
      "AND sql IS NOT NULL AND name NOT LIKE 'dvsync\\_%' ESCAPE '\\' ORDER BY type, name");
  if (!st) return st.error();
  st->bind_text(1, table);
  std::vector<user_object> out;
  for (;;) {
    auto r = st->step();
    if (!r) return r.error();
    if (!*r) break;
    out.push_back({st->column_text(0), st->column_text(1)});
  }
  return out;
}

// Renames in legacy mode, which renames only the table itself: the modern rename re-parses every
// view and trigger in the schema and fails on any view of the mirror, which does not exist while
// the tables are swapped.
core::result<void> rename_table(connection& c, std::string const& from, std::string const& to) {
  if (auto r = c.exec("PRAGMA legacy_alter_table = ON"); !r) return r;
  auto renamed = c.exec(fmt::format("ALTER TABLE {} RENAME TO {}", quote_identifier(from), quote_identifier(to)));
  auto restored = c.exec("PRAGMA legacy_alter_table = OFF");
  if (!renamed) return renamed;
  return restored;
}

// Puts `name` in the mirror's place. The old mirror is dropped, or kept as l.old_name until the
// difference is recorded.
core::result<void> swap_in(connection& c, table_layout const& l, std::string const& name, bool keep_old) {
  if (keep_old) {
    auto exists = int_for_table(c, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
                                l.mirror_name);
    if (!exists) return exists.error();
    auto kept = exists->value_or(0) > 0 ? rename_table(c, l.mirror_name, l.old_name) : c.exec(l.create_table(l.old_name));
    if (!kept) return kept;
    // A mirror built sorted took its id index along, under the name the new table's needs: the
    // old table gets the same index under a name of its own, for the comparison.
    auto indexed = int_for_table(c, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?1",
                                 l.id_index_name);
    if (!indexed) return indexed.error();
    if (indexed->value_or(0) > 0) {
      if (auto r = c.exec(fmt::format("DROP INDEX {}", quote_identifier(l.id_index_name))); !r) return r;
      if (auto r = c.exec(fmt::format("CREATE INDEX {} ON {} ({})", quote_identifier("dvsync_old_id_" + l.mirror_name),
                                      quote_identifier(l.old_name), quote_identifier(l.id_column())));
          !r)
        return r;
    }
  } else if (auto r = c.exec(fmt::format("DROP TABLE IF EXISTS {}", quote_identifier(l.mirror_name))); !r) {
    return r;
  }
  return rename_table(c, name, l.mirror_name);
}

// Keys arriving in random order (real tables: the server reads in id order) would make every
// page's commit rewrite pages all over the shadow's B-tree; they wait in the side table instead,
// and one sorted pass here writes each page of the new table once. Its id index is built after
// the rows, from one sort, instead of by a million inserts at random places.
core::result<void> build_sorted(connection& c, table_layout const& l) {
  auto has_removals = c.query_int(fmt::format("SELECT EXISTS (SELECT 1 FROM {} WHERE dvsync_op IN ('d', 'r'))",
                                              quote_identifier(l.stage_name)));
  if (!has_removals) return has_removals.error();
  if (*has_removals) {
    if (auto r = c.exec(l.prune_side_rejects()); !r) return r;
    if (auto r = c.exec(l.drop_side_rows_deleted_later()); !r) return r;
  }
  if (auto r = c.exec(l.create_table(l.sorted_name, table_layout::id_constraint::built_after)); !r) return r;
  if (auto r = c.exec(l.fill_sorted()); !r) return r;
  if (auto r = c.exec(fmt::format("DROP TABLE {}", quote_identifier(l.shadow_name))); !r) return r;
  return c.exec(fmt::format("DROP TABLE {}", quote_identifier(l.side_name)));
}

// A read that returned one id under two keys (it changed key while the read went on) leaves two
// rows of that id: the index refuses them, the older versions go, and the index is built again.
// Returns how many rows went.
core::result<std::int64_t> create_id_index(connection& c, table_layout const& l) {
  std::int64_t removed = 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto st = c.prepare(l.create_id_index());
    if (!st) return st.error();
    auto created = st->run_unless_conflict();
    if (!created) return created.error();
    if (*created) return removed;
    if (auto r = c.exec(l.dedupe_ids(l.mirror_name)); !r) return r.error();
    removed += c.changes();
  }
  return core::make_error(core::errc::database,
                          fmt::format("table {}: duplicate ids remain after removing the older versions", l.mirror_name));
}

}  // namespace

core::result<full_merge_result> merge_full(connection& c, table_layout const& l, std::string const& table,
                                           std::int64_t now, bool capture) {
  auto side_empty = c.query_int(l.side_is_empty());
  if (!side_empty) return side_empty.error();
  bool const sorted = *side_empty == 0;
  if (sorted)
    if (auto r = build_sorted(c, l); !r) return r.error();
  std::string const& built = sorted ? l.sorted_name : l.shadow_name;

  full_merge_result out;
  auto rows = c.query_int(l.count_rows(built));
  if (!rows) return rows.error();
  out.rows = *rows;
  auto old_rows = c.query_int(l.count_rows(l.mirror_name));
  if (!old_rows) return old_rows.error();
  if (*old_rows > 0) {
    auto kept = c.query_int(l.count_ids_kept(built));
    if (!kept) return kept.error();
    out.removed = *old_rows - *kept;
  }
  auto objects = user_objects(c, l.mirror_name);
  if (!objects) return objects.error();

  if (auto r = run_with_table(c, "DELETE FROM dvsync_rejects WHERE table_name = ?1", table); !r) return r.error();
  if (auto r = run_with_table(c, l.merge_add_rejects(), table, now); !r) return r.error();
  if (auto r = swap_in(c, l, built, capture); !r) return r.error();
  if (sorted && !l.keyed_by_id) {
    auto duplicates = create_id_index(c, l);
    if (!duplicates) return duplicates.error();
    out.rows -= *duplicates;
  }
  if (capture) {
    if (auto r = capture_difference(c, l, l.old_name); !r) return r.error();
    // Before the user's objects are made again: the old table still has them, under their names.
    if (auto r = c.exec(fmt::format("DROP TABLE {}", quote_identifier(l.old_name))); !r) return r.error();
  }
  for (auto const& o : *objects) {
    // An index that no longer fits the data (a UNIQUE one, say) must not block the sync: the
    // mirror stays correct without it.
    if (auto r = c.exec(o.sql); !r)
      core::log::warn("store.user_object_dropped", {{"table", table}, {"name", o.name}, {"error", r.error().message}});
  }
  return out;
}

}  // namespace dvsync::store
