// The physical limit of a delta: the delta's pages, already in memory, parsed with Boost.JSON,
// and their changes applied to a copy of the mirror as the daemon left it before the delta, the
// cheapest correct way: prepared statements, one transaction, no staging, no bookkeeping.
//
//   dvsync-bench-delta-limit --pages DIR --db FILE
//
// DIR holds the delta's page bodies as saved by bench/bench.py (one file per page, read in name
// order); FILE is the mirror copy, changed in place. An id that arrives twice keeps its last entry.
// Deletes go by id; upserts go in key order (the mirror's B-tree in order): an UPDATE of the row
// that has the same key and id, and when there is none, a DELETE of the rows holding that key or
// that id, then an INSERT. synchronous=FULL, with the automatic checkpoint off so that COMMIT is
// timed without it; a PASSIVE checkpoint afterwards is timed apart.
// Prints one JSON object: rows (upserts), deletes, pages, bytes, parse_s (Boost.JSON DOM),
// extract_s (DOM to changes), sort_s (deduplicate, split, sort), apply_s (BEGIN to before COMMIT),
// commit_s, checkpoint_s, checkpoint_frames, and what the upserts did: updated, inserted, displaced.
#include "common.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

int main(int argc, char** argv) try {
  using namespace dvsync::bench;
  auto flags = parse_flags(argc, argv, {"--pages", "--db"});
  if (!flags.contains("--pages") || !flags.contains("--db"))
    throw std::runtime_error("usage: dvsync-bench-delta-limit --pages DIR --db FILE");
  std::string const db_path = flags["--db"];
  if (!std::filesystem::exists(db_path)) throw std::runtime_error(db_path + ": no such database");

  auto pages = read_pages(flags["--pages"]);
  auto parsed = parse_pages(pages.bodies);

  auto s0 = clock_type::now();
  std::unordered_map<std::string_view, std::size_t> last;
  last.reserve(parsed.changes.size());
  for (std::size_t i = 0; i < parsed.changes.size(); ++i) last[parsed.changes[i].id] = i;
  std::vector<change const*> deletes, upserts;
  for (std::size_t i = 0; i < parsed.changes.size(); ++i) {
    auto const& c = parsed.changes[i];
    if (last.at(c.id) != i) continue;
    (c.deleted ? deletes : upserts).push_back(&c);
  }
  std::stable_sort(upserts.begin(), upserts.end(), [](auto const* a, auto const* b) { return a->key < b->key; });
  auto s1 = clock_type::now();

  sqlite3* db = open_with_daemon_pragmas(db_path);
  exec(db, "PRAGMA synchronous = FULL");
  sqlite3_wal_autocheckpoint(db, 0);
  auto table = book_table_sql();
  auto const& col = table.columns;  // key, id, name, author, version
  std::string cols, params;
  for (std::size_t i = 0; i < col.size(); ++i) {
    cols += (i ? ", " : "") + col[i];
    params += (i ? ", ?" : "?") + std::to_string(i + 1);
  }
  sqlite3_stmt* remove = prepare(db, "DELETE FROM " + table.name + " WHERE " + col[1] + " = ?1");
  sqlite3_stmt* update = prepare(db, "UPDATE " + table.name + " SET " + col[2] + " = ?3, " + col[3] + " = ?4, " +
                                         col[4] + " = ?5 WHERE " + col[0] + " = ?1 AND " + col[1] + " = ?2");
  sqlite3_stmt* displace =
      prepare(db, "DELETE FROM " + table.name + " WHERE " + col[0] + " = ?1 OR " + col[1] + " = ?2");
  sqlite3_stmt* insert = prepare(db, "INSERT INTO " + table.name + " (" + cols + ") VALUES (" + params + ")");

  long updated = 0, inserted = 0, displaced = 0;
  auto t0 = clock_type::now();
  exec(db, "BEGIN");
  for (auto const* c : deletes) {
    sqlite3_bind_text(remove, 1, c->id.data(), static_cast<int>(c->id.size()), SQLITE_STATIC);
    run(db, remove, "delete");
  }
  for (auto const* c : upserts) {
    bind_row(update, *c);
    if (run(db, update, "update") == 1) {
      ++updated;
      continue;
    }
    bind_key_id(displace, *c);
    displaced += run(db, displace, "delete displaced");
    bind_row(insert, *c);
    run(db, insert, "insert");
    ++inserted;
  }
  auto t1 = clock_type::now();
  exec(db, "COMMIT");
  auto t2 = clock_type::now();
  int wal_frames = 0, copied_frames = 0;
  check(db, sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &wal_frames, &copied_frames),
        "checkpoint");
  auto t3 = clock_type::now();
  for (auto* st : {remove, update, displace, insert}) sqlite3_finalize(st);
  sqlite3_close(db);

  std::printf("{\"rows\": %zu, \"deletes\": %zu, \"pages\": %zu, \"bytes\": %zu, \"parse_s\": %.4f, "
              "\"extract_s\": %.4f, \"sort_s\": %.4f, \"apply_s\": %.4f, \"commit_s\": %.4f, \"checkpoint_s\": %.4f, "
              "\"checkpoint_frames\": %d, \"updated\": %ld, \"inserted\": %ld, \"displaced\": %ld}\n",
              upserts.size(), deletes.size(), pages.bodies.size(), pages.bytes, parsed.parse.count(),
              parsed.extract.count(), seconds(s1 - s0).count(), seconds(t1 - t0).count(), seconds(t2 - t1).count(),
              seconds(t3 - t2).count(), copied_frames, updated, inserted, displaced);
  return 0;
} catch (std::exception const& e) {
  std::fprintf(stderr, "dvsync-bench-delta-limit: %s\n", e.what());
  return 1;
}
