#pragma once
// The first path segment after the service root: an entity set name, optionally followed by a
// key predicate that addresses one row by its id, sample_books(<guid>) or
// sample_books(sample_bookid=<guid>), or by an alternate key, sample_books(sample_bookcode='X')
// (OData doubles a quote inside a string literal: 'O''Brien').

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "errors.hpp"
#include "guid.hpp"
#include "schema.hpp"
#include "value_codec.hpp"

namespace emulator {

struct key_part {
  std::string name;  // empty for a bare key: sample_books(<guid>)
  std::string value;
  bool quoted = false;
};

struct resource_segment {
  std::string name;
  bool has_key = false;
  std::vector<key_part> parts;
};

// `segment` is already percent-decoded.
result<resource_segment> parse_segment(std::string_view segment);

struct row_address {
  std::optional<guid> id;                                   // addressed by primary key
  std::optional<std::size_t> key;                           // else: index of the alternate key
  std::string composite;                                    // key lookup text (table::composite_key)
  std::vector<std::pair<std::size_t, std::string>> values;  // column index -> stored text
};

// A key value that would be stored as null (see codec_options) addresses nothing and is a 400.
result<row_address> resolve_address(table_schema const& t, std::vector<key_part> const& parts,
                                    codec_options const& codec = {});

}  // namespace emulator
