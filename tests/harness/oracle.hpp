#pragma once
// The oracle of every data test: the mirror equals the source as a set of (id, key, columns, version).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dvsync::test {

struct table_shape {
  std::string table = "sample_book";
  std::string id = "sample_bookid";
  std::string key = "sample_bookcode";
  std::vector<std::string> columns = {"sample_name", "sample_bookcode", "sample_author"};
};

struct row {
  std::string id;
  std::vector<std::optional<std::string>> columns;  // canonical text; nullopt = NULL
  std::optional<std::int64_t> version;
  bool operator==(row const&) const = default;
};

using row_set = std::map<std::string, row>;  // by id

// Rows of the emulator's dump (GET /_emulator/rows): a JSON array of {"id","version",<columns>}.
// Rows whose key is null or empty are left out: the mirror keeps them in dvsync_rejects instead.
row_set rows_from_dump(std::string const& dump_json, table_shape const& shape);
// Rows of the mirror table, read through a read-only connection.
row_set rows_from_mirror(std::string const& db_path, table_shape const& shape);

struct difference {
  std::vector<std::string> missing;  // in the source, not in the mirror
  std::vector<std::string> extra;    // in the mirror, not in the source (a lost delete)
  std::vector<std::string> stale;    // in both, with other values or version
  bool empty() const { return missing.empty() && extra.empty() && stale.empty(); }
  std::string describe() const;
};

difference compare(row_set const& source, row_set const& mirror);

// PRAGMA integrity_check through a read-only connection ("ok" when sound).
std::string integrity_check(std::string const& db_path);
// The stored delta link of a table (empty when never synced).
std::string stored_delta_link(std::string const& db_path, std::string const& table);
// A single-value query through a read-only connection ("" for NULL or no row).
std::string query_text(std::string const& db_path, std::string const& sql);
// Runs SQL with a writing connection, as a person at the sqlite3 shell would (tests that age state
// or tamper with the database); throws on failure.
void exec_sql(std::string const& db_path, std::string const& sql);

}  // namespace dvsync::test
