#include "cells.hpp"

#include <cstdint>
#include <cstring>

namespace emulator {

std::string pack_cells(std::vector<std::string> const& values) {
  std::size_t total = 0;
  for (auto const& v : values) total += sizeof(std::uint32_t) + v.size();
  std::string packed;
  packed.reserve(total);
  for (auto const& v : values) {
    auto const n = static_cast<std::uint32_t>(v.size());
    char bytes[sizeof n];
    std::memcpy(bytes, &n, sizeof n);
    packed.append(bytes, sizeof n);
    packed += v;
  }
  return packed;
}

void unpack_cells(std::string_view packed, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t pos = 0;
  while (pos + sizeof(std::uint32_t) <= packed.size()) {
    std::uint32_t n = 0;
    std::memcpy(&n, packed.data() + pos, sizeof n);
    pos += sizeof n;
    out.push_back(packed.substr(pos, n));
    pos += n;
  }
}

}  // namespace emulator
