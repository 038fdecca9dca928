// database: mirror tables and sync cycles (begin, stage pages, finish, abandon).
#include "store/database.hpp"

#include "core/crash_point.hpp"
#include "core/log.hpp"
#include "store/change_capture.hpp"
#include "store/full_merge.hpp"
#include "store/page_writer.hpp"
#include "store/record_json.hpp"
#include "store/table_statement.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <utility>
#include <variant>

namespace dvsync::store {
namespace {

std::int64_t elapsed_ms(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Columns of an existing table, in order; none when it does not exist.
core::result<std::optional<std::vector<std::string>>> existing_columns(connection& c, std::string const& table) {
  auto kind = c.prepare("SELECT type FROM sqlite_schema WHERE name = ?1 COLLATE NOCASE");
  if (!kind) return kind.error();
  kind->bind_text(1, table);
  auto row = kind->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::vector<std::string>>{};
  auto type = kind->column_text(0);
  kind->reset();
  if (type != "table")
    return core::make_error(core::errc::config_invalid,
                            fmt::format("table {}: the database already has a {} of that name", table, type));

  auto names = column_names(c, table);
  if (!names) return names.error();
  return std::optional<std::vector<std::string>>{std::move(*names)};
}

// Which of the tables a cycle may leave exist, under the names SQLite has for them (table names
// ignore case). One query, instead of a DROP TABLE IF EXISTS compiled for each at every poll.
core::result<std::vector<std::string>> existing_cycle_tables(connection& c, table_layout const& l) {
  auto st = c.prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name COLLATE NOCASE IN (?1, ?2, ?3, ?4)");
  if (!st) return st.error();
  int i = 0;
  for (auto const* name : {&l.shadow_name, &l.side_name, &l.sorted_name, &l.stage_name}) st->bind_text(++i, *name);
  std::vector<std::string> names;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    names.push_back(st->column_text(0));
  }
  return names;
}

bool same_table_name(std::string const& a, std::string const& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

bool has_table(std::vector<std::string> const& tables, std::string const& name) {
  return std::any_of(tables.begin(), tables.end(), [&](std::string const& t) { return same_table_name(t, name); });
}

core::result<bool> stage_exists(connection& c, table_layout const& l) {
  auto tables = existing_cycle_tables(c, l);
  if (!tables) return tables.error();
  return has_table(*tables, l.stage_name);
}

// A cycle whose pages were committed into tables that are gone (dropped by hand) cannot go on:
// finishing it would store a delta link past changes that are no longer staged.
core::error staging_lost(std::string const& table, std::int64_t pages) {
  return core::make_error(core::errc::database,
                          fmt::format("table {}: the working tables of the cycle in progress are gone, with the {} "
                                      "page(s) it had staged; the next attempt starts the cycle again",
                                      table, pages));
}

core::result<std::int64_t> pages_staged(connection& c, std::string const& table) {
  auto n = int_for_table(c, "SELECT pages_staged FROM dvsync_table_state WHERE table_name = ?1", table);
  if (!n) return n.error();
  return n->value_or(0);
}

core::result<void> drop_cycle_tables(connection& c, table_layout const& l) {
  auto tables = existing_cycle_tables(c, l);
  if (!tables) return tables.error();
  for (auto const& name : *tables)
    if (auto r = c.exec(fmt::format("DROP TABLE {}", quote_identifier(name))); !r) return r;
  return {};
}

// The data columns of a table (dvsync's own columns left out), in order.
core::result<std::vector<std::string>> data_columns(connection& c, std::string const& table) {
  auto names = column_names(c, table);
  if (!names) return names.error();
  std::erase_if(*names, [](std::string const& n) {
    return n.size() >= 7 && std::equal(n.begin(), n.begin() + 7, "dvsync_", [](unsigned char a, char b) {
             return std::tolower(a) == b;
           });
  });
  return names;
}

// Whether a working table of a cycle holds other data columns than the layout's.
core::result<bool> stale_cycle_tables(connection& c, table_layout const& l) {
  auto tables = existing_cycle_tables(c, l);
  if (!tables) return tables.error();
  std::vector<std::string> all(l.columns.begin(), l.columns.end() - 1);  // without dvsync_version
  std::vector<std::string> staged = all;
  staged.erase(staged.begin() + static_cast<std::ptrdiff_t>(l.id_index()));  // the stage keeps the id in dvsync_id
  for (auto const& name : *tables) {
    auto const& expected = same_table_name(name, l.stage_name) ? staged : all;
    auto found = data_columns(c, name);
    if (!found) return found.error();
    if (column_difference(*found, expected)) return true;
  }
  return false;
}

// Makes the tables a page is staged into: a delta's stage is created by its first page, so that
// an idle poll creates none; a full cycle begun by an older dvsync and resumed by this one has a
// stage without the page column, and no side table.
core::result<void> ready_cycle_tables(connection& c, table_layout const& l, cycle_kind kind, std::int64_t pages) {
  auto st = c.prepare("SELECT count(*), count(*) FILTER (WHERE name = 'dvsync_page') FROM pragma_table_info(?1)");
  if (!st) return st.error();
  st->bind_text(1, l.stage_name);
  auto row = st->step();
  if (!row) return row.error();
  bool const exists = *row && st->column_int(0) > 0;
  bool const has_page = *row && st->column_int(1) > 0;
  st->reset();
  if (!exists) {
    if (pages > 0) return staging_lost(l.mirror_name, pages);
    if (auto r = c.exec(l.create_stage()); !r) return r;
  } else if (!has_page) {
    if (auto r = c.exec(fmt::format("ALTER TABLE {} ADD COLUMN dvsync_page INTEGER", quote_identifier(l.stage_name))); !r)
      return r;
  }
  if (kind == cycle_kind::full) return c.exec(l.create_side());
  return {};
}

template <class F>
struct on_scope_exit {
  F run;
  ~on_scope_exit() { run(); }
};
template <class F>
on_scope_exit(F) -> on_scope_exit<F>;

// Forgets the cycle in progress; mirror, delta link and history stay.
core::result<void> clear_cycle_state(connection& c, std::string const& table) {
  auto st = c.prepare(
      "UPDATE dvsync_table_state SET cycle_kind = NULL, cycle_reason = NULL, cursor = NULL, "
      "cycle_started_at = NULL, pages_staged = 0, rows_staged = 0, rows_expected = NULL WHERE table_name = ?1");
  if (!st) return st.error();
  st->bind_text(1, table);
  return st->run();
}

// Whether a full read's page has its keys in too many ascending runs to go into the shadow: each
// run writes to its own place in the B-tree, and the page's commit writes every B-tree page it
// touched. Keys in order, or numbered codes in numeric order (bookcode-9, bookcode-10), make a few
// runs; keys in random order make about one run per two rows, which at a million rows would
// rewrite most of the shadow at every page. Such pages go to the side table, sorted in once at
// the end. Text is compared as SQLite's BINARY collation does (bytes, then length), as
// std::string_view does; other keys do not count.
bool scattered(dataverse::page const& page, table_layout const& l) {
  constexpr std::size_t rows_per_run = 32;
  std::optional<std::string_view> previous;
  std::size_t descents = 0;
  for (auto const& r : page.upserts) {
    auto const value = l.keyed_by_id ? dataverse::value_view(r.id) : r.at(l.key_value);
    auto const* key = std::get_if<std::string_view>(&value);
    if (key == nullptr) continue;
    if (previous && *key < *previous) ++descents;
    previous = *key;
  }
  return descents * rows_per_run > page.upserts.size();
}

struct staged_counts {
  std::int64_t upserts = 0;
  std::int64_t deletes = 0;
  std::int64_t rejects = 0;
};

core::result<staged_counts> count_staged(connection& c, table_layout const& l) {
  auto st = c.prepare(l.count_stage_ops());
  if (!st) return st.error();
  staged_counts out;
  for (;;) {
    auto r = st->step();
    if (!r) return r.error();
    if (!*r) break;
    auto op = st->column_text(0);
    auto n = st->column_int(1);
    if (op == "u") out.upserts = n;
    if (op == "d") out.deletes = n;
    if (op == "r") out.rejects = n;
  }
  return out;
}

// Returns how many rows the mirror gained (negative: lost), counted from the changes themselves
// instead of by count(*) over the whole table. A staged upsert whose row is there under the same
// key is updated in place: half the pages of a delete and an insert, which also rewrite the id
// index. Any other first removes the rows it displaces (its own old row; a row holding the key it
// takes: a key change, or two rows swapping keys, end as the source has them), then is inserted.
core::result<std::int64_t> merge_delta(connection& c, table_layout const& l, std::string const& table, std::int64_t now) {
  std::int64_t gained = 0;
  if (auto r = c.exec(l.merge_deletes()); !r) return r.error();
  gained -= c.changes();
  if (auto r = run_with_table(c, l.merge_clear_rejects(), table); !r) return r.error();
  if (auto r = run_with_table(c, l.merge_add_rejects(), table, now); !r) return r.error();
  auto staged = c.prepare(l.staged_upserts());
  if (!staged) return staged.error();
  auto update = c.prepare(l.update_in_place());
  if (!update) return update.error();
  auto displace = c.prepare(l.delete_displaced());
  if (!displace) return displace.error();
  auto insert = c.prepare(l.insert_mirror());
  if (!insert) return insert.error();
  int const columns = static_cast<int>(l.columns.size());
  for (;;) {
    auto row = staged->step();
    if (!row) return row.error();
    if (!*row) break;
    for (int i = 0; i < columns; ++i) update->bind_column(i + 1, *staged, i);
    if (auto r = update->run(); !r) return r.error();
    if (c.changes() == 1) continue;
    displace->bind_column(1, *staged, 0);
    if (!l.keyed_by_id) displace->bind_column(2, *staged, 1);
    if (auto r = displace->run(); !r) return r.error();
    gained -= c.changes();
    for (int i = 0; i < columns; ++i) insert->bind_column(i + 1, *staged, i);
    if (auto r = insert->run(); !r) return r.error();
    ++gained;
  }
  return gained;
}

}  // namespace

core::result<void> database::ensure_table(config::table_spec const& spec) {
  auto const one_at_a_time = serialize();
  auto layout = make_layout(spec);
  if (!layout) return layout.error();
  writers_.erase(spec.table);
  if (auto r = durability(false); !r) return r;
  auto tx = transaction::begin_write(conn_);
  if (!tx) return tx.error();

  auto existing = existing_columns(conn_, spec.table);
  if (!existing) return existing.error();
  bool created = false;
  std::optional<std::string> changed;  // how the mirror's columns differ from the table's now
  if (*existing) {
    changed = column_difference(**existing, layout->columns);
  } else {
    if (auto r = conn_.exec(layout->create_table(layout->mirror_name)); !r) return r;
    created = true;
  }

  auto st = conn_.prepare(
      "SELECT entity_set, delta_link IS NOT NULL OR cycle_kind IS NOT NULL FROM dvsync_table_state "
      "WHERE table_name = ?1");
  if (!st) return st.error();
  st->bind_text(1, spec.table);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) {
    auto insert = conn_.prepare("INSERT INTO dvsync_table_state (table_name, entity_set) VALUES (?1, ?2)");
    if (!insert) return insert.error();
    insert->bind_text(1, spec.table);
    insert->bind_text(2, spec.entity_set);
    if (auto r = insert->run(); !r) return r;
  } else {
    auto entity_set = st->column_text(0);
    bool synced_or_syncing = st->column_int(1) != 0;
    st->reset();
    if (entity_set.empty()) {
      // Attempted before its metadata was known (record_attempt).
      auto set = conn_.prepare("UPDATE dvsync_table_state SET entity_set = ?2 WHERE table_name = ?1");
      if (!set) return set.error();
      set->bind_text(1, spec.table);
      set->bind_text(2, spec.entity_set);
      if (auto r = set->run(); !r) return r;
    } else if (entity_set != spec.entity_set)
      return core::make_error(core::errc::config_invalid,
                              fmt::format("table {} mirrors entity set {} in the database, but the configuration says "
                                          "{}: use another table name, or drop the table and its state",
                                          spec.table, entity_set, spec.entity_set));
    if (created && synced_or_syncing) {
      // The token is the data's: with the data gone, so is the token.
      core::log::warn("store.mirror_missing", {{"table", spec.table}, {"action", "full sync"}});
      if (auto r = drop_cycle_tables(conn_, *layout); !r) return r;
      if (auto r = clear_cycle_state(conn_, spec.table); !r) return r;
      if (auto r = run_with_table(conn_, "UPDATE dvsync_table_state SET delta_link = NULL, delta_link_at = NULL "
                                         "WHERE table_name = ?1",
                                  spec.table);
          !r)
        return r;
    }
  }
  // Working tables made for other columns (a cycle begun before the columns changed) cannot
  // finish: the cycle starts again with the columns of now. The mirror and its link stay.
  auto stale = stale_cycle_tables(conn_, *layout);
  if (!stale) return stale.error();
  if (*stale) {
    core::log::warn("store.cycle_restarted", {{"table", spec.table}, {"reason", "columns_changed"}});
    if (auto r = drop_cycle_tables(conn_, *layout); !r) return r;
    if (auto r = clear_cycle_state(conn_, spec.table); !r) return r;
  }
  if (changed) {
    // A delta begun before the change (one that failed on its first page stages nothing, so no
    // working table marks it stale) would resume from the old link, which the service refuses
    // once a selected column is gone, on every retry. It is dropped: the full read replaces it.
    auto in_progress = cycle_in_progress(spec.table);
    if (!in_progress) return in_progress.error();
    if (*in_progress == cycle_kind::delta) {
      core::log::warn("store.cycle_restarted", {{"table", spec.table}, {"reason", "columns_changed"}});
      if (auto r = drop_cycle_tables(conn_, *layout); !r) return r;
      if (auto r = clear_cycle_state(conn_, spec.table); !r) return r;
    }
    // The delta link is bound to the old $select: a full read builds the table with the new
    // columns beside the old one, which readers keep seeing until the read is complete.
    auto requested = int_for_table(conn_, "SELECT resync_requested FROM dvsync_table_state WHERE table_name = ?1", spec.table);
    if (!requested) return requested.error();
    if (requested->value_or(0) == 0) {
      core::log::info("store.table_migrating", {{"table", spec.table}, {"change", *changed}, {"action", "full read"}});
      if (auto r = run_with_table(conn_, "UPDATE dvsync_table_state SET resync_requested = 1, resync_reason = "
                                         "'columns_changed' WHERE table_name = ?1",
                                  spec.table);
          !r)
        return r;
    }
  }
  // A mode's table follows the commits made while its mode is on; mode_kept names the mode whose
  // table followed every commit so far (NULL for a database older than the column: not known).
  auto kept_query = conn_.prepare("SELECT mode_kept IS ?2 FROM dvsync_table_state WHERE table_name = ?1");
  if (!kept_query) return kept_query.error();
  kept_query->bind_text(1, spec.table);
  kept_query->bind_text(2, config::to_string(spec.mode));
  auto kept_row = kept_query->step();
  if (!kept_row) return kept_row.error();
  bool const kept = *kept_row && kept_query->column_int(0) != 0;
  kept_query->reset();
  if (auto r = ensure_mode_table(conn_, *layout, spec, unix_now(), kept); !r) return r;
  auto kept_now = conn_.prepare(
      "UPDATE dvsync_table_state SET change_feed = ?2, mode_kept = ?3 WHERE table_name = ?1 AND "
      "(change_feed IS NOT ?2 OR mode_kept IS NOT ?3)");
  if (!kept_now) return kept_now.error();
  kept_now->bind_text(1, spec.table);
  kept_now->bind_int(2, spec.change_feed ? 1 : 0);
  kept_now->bind_text(3, config::to_string(spec.mode));
  if (auto r = kept_now->run(); !r) return r;
  if (created) {
    // A table made anew: whatever was remembered of its rows is gone.
    mirror_rows_.erase(spec.table);
    if (auto r = run_with_table(conn_, "UPDATE dvsync_table_state SET mirror_rows = NULL WHERE table_name = ?1", spec.table);
        !r)
      return r;
  }
  return tx->commit();
}

core::result<void> database::begin_cycle(config::table_spec const& spec, cycle_kind kind, std::string reason) {
  auto const one_at_a_time = serialize();
  if (auto r = ensure_table(spec); !r) return r;
  auto layout = make_layout(spec);
  if (!layout) return layout.error();
  writers_.erase(spec.table);
  auto tx = transaction::begin_write(conn_);
  if (!tx) return tx.error();
  if (auto r = drop_cycle_tables(conn_, *layout); !r) return r;
  if (kind == cycle_kind::full) {
    if (auto r = conn_.exec(layout->create_stage()); !r) return r;
    if (auto r = conn_.exec(layout->create_table(layout->shadow_name)); !r) return r;
    if (auto r = conn_.exec(layout->create_side()); !r) return r;
  }
  auto st = conn_.prepare(
      "UPDATE dvsync_table_state SET cycle_kind = ?2, cycle_reason = ?3, cursor = NULL, pages_staged = 0, "
      "rows_staged = 0, rows_expected = NULL, cycle_started_at = ?4 WHERE table_name = ?1");
  if (!st) return st.error();
  st->bind_text(1, spec.table);
  st->bind_text(2, to_string(kind));
  st->bind_text(3, reason);
  st->bind_int(4, unix_now());
  if (auto r = st->run(); !r) return r;
  return tx->commit();
}

core::result<void> database::stage_page(config::table_spec const& spec, dataverse::page const& page,
                                        std::string const& next_link) {
  auto const one_at_a_time = serialize();
  // Staging changes no mirror data: power loss may undo the last pages and their cursor, and the
  // cycle then resumes from the cursor before them. The final commit syncs everything.
  if (auto r = durability(false); !r) return r;
  auto tx = transaction::begin_write(conn_);
  if (!tx) return tx.error();
  auto kind = cycle_in_progress(spec.table);
  if (!kind) return kind.error();
  if (!*kind)
    return core::make_error(core::errc::database, fmt::format("table {}: a page arrived with no cycle in progress", spec.table));
  // The writer's statements may refer to a stage this transaction creates: unless it commits, they
  // go with it.
  bool committed = false;
  on_scope_exit forget{[&] {
    if (!committed) writers_.erase(spec.table);
  }};
  auto w = writer_for(spec, **kind);
  if (!w) return w.error();
  if (auto r = stage_rows(**w, spec, page); !r) return r;
  if (auto r = advance_cursor(spec.table, next_link, static_cast<std::int64_t>(page.upserts.size() + page.deletes.size())); !r)
    return r;
  core::crash_point("before_commit");
  auto done = tx->commit();
  committed = done.has_value();
  return done;
}

core::result<cycle_totals> database::finish_cycle(config::table_spec const& spec, dataverse::page const& last_page,
                                                  std::string const& delta_link, std::int64_t now) {
  auto const one_at_a_time = serialize();
  if (delta_link.empty())
    return core::make_error(core::errc::protocol, fmt::format("table {}: the cycle ended without a delta link", spec.table));
  auto made = make_layout(spec);
  if (!made) return made.error();
  table_layout const& layout = *made;
  bool const page_empty = last_page.upserts.empty() && last_page.deletes.empty() && last_page.rejects.empty();

  // Decided before the transaction starts: only a delta whose stage and last page are both empty
  // (the idle poll: its one page made no stage) leaves the mirror as it was. A stage that cannot be
  // read counts as data.
  bool changes_data = true;
  if (auto before = cycle_in_progress(spec.table); page_empty && before && *before == cycle_kind::delta) {
    auto staged = stage_exists(conn_, layout);
    auto empty = staged && *staged ? conn_.query_int(layout.stage_is_empty()) : core::result<std::int64_t>(1);
    changes_data = !(staged && empty && *empty == 1);
  }
  if (auto r = durability(changes_data); !r) return r.error();

  auto const started = std::chrono::steady_clock::now();
  auto tx = transaction::begin_write(conn_);
  if (!tx) return tx.error();
  auto kind = cycle_in_progress(spec.table);
  if (!kind) return kind.error();
  if (!*kind)
    return core::make_error(core::errc::database, fmt::format("table {}: no cycle in progress to finish", spec.table));
  // Whatever happens, the cycle's statements are done: its tables are dropped, or rolled back.
  on_scope_exit forget{[&] { writers_.erase(spec.table); }};
  if (!page_empty) {
    auto w = writer_for(spec, **kind);
    if (!w) return w.error();
    if (auto r = stage_rows(**w, spec, last_page); !r) return r.error();
  }
  // The statements of this cycle refer to tables about to be dropped or renamed.
  writers_.erase(spec.table);

  auto has_stage = stage_exists(conn_, layout);
  if (!has_stage) return has_stage.error();
  if (!*has_stage) {
    auto pages = pages_staged(conn_, spec.table);
    if (!pages) return pages.error();
    if (*pages > 0) return staging_lost(spec.table, *pages);
  }
  auto staged = *has_stage ? count_staged(conn_, layout) : core::result<staged_counts>(staged_counts{});
  if (!staged) return staged.error();
  cycle_totals totals;
  totals.rejects = staged->rejects;
  if (**kind == cycle_kind::full) {
    auto merged = merge_full(conn_, layout, spec.table, now, captures_changes(spec));
    if (!merged) return merged.error();
    totals.upserts = merged->rows;
    totals.rows = merged->rows;
    totals.deletes = merged->removed;
    // The table may have new columns (a migration): its view is made again for them.
    if (auto r = make_labeled_view(spec); !r) return r.error();
  } else {
    totals.upserts = staged->upserts;
    totals.deletes = staged->deletes;
    auto before = mirror_rows(layout);
    if (!before) return before.error();
    totals.rows = *before;
    // An empty stage (the idle poll) has nothing to merge.
    if (staged->upserts + staged->deletes + staged->rejects > 0) {
      bool const capture = captures_changes(spec);
      if (capture)
        if (auto r = start_capture(conn_, layout); !r) return r.error();
      auto gained = merge_delta(conn_, layout, spec.table, now);
      if (!gained) return gained.error();
      if (capture)
        if (auto r = stop_capture(conn_, layout); !r) return r.error();
      totals.rows += *gained;
      if (totals.rows < 0) {
        // The stored count was wrong: the mirror was changed other than by dvsync.
        auto counted = conn_.query_int(layout.count_rows(layout.mirror_name));
        if (!counted) return counted.error();
        core::log::warn("store.row_count_corrected", {{"table", spec.table}, {"rows", *counted}});
        totals.rows = *counted;
      }
    }
  }
  if (captures_changes(spec))
    if (auto r = apply_changes(conn_, layout, spec, now, now - feed_retention_.count()); !r) return r.error();
  core::crash_point("final_merge");
  if (auto r = drop_cycle_tables(conn_, layout); !r) return r.error();

  // The right-hand sides read the row as it was: delta_link below is the previous link.
  auto st = conn_.prepare(
      "UPDATE dvsync_table_state SET "
      "full_resyncs = full_resyncs + (?2 = 'full' AND delta_link IS NOT NULL), "
      "resync_requested = CASE WHEN ?2 = 'full' THEN 0 ELSE resync_requested END, "
      "resync_reason = CASE WHEN ?2 = 'full' THEN NULL ELSE resync_reason END, "
      "delta_link = ?3, delta_link_at = ?4, cycle_kind = NULL, cycle_reason = NULL, cursor = NULL, "
      "cycle_started_at = NULL, last_cycle_pages = pages_staged + 1, pages_staged = 0, rows_staged = 0, "
      "rows_expected = NULL, last_success_at = ?4, "
      "last_error = NULL, last_error_at = NULL, last_cycle_upserts = ?5, last_cycle_deletes = ?6, "
      "last_cycle_rejects = ?7, mirror_rows = ?8 WHERE table_name = ?1");
  if (!st) return st.error();
  st->bind_text(1, spec.table);
  st->bind_text(2, to_string(**kind));
  st->bind_text(3, delta_link);
  st->bind_int(4, now);
  st->bind_int(5, totals.upserts);
  st->bind_int(6, totals.deletes);
  st->bind_int(7, totals.rejects);
  st->bind_int(8, totals.rows);
  if (auto r = st->run(); !r) return r.error();
  core::crash_point("before_commit");
  auto const merged = std::chrono::steady_clock::now();
  // A random delta dirties pages all over the table: the automatic checkpoint would copy them
  // back before the cycle could end. The data is visible and durable once the WAL is synced; the
  // copy runs after the cycle (checkpoint_after_cycle), while the next page or table is fetched.
  conn_.auto_checkpoint(0);
  auto committed = tx->commit();
  conn_.auto_checkpoint(default_auto_checkpoint_frames);
  if (!committed) return committed.error();
  checkpoint_due_ = checkpoint_due_ || changes_data;
  mirror_rows_[spec.table] = totals.rows;
  core::log::debug("store.cycle_committed", {{"table", spec.table}, {"merge_ms", elapsed_ms(started, merged)},
                                             {"commit_ms", elapsed_ms(merged, std::chrono::steady_clock::now())}});
  return totals;
}

core::result<void> database::abandon_cycle(config::table_spec const& spec) {
  auto const one_at_a_time = serialize();
  auto layout = make_layout(spec);
  if (!layout) return layout.error();
  writers_.erase(spec.table);
  if (auto r = durability(false); !r) return r;
  auto tx = transaction::begin_write(conn_);
  if (!tx) return tx.error();
  if (auto r = drop_cycle_tables(conn_, *layout); !r) return r;
  if (auto r = clear_cycle_state(conn_, spec.table); !r) return r;
  return tx->commit();
}

core::result<bool> database::staging_intact(config::table_spec const& spec, cycle_kind kind) {
  auto const one_at_a_time = serialize();
  auto layout = make_layout(spec);
  if (!layout) return layout.error();
  auto pages = pages_staged(conn_, spec.table);
  if (!pages) return pages.error();
  if (*pages == 0) return true;
  auto tables = existing_cycle_tables(conn_, *layout);
  if (!tables) return tables.error();
  return has_table(*tables, layout->stage_name) && (kind == cycle_kind::delta || has_table(*tables, layout->shadow_name));
}

core::result<std::optional<cycle_kind>> database::cycle_in_progress(std::string const& table) {
  if (!read_cycle_kind_) {
    auto st = conn_.prepare("SELECT cycle_kind FROM dvsync_table_state WHERE table_name = ?1");
    if (!st) return st.error();
    read_cycle_kind_ = std::make_unique<statement>(std::move(*st));
  }
  auto& st = *read_cycle_kind_;
  st.bind_text(1, table);
  auto row = st.step();
  if (!row) return row.error();
  if (!*row) return std::optional<cycle_kind>{};
  auto kind = st.column_optional_text(0);
  st.reset();
  if (!kind) return std::optional<cycle_kind>{};
  return std::optional<cycle_kind>{*kind == "full" ? cycle_kind::full : cycle_kind::delta};
}

core::result<std::int64_t> database::mirror_rows(table_layout const& layout) {
  if (auto it = mirror_rows_.find(layout.mirror_name); it != mirror_rows_.end()) return it->second;
  auto stored = int_for_table(conn_, "SELECT mirror_rows FROM dvsync_table_state WHERE table_name = ?1", layout.mirror_name);
  if (!stored) return stored.error();
  auto rows = *stored ? core::result<std::int64_t>(**stored) : conn_.query_int(layout.count_rows(layout.mirror_name));
  if (!rows) return rows.error();
  mirror_rows_[layout.mirror_name] = *rows;
  return *rows;
}

core::result<void> database::advance_cursor(std::string const& table, std::string const& next_link, std::int64_t rows) {
  if (!advance_cursor_) {
    auto st = conn_.prepare(
        "UPDATE dvsync_table_state SET cursor = ?2, pages_staged = pages_staged + 1, rows_staged = rows_staged + ?3 "
        "WHERE table_name = ?1");
    if (!st) return st.error();
    advance_cursor_ = std::make_unique<statement>(std::move(*st));
  }
  advance_cursor_->bind_text(1, table);
  advance_cursor_->bind_text(2, next_link);
  advance_cursor_->bind_int(3, rows);
  return advance_cursor_->run();
}

core::result<database::page_writer*> database::writer_for(config::table_spec const& spec, cycle_kind kind) {
  if (auto it = writers_.find(spec.table); it != writers_.end() && it->second->kind == kind) return it->second.get();
  auto layout = make_layout(spec);
  if (!layout) return layout.error();
  auto staged = pages_staged(conn_, spec.table);
  if (!staged) return staged.error();
  if (auto r = ready_cycle_tables(conn_, *layout, kind, *staged); !r) return r.error();

  auto prepare = [&](std::string const& sql) { return conn_.prepare(sql); };
  bool const full = kind == cycle_kind::full;
  auto insert = prepare(full ? layout->insert_shadow() : layout->insert_stage());
  if (!insert) return insert.error();
  auto fallback = prepare(full ? layout->insert_side() : layout->upsert_stage());
  if (!fallback) return fallback.error();
  auto del = prepare(layout->stage_delete());
  if (!del) return del.error();
  auto reject = prepare(layout->stage_reject());
  if (!reject) return reject.error();
  auto w = std::make_unique<page_writer>(page_writer{kind, std::move(*layout), *staged, std::move(*insert),
                                                     std::move(*fallback), std::move(*del), std::move(*reject), {}, {}});
  if (full) {
    auto delete_shadow = prepare(w->layout.delete_shadow());
    if (!delete_shadow) return delete_shadow.error();
    auto prune = prepare(w->layout.prune_stage_rejects());
    if (!prune) return prune.error();
    w->delete_shadow.emplace(std::move(*delete_shadow));
    w->prune_rejects.emplace(std::move(*prune));
  }
  auto* raw = w.get();
  writers_[spec.table] = std::move(w);
  return raw;
}

core::result<void> database::stage_rows(page_writer& w, config::table_spec const& spec, dataverse::page const& page) {
  auto const& l = w.layout;
  bool const full = w.kind == cycle_kind::full;
  int const page_param = static_cast<int>(l.columns.size()) + 1;
  ++w.page;
  bool const to_side = full && scattered(page, l);
  std::vector<dataverse::rejected> keyless;
  for (auto const& r : page.upserts) {
    if (r.size() != l.record_values)
      return core::make_error(core::errc::protocol, fmt::format("table {}: record {} has {} values for {} columns",
                                                                spec.table, r.id, r.size(), l.record_values));
    if (!l.keyed_by_id) {
      auto const key = r.at(l.key_value);
      if (missing_key(key)) {
        auto const* problem = std::holds_alternative<std::monostate>(key) ? "null" : "empty";
        keyless.push_back({r.id, record_json(spec, r), fmt::format("key {} is {}", spec.key, problem)});
        continue;
      }
    }
    // A cycle brings each id once, nearly always: the plain INSERT costs less than half of what
    // takes the rest (a delta's guarded upsert; a full read's side table, sorted in at the end: a
    // duplicate id, a key that moved during the read, the rows of a page in random key order).
    if (!to_side) {
      bind_mirror_row(w.insert, l, r);
      auto inserted = w.insert.run_unless_conflict();
      if (!inserted) return inserted.error();
      if (*inserted) continue;
    }
    bind_mirror_row(w.fallback, l, r);
    if (full) w.fallback.bind_int(page_param, w.page);
    if (auto s = w.fallback.run(); !s) return s;
  }
  // Rows of this page are written, its transaction is still open.
  core::crash_point("mid_apply");
  for (auto const& id : page.deletes) {
    if (w.delete_shadow) {
      w.delete_shadow->bind_text(1, id);
      if (auto s = w.delete_shadow->run(); !s) return s;
    }
    w.stage_delete.bind_text(1, id);
    w.stage_delete.bind_int(2, w.page);
    if (auto s = w.stage_delete.run(); !s) return s;
  }
  for (auto const* list : {&page.rejects, &std::as_const(keyless)}) {
    for (auto const& r : *list) {
      if (w.delete_shadow) {
        w.delete_shadow->bind_text(1, r.id);
        if (auto s = w.delete_shadow->run(); !s) return s;
      }
      w.stage_reject.bind_text(1, r.id);
      w.stage_reject.bind_text(2, r.raw_json);
      w.stage_reject.bind_text(3, r.reason);
      w.stage_reject.bind_int(4, w.page);
      if (auto s = w.stage_reject.run(); !s) return s;
    }
  }
  if (w.prune_rejects && !page.upserts.empty())
    if (auto s = w.prune_rejects->run(); !s) return s;
  return {};
}

}  // namespace dvsync::store
