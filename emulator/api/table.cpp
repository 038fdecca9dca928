#include "table.hpp"

#include "cells.hpp"

namespace emulator {

table::table(table_schema s) : schema_(std::move(s)), key_index_(schema_.keys.size()) {}

row const* table::find(guid id) const {
  auto const it = rows_.find(id);
  return it == rows_.end() ? nullptr : &it->second;
}

std::optional<guid> table::find_by_key(std::size_t key_index, std::string const& composite) const {
  auto const& index = key_index_.at(key_index);
  auto const it = index.find(composite);
  if (it == index.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> table::composite_key(alternate_key const& k, std::vector<std::string> const& values) const {
  std::string composite;
  for (std::size_t i = 0; i < k.columns.size(); ++i) {
    std::string_view const part = cell_json(values[k.columns[i]]);
    if (part == null_cell) return std::nullopt;
    // Stored texts are JSON, in which a raw 0x1f cannot occur, so the separator is unambiguous.
    if (i > 0) composite.push_back('\x1f');
    composite += part;
  }
  return composite;
}

result<void> table::check_keys(std::vector<std::string> const& values, std::optional<guid> self) const {
  for (std::size_t k = 0; k < schema_.keys.size(); ++k) {
    auto const composite = composite_key(schema_.keys[k], values);
    if (!composite) continue;
    auto const owner = find_by_key(k, *composite);
    if (owner && owner != self)
      return errors::duplicate_key(schema_.keys[k].name, schema_.key_attributes(schema_.keys[k]));
  }
  return {};
}

void table::index_keys(guid id, std::vector<std::string> const& values) {
  for (std::size_t k = 0; k < schema_.keys.size(); ++k) {
    if (auto composite = composite_key(schema_.keys[k], values)) key_index_[k][std::move(*composite)] = id;
  }
}

void table::unindex_keys(std::vector<std::string> const& values) {
  for (std::size_t k = 0; k < schema_.keys.size(); ++k) {
    if (auto const composite = composite_key(schema_.keys[k], values)) key_index_[k].erase(*composite);
  }
}

bool table::insert(guid id, std::vector<std::string> const& values, std::int64_t version, std::int64_t now) {
  return insert(id, values, version, now, rows_.lower_bound(id));
}

bool table::insert(guid id, std::vector<std::string> const& values, std::int64_t version, std::int64_t now,
                   row_map::const_iterator hint) {
  auto const size_before = rows_.size();
  auto const it = rows_.emplace_hint(hint, id, row{version, now, now, pack_cells(values)});
  if (rows_.size() == size_before) return false;
  // A row that comes back under a deleted id must not be followed by its old delete in a delta.
  if (auto const t = tombstone_version_.find(id); t != tombstone_version_.end()) {
    tombstones_.erase(t->second);
    tombstone_version_.erase(t);
  }
  // Versions only grow, so every new entry goes at the end of the version index.
  by_version_.emplace_hint(by_version_.end(), version, it);
  index_keys(id, values);
  return true;
}

void table::reserve_keys(std::size_t more_rows) {
  for (auto& index : key_index_) index.reserve(rows_.size() + more_rows);
}

void table::replace(guid id, std::vector<std::string> const& values, std::int64_t version, std::int64_t now) {
  auto const it = rows_.find(id);
  unindex_keys(row_values(it->second));
  by_version_.erase(it->second.version);
  it->second.version = version;
  it->second.modified_on = now;
  it->second.cells = pack_cells(values);
  by_version_.emplace_hint(by_version_.end(), version, it);
  index_keys(id, values);
}

bool table::erase(guid id, std::int64_t version, std::int64_t now) {
  auto const it = rows_.find(id);
  if (it == rows_.end()) return false;
  unindex_keys(row_values(it->second));
  by_version_.erase(it->second.version);
  rows_.erase(it);
  tombstones_.emplace_hint(tombstones_.end(), version, tombstone{id, now});
  tombstone_version_[id] = version;
  return true;
}

void table::clear() {
  rows_.clear();
  by_version_.clear();
  tombstones_.clear();
  tombstone_version_.clear();
  for (auto& index : key_index_) index.clear();
}

std::int64_t table::purge_tombstones(std::int64_t cutoff) {
  // Tombstones are in version order, which is deletion-time order as long as the clock only moves
  // forward; stopping at the first young one keeps a purge O(purged).
  std::int64_t highest = 0;
  while (!tombstones_.empty() && tombstones_.begin()->second.deleted_on < cutoff) {
    auto const it = tombstones_.begin();
    highest = it->first;
    tombstone_version_.erase(it->second.id);
    tombstones_.erase(it);
  }
  return highest;
}

void table::add_column(column c) {
  schema_.columns.push_back(std::move(c));
  std::vector<std::string> values;
  for (auto& [id, r] : rows_) {
    values = row_values(r);
    values.emplace_back(null_cell);
    r.cells = pack_cells(values);
  }
}

void table::remove_column(std::size_t index) {
  schema_.columns.erase(schema_.columns.begin() + static_cast<std::ptrdiff_t>(index));
  for (auto& k : schema_.keys)
    for (auto& c : k.columns)
      if (c > index) --c;
  std::vector<std::string> values;
  for (auto& [id, r] : rows_) {
    values = row_values(r);
    values.erase(values.begin() + static_cast<std::ptrdiff_t>(index));
    r.cells = pack_cells(values);
  }
}

std::vector<std::string> row_values(row const& r) {
  std::vector<std::string_view> views;
  unpack_cells(r.cells, views);
  return {views.begin(), views.end()};
}

}  // namespace emulator
