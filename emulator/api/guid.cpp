#include "guid.hpp"

namespace emulator {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_hex(std::string& out, guid const& g, char const* digits) {
  // Dashes after the 8th, 12th, 16th and 20th hex digit.
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out.push_back('-');
    std::uint64_t const half = i < 16 ? g.hi : g.lo;
    int const shift = (15 - i % 16) * 4;
    out.push_back(digits[(half >> shift) & 0xF]);
  }
}

}  // namespace

std::optional<guid> guid::parse(std::string_view text) {
  if (text.size() == 38 && text.front() == '{' && text.back() == '}') text = text.substr(1, 36);
  if (text.size() != 36) return std::nullopt;
  guid g;
  int digit = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      continue;
    }
    int const v = hex_value(text[i]);
    if (v < 0) return std::nullopt;
    std::uint64_t& half = digit < 16 ? g.hi : g.lo;
    half = (half << 4) | static_cast<std::uint64_t>(v);
    ++digit;
  }
  return g;
}

guid guid::random(std::mt19937_64& rng) {
  guid g{rng(), rng()};
  g.hi = (g.hi & ~0xF000ULL) | 0x4000ULL;              // version 4
  g.lo = (g.lo & ~(0xC0ULL << 56)) | (0x80ULL << 56);  // RFC 4122 variant
  return g;
}

std::string guid::str() const {
  std::string s;
  s.reserve(36);
  append_to(s);
  return s;
}

void guid::append_to(std::string& out) const {
  append_hex(out, *this, "0123456789abcdef");
}

void guid::append_braced_upper(std::string& out) const {
  out.push_back('{');
  append_hex(out, *this, "0123456789ABCDEF");
  out.push_back('}');
}

}  // namespace emulator
