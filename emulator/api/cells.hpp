#pragma once
// A row's column values, each kept as the JSON text it is sent as ("null", "\"abc\"", "42"),
// packed into one string: per column a 4-byte length, then the text. One allocation per row keeps
// a million-row table small, and rendering a page becomes copying.

#include <string>
#include <string_view>
#include <vector>

namespace emulator {

inline constexpr std::string_view null_cell = "null";

// A lookup's cell carries the target table after its JSON text: "\"<guid>\"\x1f<logical name>".
// 0x1f cannot occur raw in JSON text, so the split is unambiguous; other cells have no suffix.
inline constexpr char cell_extra_separator = '\x1f';
inline std::string_view cell_json(std::string_view cell) {
  return cell.substr(0, cell.find(cell_extra_separator));
}
inline std::string_view cell_extra(std::string_view cell) {
  auto const at = cell.find(cell_extra_separator);
  return at == std::string_view::npos ? std::string_view{} : cell.substr(at + 1);
}

std::string pack_cells(std::vector<std::string> const& values);
// Fills `out` (cleared first) with one view per column, pointing into `packed`.
void unpack_cells(std::string_view packed, std::vector<std::string_view>& out);

}  // namespace emulator
