#include "store/pragmas.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace dvsync::store {
namespace {

// Bounds the WAL file that PERSIST_WAL keeps, after each checkpoint.
constexpr std::int64_t journal_size_limit = 64 * 1024 * 1024;

}  // namespace

std::string connection_pragmas(config::database_settings const& settings) {
  return fmt::format("PRAGMA synchronous = {}; PRAGMA foreign_keys = ON; PRAGMA journal_size_limit = {}",
                     settings.synchronous_full ? "FULL" : "NORMAL", journal_size_limit);
}

}  // namespace dvsync::store
