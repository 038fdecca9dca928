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

// `v` is the member value of a POST/PATCH body. For a lookup it is either the GUID (written as
// _x_value) or an @odata.bind reference ("/accounts(<guid>)"); `bound` says which.
result<std::string> encode_value(table_schema const& t, column const& c, boost::json::value const& v, bool bound,
                                 codec_options const& o);

// `literal` is one value of a key predicate, already percent-decoded; `quoted` says whether it
// was written 'like this' (with '' already turned into ').
result<std::string> encode_key_literal(table_schema const& t, column const& c, std::string_view literal, bool quoted);

// Renders a decimal with the column's precision, e.g. 20000.0000.
std::string render_decimal(double value, int precision);

}  // namespace emulator
