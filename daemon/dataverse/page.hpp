#pragma once
// One page of a tracked read or a delta, as the sync engine consumes it.
#include <bit>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dvsync::dataverse {

// A column value as SQLite will store it: JSON null, integer (booleans become 0/1), real, or text.
// Objects and arrays (never expected in a $select of plain attributes) arrive as their JSON text.
// A value_view's text belongs to the record it was read from.
using value_view = std::variant<std::monostate, std::int64_t, double, std::string_view>;
// The same holding its own text: to build a record from (tests, benchmarks) or to keep a copy.
using value = std::variant<std::monostate, std::int64_t, double, std::string>;

inline value_view view_of(value const& v) {
  switch (v.index()) {
    case 1: return std::get<1>(v);
    case 2: return std::get<2>(v);
    case 3: return std::string_view(std::get<3>(v));
    default: return {};
  }
}

inline value copy_of(value_view v) {
  switch (v.index()) {
    case 1: return std::get<1>(v);
    case 2: return std::get<2>(v);
    case 3: return std::string(std::get<3>(v));
    default: return {};
  }
}

// A new or updated row: one value per field, in config::fields_of order.
// A page holds thousands of rows of up to ~80 values, and the io thread makes and frees them all:
// a record keeps each value in 16 bytes and all its text in one buffer, so a row costs two
// allocations instead of one per string (with a std::variant per value, malloc and free took a
// fifth of the io thread's CPU for a wide table).
class record {
 public:
  std::string id;                        // lower-case GUID
  std::optional<std::int64_t> version;   // from @odata.etag W/"N" (or versionnumber); none if opaque

  record() = default;
  record(std::string id_, std::optional<std::int64_t> version_, std::vector<value> const& values)
      : id(std::move(id_)), version(version_) {
    reset(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) set(i, view_of(values[i]));
  }

  std::size_t size() const { return cells_.size(); }
  bool is_null(std::size_t i) const { return cells_[i].what == kind::null; }
  value_view at(std::size_t i) const {
    cell const& c = cells_[i];
    switch (c.what) {
      case kind::integer: return static_cast<std::int64_t>(c.bits);
      case kind::real: return std::bit_cast<double>(c.bits);
      case kind::text: return std::string_view(text_).substr(c.bits >> 32, c.bits & 0xffffffffu);
      case kind::null: break;
    }
    return {};
  }
  // Copies of every value, for tests and messages.
  std::vector<value> values() const {
    std::vector<value> out;
    out.reserve(size());
    for (std::size_t i = 0; i < size(); ++i) out.push_back(copy_of(at(i)));
    return out;
  }

  // Assembling, in any order and more than once per value (the page parser reads members as they
  // come): `n` nulls, then set. Replaced text stays in the buffer until compact().
  void reset(std::size_t n) {
    cells_.assign(n, cell{});
    text_.clear();
  }
  void set(std::size_t i, value_view v) {
    switch (v.index()) {
      case 1: cells_[i] = {static_cast<std::uint64_t>(std::get<1>(v)), kind::integer}; break;
      case 2: cells_[i] = {std::bit_cast<std::uint64_t>(std::get<2>(v)), kind::real}; break;
      case 3: {
        std::string_view s = std::get<3>(v);
        if (text_.size() + s.size() > std::numeric_limits<std::uint32_t>::max())
          throw std::length_error("a record's text is over 4 GiB");  // bodies are bounded far below
        cells_[i] = {std::uint64_t{text_.size()} << 32 | s.size(), kind::text};
        text_.append(s);
        break;
      }
      default: cells_[i] = {}; break;
    }
  }
  // A copy holding only the text its values use, in buffers of exactly its size.
  record compact() const {
    record out;
    out.id = id;
    out.version = version;
    out.cells_ = cells_;
    std::size_t bytes = 0;
    for (cell const& c : cells_)
      if (c.what == kind::text) bytes += c.bits & 0xffffffffu;
    out.text_.reserve(bytes);
    for (cell& c : out.cells_)
      if (c.what == kind::text) {
        std::string_view s = std::string_view(text_).substr(c.bits >> 32, c.bits & 0xffffffffu);
        c.bits = std::uint64_t{out.text_.size()} << 32 | s.size();
        out.text_.append(s);
      }
    return out;
  }

 private:
  enum class kind : std::uint8_t { null, integer, real, text };
  struct cell {
    std::uint64_t bits = 0;  // the integer, the double's bits, or the text's offset << 32 | size
    kind what = kind::null;
  };
  std::vector<cell> cells_;
  std::string text_;
};

// A row that cannot enter the mirror (its key is null or empty, or a value does not fit its
// column's type): kept with its raw JSON.
struct rejected {
  std::string id;
  std::string raw_json;
  std::string reason;
};

struct page {
  std::vector<record> upserts;
  std::vector<std::string> deletes;      // lower-case GUIDs of $deletedEntity entries
  std::vector<rejected> rejects;
  std::optional<std::string> next_link;
  std::optional<std::string> delta_link;
};

}  // namespace dvsync::dataverse
