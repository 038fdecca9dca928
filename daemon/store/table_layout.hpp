#pragma once
// The SQL of one configured table: its mirror, its shadow (built by full cycles and renamed over
// the mirror) and its stage (delta changes and rejects of the cycle in progress). Pure: names
// and statements only, so the layout rules are tested without a database.
#include "config/settings.hpp"
#include "core/error.hpp"
#include "dataverse/page.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace dvsync::store {

struct table_layout {
  std::string mirror_name;    // unquoted: the configured table name
  std::string shadow_name;    // dvsync_shadow_<table>
  std::string stage_name;     // dvsync_stage_<table>
  std::string side_name;      // dvsync_side_<table>: rows of a full read that came out of key order
  std::string sorted_name;    // dvsync_sorted_<table>: shadow and side merged in key order
  std::string id_index_name;  // dvsync_id_<table>: the id's unique index on a mirror built sorted
  std::string old_name;       // dvsync_old_<table>: the mirror a full cycle replaces, while compared

  // Mirror (and shadow) columns in order: the key, the id (unless the key is the id: a table
  // without an alternate key), the other fields (config::fields_of), dvsync_version. Row
  // statements take one parameter per column, ?1 for columns[0] and so on.
  std::vector<std::string> columns;
  std::vector<std::string> types;          // declared SQL type of each column, empty for none
  bool keyed_by_id = false;                // the id is the PRIMARY KEY (no alternate key configured)
  std::size_t key_value = 0;               // index in dataverse::record::columns of the key (keyed only)
  std::vector<std::size_t> other_values;   // index in record::columns of each other column
  std::size_t record_values = 0;           // values a record brings: one per config::fields_of

  std::string const& key_column() const { return columns[0]; }
  std::string const& id_column() const { return columns[id_index()]; }
  std::size_t id_index() const { return keyed_by_id ? 0 : 1; }
  std::size_t first_other() const { return id_index() + 1; }

  // The mirror layout, under any name. Without the id's UNIQUE constraint for a table filled in
  // key order whose id index is built afterwards (create_id_index), in one sorted pass.
  enum class id_constraint { inline_unique, built_after };
  std::string create_table(std::string const& name, id_constraint id = id_constraint::inline_unique) const;
  std::string create_stage() const;
  std::string create_side() const;

  // Row statements. Parameters: one per column in order (?1 key, then the id unless keyed by id,
  // the other columns, the version); a row whose id is already there with a higher version is left
  // alone (duplicates keep the highest).
  std::string upsert_stage() const;
  std::string insert_stage() const;         // same parameters; fails when the id is already staged
  // Full cycles: the plain insert into the shadow (fails on any conflict of key or id), and the
  // side table's, with the page the row came in (?N+1, N the number of columns).
  std::string insert_shadow() const;
  std::string insert_side() const;
  std::string delete_shadow() const;        // ?1 id
  // ?1 id, ?2 page; replaces whatever the id had staged.
  std::string stage_delete() const;
  std::string stage_reject() const;         // ?1 id, ?2 raw_json, ?3 reason, ?4 page
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
  // rewrites that row's page and leaves the id index alone (parameters as insert_mirror).
  // Any other upsert deletes the rows it displaces (parameters as insert_mirror, of which it uses
  // the key and the id: its own old row and any row holding its key), then is inserted. Only staged rows that share a key can affect
  // one another (staged ids are unique), so key order gives what version order would, and walks
  // the mirror's B-tree in order. One row per statement needs no statement journal (a multi-row
  // INSERT OR REPLACE first copies every page it touches to one), and the deletes count the rows
  // that go.
  std::string staged_upserts() const;
  std::string update_in_place() const;
  std::string delete_displaced() const;
  std::string insert_mirror() const;

  // Full merge. With side rows: the deletes and rejects of a page remove the side rows of their
  // id from that page and earlier ones, a side row from a later page prunes the reject; then
  // shadow and side are merged into the sorted table in key order, and for rows that claim one key
  // the highest version wins (then the latest page); then of rows that share an id the highest
  // version stays (dedupe_ids, needed only when create_id_index meets a duplicate).
  std::string side_is_empty() const;
  std::string drop_side_rows_deleted_later() const;
  std::string prune_side_rejects() const;
  std::string fill_sorted() const;
  std::string dedupe_ids(std::string const& name) const;
  std::string create_id_index() const;  // on the mirror; keyed tables only
  std::string count_rows(std::string const& name) const;
  // Rows of the new table whose id the mirror has: the mirror loses the rest of its rows.
  std::string count_ids_kept(std::string const& name) const;

 private:
  // INSERT of one row into `name`, parameters ?1.. in column order, after an optional first column
  // with its own parameter.
  std::string insert_row(std::string const& name, std::string const& first_column = {},
                         std::string const& first_param = {}) const;
};

// config_invalid when the spec breaks a rule of the mirror: the key (when there is one) must be one
// of the columns and differ from the id, columns are unique (SQLite names ignore case), and names
// starting with dvsync_ or sqlite_ are reserved.
core::result<table_layout> make_layout(config::table_spec const& spec);

// A key that cannot key the mirror, whose row goes to the rejects: null or the empty string.
inline bool missing_key(dataverse::value_view v) {
  if (std::holds_alternative<std::monostate>(v)) return true;
  auto const* s = std::get_if<std::string_view>(&v);
  return s != nullptr && s->empty();
}

// None when the existing columns equal the expected ones; otherwise what differs, for a message.
std::optional<std::string> column_difference(std::vector<std::string> const& existing,
                                             std::vector<std::string> const& expected);

}  // namespace dvsync::store
