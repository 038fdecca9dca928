#pragma once
// The SQL of one configured table: its mirror, its shadow (built by full cycles and renamed over
// the mirror) and its stage (delta changes and rejects of the cycle in progress). Pure: names
// and statements only, so the layout rules are tested without a database.
#include "config/settings.hpp"
#include "core/error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace dvsync::store {

struct table_layout {
  std::string mirror_name;  // unquoted: the configured table name
  std::string shadow_name;  // dvsync_shadow_<table>
  std::string stage_name;   // dvsync_stage_<table>

  // Mirror (and shadow) columns in order: key, id, the other configured columns, dvsync_version.
  std::vector<std::string> columns;
  std::size_t key_value = 0;               // index of the key in dataverse::record::columns
  std::vector<std::size_t> other_values;   // index in record::columns of each other column

  std::string create_table(std::string const& name) const;  // mirror layout, under any name
  std::string create_stage() const;

  // Row statements. Parameters: ?1 key, ?2 id, ?3.. the other columns, then the version; a row
  // whose id is already there with a higher version is left alone (duplicates keep the highest).
  std::string upsert_shadow() const;
  std::string insert_shadow() const;        // same parameters; fails on any conflict of key or id
  std::string upsert_stage() const;
  std::string insert_stage() const;         // same parameters; fails when the id is already staged
  std::string delete_shadow() const;        // ?1 id
  std::string stage_delete() const;         // ?1 id; replaces whatever the id had staged
  std::string stage_reject() const;         // ?1 id, ?2 raw_json, ?3 reason
  // Full cycles: a row read after its id was rejected in an earlier page wins over the reject.
  std::string prune_stage_rejects() const;
  std::string count_stage_ops() const;      // rows of (op, count)
  std::string stage_is_empty() const;       // 1 when nothing is staged, else 0

  // Delta merge, in this order; ?1 table name, ?2 seen_at where used.
  std::string merge_deletes() const;        // mirror rows of staged deletes and rejects
  std::string merge_clear_rejects() const;  // rejects of ids that were upserted or deleted
  std::string merge_add_rejects() const;
  // The staged upserts in mirror column order, by key then ascending version and arrival, and the
  // statements that write each. Most are updates of a row that keeps its key: update_in_place
  // rewrites that row's page and leaves the id index alone (?1 key, ?2 id, then as insert_mirror).
  // Any other upsert deletes the rows it displaces (?1 key, ?2 id: its own old row and any row
  // holding its key), then is inserted. Only staged rows that share a key can affect
  // one another (staged ids are unique), so key order gives what version order would, and walks
  // the mirror's B-tree in order. One row per statement needs no statement journal (a multi-row
  // INSERT OR REPLACE first copies every page it touches to one), and the deletes count the rows
  // that go.
  std::string staged_upserts() const;
  std::string update_in_place() const;
  std::string delete_displaced() const;
  std::string insert_mirror() const;

  // Full merge.
  std::string count_rows(std::string const& name) const;
  std::string count_missing_from_shadow() const;  // mirror rows whose id the full read did not return
};

// config_invalid when the spec breaks a rule of the mirror: the key must be one of the columns
// and differ from the id, columns are unique (SQLite names ignore case), and names starting with
// dvsync_ or sqlite_ are reserved.
core::result<table_layout> make_layout(config::table_spec const& spec);

// None when the existing columns equal the expected ones; otherwise what differs, for a message.
std::optional<std::string> column_difference(std::vector<std::string> const& existing,
                                             std::vector<std::string> const& expected);

}  // namespace dvsync::store
