#include "words.hpp"

namespace emulator {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_words(std::string_view s, std::string_view sep) {
  std::vector<std::string_view> parts;
  while (true) {
    auto const at = s.find(sep);
    parts.push_back(trim(s.substr(0, at)));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + sep.size());
  }
}

}  // namespace emulator
