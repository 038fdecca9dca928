#include "server/form.hpp"

namespace emulator {

std::optional<std::string> form_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex(text[i + 1]);
      int lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> form_field(std::string_view form, std::string_view name) {
  while (!form.empty()) {
    auto amp = form.find('&');
    auto pair = form.substr(0, amp);
    form = amp == std::string_view::npos ? std::string_view{} : form.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = form_decode(pair.substr(0, eq));
    if (key && *key == name) return eq == std::string_view::npos ? std::string{} : form_decode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

}  // namespace emulator
