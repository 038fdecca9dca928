// A reader that holds one read transaction on the mirror until SIGTERM, as a separate process like
// a report or a BI tool that keeps a cursor open: it opens the database as readers are told to
// (mode=ro, busy timeout 5 s), begins a transaction, and reads (row count, checksum of the rows,
// delta link) again every REREAD_MS inside that same transaction. Its snapshot must never change,
// however long it holds it, while the daemon commits behind it.
//
// usage: held_reader DB_PATH TABLE OUT_FILE REREAD_MS
// OUT_FILE gets "S <snapshot line>" for every read (the first one once the snapshot is held),
// "X <message>" when a read fails, and "E <reads>" once the transaction has ended, which happens as
// soon as SIGTERM arrives.
#include "snapshot.hpp"

#include <sqlite3.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_term(int) { stop_requested = 1; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: held_reader DB_PATH TABLE OUT_FILE REREAD_MS\n");
    return 64;
  }
  std::string const path = argv[1], table = argv[2];
  std::ofstream out(argv[3], std::ios::trunc);
  auto const reread = std::chrono::milliseconds(std::atol(argv[4]));
  std::signal(SIGTERM, on_term);

  sqlite3* db = nullptr;
  long reads = 0;
  int status = 0;
  try {
    db = dvsync::test::open_reader(path);
    if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db));
    auto next = std::chrono::steady_clock::now();
    while (!stop_requested) {
      if (std::chrono::steady_clock::now() >= next) {
        // The first read takes the snapshot; the transaction keeps it until COMMIT.
        auto s = dvsync::test::read_snapshot_in_transaction(db, table);
        ++reads;
        out << "S " << dvsync::test::to_line(s) << '\n';
        out.flush();
        next += reread;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // Released at once: the test times what follows from the moment it sent SIGTERM.
    if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db));
  } catch (std::exception const& e) {
    out << "X " << e.what() << '\n';
    status = 1;
  }
  sqlite3_close(db);
  out << "E " << reads << '\n';
  return out ? status : 1;
}
