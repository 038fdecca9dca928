#pragma once
// The one-line human summaries `once` prints and `run` reports to the service manager.
#include "config/settings.hpp"
#include "core/error.hpp"
#include "sync/engine.hpp"

#include <string>

namespace dvsync::cli {

// "sample_book: delta cycle, 1 page, 11 upserts, 1 delete, 0 rejects, 19 rows (12 ms)"
// or "sample_book: failed: <reason>".
std::string summarize(std::string const& table, core::result<sync::cycle_report> const& r);

}  // namespace dvsync::cli
