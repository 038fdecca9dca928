#pragma once
// The per-connection PRAGMAs of the daemon's writable connection, in one place, so that the
// benchmark's SQLite limit (bench/limit) runs with exactly the same settings.
#include "config/settings.hpp"

#include <string>

namespace dvsync::store {

// Statements for sqlite3_exec, applied after `journal_mode = WAL` (which the file remembers).
std::string connection_pragmas(config::database_settings const& settings);

}  // namespace dvsync::store
