#pragma once
// Small helpers over the header lists of http_request and http_response: header names compare
// case-insensitively. (Named apart from the api library's helpers: both live in namespace emulator.)
#include "api/web_api.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emulator {

using header_list = std::vector<std::pair<std::string, std::string>>;

bool same_name(std::string_view a, std::string_view b);

// The first header with this name.
std::optional<std::string_view> header_value(header_list const& headers, std::string_view name);

// Every header with this name, values joined by ", " (as RFC 9110 lets a list header be split).
std::string joined_values(header_list const& headers, std::string_view name);

// Replaces every header with this name by one with the new value.
void set_header(header_list& headers, std::string_view name, std::string value);

void remove_header(header_list& headers, std::string_view name);

// The path of a request target, without the query.
std::string_view path_of(std::string_view target);

}  // namespace emulator
