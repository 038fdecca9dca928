#pragma once
// A statement about one mirror table's bookkeeping, for the store's .cpp files only.
#include "core/error.hpp"
#include "dataverse/page.hpp"
#include "store/sqlite.hpp"
#include "store/table_layout.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dvsync::store {

// Runs `sql` with ?1 the table's name and, when given, ?2 a time (unix seconds).
inline core::result<void> run_with_table(connection& c, std::string const& sql, std::string const& table,
                                         std::optional<std::int64_t> now = std::nullopt) {
  auto st = c.prepare(sql);
  if (!st) return st.error();
  st->bind_text(1, table);
  if (now) st->bind_int(2, *now);
  return st->run();
}

// The first column of the first row of `sql`, with ?1 the table's name; none when there is no row
// or the value is NULL.
inline core::result<std::optional<std::int64_t>> int_for_table(connection& c, std::string const& sql,
                                                                std::string const& table) {
  auto st = c.prepare(sql);
  if (!st) return st.error();
  st->bind_text(1, table);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::int64_t>{};
  auto value = st->column_optional_int(0);
  st->reset();
  return value;
}

// Binds a record to a statement with one parameter per mirror column, in the layout's column order
// (table_layout::insert_mirror and its kin): the key, the id, the other columns, the version. The
// record must have layout.record_values values.
inline void bind_mirror_row(statement& st, table_layout const& l, dataverse::record const& r) {
  if (!l.keyed_by_id) st.bind_value(1, r.at(l.key_value));
  st.bind_text(static_cast<int>(l.id_index()) + 1, r.id);
  int const first = static_cast<int>(l.first_other()) + 1;
  for (std::size_t i = 0; i < l.other_values.size(); ++i) st.bind_value(static_cast<int>(i) + first, r.at(l.other_values[i]));
  st.bind_int(static_cast<int>(l.columns.size()), r.version);
}

// A table's column as declared: its name and declared type (empty for none).
struct column_declaration {
  std::string name;
  std::string type;
};

// The columns of a table as declared, in order (none when it does not exist).
inline core::result<std::vector<column_declaration>> column_declarations(connection& c, std::string const& table) {
  auto info = c.prepare("SELECT name, type FROM pragma_table_info(?1) ORDER BY cid");
  if (!info) return info.error();
  info->bind_text(1, table);
  std::vector<column_declaration> columns;
  for (;;) {
    auto r = info->step();
    if (!r) return r.error();
    if (!*r) break;
    columns.push_back({info->column_text(0), info->column_text(1)});
  }
  return columns;
}

// The columns of a table, in order (none when it does not exist).
inline core::result<std::vector<std::string>> column_names(connection& c, std::string const& table) {
  auto declared = column_declarations(c, table);
  if (!declared) return declared.error();
  std::vector<std::string> names;
  for (auto& d : *declared) names.push_back(std::move(d.name));
  return names;
}

}  // namespace dvsync::store
