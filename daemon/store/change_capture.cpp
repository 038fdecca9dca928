#include "store/change_capture.hpp"

#include "core/log.hpp"
#include "store/table_statement.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

namespace dvsync::store {
namespace {

constexpr char const* version_column = "dvsync_version";

std::string q(std::string_view name) { return quote_identifier(name); }

std::string sql_literal(std::string_view s) {
  std::string out = "'";
  for (char ch : s) {
    out += ch;
    if (ch == '\'') out += '\'';
  }
  return out + "'";
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

bool same_name(std::string const& a, std::string const& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

bool contains(std::vector<std::string> const& names, std::string const& name) {
  return std::any_of(names.begin(), names.end(), [&](std::string const& n) { return same_name(n, name); });
}

// The mirror's data columns with their declared types: every column but the version.
struct data_column {
  std::string name;
  std::string type;
};
std::vector<data_column> data_columns_of(table_layout const& l) {
  std::vector<data_column> out;
  for (std::size_t i = 0; i + 1 < l.columns.size(); ++i) out.push_back({l.columns[i], l.types[i]});
  return out;
}

// A SQL expression making the JSON object of a row's columns, `prefix` naming the row (NEW, OLD,
// a table alias). Text, integers and nulls are as json_quote writes them; a REAL keeps all its
// digits (json_quote writes 15 significant digits, which do not always give the double back).
// The parts are concatenated as a balanced tree: a table of hundreds of columns stays far from
// SQLite's limits on function arguments and expression depth.
std::string row_json(std::string const& prefix, std::vector<std::string> const& columns) {
  if (columns.empty()) return "'{}'";
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    auto const value = fmt::format("{}.{}", prefix, q(columns[i]));
    auto const shortest = fmt::format("printf('%!.15g', {})", value);
    parts.push_back(fmt::format(
        "{} || CASE typeof({}) WHEN 'real' THEN CASE WHEN CAST({} AS REAL) = {} THEN {} ELSE printf('%!.17g', {}) END "
        "ELSE json_quote({}) END",
        sql_literal((i == 0 ? "{" : ",") + json_string(columns[i]) + ":"), value, shortest, value, shortest, value,
        value));
  }
  auto join = [&](auto const& self, std::size_t from, std::size_t to) -> std::string {
    if (to - from == 1) return "(" + parts[from] + ")";
    auto const mid = from + (to - from) / 2;
    return "(" + self(self, from, mid) + " || " + self(self, mid, to) + ")";
  };
  return join(join, 0, parts.size()) + " || '}'";
}

std::vector<std::string> names_of(std::vector<data_column> const& columns) {
  std::vector<std::string> out;
  for (auto const& c : columns) out.push_back(c.name);
  return out;
}

std::string trigger_name(table_layout const& l, char const* event) {
  return q(fmt::format("dvsync_capture_{}_{}", event, l.mirror_name));
}

core::result<void> make_changes_table(connection& c) {
  // In the temp schema: the connection's own, rolled back with the transaction that wrote it, and
  // spilled to a temporary file when a full cycle's difference is large.
  return c.exec(
      "CREATE TEMP TABLE IF NOT EXISTS dvsync_changes (n INTEGER PRIMARY KEY, op TEXT NOT NULL, id TEXT NOT NULL, "
      "key_value, version INTEGER, row TEXT)");
}

// The changes that decide each id's state after the cycle: its last one.
constexpr char const* last_changes = "n IN (SELECT max(n) FROM temp.dvsync_changes GROUP BY id)";

std::string extracted_columns(std::vector<data_column> const& columns) {
  std::string out;
  for (auto const& col : columns) out += fmt::format("json_extract(row, {}), ", sql_literal("$." + json_string(col.name)));
  return out;
}

std::string column_list(std::vector<data_column> const& columns) {
  std::string out;
  for (auto const& col : columns) out += q(col.name) + ", ";
  return out;
}

core::result<void> apply_soft_delete(connection& c, table_layout const& l, std::string const& all, std::int64_t now) {
  auto const columns = data_columns_of(l);
  std::string updates;
  for (auto const& col : columns)
    if (!same_name(col.name, l.id_column())) updates += fmt::format("{0} = excluded.{0}, ", q(col.name));
  auto const upsert = fmt::format(
      "INSERT INTO {} ({}dvsync_version, dvsync_deleted_at) SELECT {}version, NULL FROM temp.dvsync_changes "
      "WHERE {} AND op = 'upsert' ORDER BY n ON CONFLICT ({}) DO UPDATE SET {}dvsync_version = excluded.dvsync_version, "
      "dvsync_deleted_at = NULL",
      q(all), column_list(columns), extracted_columns(columns), last_changes, q(l.id_column()), updates);
  if (auto r = c.exec(upsert); !r) return r;
  auto mark = c.prepare(fmt::format(
      "UPDATE {} SET dvsync_deleted_at = ?1 WHERE dvsync_deleted_at IS NULL AND {} IN "
      "(SELECT id FROM temp.dvsync_changes WHERE {} AND op = 'delete')",
      q(all), q(l.id_column()), last_changes));
  if (!mark) return mark.error();
  mark->bind_int(1, now);
  return mark->run();
}

core::result<void> apply_history(connection& c, table_layout const& l, std::string const& history, std::int64_t now) {
  auto const columns = data_columns_of(l);
  // An id whose last change writes back its open version as it was (a mirror row edited by hand,
  // then repaired or replaced by a resync) is no new version: its changes are left out here.
  if (auto r = c.exec(fmt::format(
          "DELETE FROM temp.dvsync_changes WHERE id IN (SELECT c.id FROM temp.dvsync_changes c JOIN {0} h ON h.{1} = "
          "c.id AND h.dvsync_valid_to IS NULL WHERE c.n IN (SELECT max(n) FROM temp.dvsync_changes GROUP BY id) AND "
          "c.op = 'upsert' AND h.dvsync_version IS c.version AND {2} = c.row)",
          q(history), q(l.id_column()), row_json("h", names_of(columns))));
      !r)
    return r;
  auto close = c.prepare(fmt::format(
      "UPDATE {} SET dvsync_valid_to = ?1 WHERE dvsync_valid_to IS NULL AND {} IN (SELECT id FROM temp.dvsync_changes)",
      q(history), q(l.id_column())));
  if (!close) return close.error();
  close->bind_int(1, now);
  if (auto r = close->run(); !r) return r;
  auto open = c.prepare(fmt::format(
      "INSERT INTO {} ({}dvsync_version, dvsync_valid_from) SELECT {}version, ?1 FROM temp.dvsync_changes "
      "WHERE {} AND op = 'upsert' ORDER BY n",
      q(history), column_list(columns), extracted_columns(columns), last_changes));
  if (!open) return open.error();
  open->bind_int(1, now);
  return open->run();
}

// The columns the mirror has now of the layout's (during a migration, the old ones).
core::result<std::vector<std::string>> columns_in_mirror(connection& c, table_layout const& l) {
  auto mirror_columns = column_names(c, l.mirror_name);
  if (!mirror_columns) return mirror_columns.error();
  std::vector<std::string> shared;
  for (auto const& col : data_columns_of(l))
    if (contains(*mirror_columns, col.name)) shared.push_back(col.name);
  return shared;
}

// A mode's table that missed commits, brought up to the mirror: one pass over both, made only
// when the mode comes back. A row is the same when its version and every column the mirror has
// are (a column added while the mode was off came with a full read, versions unchanged).
core::result<void> catch_up(connection& c, table_layout const& l, config::table_spec const& spec, std::int64_t now) {
  auto shared = columns_in_mirror(c, l);
  if (!shared) return shared.error();
  auto const name = mode_table_name(spec);
  auto const table = q(name);
  auto const mirror = q(l.mirror_name);
  auto const id = q(l.id_column());
  std::string list, from_mirror;
  for (auto const& col : *shared) {
    list += q(col) + ", ";
    from_mirror += "m." + q(col) + ", ";
  }
  auto const same_row = fmt::format("m.dvsync_version IS {0}.dvsync_version AND {1} IS {2}", table,
                                    row_json("m", *shared), row_json(table, *shared));
  bool const history = spec.mode == config::table_mode::history;
  auto const gone = history ? fmt::format("UPDATE {0} SET dvsync_valid_to = ?1 WHERE dvsync_valid_to IS NULL AND NOT "
                                          "EXISTS (SELECT 1 FROM {1} m WHERE m.{2} = {0}.{2} AND {3})",
                                          table, mirror, id, same_row)
                            : fmt::format("UPDATE {0} SET dvsync_deleted_at = ?1 WHERE dvsync_deleted_at IS NULL AND NOT "
                                          "EXISTS (SELECT 1 FROM {1} m WHERE m.{2} = {0}.{2})",
                                          table, mirror, id);
  auto st = c.prepare(gone);
  if (!st) return st.error();
  st->bind_int(1, now);
  if (auto r = st->run(); !r) return r;
  auto const ended = c.changes();

  std::string added;
  if (history) {
    added = fmt::format("INSERT INTO {0} ({1}dvsync_version, dvsync_valid_from) SELECT {2}m.dvsync_version, ?1 FROM {3} m "
                        "WHERE NOT EXISTS (SELECT 1 FROM {0} WHERE {0}.{4} = m.{4} AND {0}.dvsync_valid_to IS NULL)",
                        table, list, from_mirror, mirror, id);
  } else {
    std::string updates;
    for (auto const& col : *shared)
      if (!same_name(col, l.id_column())) updates += fmt::format("{0} = excluded.{0}, ", q(col));
    added = fmt::format("INSERT INTO {0} ({1}dvsync_version, dvsync_deleted_at) SELECT {2}m.dvsync_version, NULL FROM {3} m "
                        "WHERE NOT EXISTS (SELECT 1 FROM {0} WHERE {0}.{4} = m.{4} AND {0}.dvsync_deleted_at IS NULL AND "
                        "{5}) ON CONFLICT ({4}) DO UPDATE SET {6}dvsync_version = excluded.dvsync_version, "
                        "dvsync_deleted_at = NULL",
                        table, list, from_mirror, mirror, id, same_row, updates);
  }
  st = c.prepare(added);
  if (!st) return st.error();
  if (history) st->bind_int(1, now);
  if (auto r = st->run(); !r) return r;
  core::log::info("store.mode_table_caught_up", {{"table", spec.table}, {"mode", config::to_string(spec.mode)},
                                                 {history ? "closed" : "marked_deleted", std::to_string(ended)},
                                                 {"added", std::to_string(c.changes())}});
  return {};
}

}  // namespace

bool captures_changes(config::table_spec const& spec) {
  return spec.change_feed || spec.mode != config::table_mode::mirror;
}

std::string mode_table_name(config::table_spec const& spec) {
  switch (spec.mode) {
    case config::table_mode::soft_delete: return spec.table + "_all";
    case config::table_mode::history: return spec.table + "_history";
    case config::table_mode::mirror: break;
  }
  return {};
}

core::result<void> ensure_mode_table(connection& c, table_layout const& l, config::table_spec const& spec,
                                     std::int64_t now, bool kept) {
  auto const name = mode_table_name(spec);
  if (name.empty()) return {};
  auto const columns = data_columns_of(l);
  auto existing = column_names(c, name);
  if (!existing) return existing.error();
  if (!existing->empty()) {
    for (auto const& col : columns) {
      if (contains(*existing, col.name)) continue;
      if (auto r = c.exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", q(name), q(col.name), col.type)); !r) return r;
    }
    return kept ? core::result<void>{} : catch_up(c, l, spec, now);
  }

  std::string defs;
  for (auto const& col : columns) defs += fmt::format("{} {}, ", q(col.name), col.type);
  bool const history = spec.mode == config::table_mode::history;
  if (history) {
    if (auto r = c.exec(fmt::format("CREATE TABLE {} (dvsync_history_id INTEGER PRIMARY KEY, {}dvsync_version INTEGER, "
                                    "dvsync_valid_from INTEGER NOT NULL, dvsync_valid_to INTEGER)",
                                    q(name), defs));
        !r)
      return r;
    if (auto r = c.exec(fmt::format("CREATE INDEX {} ON {} ({}, dvsync_valid_to)", q("dvsync_current_" + name), q(name),
                                    q(l.id_column())));
        !r)
      return r;
  } else {
    // Keyed by the id: a deleted row keeps its key while a new row takes it.
    if (auto r = c.exec(fmt::format("CREATE TABLE {} ({}dvsync_version INTEGER, dvsync_deleted_at INTEGER, "
                                    "PRIMARY KEY ({})) WITHOUT ROWID",
                                    q(name), defs, q(l.id_column())));
        !r)
      return r;
    if (!l.keyed_by_id)
      if (auto r = c.exec(fmt::format("CREATE INDEX {} ON {} ({})", q("dvsync_key_" + name), q(name), q(l.key_column())));
          !r)
        return r;
  }
  // Filled from the mirror as it is now, with the columns it has (during a migration, the old ones).
  auto mirror_columns = column_names(c, l.mirror_name);
  if (!mirror_columns) return mirror_columns.error();
  std::string shared;
  for (auto const& col : columns)
    if (contains(*mirror_columns, col.name)) shared += q(col.name) + ", ";
  auto fill = c.prepare(fmt::format("INSERT INTO {0} ({1}dvsync_version, {2}) SELECT {1}dvsync_version, ?1 FROM {3}",
                                    q(name), shared, history ? "dvsync_valid_from" : "dvsync_deleted_at",
                                    q(l.mirror_name)));
  if (!fill) return fill.error();
  if (history)
    fill->bind_int(1, now);
  else
    fill->bind_null(1);
  return fill->run();
}

core::result<void> start_capture(connection& c, table_layout const& l) {
  if (auto r = make_changes_table(c); !r) return r;
  if (auto r = stop_capture(c, l); !r) return r;
  auto const names = names_of(data_columns_of(l));
  auto const key = q(l.key_column());
  auto const id = q(l.id_column());
  auto const table = q(l.mirror_name);
  auto const upsert = fmt::format(
      "INSERT INTO dvsync_changes (op, id, key_value, version, row) VALUES ('upsert', NEW.{}, NEW.{}, NEW.{}, {});", id,
      key, version_column, row_json("NEW", names));
  auto const removal = fmt::format(
      "INSERT INTO dvsync_changes (op, id, key_value, version, row) SELECT 'delete', OLD.{0}, OLD.{1}, OLD.{2}, NULL",
      id, key, version_column);
  // Trigger bodies name their tables unqualified; temp (the connection's own) is searched first.
  if (auto r = c.exec(fmt::format("CREATE TEMP TRIGGER {} AFTER INSERT ON main.{} BEGIN {} END",
                                  trigger_name(l, "insert"), table, upsert));
      !r)
    return r;
  // An update that changed the id (never made by the merge, but possible) is the old id's delete.
  // An update that changed nothing is no change: the delta after a full read delivers again the
  // rows written while the read paged, at the version the read already had, and the merge updates
  // them in place.
  if (auto r = c.exec(fmt::format("CREATE TEMP TRIGGER {0} AFTER UPDATE ON main.{1} WHEN OLD.{3} IS NOT NEW.{3} OR "
                                  "OLD.{4} IS NOT NEW.{4} OR {5} IS NOT {6} BEGIN {2} WHERE OLD.{3} IS NOT NEW.{3}; "
                                  "{7} END",
                                  trigger_name(l, "update"), table, removal, id, q(version_column),
                                  row_json("OLD", names), row_json("NEW", names), upsert));
      !r)
    return r;
  return c.exec(fmt::format("CREATE TEMP TRIGGER {} AFTER DELETE ON main.{} BEGIN {}; END", trigger_name(l, "delete"),
                            table, removal));
}

core::result<void> stop_capture(connection& c, table_layout const& l) {
  for (auto const* event : {"insert", "update", "delete"})
    if (auto r = c.exec(fmt::format("DROP TRIGGER IF EXISTS temp.{}", trigger_name(l, event))); !r) return r;
  return {};
}

core::result<void> capture_difference(connection& c, table_layout const& l, std::string const& old_name) {
  if (auto r = make_changes_table(c); !r) return r;
  auto const new_names = names_of(data_columns_of(l));
  auto old_columns = column_names(c, old_name);
  if (!old_columns) return old_columns.error();
  // The old row's JSON lists the columns in the new order, then those the new table lacks: rows
  // that did not change give the same text.
  std::vector<std::string> old_names;
  for (auto const& n : new_names)
    if (contains(*old_columns, n)) old_names.push_back(n);
  for (auto const& n : *old_columns)
    if (!contains(new_names, n) && !same_name(n, version_column)) old_names.push_back(n);

  auto const id = q(l.id_column());
  auto const version = q(version_column);
  if (!contains(*old_columns, l.id_column()) || !contains(*old_columns, version_column)) {
    // Not a mirror of these ids (it was made for another table): every row is new.
    return c.exec(fmt::format("INSERT INTO temp.dvsync_changes (op, id, key_value, version, row) "
                              "SELECT 'upsert', n.{}, n.{}, n.{}, {} FROM main.{} n",
                              id, q(l.key_column()), version, row_json("n", new_names), q(l.mirror_name)));
  }
  auto const old_key = contains(*old_columns, l.key_column()) ? "o." + q(l.key_column()) : std::string("NULL");
  if (auto r = c.exec(fmt::format("INSERT INTO temp.dvsync_changes (op, id, key_value, version, row) "
                                  "SELECT 'delete', o.{0}, {1}, o.{2}, NULL FROM main.{3} o "
                                  "WHERE NOT EXISTS (SELECT 1 FROM main.{4} n WHERE n.{0} = o.{0})",
                                  id, old_key, version, q(old_name), q(l.mirror_name)));
      !r)
    return r;
  return c.exec(fmt::format("INSERT INTO temp.dvsync_changes (op, id, key_value, version, row) "
                            "SELECT 'upsert', n.{0}, n.{1}, n.{2}, {3} FROM main.{4} n LEFT JOIN main.{5} o ON o.{0} = n.{0} "
                            "WHERE o.{0} IS NULL OR o.{2} IS NOT n.{2} OR {6} IS NOT {3}",
                            id, q(l.key_column()), version, row_json("n", new_names), q(l.mirror_name), q(old_name),
                            row_json("o", old_names)));
}

core::result<void> apply_changes(connection& c, table_layout const& l, config::table_spec const& spec,
                                 std::int64_t now, std::int64_t feed_cutoff) {
  if (auto r = make_changes_table(c); !r) return r;
  auto changes = c.query_int("SELECT count(*) FROM temp.dvsync_changes");
  if (!changes) return changes.error();
  if (spec.change_feed) {
    if (*changes > 0) {
      // Each id's last change only: a merge that moves keys deletes a row it then writes again (the
      // row displaced from the key another takes, then its own upsert), a delete the source never made.
      auto feed = c.prepare(fmt::format(
          "INSERT INTO main.dvsync_feed (table_name, id, key_value, op, version, committed_at, row) "
          "SELECT ?1, id, key_value, op, version, ?2, row FROM temp.dvsync_changes WHERE {} ORDER BY n",
          last_changes));
      if (!feed) return feed.error();
      feed->bind_text(1, spec.table);
      feed->bind_int(2, now);
      if (auto r = feed->run(); !r) return r;
      if (auto r = run_with_table(c, "UPDATE main.dvsync_table_state SET feed_last_seq = (SELECT max(seq) FROM "
                                     "main.dvsync_feed) WHERE table_name = ?1",
                                  spec.table);
          !r)
        return r;
    }
    // Every table's old rows, up to the last one committed before the cutoff: what is pruned is
    // always a prefix of seq, so a consumer can tell that it missed changes.
    auto prune = c.prepare(
        "DELETE FROM main.dvsync_feed WHERE seq <= (SELECT max(seq) FROM main.dvsync_feed WHERE committed_at < ?1)");
    if (!prune) return prune.error();
    prune->bind_int(1, feed_cutoff);
    if (auto r = prune->run(); !r) return r;
  }
  if (*changes > 0) {
    auto const name = mode_table_name(spec);
    if (spec.mode == config::table_mode::soft_delete)
      if (auto r = apply_soft_delete(c, l, name, now); !r) return r;
    if (spec.mode == config::table_mode::history)
      if (auto r = apply_history(c, l, name, now); !r) return r;
  }
  return c.exec("DELETE FROM temp.dvsync_changes");
}

}  // namespace dvsync::store
