#pragma once
// Request headers the Web API looks at: Prefer (RFC 7240, possibly repeated, possibly a comma
// list), If-Match and If-None-Match.

#include <optional>
#include <string>
#include <string_view>

#include "web_api.hpp"

namespace emulator {

bool iequals(std::string_view a, std::string_view b);
// The first header with that name (case-insensitive), trimmed.
std::optional<std::string_view> find_header(http_request const& r, std::string_view name);

struct preferences {
  bool track_changes = false;
  std::optional<int> max_page_size;  // only a positive integer counts; anything else is ignored
  bool return_representation = false;
};
preferences parse_prefer(http_request const& r);

}  // namespace emulator
