#pragma once
// Validates a value a client writes into a column and turns it into the stored JSON text (see
// cells.hpp); also turns an alternate-key literal from a URL into the same text, so that a key
// lookup is a plain string comparison.

#include <boost/json/fwd.hpp>
#include <string>
#include <string_view>

#include "errors.hpp"
#include "schema.hpp"

namespace emulator {

struct codec_options {
  bool empty_string_as_null = true;
};

// `v` is the member value of a POST/PATCH body and `raw` its JSON text as sent, which keeps the
// exact digits of a number for decimal and money columns. A lookup written this way (as
// _x_value, an emulator convenience) points at the column's first target.
result<std::string> encode_value(table_schema const& t, column const& c, boost::json::value const& v,
                                 std::string_view raw, codec_options const& o);

// `<name>@odata.bind` or `<name>_<target>@odata.bind`: "/accounts(<guid>)", "accounts(<guid>)" or an
// absolute URL ending so. `target` (may be empty) is the logical name the member named.
result<std::string> encode_bind(column const& c, boost::json::value const& v, std::string_view target);

// `literal` is one value of a key predicate, already percent-decoded; `quoted` says whether it
// was written 'like this' (with '' already turned into ').
result<std::string> encode_key_literal(table_schema const& t, column const& c, std::string_view literal, bool quoted);

// The stored text of a lookup cell.
std::string lookup_cell(std::string_view guid_text, std::string_view target_logical_name);

// Stored texts of generated values (generator.cpp), in the forms encode_value produces.
std::string decimal_cell(column const& c, std::string_view number);  // rounded to the precision
std::string double_cell(std::string_view normalized);                 // trailing zeros trimmed

}  // namespace emulator
