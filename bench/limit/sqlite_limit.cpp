// The physical limit the daemon is measured against: the same pages, already in memory, parsed
// with Boost.JSON, and the same rows inserted into the same table (the daemon's own CREATE TABLE
// and pragmas) with one prepared statement. No network, no staging, no bookkeeping.
//
//   dvsync-bench-limit --pages DIR --db FILE [--commit-every N]
//
// DIR holds the page bodies as saved by bench/bench.py (one file per page, read in name order).
// --commit-every 0 (the default) inserts everything in one transaction; N commits every N rows.
// Prints one JSON object: rows, pages, bytes, parse_s (Boost.JSON DOM), extract_s (DOM to rows),
// insert_s (BEGIN to the last COMMIT).
#include "config/settings.hpp"
#include "store/database.hpp"
#include "store/pragmas.hpp"
#include "store/table_layout.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using seconds = std::chrono::duration<double>;
using clock_type = std::chrono::steady_clock;

// The bench's table, as in the daemon's configuration (bench/bench.py writes the same spec).
dvsync::config::table_spec book_spec() {
  return {"sample_books", "sample_book", "sample_bookid", "sample_bookcode",
          {"sample_name", "sample_bookcode", "sample_author"}};
}

struct row {
  std::string key, id, name, author;
  std::int64_t version = 0;
};

std::string read_file(fs::path const& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string text(json::object const& o, char const* name) {
  auto const* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t etag_version(json::object const& o) {
  std::string e = text(o, "@odata.etag");  // W/"123"
  return e.size() > 4 ? std::strtoll(e.c_str() + 3, nullptr, 10) : 0;
}

void check(sqlite3* db, int rc, char const* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
}

void exec(sqlite3* db, std::string const& sql) { check(db, sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), sql.c_str()); }

}  // namespace

int main(int argc, char** argv) try {
  std::string pages_dir, db_path;
  long commit_every = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--pages") pages_dir = argv[i + 1];
    else if (a == "--db") db_path = argv[i + 1];
    else if (a == "--commit-every") commit_every = std::stol(argv[i + 1]);
    else throw std::runtime_error("unknown argument " + a);
  }
  if (pages_dir.empty() || db_path.empty()) throw std::runtime_error("usage: dvsync-bench-limit --pages DIR --db FILE [--commit-every N]");

  std::vector<fs::path> files;
  for (auto const& e : fs::directory_iterator(pages_dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> bodies;
  std::size_t bytes = 0;
  for (auto const& f : files) {
    bodies.push_back(read_file(f));
    bytes += bodies.back().size();
  }

  // Parse: one reused parser, one arena per page (as the daemon does).
  std::vector<row> rows;
  seconds parse_time{0}, extract_time{0};
  json::parser parser;
  for (auto const& body : bodies) {
    auto t0 = clock_type::now();
    json::monotonic_resource arena;
    parser.reset(&arena);
    parser.write(body);
    json::value page = parser.release();
    auto t1 = clock_type::now();
    for (auto const& v : page.as_object().at("value").as_array()) {
      auto const& o = v.as_object();
      rows.push_back({text(o, "sample_bookcode"), text(o, "sample_bookid"), text(o, "sample_name"),
                      text(o, "sample_author"), etag_version(o)});
    }
    auto t2 = clock_type::now();
    parse_time += t1 - t0;
    extract_time += t2 - t1;
  }

  // The daemon's schema and pragmas, from the daemon's own code.
  auto spec = book_spec();
  fs::remove(db_path);
  fs::remove(db_path + "-wal");
  fs::remove(db_path + "-shm");
  {
    dvsync::config::database_settings settings;
    settings.path = db_path;
    auto made = dvsync::store::database::open(settings);
    if (!made) throw std::runtime_error(made.error().message);
    if (auto r = made->ensure_table(spec); !r) throw std::runtime_error(r.error().message);
  }
  sqlite3* db = nullptr;
  check(db, sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr), "open");
  exec(db, dvsync::store::connection_pragmas(dvsync::config::database_settings{}));

  auto layout = dvsync::store::make_layout(spec);
  if (!layout) throw std::runtime_error(layout.error().message);
  std::string cols, params;
  for (std::size_t i = 0; i < layout->columns.size(); ++i) {
    cols += (i ? ", " : "") + dvsync::store::quote_identifier(layout->columns[i]);
    params += (i ? ", ?" : "?") + std::to_string(i + 1);
  }
  sqlite3_stmt* insert = nullptr;
  std::string sql = "INSERT INTO " + dvsync::store::quote_identifier(spec.table) + " (" + cols + ") VALUES (" + params + ")";
  check(db, sqlite3_prepare_v2(db, sql.c_str(), -1, &insert, nullptr), "prepare");

  auto t0 = clock_type::now();
  exec(db, "BEGIN");
  long in_tx = 0;
  for (auto const& r : rows) {
    // Column order of the layout: key, id, sample_name, sample_author, dvsync_version.
    sqlite3_bind_text(insert, 1, r.key.data(), static_cast<int>(r.key.size()), SQLITE_STATIC);
    sqlite3_bind_text(insert, 2, r.id.data(), static_cast<int>(r.id.size()), SQLITE_STATIC);
    sqlite3_bind_text(insert, 3, r.name.data(), static_cast<int>(r.name.size()), SQLITE_STATIC);
    sqlite3_bind_text(insert, 4, r.author.data(), static_cast<int>(r.author.size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert, 5, r.version);
    check(db, sqlite3_step(insert), "insert");
    sqlite3_reset(insert);
    if (commit_every > 0 && ++in_tx == commit_every) {
      exec(db, "COMMIT");
      exec(db, "BEGIN");
      in_tx = 0;
    }
  }
  exec(db, "COMMIT");
  auto t1 = clock_type::now();
  sqlite3_finalize(insert);
  sqlite3_close(db);

  std::printf("{\"rows\": %zu, \"pages\": %zu, \"bytes\": %zu, \"commit_every\": %ld, \"parse_s\": %.4f, "
              "\"extract_s\": %.4f, \"insert_s\": %.4f}\n",
              rows.size(), bodies.size(), bytes, commit_every, parse_time.count(), extract_time.count(),
              seconds(t1 - t0).count());
  return 0;
} catch (std::exception const& e) {
  std::fprintf(stderr, "dvsync-bench-limit: %s\n", e.what());
  return 1;
}
