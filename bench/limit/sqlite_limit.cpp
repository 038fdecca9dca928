// The physical limit the daemon is measured against: the same pages, already in memory, parsed
// with Boost.JSON, and the same rows inserted into the same table (the daemon's own CREATE TABLE
// and pragmas) with one prepared statement. No network, no staging, no bookkeeping.
//
//   dvsync-bench-limit --pages DIR --db FILE [--commit-every N] [--order arrival|key]
//
// DIR holds the page bodies as saved by bench/bench.py (one file per page, read in name order).
// --commit-every 0 (the default) inserts everything in one transaction; N commits every N rows.
// --order arrival (the default) inserts in page order; key sorts the rows by key in memory first,
// so that the B-tree is filled in order whatever order the keys arrived in, into the mirror's
// layout without the GUID's inline UNIQUE, and builds the GUID's unique index after the rows in the
// same transaction: the end state of the daemon's sorted build (built inline, the index would take
// the rows in random GUID order).
// Prints one JSON object: rows, pages, bytes, parse_s (Boost.JSON DOM), extract_s (DOM to rows),
// sort_s (0 in arrival order), insert_s (BEGIN to the last COMMIT).
#include "common.hpp"

#include "store/table_layout.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

int main(int argc, char** argv) try {
  using namespace dvsync::bench;
  auto flags = parse_flags(argc, argv, {"--pages", "--db", "--commit-every", "--order"});
  std::string const order = flags.contains("--order") ? flags["--order"] : "arrival";
  if (!flags.contains("--pages") || !flags.contains("--db") || (order != "arrival" && order != "key"))
    throw std::runtime_error("usage: dvsync-bench-limit --pages DIR --db FILE [--commit-every N] [--order arrival|key]");
  std::string const db_path = flags["--db"];
  long const commit_every = flags.contains("--commit-every") ? std::stol(flags["--commit-every"]) : 0;

  auto pages = read_pages(flags["--pages"]);
  auto parsed = parse_pages(pages.bodies);
  for (auto const& c : parsed.changes)
    if (c.deleted) throw std::runtime_error("an initial read has no deleted entries");
  auto s0 = clock_type::now();
  std::vector<change const*> rows;
  rows.reserve(parsed.changes.size());
  for (auto const& c : parsed.changes) rows.push_back(&c);
  if (order == "key") std::sort(rows.begin(), rows.end(), [](auto const* a, auto const* b) { return a->key < b->key; });
  auto s1 = clock_type::now();

  // The daemon's schema and pragmas, from the daemon's own code.
  create_mirror_database(db_path, book_spec());
  sqlite3* db = open_with_daemon_pragmas(db_path);
  auto table = book_table_sql();
  auto layout = dvsync::store::make_layout(book_spec());
  if (!layout) throw std::runtime_error(layout.error().message);
  if (order == "key") {
    exec(db, "DROP TABLE " + table.name);
    exec(db, layout->create_table(layout->mirror_name, dvsync::store::table_layout::id_constraint::built_after));
  }
  std::string cols, params;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    cols += (i ? ", " : "") + table.columns[i];
    params += (i ? ", ?" : "?") + std::to_string(i + 1);
  }
  sqlite3_stmt* insert = prepare(db, "INSERT INTO " + table.name + " (" + cols + ") VALUES (" + params + ")");

  auto t0 = clock_type::now();
  exec(db, "BEGIN");
  long in_tx = 0;
  for (auto const* r : rows) {
    bind_row(insert, *r);
    run(db, insert, "insert");
    if (commit_every > 0 && ++in_tx == commit_every) {
      exec(db, "COMMIT");
      exec(db, "BEGIN");
      in_tx = 0;
    }
  }
  if (order == "key") exec(db, layout->create_id_index());
  exec(db, "COMMIT");
  auto t1 = clock_type::now();
  sqlite3_finalize(insert);
  sqlite3_close(db);

  std::printf("{\"rows\": %zu, \"pages\": %zu, \"bytes\": %zu, \"commit_every\": %ld, \"parse_s\": %.4f, "
              "\"extract_s\": %.4f, \"sort_s\": %.4f, \"insert_s\": %.4f}\n",
              parsed.changes.size(), pages.bodies.size(), pages.bytes, commit_every, parsed.parse.count(),
              parsed.extract.count(), seconds(s1 - s0).count(), seconds(t1 - t0).count());
  return 0;
} catch (std::exception const& e) {
  std::fprintf(stderr, "dvsync-bench-limit: %s\n", e.what());
  return 1;
}
