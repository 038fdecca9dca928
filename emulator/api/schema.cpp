#include "schema.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <initializer_list>
#include <set>
#include <stdexcept>

namespace emulator {
namespace {

namespace json = boost::json;

// The built-in table: Microsoft's change-tracking sample (reference §8.1).
constexpr std::string_view sample_book_schema = R"({
  "tables": [
    {
      "entity_set": "sample_books",
      "logical_name": "sample_book",
      "primary_id": "sample_bookid",
      "primary_name": "sample_name",
      "change_tracking": true,
      "columns": [
        { "name": "sample_name", "type": "string", "max_length": 100, "required": true },
        { "name": "sample_bookcode", "type": "string", "max_length": 100 },
        { "name": "sample_author", "type": "string", "max_length": 100 }
      ],
      "alternate_keys": [
        { "name": "sample_bookcode", "attributes": ["sample_bookcode"] }
      ]
    }
  ]
})";

[[noreturn]] void fail(std::string const& where, std::string const& what) {
  throw std::runtime_error("schema: " + where + ": " + what);
}

void only_members(json::object const& o, std::string const& where, std::initializer_list<std::string_view> allowed) {
  for (auto const& m : o) {
    if (std::find(allowed.begin(), allowed.end(), m.key()) == allowed.end())
      fail(where, "unknown member '" + std::string(m.key()) + "'");
  }
}

json::object const& as_object(json::value const& v, std::string const& where) {
  if (!v.is_object()) fail(where, "must be a JSON object");
  return v.get_object();
}

std::string text(json::object const& o, std::string_view key, std::string const& where, bool required) {
  auto const* v = o.if_contains(key);
  if (!v) {
    if (required) fail(where, "'" + std::string(key) + "' is missing");
    return {};
  }
  if (!v->is_string()) fail(where, "'" + std::string(key) + "' must be a string");
  return std::string(v->get_string());
}

bool flag(json::object const& o, std::string_view key, std::string const& where, bool fallback) {
  auto const* v = o.if_contains(key);
  if (!v) return fallback;
  if (!v->is_bool()) fail(where, "'" + std::string(key) + "' must be true or false");
  return v->get_bool();
}

std::int64_t integer(json::object const& o, std::string_view key, std::string const& where, std::int64_t fallback,
                     std::int64_t min, std::int64_t max) {
  auto const* v = o.if_contains(key);
  if (!v) return fallback;
  if (!v->is_int64() && !v->is_uint64()) fail(where, "'" + std::string(key) + "' must be an integer");
  if (v->is_uint64() && v->get_uint64() > static_cast<std::uint64_t>(max))
    fail(where, "'" + std::string(key) + "' is out of range");
  std::int64_t const n = v->is_int64() ? v->get_int64() : static_cast<std::int64_t>(v->get_uint64());
  if (n < min || n > max)
    fail(where, "'" + std::string(key) + "' must be between " + std::to_string(min) + " and " + std::to_string(max));
  return n;
}

bool is_identifier(std::string_view s, bool allow_upper) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char const c = s[i];
    bool const ok =
        (c >= 'a' && c <= 'z') || c == '_' || (allow_upper && c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

column_type parse_type(std::string const& t, std::string const& where) {
  if (t == "string") return column_type::string;
  if (t == "integer") return column_type::integer;
  if (t == "decimal") return column_type::decimal;
  if (t == "boolean") return column_type::boolean;
  if (t == "datetime") return column_type::datetime;
  if (t == "lookup") return column_type::lookup;
  fail(where, "type '" + t + "' is not one of string, integer, decimal, boolean, datetime, lookup");
}

column parse_column(json::value const& v, std::string const& where) {
  auto const& o = as_object(v, where);
  only_members(o, where, {"name", "type", "required", "max_length", "min_value", "max_value", "precision", "target"});
  column c;
  c.name = text(o, "name", where, true);
  if (!is_identifier(c.name, false)) fail(where, "name '" + c.name + "' must be a lower-case identifier");
  c.type = parse_type(text(o, "type", where, true), where);
  c.required = flag(o, "required", where, false);
  c.max_length = static_cast<int>(integer(o, "max_length", where, 100, 1, 1048576));
  c.min_value = integer(o, "min_value", where, c.min_value, INT64_MIN, INT64_MAX);
  c.max_value = integer(o, "max_value", where, c.max_value, INT64_MIN, INT64_MAX);
  if (c.min_value > c.max_value) fail(where, "min_value is greater than max_value");
  c.precision = static_cast<int>(integer(o, "precision", where, 2, 0, 10));
  c.target = text(o, "target", where, c.type == column_type::lookup);
  c.wire_name = c.type == column_type::lookup ? "_" + c.name + "_value" : c.name;
  return c;
}

table_schema parse_table(json::value const& v, std::string const& where) {
  auto const& o = as_object(v, where);
  only_members(
      o, where,
      {"entity_set", "logical_name", "primary_id", "primary_name", "change_tracking", "columns", "alternate_keys"});
  table_schema t;
  t.entity_set = text(o, "entity_set", where, true);
  if (!is_identifier(t.entity_set, true)) fail(where, "entity_set '" + t.entity_set + "' must be an identifier");
  t.logical_name = text(o, "logical_name", where, true);
  if (!is_identifier(t.logical_name, false))
    fail(where, "logical_name '" + t.logical_name + "' must be a lower-case identifier");
  t.primary_id = text(o, "primary_id", where, false);
  if (t.primary_id.empty()) t.primary_id = t.logical_name + "id";
  if (!is_identifier(t.primary_id, false))
    fail(where, "primary_id '" + t.primary_id + "' must be a lower-case identifier");
  t.primary_name = text(o, "primary_name", where, false);
  t.change_tracking = flag(o, "change_tracking", where, true);

  auto const* cols = o.if_contains("columns");
  if (!cols || !cols->is_array() || cols->get_array().empty()) fail(where, "'columns' must be a non-empty array");
  std::set<std::string> names{t.primary_id, "versionnumber", "createdon", "modifiedon"};
  for (std::size_t i = 0; i < cols->get_array().size(); ++i) {
    std::string const cw = where + ".columns[" + std::to_string(i) + "]";
    column c = parse_column(cols->get_array()[i], cw);
    if (!names.insert(c.name).second) fail(cw, "column '" + c.name + "' is declared twice or is a system column");
    if (c.wire_name != c.name && !names.insert(c.wire_name).second)
      fail(cw, "column '" + c.wire_name + "' is declared twice");
    t.columns.push_back(std::move(c));
  }
  if (!t.primary_name.empty() && !t.column_by_name(t.primary_name))
    fail(where, "primary_name '" + t.primary_name + "' is not a declared column");

  if (auto const* keys = o.if_contains("alternate_keys")) {
    if (!keys->is_array()) fail(where, "'alternate_keys' must be an array");
    std::set<std::vector<std::size_t>> seen;
    for (std::size_t i = 0; i < keys->get_array().size(); ++i) {
      std::string const kw = where + ".alternate_keys[" + std::to_string(i) + "]";
      auto const& ko = as_object(keys->get_array()[i], kw);
      only_members(ko, kw, {"name", "attributes"});
      alternate_key k;
      k.name = text(ko, "name", kw, true);
      auto const* attrs = ko.if_contains("attributes");
      if (!attrs || !attrs->is_array() || attrs->get_array().empty())
        fail(kw, "'attributes' must be a non-empty array of column names");
      for (auto const& a : attrs->get_array()) {
        if (!a.is_string()) fail(kw, "'attributes' must hold column names");
        auto const idx = t.column_by_name(a.get_string());
        if (!idx) fail(kw, "attribute '" + std::string(a.get_string()) + "' is not a declared column");
        if (t.columns[*idx].type == column_type::boolean)
          fail(kw, "attribute '" + std::string(a.get_string()) + "' is a boolean, which cannot be part of a key");
        if (std::find(k.columns.begin(), k.columns.end(), *idx) != k.columns.end())
          fail(kw, "attribute '" + std::string(a.get_string()) + "' is listed twice");
        k.columns.push_back(*idx);
      }
      auto sorted = k.columns;
      std::sort(sorted.begin(), sorted.end());
      if (!seen.insert(sorted).second) fail(kw, "the same attributes already form another key");
      t.keys.push_back(std::move(k));
    }
  }
  return t;
}

}  // namespace

std::optional<std::size_t> table_schema::column_by_wire_name(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].wire_name == name) return i;
  return std::nullopt;
}

std::optional<std::size_t> table_schema::column_by_name(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return i;
  return std::nullopt;
}

std::string table_schema::key_attributes(alternate_key const& k) const {
  std::string s;
  for (std::size_t i = 0; i < k.columns.size(); ++i) {
    if (i > 0) s += ", ";
    s += columns[k.columns[i]].name;
  }
  return s;
}

schema parse_schema(std::string_view text_in) {
  boost::system::error_code ec;
  json::value const root = json::parse(text_in, ec);
  if (ec) throw std::runtime_error("schema: not valid JSON: " + ec.message());
  auto const& o = as_object(root, "root");
  only_members(o, "root", {"tables"});
  auto const* tables = o.if_contains("tables");
  if (!tables || !tables->is_array() || tables->get_array().empty()) fail("root", "'tables' must be a non-empty array");
  schema s;
  std::set<std::string> sets{"organizations", "EntityDefinitions", "WhoAmI"};
  std::set<std::string> logical;
  for (std::size_t i = 0; i < tables->get_array().size(); ++i) {
    std::string const where = "tables[" + std::to_string(i) + "]";
    table_schema t = parse_table(tables->get_array()[i], where);
    if (!sets.insert(t.entity_set).second)
      fail(where, "entity_set '" + t.entity_set + "' is declared twice or is reserved");
    if (!logical.insert(t.logical_name).second) fail(where, "logical_name '" + t.logical_name + "' is declared twice");
    s.tables.push_back(std::move(t));
  }
  return s;
}

std::string_view default_schema_json() {
  return sample_book_schema;
}

}  // namespace emulator
