#pragma once
// One table's rows and the indexes every request needs in O(log n): rows ordered by id (paged
// reads), rows ordered by version and tombstones ordered by version (deltas), and one hash index
// per alternate key. Versions and times are handed in by the caller (the store owns the clock
// and the global version counter).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "errors.hpp"
#include "guid.hpp"
#include "schema.hpp"

namespace emulator {

struct row {
  std::int64_t version = 0;
  std::int64_t created_on = 0;   // unix seconds
  std::int64_t modified_on = 0;  // unix seconds
  std::string cells;             // see cells.hpp, one value per declared column
};

struct tombstone {
  guid id;
  std::int64_t deleted_on = 0;  // unix seconds
};

class table {
 public:
  using row_map = std::map<guid, row>;
  using version_map = std::map<std::int64_t, row_map::const_iterator>;
  using tombstone_map = std::map<std::int64_t, tombstone>;

  explicit table(table_schema s);
  table(table&&) = default;
  table& operator=(table&&) = default;

  table_schema const& schema() const { return schema_; }
  row_map const& rows() const { return rows_; }
  version_map const& rows_by_version() const { return by_version_; }
  tombstone_map const& tombstones() const { return tombstones_; }

  row const* find(guid id) const;
  // `composite` comes from composite_key(); nullopt when no row has that key value.
  std::optional<guid> find_by_key(std::size_t key_index, std::string const& composite) const;
  // The index text of key `k` for `values` (stored texts of every column); nullopt when a part of
  // the key is null: such rows are not indexed, several may share a null key.
  std::optional<std::string> composite_key(alternate_key const& k, std::vector<std::string> const& values) const;

  // Refuses values that would give another row (not `self`) the same alternate key.
  result<void> check_keys(std::vector<std::string> const& values, std::optional<guid> self) const;

  // Callers check keys first. insert does nothing and returns false when the id exists; `hint`
  // is where the id probably goes (the row after it), which makes bulk inserts of ascending ids
  // O(1) each.
  bool insert(guid id, std::vector<std::string> const& values, std::int64_t version, std::int64_t now);
  bool insert(guid id, std::vector<std::string> const& values, std::int64_t version, std::int64_t now,
              row_map::const_iterator hint);
  // replace requires a present id.
  void replace(guid id, std::vector<std::string> const& values, std::int64_t version, std::int64_t now);
  bool erase(guid id, std::int64_t version, std::int64_t now);  // leaves a tombstone
  void clear();                                                 // rows and tombstones
  // Drops tombstones deleted before `cutoff`; returns the highest dropped version (0: none).
  std::int64_t purge_tombstones(std::int64_t cutoff);

  // Schema changes at run time (the control API): a new column is null in every row; a removed
  // one disappears from every row. Neither changes a row's version.
  void add_column(column c);
  void remove_column(std::size_t index);

  // Every generated value of this table has a distinct sequence number (seed/mutate).
  std::int64_t next_sequence() { return ++sequence_; }
  void reserve_keys(std::size_t more_rows);  // before a bulk insert, so the key indexes rehash once

 private:
  void index_keys(guid id, std::vector<std::string> const& values);
  void unindex_keys(std::vector<std::string> const& values);

  table_schema schema_;
  row_map rows_;
  version_map by_version_;
  tombstone_map tombstones_;
  std::unordered_map<guid, std::int64_t, guid_hash> tombstone_version_;  // id -> tombstone version
  std::vector<std::unordered_map<std::string, guid>> key_index_;         // one per alternate key
  std::int64_t sequence_ = 0;
};

// The values of a stored row, as owned strings (for an update that starts from the current row).
std::vector<std::string> row_values(row const& r);

}  // namespace emulator
