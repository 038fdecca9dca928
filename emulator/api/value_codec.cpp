#include "value_codec.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "cells.hpp"
#include "guid.hpp"
#include "json_text.hpp"

namespace emulator {
namespace {

namespace json = boost::json;

std::string_view edm_type(column const& c) {
  switch (c.type) {
    case column_type::string:
      return "Edm.String";
    case column_type::integer:
      return "Edm.Int32";
    case column_type::decimal:
      return "Edm.Decimal";
    case column_type::boolean:
      return "Edm.Boolean";
    case column_type::datetime:
      return "Edm.DateTimeOffset";
    case column_type::lookup:
      return "Edm.Guid";
  }
  return "Edm.String";
}

api_error wrong_type(column const& c, std::string_view literal) {
  return errors::bad_request("Cannot convert the literal '" + std::string(literal) + "' to the expected type '" +
                             std::string(edm_type(c)) + "'.");
}

api_error wrong_type(column const& c, json::value const& v) {
  return wrong_type(c, json::serialize(v));
}

result<std::string> encode_string(table_schema const& t, column const& c, std::string_view s, codec_options const& o) {
  if (s.empty() && o.empty_string_as_null) return std::string(null_cell);
  if (utf16_length(s) > static_cast<std::size_t>(c.max_length))
    return errors::validation("A validation error occurred. The length of the '" + c.name + "' attribute of the '" +
                              t.logical_name + "' entity exceeded the maximum allowed length of '" +
                              std::to_string(c.max_length) + "'.");
  std::string out;
  append_json_string(out, s);
  return out;
}

result<std::string> encode_integer(table_schema const& t, column const& c, std::int64_t n) {
  if (n < c.min_value || n > c.max_value)
    return errors::validation("A validation error occurred. The value " + std::to_string(n) + " of '" + c.name +
                              "' on record of type '" + t.logical_name +
                              "' is outside the valid range. Accepted Values: " + std::to_string(c.min_value) + " to " +
                              std::to_string(c.max_value));
  return std::to_string(n);
}

std::string quoted_guid(guid const& g) {
  std::string out = "\"";
  g.append_to(out);
  out += '"';
  return out;
}

// "/accounts(<guid>)", "accounts(<guid>)" or an absolute URL ending in that form.
result<std::string> encode_bind(column const& c, std::string_view ref) {
  auto const open = ref.rfind('(');
  if (open == std::string_view::npos || ref.back() != ')') return wrong_type(c, ref);
  auto const id = guid::parse(ref.substr(open + 1, ref.size() - open - 2));
  std::string_view set = ref.substr(0, open);
  if (auto const slash = set.rfind('/'); slash != std::string_view::npos) set = set.substr(slash + 1);
  if (!id) return wrong_type(c, ref);
  if (set != c.target)
    return errors::bad_request("The entity set '" + std::string(set) + "' referenced by '" + c.name +
                               "@odata.bind' is not the target of the lookup ('" + c.target + "').");
  return quoted_guid(*id);
}

}  // namespace

std::string render_decimal(double value, int precision) {
  char buf[64];
  auto const r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, precision);
  return std::string(buf, r.ptr);
}

result<std::string> encode_value(table_schema const& t, column const& c, json::value const& v, bool bound,
                                 codec_options const& o) {
  if (v.is_null()) return std::string(null_cell);
  switch (c.type) {
    case column_type::string:
      if (!v.is_string()) return wrong_type(c, v);
      return encode_string(t, c, v.get_string(), o);
    case column_type::integer: {
      if (v.is_int64()) return encode_integer(t, c, v.get_int64());
      if (v.is_uint64()) {
        if (v.get_uint64() > static_cast<std::uint64_t>(INT64_MAX)) return encode_integer(t, c, INT64_MAX);
        return encode_integer(t, c, static_cast<std::int64_t>(v.get_uint64()));
      }
      if (v.is_double() && std::trunc(v.get_double()) == v.get_double() && std::fabs(v.get_double()) < 9.0e18)
        return encode_integer(t, c, static_cast<std::int64_t>(v.get_double()));
      return wrong_type(c, v);
    }
    case column_type::decimal: {
      if (!v.is_number()) return wrong_type(c, v);
      double const d = v.to_number<double>();
      if (!std::isfinite(d)) return wrong_type(c, v);
      return render_decimal(d, c.precision);
    }
    case column_type::boolean:
      if (!v.is_bool()) return wrong_type(c, v);
      return std::string(v.get_bool() ? "true" : "false");
    case column_type::datetime: {
      if (!v.is_string()) return wrong_type(c, v);
      auto const t_s = parse_iso_time(v.get_string());
      if (!t_s) return wrong_type(c, v);
      std::string out = "\"";
      append_iso_time(out, *t_s);
      out += '"';
      return out;
    }
    case column_type::lookup: {
      if (!v.is_string()) return wrong_type(c, v);
      if (bound) return encode_bind(c, v.get_string());
      auto const id = guid::parse(v.get_string());
      if (!id) return wrong_type(c, v);
      return quoted_guid(*id);
    }
  }
  return wrong_type(c, v);
}

result<std::string> encode_key_literal(table_schema const& t, column const& c, std::string_view literal, bool quoted) {
  if (c.type == column_type::string) {
    if (!quoted) return wrong_type(c, literal);
    std::string out;
    append_json_string(out, literal);
    return out;
  }
  if (quoted) return wrong_type(c, "'" + std::string(literal) + "'");
  switch (c.type) {
    case column_type::integer: {
      std::int64_t n = 0;
      auto const r = std::from_chars(literal.data(), literal.data() + literal.size(), n);
      if (r.ec != std::errc{} || r.ptr != literal.data() + literal.size()) return wrong_type(c, literal);
      return encode_integer(t, c, n);
    }
    case column_type::decimal: {
      double d = 0;
      auto const r = std::from_chars(literal.data(), literal.data() + literal.size(), d);
      if (r.ec != std::errc{} || r.ptr != literal.data() + literal.size() || !std::isfinite(d))
        return wrong_type(c, literal);
      return render_decimal(d, c.precision);
    }
    case column_type::datetime: {
      auto const t_s = parse_iso_time(literal);
      if (!t_s) return wrong_type(c, literal);
      std::string out = "\"";
      append_iso_time(out, *t_s);
      out += '"';
      return out;
    }
    case column_type::lookup: {
      auto const id = guid::parse(literal);
      if (!id) return wrong_type(c, literal);
      return quoted_guid(*id);
    }
    default:
      return wrong_type(c, literal);
  }
}

}  // namespace emulator
