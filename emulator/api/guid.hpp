#pragma once
// Row identity: a GUID held as two integers so that ordering, hashing and storage stay cheap for
// millions of rows. The order (hi, lo) equals the order of the lower-case text form, which is the
// order the paged reads walk.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace emulator {

struct guid {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;

  friend auto operator<=>(guid const&, guid const&) = default;

  // Accepts 8-4-4-4-12 hex digits in any case, optionally wrapped in braces.
  static std::optional<guid> parse(std::string_view text);
  static guid random(std::mt19937_64& rng);          // a version-4 GUID
  std::string str() const;                           // lower case, no braces
  void append_to(std::string& out) const;            // lower case, no braces
  void append_braced_upper(std::string& out) const;  // {D5026A4D-...}, as paging cookies carry it
};

struct guid_hash {
  std::size_t operator()(guid const& g) const noexcept {
    return static_cast<std::size_t>(g.hi * 0x9e3779b97f4a7c15ULL ^ g.lo);
  }
};

}  // namespace emulator
