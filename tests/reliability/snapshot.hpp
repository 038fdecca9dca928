#pragma once
// What a reader of the mirror sees in one read transaction: the row count, an order-independent
// checksum of every row (every column), and the stored delta link. The readers test checks that
// each snapshot a reader saw during sync is one that a complete cycle produced.
#include <cstdint>
#include <string>

struct sqlite3;

namespace dvsync::test {

struct snapshot {
  std::int64_t rows = 0;
  std::uint64_t checksum = 0;
  std::string delta_link;  // empty: none stored yet
  bool operator==(snapshot const&) const = default;
  auto operator<=>(snapshot const&) const = default;
};

// "<rows> <checksum> <delta link or ->": one line, no spaces inside fields (links are URLs).
std::string to_line(snapshot const& s);
snapshot from_line(std::string const& line);

// Reads table and link in one read transaction on an open connection; throws std::runtime_error
// with SQLite's message.
snapshot read_snapshot(sqlite3* db, std::string const& table);
// The same inside the transaction the caller has begun (and keeps open afterwards).
snapshot read_snapshot_in_transaction(sqlite3* db, std::string const& table);
// The same through a new read-only connection.
snapshot read_snapshot(std::string const& db_path, std::string const& table);

// A read-only connection as the documentation tells readers to open one (mode=ro, busy timeout
// 5 s); throws std::runtime_error.
sqlite3* open_reader(std::string const& db_path);

}  // namespace dvsync::test
