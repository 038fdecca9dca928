#include "server/headers.hpp"

#include <algorithm>
#include <cctype>

namespace emulator {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::optional<std::string_view> header_value(header_list const& headers, std::string_view name) {
  for (auto const& [k, v] : headers)
    if (same_name(k, name)) return std::string_view(v);
  return std::nullopt;
}

std::string joined_values(header_list const& headers, std::string_view name) {
  std::string out;
  for (auto const& [n, v] : headers) {
    if (!same_name(n, name)) continue;
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

void set_header(header_list& headers, std::string_view name, std::string value) {
  remove_header(headers, name);
  headers.emplace_back(std::string(name), std::move(value));
}

void remove_header(header_list& headers, std::string_view name) {
  std::erase_if(headers, [&](auto const& h) { return same_name(h.first, name); });
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

}  // namespace emulator
