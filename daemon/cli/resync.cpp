#include "cli/commands.hpp"
#include "store/database.hpp"

#include <cstdio>

namespace dvsync::cli {

// Only marks the tables: the running daemon (or the next `once`) does the resync, so this never
// competes with it for the lock.
int resync(arguments const& a) {
  auto s = load_settings(a);
  if (!s) return exit_config;
  if (!table_option_known(a, *s)) return exit_usage;
  auto db = store::database::open(s->database);
  if (!db) {
    std::fprintf(stderr, "dvsync: %s\n", db.error().message.c_str());
    return exit_failure;
  }
  for (auto const& t : s->tables) {
    if (a.table && t.table != *a.table) continue;
    auto marked = db->request_resync(t.table, "manual");
    if (!marked) {
      std::fprintf(stderr, "dvsync: %s: %s\n", t.table.c_str(), marked.error().message.c_str());
      return exit_failure;
    }
    if (*marked)
      std::printf("%s: full resync requested; the next cycle re-reads the whole table\n", t.table.c_str());
    else
      std::printf("%s: not synced yet; its first cycle reads the whole table\n", t.table.c_str());
  }
  return 0;
}

}  // namespace dvsync::cli
