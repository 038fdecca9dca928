// A reader of the mirror, as a separate process like any program that reads it in production:
// repeatedly reads (row count, checksum of the rows, delta link) in one read transaction and
// records every distinct snapshot it sees, until SIGTERM.
//
// usage: mirror_reader DB_PATH TABLE OUT_FILE
// OUT_FILE gets "S <snapshot line>" for each change of what the reader sees, "X <message>" for each
// failed read, and finally "E <reads> <errors>".
#include "snapshot.hpp"

#include <sqlite3.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <fstream>
#include <optional>
#include <string>

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_term(int) { stop_requested = 1; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: mirror_reader DB_PATH TABLE OUT_FILE\n");
    return 64;
  }
  std::string const path = argv[1], table = argv[2];
  std::ofstream out(argv[3], std::ios::trunc);
  std::signal(SIGTERM, on_term);

  // Readers come and go in production: reconnect now and then, so opening during a commit is
  // exercised too.
  constexpr long reads_per_connection = 25;
  long reads = 0, errors = 0;
  std::optional<dvsync::test::snapshot> last;
  sqlite3* db = nullptr;
  while (!stop_requested) {
    try {
      if (db == nullptr) db = dvsync::test::open_reader(path);
      auto s = dvsync::test::read_snapshot(db, table);
      ++reads;
      if (!last || !(*last == s)) {
        out << "S " << dvsync::test::to_line(s) << '\n';
        out.flush();
        last = s;
      }
    } catch (std::exception const& e) {
      ++errors;
      out << "X " << e.what() << '\n';
      out.flush();
    }
    if (db != nullptr && reads % reads_per_connection == 0) {
      sqlite3_close(db);
      db = nullptr;
    }
  }
  sqlite3_close(db);
  out << "E " << reads << ' ' << errors << '\n';
  return out ? 0 : 1;
}
