#include "config/table_spec.hpp"

#include <algorithm>

namespace dvsync::config {

std::size_t values_per_row(table_spec const& spec) { return fields_of(spec).size() + 2; }

bool has_lookup_targets(table_spec const& spec) {
  return std::any_of(spec.columns.begin(), spec.columns.end(), [](column_spec const& c) { return c.polymorphic; });
}

std::vector<field> fields_of(table_spec const& spec) {
  std::vector<field> out;
  out.reserve(spec.columns.size() + 2);
  for (std::size_t i = 0; i < spec.columns.size(); ++i) {
    auto const& c = spec.columns[i];
    out.push_back({c.name, i, field::part::value, c.type});
    if (c.type == column_type::decimal) out.push_back({exact_column(c.name), i, field::part::exact, column_type::text});
    if (c.type == column_type::lookup && c.polymorphic)
      out.push_back({target_column(c.name), i, field::part::target, column_type::text});
  }
  return out;
}

std::string exact_column(std::string const& name) { return "dvsync_exact_" + name; }

// Dataverse's own name for the same thing (owneridtype, parentcustomeridtype), an attribute that
// is not served by the Web API.
std::string target_column(std::string const& name) { return name + "type"; }

char const* sql_type(field const& f) {
  switch (f.type) {
    case column_type::json: return "";
    case column_type::integer:
    case column_type::boolean:
    case column_type::choice: return "INTEGER";
    case column_type::real:
    case column_type::decimal: return "REAL";
    case column_type::text:
    case column_type::datetime:
    case column_type::date:
    case column_type::guid:
    case column_type::lookup:
    case column_type::choices: return "TEXT";
  }
  return "";
}

char const* to_string(column_type t) {
  switch (t) {
    case column_type::json: return "untyped";
    case column_type::text: return "String/Memo/EntityName";
    case column_type::integer: return "Integer/BigInt";
    case column_type::boolean: return "Boolean";
    case column_type::real: return "Double";
    case column_type::decimal: return "Money/Decimal";
    case column_type::datetime: return "DateTime";
    case column_type::date: return "DateOnly";
    case column_type::guid: return "Uniqueidentifier";
    case column_type::lookup: return "Lookup";
    case column_type::choice: return "Picklist/State/Status";
    case column_type::choices: return "MultiSelectPicklist";
  }
  return "unknown";
}

}  // namespace dvsync::config

namespace dvsync::config {

char const* to_string(table_mode m) {
  switch (m) {
    case table_mode::mirror: return "mirror";
    case table_mode::soft_delete: return "soft_delete";
    case table_mode::history: return "history";
  }
  return "mirror";
}

}  // namespace dvsync::config
