#pragma once
// Small helpers over the header list of http_request/http_response (names are case-insensitive).
#include "api/web_api.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emulator {

using header_list = std::vector<std::pair<std::string, std::string>>;

bool iequals(std::string_view a, std::string_view b);

// The first header with this name.
std::optional<std::string_view> find_header(header_list const& headers, std::string_view name);

// Replaces every header with this name by one with the new value.
void set_header(header_list& headers, std::string_view name, std::string value);

void remove_header(header_list& headers, std::string_view name);

// The path of a request target, without the query.
std::string_view target_path(std::string_view target);

}  // namespace emulator
