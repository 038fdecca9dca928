#pragma once
// What the limit programs share: their command line, the saved pages and what they hold, the
// bench's table and its SQL from the daemon's own layout, and thin SQLite helpers that throw.
#include "config/settings.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace dvsync::bench {

using seconds = std::chrono::duration<double>;
using clock_type = std::chrono::steady_clock;

// `--flag value` pairs; throws std::runtime_error for a flag not in `known` or a missing value.
std::map<std::string, std::string> parse_flags(int argc, char** argv, std::vector<std::string> const& known);

// The page bodies that bench/bench.py saved, one file per page, in name order (= page order).
struct page_set {
  std::vector<std::string> bodies;
  std::size_t bytes = 0;
};
page_set read_pages(std::string const& dir);

// One entry of a page's "value": a row as served (new or changed), or the id of a deleted row
// (an entry whose @odata.context ends in /$deletedEntity). A null or absent column is nullopt,
// stored as NULL as the daemon does.
struct change {
  bool deleted = false;
  std::string key, id;
  std::optional<std::string> name, author;
  std::int64_t version = 0;  // from @odata.etag W/"<version>"
};

struct parsed_pages {
  std::vector<change> changes;  // in arrival order
  seconds parse{0};             // Boost.JSON DOM: one reused parser, one arena per page, as the daemon
  seconds extract{0};           // DOM to changes
};
parsed_pages parse_pages(std::vector<std::string> const& bodies);

// The bench's table as bench/bench.py configures the daemon, and its SQL from
// store::make_layout: the quoted table name, and the quoted columns in mirror order (key, id,
// sample_name, sample_author, dvsync_version) which bind_row's parameters follow.
config::table_spec book_spec();
struct book_table {
  std::string name;
  std::vector<std::string> columns;
};
book_table book_table_sql();

// A new database at `path` (any old one and its WAL removed) made by the daemon's own code
// (store::database::open: its schema, pragmas and page size), holding the mirror table of `spec`.
void create_mirror_database(std::string const& path, config::table_spec const& spec);

void check(sqlite3* db, int rc, char const* what);
void exec(sqlite3* db, std::string const& sql);
// Opens an existing database and applies the daemon's per-connection PRAGMAs
// (store::connection_pragmas with the default settings: synchronous=FULL).
sqlite3* open_with_daemon_pragmas(std::string const& path);
sqlite3_stmt* prepare(sqlite3* db, std::string const& sql);
// ?1 key, ?2 id: for statements that take only those.
void bind_key_id(sqlite3_stmt* st, change const& c);
// ?1 key, ?2 id, ?3 sample_name, ?4 sample_author, ?5 version.
void bind_row(sqlite3_stmt* st, change const& c);
// Steps a statement that returns no rows, resets it, and returns sqlite3_changes.
int run(sqlite3* db, sqlite3_stmt* st, char const* what);

}  // namespace dvsync::bench
