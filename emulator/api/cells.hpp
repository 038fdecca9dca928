#pragma once
// A row's column values, each kept as the JSON text it is sent as ("null", "\"abc\"", "42"),
// packed into one string: per column a 4-byte length, then the text. One allocation per row keeps
// a million-row table small, and rendering a page becomes copying.

#include <string>
#include <string_view>
#include <vector>

namespace emulator {

inline constexpr std::string_view null_cell = "null";

std::string pack_cells(std::vector<std::string> const& values);
// Fills `out` (cleared first) with one view per column, pointing into `packed`.
void unpack_cells(std::string_view packed, std::vector<std::string_view>& out);

}  // namespace emulator
