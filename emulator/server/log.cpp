#include "server/log.hpp"

#include <cstdio>

namespace emulator {
namespace {

void append_value(std::string& out, std::string_view v) {
  bool plain = !v.empty();
  for (unsigned char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) plain = false;
  if (plain) {
    out += v;
    return;
  }
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < ' ' || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

}  // namespace

std::string render_log_line(std::string_view event, std::initializer_list<log_field> fields) {
  std::string line = "event=";
  append_value(line, event);
  for (auto const& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    append_value(line, value);
  }
  return line;
}

void log_event(std::string_view event, std::initializer_list<log_field> fields) {
  auto line = render_log_line(event, fields);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace emulator
