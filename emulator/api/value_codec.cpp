#include "value_codec.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <vector>

#include "cells.hpp"
#include "decimal_text.hpp"
#include "guid.hpp"
#include "json_text.hpp"

namespace emulator {
namespace {

namespace json = boost::json;

std::string_view edm_type(column const& c) {
  switch (c.type) {
    case column_type::string:
    case column_type::memo:
    case column_type::multiselect:
      return "Edm.String";
    case column_type::integer:
    case column_type::picklist:
    case column_type::state:
    case column_type::status:
      return "Edm.Int32";
    case column_type::bigint:
      return "Edm.Int64";
    case column_type::double_:
      return "Edm.Double";
    case column_type::decimal:
    case column_type::money:
      return "Edm.Decimal";
    case column_type::boolean:
      return "Edm.Boolean";
    case column_type::datetime:
      return c.is_date_only() ? "Edm.Date" : "Edm.DateTimeOffset";
    case column_type::uniqueidentifier:
    case column_type::lookup:
    case column_type::customer:
    case column_type::owner:
      return "Edm.Guid";
    case column_type::image:
    case column_type::file:
      return "Edm.Binary";
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

api_error out_of_range(table_schema const& t, column const& c, std::string_view value, std::string_view min,
                       std::string_view max) {
  return errors::validation("A validation error occurred. The value " + std::string(value) + " of '" + c.name +
                            "' on record of type '" + t.logical_name +
                            "' is outside the valid range. Accepted Values: " + std::string(min) + " to " +
                            std::string(max));
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
    return out_of_range(t, c, std::to_string(n), std::to_string(c.min_value), std::to_string(c.max_value));
  return std::to_string(n);
}

std::optional<std::int64_t> as_integer(json::value const& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(INT64_MAX)) return INT64_MAX;
    return static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_double() && std::trunc(v.get_double()) == v.get_double() && std::fabs(v.get_double()) < 9.0e18)
    return static_cast<std::int64_t>(v.get_double());
  return std::nullopt;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  out += s;
  out += '"';
  return out;
}

// Decimal, money and double: the exact digits, rounded to the column's precision, range-checked.
result<std::string> encode_number(table_schema const& t, column const& c, std::string_view raw) {
  auto const rounded = normalize_decimal(raw, c.precision);
  if (!rounded) return wrong_type(c, raw);
  if (compare_decimal(*rounded, c.min_number) < 0 || compare_decimal(*rounded, c.max_number) > 0)
    return out_of_range(t, c, raw, c.min_number, c.max_number);
  if (c.type == column_type::double_) return double_cell(*rounded);
  return decimal_cell(c, *rounded);
}

result<std::string> encode_datetime(column const& c, std::string_view s) {
  if (c.is_date_only()) {
    // Edm.Date: a date without a time.
    auto const seconds = s.size() == 10 ? parse_iso_time(s) : std::nullopt;
    if (!seconds) return wrong_type(c, quoted(s));
    std::string iso;
    append_iso_time(iso, *seconds);
    return quoted(iso.substr(0, 10));
  }
  auto const seconds = parse_iso_time(s);
  if (!seconds) return wrong_type(c, quoted(s));
  std::string out = "\"";
  append_iso_time(out, *seconds);
  out += '"';
  return out;
}

api_error not_an_option(table_schema const& t, column const& c, std::string_view value) {
  std::string accepted;
  for (auto const& o : c.options->options) {
    if (!accepted.empty()) accepted += ',';
    accepted += std::to_string(o.value);
  }
  return errors::validation("A validation error occurred. The value " + std::string(value) + " of '" + c.name +
                            "' on record of type '" + t.logical_name +
                            "' is outside the valid range. Accepted Values: " + accepted);
}

// "1, 9" -> "1,9": the documented write form is a string of comma-separated option values.
result<std::string> encode_multiselect(table_schema const& t, column const& c, std::string_view s) {
  auto trim = [](std::string_view x) {
    while (!x.empty() && x.front() == ' ') x.remove_prefix(1);
    while (!x.empty() && x.back() == ' ') x.remove_suffix(1);
    return x;
  };
  if (trim(s).empty()) return std::string(null_cell);
  std::vector<int> values;
  std::string_view rest = s;
  while (true) {
    std::size_t const comma = rest.find(',');
    std::string_view const item = trim(rest.substr(0, comma));
    int n = 0;
    auto const r = std::from_chars(item.data(), item.data() + item.size(), n);
    if (item.empty() || r.ec != std::errc{} || r.ptr != item.data() + item.size()) return wrong_type(c, quoted(s));
    if (!c.options->find(n)) return not_an_option(t, c, std::to_string(n));
    if (std::find(values.begin(), values.end(), n) == values.end()) values.push_back(n);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  std::sort(values.begin(), values.end());
  std::string out = "\"";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(values[i]);
  }
  out += '"';
  return out;
}

}  // namespace

std::string lookup_cell(std::string_view guid_text, std::string_view target_logical_name) {
  std::string out = quoted(guid_text);
  out += cell_extra_separator;
  out += target_logical_name;
  return out;
}

std::string decimal_cell(column const& c, std::string_view number) {
  auto const rounded = normalize_decimal(number, c.precision);
  return normalize_decimal(rounded ? *rounded : "0", c.rendered_scale()).value_or("0");
}

std::string double_cell(std::string_view normalized) {
  std::string s(normalized);
  if (s.find('.') == std::string::npos) return s + ".0";
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s += '0';
  return s;
}

result<std::string> encode_value(table_schema const& t, column const& c, json::value const& v, std::string_view raw,
                                 codec_options const& o) {
  if (v.is_null()) return std::string(null_cell);
  switch (c.type) {
    case column_type::string:
    case column_type::memo:
      if (!v.is_string()) return wrong_type(c, v);
      return encode_string(t, c, v.get_string(), o);
    case column_type::integer:
    case column_type::bigint: {
      auto const n = as_integer(v);
      if (!n) return wrong_type(c, v);
      return encode_integer(t, c, *n);
    }
    case column_type::picklist:
    case column_type::state:
    case column_type::status: {
      auto const n = as_integer(v);
      if (!n || *n < INT32_MIN || *n > INT32_MAX) return wrong_type(c, v);
      if (!c.options->find(static_cast<int>(*n))) return not_an_option(t, c, std::to_string(*n));
      return std::to_string(*n);
    }
    case column_type::multiselect:
      if (!v.is_string()) return wrong_type(c, v);
      return encode_multiselect(t, c, v.get_string());
    case column_type::double_:
    case column_type::decimal:
    case column_type::money:
      if (!v.is_number()) return wrong_type(c, v);
      return encode_number(t, c, raw.empty() ? std::string_view(json::serialize(v)) : raw);
    case column_type::boolean:
      if (!v.is_bool()) return wrong_type(c, v);
      return std::string(v.get_bool() ? "true" : "false");
    case column_type::datetime:
      if (!v.is_string()) return wrong_type(c, v);
      return encode_datetime(c, v.get_string());
    case column_type::uniqueidentifier: {
      auto const id = v.is_string() ? guid::parse(v.get_string()) : std::nullopt;
      if (!id) return wrong_type(c, v);
      return quoted(id->str());
    }
    case column_type::lookup:
    case column_type::customer:
    case column_type::owner: {
      auto const id = v.is_string() ? guid::parse(v.get_string()) : std::nullopt;
      if (!id) return wrong_type(c, v);
      return lookup_cell(id->str(), c.targets.front().logical_name);
    }
    case column_type::image:
      // Edm.Binary: base64 text, kept as sent.
      if (!v.is_string()) return wrong_type(c, v);
      return quoted(std::string(v.get_string()));
    case column_type::file:
      return errors::bad_request("The value of the file column '" + c.name +
                                 "' cannot be set in a create or update operation; upload the file instead.");
  }
  return wrong_type(c, v);
}

result<std::string> encode_bind(column const& c, json::value const& v, std::string_view target) {
  if (v.is_null()) return std::string(null_cell);
  if (!v.is_string()) return wrong_type(c, v);
  std::string_view const ref = v.get_string();
  auto const open = ref.rfind('(');
  if (open == std::string_view::npos || ref.back() != ')') return wrong_type(c, ref);
  auto const id = guid::parse(ref.substr(open + 1, ref.size() - open - 2));
  std::string_view set = ref.substr(0, open);
  if (auto const slash = set.rfind('/'); slash != std::string_view::npos) set = set.substr(slash + 1);
  if (!id) return wrong_type(c, ref);
  for (auto const& t : c.targets) {
    if (t.entity_set == set && (target.empty() || target == t.logical_name)) return lookup_cell(id->str(), t.logical_name);
  }
  std::string targets;
  for (auto const& t : c.targets) targets += (targets.empty() ? "" : ", ") + t.entity_set;
  return errors::bad_request("The entity set '" + std::string(set) + "' referenced by '" + c.name +
                             "@odata.bind' is not a target of the lookup (" + targets + ").");
}

result<std::string> encode_key_literal(table_schema const& t, column const& c, std::string_view literal, bool quoted_literal) {
  if (c.type == column_type::string) {
    if (!quoted_literal) return wrong_type(c, literal);
    std::string out;
    append_json_string(out, literal);
    return out;
  }
  if (quoted_literal && !c.is_date_only()) return wrong_type(c, "'" + std::string(literal) + "'");
  switch (c.type) {
    case column_type::integer:
    case column_type::bigint:
    case column_type::picklist:
    case column_type::state:
    case column_type::status: {
      std::int64_t n = 0;
      auto const r = std::from_chars(literal.data(), literal.data() + literal.size(), n);
      if (r.ec != std::errc{} || r.ptr != literal.data() + literal.size()) return wrong_type(c, literal);
      if (c.is_choice()) {
        if (!c.options->find(static_cast<int>(n))) return not_an_option(t, c, literal);
        return std::to_string(n);
      }
      return encode_integer(t, c, n);
    }
    case column_type::decimal: {
      auto const rounded = normalize_decimal(literal, c.precision);
      if (!rounded) return wrong_type(c, literal);
      return decimal_cell(c, *rounded);
    }
    case column_type::datetime:
      return encode_datetime(c, literal);
    case column_type::uniqueidentifier:
    case column_type::lookup: {
      auto const id = guid::parse(literal);
      if (!id) return wrong_type(c, literal);
      if (c.type == column_type::uniqueidentifier) return quoted(id->str());
      return lookup_cell(id->str(), c.targets.front().logical_name);
    }
    default:
      return wrong_type(c, literal);
  }
}

}  // namespace emulator
