#include "store/table_layout.hpp"

#include "store/sqlite.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace dvsync::store {
namespace {

constexpr std::string_view version_column = "dvsync_version";

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// SQLite compares identifiers without regard to ASCII case.
bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool reserved(std::string_view name) {
  auto starts = [&](std::string_view prefix) { return name.size() >= prefix.size() && same_name(name.substr(0, prefix.size()), prefix); };
  return starts("dvsync_") || starts("sqlite_");
}

std::string q(std::string_view name) { return quote_identifier(name); }

std::string join(std::vector<std::string> const& items) {
  std::string out;
  for (auto const& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

core::result<table_layout> make_layout(config::table_spec const& spec) {
  auto invalid = [&](std::string what) {
    return core::make_error(core::errc::config_invalid, fmt::format("table {}: {}", spec.table, what));
  };
  if (spec.table.empty() || spec.id.empty()) return invalid("table and id must be set");
  if (reserved(spec.table)) return invalid("table names starting with dvsync_ or sqlite_ are reserved");
  if (same_name(spec.key, spec.id)) return invalid(fmt::format("key and id are the same column ({})", spec.key));

  table_layout l;
  l.mirror_name = spec.table;
  l.shadow_name = "dvsync_shadow_" + spec.table;
  l.stage_name = "dvsync_stage_" + spec.table;
  l.side_name = "dvsync_side_" + spec.table;
  l.sorted_name = "dvsync_sorted_" + spec.table;
  l.id_index_name = "dvsync_id_" + spec.table;
  l.old_name = "dvsync_old_" + spec.table;
  l.keyed_by_id = spec.key.empty();
  if (l.keyed_by_id) {
    l.columns = {spec.id};
    l.types = {"TEXT"};
  } else {
    l.columns = {spec.key, spec.id};
    l.types = {"TEXT", "TEXT"};
  }

  auto const fields = config::fields_of(spec);
  l.record_values = fields.size();
  bool key_found = false;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    auto const& f = fields[i];
    bool const own = f.of == config::field::part::value;  // extra parts are named by dvsync
    if (own && reserved(f.name)) return invalid(fmt::format("column {}: names starting with dvsync_ or sqlite_ are reserved", f.name));
    for (std::size_t j = 0; j < i; ++j)
      if (same_name(fields[j].name, f.name)) return invalid(fmt::format("column {} is listed twice", f.name));
    if (own && f.name == spec.key) {
      l.key_value = i;
      if (*config::sql_type(f) != '\0') l.types[0] = config::sql_type(f);
      key_found = true;
    } else if (own && same_name(f.name, spec.key)) {
      return invalid(fmt::format("column {} differs from the key {} only in case", f.name, spec.key));
    } else if (!same_name(f.name, spec.id)) {
      // The id's value always comes from the record's id, so a listed id column adds nothing.
      l.columns.push_back(f.name);
      l.types.emplace_back(config::sql_type(f));
      l.other_values.push_back(i);
    }
  }
  if (!l.keyed_by_id && !key_found) return invalid(fmt::format("the key {} is not one of the columns", spec.key));
  l.columns.emplace_back(version_column);
  l.types.emplace_back("INTEGER");
  return l;
}

std::optional<std::string> column_difference(std::vector<std::string> const& existing,
                                             std::vector<std::string> const& expected) {
  auto same_lists = existing.size() == expected.size() &&
                    std::equal(existing.begin(), existing.end(), expected.begin(),
                               [](auto const& a, auto const& b) { return same_name(a, b); });
  if (same_lists) return std::nullopt;
  auto contains = [](std::vector<std::string> const& list, std::string const& name) {
    return std::any_of(list.begin(), list.end(), [&](auto const& x) { return same_name(x, name); });
  };
  std::vector<std::string> missing, extra;
  for (auto const& c : expected)
    if (!contains(existing, c)) missing.push_back(c);
  for (auto const& c : existing)
    if (!contains(expected, c)) extra.push_back(c);
  std::string detail;
  if (!missing.empty()) detail += fmt::format("; missing: {}", join(missing));
  if (!extra.empty()) detail += fmt::format("; not configured: {}", join(extra));
  if (missing.empty() && extra.empty()) detail = "; same columns in another order";
  return fmt::format("has columns ({}) but the configuration needs ({}){}", join(existing), join(expected), detail);
}

std::string table_layout::create_table(std::string const& name, id_constraint id) const {
  // A column without a declared type keeps each JSON value's own type (tables described by hand).
  auto column = [&](std::size_t i) {
    return types[i].empty() ? q(columns[i]) : fmt::format("{} {}", q(columns[i]), types[i]);
  };
  std::string cols = column(0) + " PRIMARY KEY NOT NULL";
  if (!keyed_by_id)
    cols += fmt::format(", {} NOT NULL{}", column(1), id == id_constraint::inline_unique ? " UNIQUE" : "");
  for (std::size_t i = first_other(); i < columns.size(); ++i) cols += ", " + column(i);
  return fmt::format("CREATE TABLE IF NOT EXISTS {} ({}) WITHOUT ROWID", q(name), cols);
}

std::string table_layout::create_stage() const {
  // dvsync_seq keeps arrival order: INSERT OR REPLACE gives a replaced entry a new, higher one.
  std::string cols =
      "dvsync_seq INTEGER PRIMARY KEY, dvsync_id TEXT NOT NULL UNIQUE, "
      "dvsync_op TEXT NOT NULL CHECK (dvsync_op IN ('u', 'd', 'r')), dvsync_version INTEGER, "
      "dvsync_raw_json TEXT, dvsync_reason TEXT, dvsync_page INTEGER";
  if (!keyed_by_id) cols += ", " + q(columns[0]);
  for (std::size_t i = first_other(); i + 1 < columns.size(); ++i) cols += ", " + q(columns[i]);
  return fmt::format("CREATE TABLE IF NOT EXISTS {} ({})", q(stage_name), cols);
}

std::string table_layout::create_side() const {
  // Arrival order is the rowid; no index, so that a page appends whatever order its keys are in.
  std::string cols = "dvsync_page INTEGER NOT NULL";
  for (auto const& c : columns) cols += ", " + q(c);
  return fmt::format("CREATE TABLE IF NOT EXISTS {} ({})", q(side_name), cols);
}

std::string table_layout::insert_shadow() const { return insert_row(shadow_name); }

std::string table_layout::insert_side() const {
  return insert_row(side_name, "dvsync_page", fmt::format("?{}", columns.size() + 1));
}

namespace {

// A staged upsert's stage columns and the parameters they take (see upsert_stage).
struct stage_row {
  std::vector<std::string> names, params;
};

stage_row staged_upsert_row(table_layout const& l) {
  auto const& columns = l.columns;
  stage_row r{{"dvsync_id", "dvsync_op", "dvsync_version"},
              {fmt::format("?{}", l.id_index() + 1), "'u'", fmt::format("?{}", columns.size())}};
  if (!l.keyed_by_id) {
    r.names.push_back(quote_identifier(columns[0]));
    r.params.emplace_back("?1");
  }
  for (std::size_t i = l.first_other(); i + 1 < columns.size(); ++i) {
    r.names.push_back(quote_identifier(columns[i]));
    r.params.push_back(fmt::format("?{}", i + 1));
  }
  return r;
}

}  // namespace

std::string table_layout::upsert_stage() const {
  auto const row = staged_upsert_row(*this);
  return fmt::format("INSERT OR REPLACE INTO {0} ({1}) SELECT {2} WHERE NOT EXISTS "
                     "(SELECT 1 FROM {0} WHERE dvsync_id = ?{4} AND dvsync_op = 'u' AND dvsync_version > ?{3})",
                     q(stage_name), join(row.names), join(row.params), columns.size(), id_index() + 1);
}

std::string table_layout::insert_stage() const {
  auto const row = staged_upsert_row(*this);
  return fmt::format("INSERT INTO {} ({}) VALUES ({})", q(stage_name), join(row.names), join(row.params));
}

std::string table_layout::delete_shadow() const {
  return fmt::format("DELETE FROM {} WHERE {} = ?1", q(shadow_name), q(id_column()));
}

std::string table_layout::stage_delete() const {
  return fmt::format("INSERT OR REPLACE INTO {} (dvsync_id, dvsync_op, dvsync_page) VALUES (?1, 'd', ?2)", q(stage_name));
}

std::string table_layout::stage_reject() const {
  return fmt::format("INSERT OR REPLACE INTO {} (dvsync_id, dvsync_op, dvsync_raw_json, dvsync_reason, dvsync_page) "
                     "VALUES (?1, 'r', ?2, ?3, ?4)",
                     q(stage_name));
}

std::string table_layout::prune_stage_rejects() const {
  return fmt::format("DELETE FROM {0} WHERE dvsync_op = 'r' AND EXISTS (SELECT 1 FROM {1} WHERE {1}.{2} = {0}.dvsync_id)",
                     q(stage_name), q(shadow_name), q(id_column()));
}

std::string table_layout::count_stage_ops() const {
  return fmt::format("SELECT dvsync_op, count(*) FROM {} GROUP BY dvsync_op", q(stage_name));
}

std::string table_layout::stage_is_empty() const {
  return fmt::format("SELECT NOT EXISTS (SELECT 1 FROM {})", q(stage_name));
}

std::string table_layout::merge_deletes() const {
  return fmt::format("DELETE FROM {} WHERE {} IN (SELECT dvsync_id FROM {} WHERE dvsync_op IN ('d', 'r'))",
                     q(mirror_name), q(id_column()), q(stage_name));
}

std::string table_layout::merge_clear_rejects() const {
  return fmt::format("DELETE FROM dvsync_rejects WHERE table_name = ?1 AND id IN "
                     "(SELECT dvsync_id FROM {} WHERE dvsync_op IN ('u', 'd'))",
                     q(stage_name));
}

std::string table_layout::merge_add_rejects() const {
  return fmt::format("INSERT OR REPLACE INTO dvsync_rejects (table_name, id, raw_json, reason, version, seen_at) "
                     "SELECT ?1, dvsync_id, dvsync_raw_json, dvsync_reason, dvsync_version, ?2 FROM {} "
                     "WHERE dvsync_op = 'r'",
                     q(stage_name));
}

std::string table_layout::staged_upserts() const {
  std::vector<std::string> values;
  values.push_back(keyed_by_id ? "dvsync_id" : q(columns[0]));
  if (!keyed_by_id) values.emplace_back("dvsync_id");
  for (std::size_t i = first_other(); i + 1 < columns.size(); ++i) values.push_back(q(columns[i]));
  values.emplace_back("dvsync_version");
  return fmt::format("SELECT {} FROM {} WHERE dvsync_op = 'u' ORDER BY {}, dvsync_version, dvsync_seq", join(values),
                     q(stage_name), values[0]);
}

std::string table_layout::update_in_place() const {
  std::vector<std::string> sets;
  for (std::size_t i = first_other(); i < columns.size(); ++i) sets.push_back(fmt::format("{} = ?{}", q(columns[i]), i + 1));
  if (keyed_by_id) return fmt::format("UPDATE {} SET {} WHERE {} = ?1", q(mirror_name), join(sets), q(columns[0]));
  return fmt::format("UPDATE {} SET {} WHERE {} = ?1 AND {} = ?2", q(mirror_name), join(sets), q(columns[0]),
                     q(columns[1]));
}

std::string table_layout::delete_displaced() const {
  if (keyed_by_id) return fmt::format("DELETE FROM {} WHERE {} = ?1", q(mirror_name), q(columns[0]));
  return fmt::format("DELETE FROM {} WHERE {} = ?1 OR {} = ?2", q(mirror_name), q(columns[0]), q(columns[1]));
}

std::string table_layout::insert_mirror() const { return insert_row(mirror_name); }

std::string table_layout::insert_row(std::string const& name, std::string const& first_column,
                                     std::string const& first_param) const {
  std::vector<std::string> names, params;
  if (!first_column.empty()) {
    names.push_back(first_column);
    params.push_back(first_param);
  }
  for (std::size_t i = 0; i < columns.size(); ++i) {
    names.push_back(q(columns[i]));
    params.push_back(fmt::format("?{}", i + 1));
  }
  return fmt::format("INSERT INTO {} ({}) VALUES ({})", q(name), join(names), join(params));
}

std::string table_layout::side_is_empty() const {
  return fmt::format("SELECT NOT EXISTS (SELECT 1 FROM {})", q(side_name));
}

std::string table_layout::drop_side_rows_deleted_later() const {
  return fmt::format("DELETE FROM {0} WHERE EXISTS (SELECT 1 FROM {1} WHERE {1}.dvsync_id = {0}.{2} AND "
                     "{1}.dvsync_op IN ('d', 'r') AND {1}.dvsync_page >= {0}.dvsync_page)",
                     q(side_name), q(stage_name), q(id_column()));
}

std::string table_layout::prune_side_rejects() const {
  return fmt::format("DELETE FROM {0} WHERE dvsync_op = 'r' AND EXISTS (SELECT 1 FROM {1} WHERE {1}.{2} = {0}.dvsync_id "
                     "AND {1}.dvsync_page > {0}.dvsync_page)",
                     q(stage_name), q(side_name), q(id_column()));
}

std::string table_layout::fill_sorted() const {
  std::vector<std::string> names, updates;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    names.push_back(q(columns[i]));
    if (i > 0) updates.push_back(fmt::format("{0} = excluded.{0}", q(columns[i])));
  }
  auto const cols = join(names);
  // Rows of one key arrive in ascending version, then page, then arrival: the last one stays.
  // "WHERE true" keeps ON CONFLICT from being read as a join constraint.
  return fmt::format("INSERT INTO {0} ({1}) SELECT {1} FROM (SELECT {1}, 0 AS dvsync_page, 0 AS dvsync_seq FROM {2} "
                     "UNION ALL SELECT {1}, dvsync_page, rowid FROM {3}) WHERE true "
                     "ORDER BY {4}, {5}, dvsync_page, dvsync_seq ON CONFLICT ({4}) DO UPDATE SET {6}",
                     q(sorted_name), cols, q(shadow_name), q(side_name), q(columns[0]), q(version_column),
                     join(updates));
}

std::string table_layout::dedupe_ids(std::string const& name) const {
  return fmt::format("DELETE FROM {0} WHERE {1} IN (SELECT {1} FROM (SELECT {1}, row_number() OVER "
                     "(PARTITION BY {2} ORDER BY {3} DESC, {1}) AS n FROM {0}) WHERE n > 1)",
                     q(name), q(columns[0]), q(id_column()), q(version_column));
}

std::string table_layout::create_id_index() const {
  return fmt::format("CREATE UNIQUE INDEX {} ON {} ({})", q(id_index_name), q(mirror_name), q(id_column()));
}

std::string table_layout::count_rows(std::string const& name) const { return fmt::format("SELECT count(*) FROM {}", q(name)); }

std::string table_layout::count_ids_kept(std::string const& name) const {
  return fmt::format("SELECT count(*) FROM {0} AS n WHERE EXISTS (SELECT 1 FROM {1} AS m WHERE m.{2} = n.{2})", q(name),
                     q(mirror_name), q(id_column()));
}

}  // namespace dvsync::store
