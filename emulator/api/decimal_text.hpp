#pragma once
// Exact decimal numbers as text. Money and decimal columns keep the digits a client wrote
// (922337203685477.5807 and 0.1 included): a double would turn them into the nearest binary
// fraction, so values never go through one.

#include <optional>
#include <string>
#include <string_view>

namespace emulator {

// Parses a JSON number (sign, digits, fraction, exponent) and rounds it half away from zero to
// `scale` digits after the point: "1e2",2 -> "100.00"; "-0.005",2 -> "-0.01"; "-0.001",2 -> "0.00".
// nullopt for anything that is not a JSON number.
std::optional<std::string> normalize_decimal(std::string_view json_number, int scale);

// Compares two JSON numbers exactly: <0, 0 or >0. Both must parse.
int compare_decimal(std::string_view a, std::string_view b);

// "1234567.5" -> "1,234,567.50" with `scale` digits (the grouping of en-US formatted values).
std::string group_thousands(std::string_view normalized, int scale);

}  // namespace emulator
