#pragma once
// One key=value line per event on stderr. Values with spaces, quotes or control characters are
// quoted and escaped, so a request path can never forge a line. Bearer tokens and query strings
// (which carry delta tokens) are never passed here.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace emulator {

using log_field = std::pair<std::string_view, std::string>;

std::string render_log_line(std::string_view event, std::initializer_list<log_field> fields);
void log_event(std::string_view event, std::initializer_list<log_field> fields = {});

}  // namespace emulator
