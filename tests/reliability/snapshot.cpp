#include "snapshot.hpp"

#include <sqlite3.h>

#include <sstream>
#include <stdexcept>

namespace dvsync::test {
namespace {

constexpr std::uint64_t fnv_offset = 14695981039346656037ull;
constexpr std::uint64_t fnv_prime = 1099511628211ull;

void mix(std::uint64_t& h, void const* data, std::size_t n) {
  auto const* p = static_cast<unsigned char const*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= fnv_prime;
  }
}

// A sum of per-row hashes does not depend on the order rows are read in; the final avalanche
// keeps rows that differ in one bit from cancelling out.
std::uint64_t finish(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}

[[noreturn]] void fail(sqlite3* db, std::string const& what) {
  throw std::runtime_error(what + ": " + sqlite3_errmsg(db));
}

void exec(sqlite3* db, char const* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, sql);
}

struct statement {
  sqlite3_stmt* st = nullptr;
  statement(sqlite3* db, std::string const& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) fail(db, sql);
  }
  ~statement() { sqlite3_finalize(st); }
};

std::uint64_t row_hash(sqlite3_stmt* st) {
  std::uint64_t h = fnv_offset;
  int const n = sqlite3_column_count(st);
  for (int i = 0; i < n; ++i) {
    int const type = sqlite3_column_type(st, i);
    mix(h, &type, sizeof type);
    if (type == SQLITE_INTEGER) {
      auto v = sqlite3_column_int64(st, i);
      mix(h, &v, sizeof v);
    } else if (type != SQLITE_NULL) {
      auto const* bytes = sqlite3_column_blob(st, i);
      mix(h, bytes, static_cast<std::size_t>(sqlite3_column_bytes(st, i)));
    }
    unsigned char const separator = 0xff;
    mix(h, &separator, 1);
  }
  return finish(h);
}

}  // namespace

std::string to_line(snapshot const& s) {
  return std::to_string(s.rows) + " " + std::to_string(s.checksum) + " " + (s.delta_link.empty() ? "-" : s.delta_link);
}

snapshot from_line(std::string const& line) {
  std::istringstream in(line);
  snapshot s;
  if (!(in >> s.rows >> s.checksum >> s.delta_link)) throw std::runtime_error("not a snapshot line: " + line);
  if (s.delta_link == "-") s.delta_link.clear();
  return s;
}

snapshot read_snapshot_in_transaction(sqlite3* db, std::string const& table) {
  snapshot s;
  {
    statement link(db, "SELECT delta_link FROM dvsync_table_state WHERE table_name = ?1");
    sqlite3_bind_text(link.st, 1, table.c_str(), -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(link.st);
    if (rc == SQLITE_ROW && sqlite3_column_type(link.st, 0) != SQLITE_NULL)
      s.delta_link = reinterpret_cast<char const*>(sqlite3_column_text(link.st, 0));
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      fail(db, "reading the delta link");
  }
  {
    // The mirror table is made by the first cycle: before it, a reader sees no rows and no link.
    statement exists(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
    sqlite3_bind_text(exists.st, 1, table.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(exists.st) != SQLITE_ROW) return s;
  }
  statement rows(db, "SELECT * FROM \"" + table + "\"");
  int rc;
  while ((rc = sqlite3_step(rows.st)) == SQLITE_ROW) {
    ++s.rows;
    s.checksum += row_hash(rows.st);
  }
  if (rc != SQLITE_DONE) fail(db, "reading " + table);
  return s;
}

snapshot read_snapshot(sqlite3* db, std::string const& table) {
  exec(db, "BEGIN");
  try {
    auto s = read_snapshot_in_transaction(db, table);
    exec(db, "COMMIT");
    return s;
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

sqlite3* open_reader(std::string const& db_path) {
  sqlite3* db = nullptr;
  auto uri = "file:" + db_path + "?mode=ro";
  if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + db_path + ": " + message);
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

snapshot read_snapshot(std::string const& db_path, std::string const& table) {
  sqlite3* db = open_reader(db_path);
  try {
    auto s = read_snapshot(db, table);
    sqlite3_close(db);
    return s;
  } catch (...) {
    sqlite3_close(db);
    throw;
  }
}

}  // namespace dvsync::test
