#pragma once
// The report of `dvsync verify`: one paragraph per table, or with --json one document shaped like
// `status --json` ({"now": ..., "tables": [...]}). Pure: the same reports give the same text.
#include "verify/verifier.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dvsync::verify {

std::string report_text(std::vector<table_report> const& tables);
std::string report_json(std::vector<table_report> const& tables, std::int64_t now);

// 0 when every table was verified without drift or is not synced yet; 1 when any drifted or failed.
int exit_code(std::vector<table_report> const& tables);

}  // namespace dvsync::verify
