#pragma once
// Splitting the comma and space separated lists of query options ($select, $filter terms).

#include <string_view>
#include <vector>

namespace emulator {

// `s` without leading and trailing spaces.
std::string_view trim(std::string_view s);
// The parts of `s` between occurrences of `sep`, each trimmed; one part when `sep` does not occur.
std::vector<std::string_view> split_words(std::string_view s, std::string_view sep);

}  // namespace emulator
