#pragma once
// Percent-encoding and the query string of a request target.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "errors.hpp"

namespace emulator {

struct target_parts {
  std::string_view path;
  std::string_view query;  // without the '?'
};
target_parts split_target(std::string_view target);

// nullopt for a malformed escape. In a query, '+' is a space (as ASP.NET decodes it).
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

// Escapes every byte except ASCII letters, digits and the characters in `keep`, with lower- or
// upper-case hex digits (Dataverse uses both: %2f in delta tokens, %3C in skip tokens).
std::string percent_encode(std::string_view s, std::string_view keep, bool upper_hex);

// Decoded name/value pairs in order; a 400 for a malformed escape.
result<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

}  // namespace emulator
