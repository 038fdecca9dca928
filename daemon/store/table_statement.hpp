#pragma once
// A statement about one mirror table's bookkeeping, for the store's .cpp files only.
#include "core/error.hpp"
#include "store/sqlite.hpp"

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

// The columns of a table, in order (none when it does not exist).
inline core::result<std::vector<std::string>> column_names(connection& c, std::string const& table) {
  auto info = c.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid");
  if (!info) return info.error();
  info->bind_text(1, table);
  std::vector<std::string> names;
  for (;;) {
    auto r = info->step();
    if (!r) return r.error();
    if (!*r) break;
    names.push_back(info->column_text(0));
  }
  return names;
}

}  // namespace dvsync::store
