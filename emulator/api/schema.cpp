#include "schema.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <initializer_list>
#include <set>
#include <stdexcept>

#include "decimal_text.hpp"

namespace emulator {

std::string_view builtin_schema_json();  // generated from emulator/schema/dataverse_sample.json

namespace {

namespace json = boost::json;

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

// A bound of a double, decimal or money column: a JSON number, or a string holding one (exact).
std::string number_text(json::object const& o, std::string_view key, std::string const& where,
                        std::string fallback) {
  auto const* v = o.if_contains(key);
  if (!v) return fallback;
  std::string s = v->is_string() ? std::string(v->get_string()) : v->is_number() ? json::serialize(*v) : "";
  if (!normalize_decimal(s, 0)) fail(where, "'" + std::string(key) + "' must be a number (or a string holding one)");
  return s;
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

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

column_type parse_type(std::string const& t, std::string const& where) {
  static constexpr std::pair<std::string_view, column_type> names[] = {
      {"string", column_type::string},
      {"memo", column_type::memo},
      {"integer", column_type::integer},
      {"bigint", column_type::bigint},
      {"boolean", column_type::boolean},
      {"double", column_type::double_},
      {"decimal", column_type::decimal},
      {"money", column_type::money},
      {"datetime", column_type::datetime},
      {"uniqueidentifier", column_type::uniqueidentifier},
      {"lookup", column_type::lookup},
      {"customer", column_type::customer},
      {"owner", column_type::owner},
      {"picklist", column_type::picklist},
      {"state", column_type::state},
      {"status", column_type::status},
      {"multiselectpicklist", column_type::multiselect},
      {"image", column_type::image},
      {"file", column_type::file}};
  std::string const l = lower(t);
  for (auto const& [name, type] : names)
    if (name == l) return type;
  fail(where,
       "type '" + t +
           "' is not one of String, Memo, Integer, BigInt, Boolean, Double, Decimal, Money, DateTime, "
           "Uniqueidentifier, Lookup, Customer, Owner, Picklist, State, Status, MultiSelectPicklist, Image, File "
           "(or string, integer, decimal, boolean, datetime, lookup)");
}

std::vector<option> parse_options(json::value const& v, std::string const& where, column_type type) {
  if (!v.is_array() || v.get_array().empty()) fail(where, "'options' must be a non-empty array");
  std::vector<option> out;
  std::set<int> seen;
  for (std::size_t i = 0; i < v.get_array().size(); ++i) {
    std::string const ow = where + ".options[" + std::to_string(i) + "]";
    auto const& o = as_object(v.get_array()[i], ow);
    only_members(o, ow, {"value", "label", "state", "default_status", "invariant_name"});
    option opt;
    if (!o.if_contains("value")) fail(ow, "'value' is missing");
    opt.value = static_cast<int>(integer(o, "value", ow, 0, -2147483647LL, 2147483647LL));
    opt.label = text(o, "label", ow, true);
    if (o.if_contains("state")) opt.state = static_cast<int>(integer(o, "state", ow, 0, 0, 2147483647LL));
    if (o.if_contains("default_status"))
      opt.default_status = static_cast<int>(integer(o, "default_status", ow, 0, 0, 2147483647LL));
    opt.invariant_name = text(o, "invariant_name", ow, false);
    if (type == column_type::status && !opt.state) fail(ow, "a Status option needs 'state'");
    if (!seen.insert(opt.value).second) fail(ow, "value " + std::to_string(opt.value) + " is listed twice");
    out.push_back(std::move(opt));
  }
  return out;
}

std::shared_ptr<option_set const> find_global(schema const& s, std::string_view name) {
  for (auto const& g : s.global_option_sets)
    if (g->name == name) return g;
  return nullptr;
}

column parse_column(json::value const& v, std::string const& where, schema const& s, std::string_view table) {
  auto const& o = as_object(v, where);
  only_members(o, where,
               {"name", "type", "required", "display_name", "max_length", "min_value", "max_value", "precision",
                "target", "targets", "behavior", "format", "options", "option_set", "true_label", "false_label",
                "default"});
  column c;
  c.name = text(o, "name", where, true);
  if (!is_identifier(c.name, false)) fail(where, "name '" + c.name + "' must be a lower-case identifier");
  c.type = parse_type(text(o, "type", where, true), where);
  c.required = flag(o, "required", where, false);
  c.display_name = text(o, "display_name", where, false);
  c.max_length = static_cast<int>(
      integer(o, "max_length", where, c.type == column_type::memo ? 2000 : 100, 1, 1048576));
  if (c.type == column_type::bigint) {
    c.min_value = INT64_MIN;
    c.max_value = INT64_MAX;
  }
  switch (c.type) {
    case column_type::double_:
      c.precision = static_cast<int>(integer(o, "precision", where, 2, 0, 5));
      c.min_number = number_text(o, "min_value", where, "-100000000000");
      c.max_number = number_text(o, "max_value", where, "100000000000");
      break;
    case column_type::decimal:
      c.precision = static_cast<int>(integer(o, "precision", where, 2, 0, 12));
      c.min_number = number_text(o, "min_value", where, "-100000000000");
      c.max_number = number_text(o, "max_value", where, "100000000000");
      break;
    case column_type::money:
      c.precision = static_cast<int>(integer(o, "precision", where, 2, 0, 4));
      c.min_number = number_text(o, "min_value", where, "-922337203685477");
      c.max_number = number_text(o, "max_value", where, "922337203685477");
      break;
    default:
      c.min_value = integer(o, "min_value", where, c.min_value, INT64_MIN, INT64_MAX);
      c.max_value = integer(o, "max_value", where, c.max_value, INT64_MIN, INT64_MAX);
      c.precision = static_cast<int>(integer(o, "precision", where, 2, 0, 12));
      if (c.min_value > c.max_value) fail(where, "min_value is greater than max_value");
  }
  if (!c.min_number.empty() && compare_decimal(c.min_number, c.max_number) > 0)
    fail(where, "min_value is greater than max_value");

  std::string const behavior = text(o, "behavior", where, false);
  if (behavior == "DateOnly")
    c.behavior = datetime_behavior::date_only;
  else if (behavior == "TimeZoneIndependent")
    c.behavior = datetime_behavior::time_zone_independent;
  else if (!behavior.empty() && behavior != "UserLocal")
    fail(where, "behavior '" + behavior + "' is not one of UserLocal, DateOnly, TimeZoneIndependent");
  std::string const format = text(o, "format", where, false);
  if (!format.empty() && format != "DateOnly" && format != "DateAndTime")
    fail(where, "format '" + format + "' is not one of DateOnly, DateAndTime");
  c.date_only_format = format == "DateOnly" || c.behavior == datetime_behavior::date_only;
  if ((!behavior.empty() || !format.empty()) && c.type != column_type::datetime)
    fail(where, "'behavior' and 'format' apply to DateTime columns only");

  if (c.is_lookup()) {
    std::string const legacy = text(o, "target", where, false);
    if (auto const* ts = o.if_contains("targets")) {
      if (!ts->is_array() || ts->get_array().empty()) fail(where, "'targets' must be a non-empty array");
      for (auto const& t : ts->get_array()) {
        if (!t.is_string() || !is_identifier(t.get_string(), false))
          fail(where, "'targets' must hold lower-case logical names");
        c.targets.push_back({std::string(t.get_string()), entity_set_of(s, t.get_string())});
      }
    } else if (!legacy.empty()) {
      // The first schema version named the target's entity set.
      std::string logical = legacy;
      for (auto const& t : s.tables)
        if (t.entity_set == legacy) logical = t.logical_name;
      c.targets.push_back({logical, legacy});
    } else if (c.type == column_type::customer) {
      c.targets = {{"account", entity_set_of(s, "account")}, {"contact", entity_set_of(s, "contact")}};
    } else if (c.type == column_type::owner) {
      c.targets = {{"systemuser", entity_set_of(s, "systemuser")}, {"team", entity_set_of(s, "team")}};
    } else {
      fail(where, "'target' is missing");
    }
  } else if (o.if_contains("target") || o.if_contains("targets")) {
    fail(where, "'target' and 'targets' apply to Lookup, Customer and Owner columns only");
  }

  if (c.is_choice()) {
    auto const* opts = o.if_contains("options");
    std::string const global = text(o, "option_set", where, false);
    if (opts && !global.empty()) fail(where, "give 'options' or 'option_set', not both");
    if (!global.empty()) {
      c.options = find_global(s, global);
      if (!c.options) fail(where, "option_set '" + global + "' is not a declared global option set");
    } else if (opts) {
      auto set = std::make_shared<option_set>();
      set->name = std::string(table) + "_" + c.name;
      set->options = parse_options(*opts, where, c.type);
      c.options = std::move(set);
    } else {
      fail(where, "a choice column needs 'options' or 'option_set'");
    }
  } else if (o.if_contains("options") || o.if_contains("option_set")) {
    fail(where, "'options' and 'option_set' apply to Picklist, State, Status and MultiSelectPicklist columns only");
  }

  if (c.type == column_type::boolean) {
    c.true_label = text(o, "true_label", where, false);
    c.false_label = text(o, "false_label", where, false);
    if (c.true_label.empty()) c.true_label = "Yes";
    if (c.false_label.empty()) c.false_label = "No";
    if (auto const* d = o.if_contains("default")) {
      if (!d->is_bool()) fail(where, "'default' must be true or false");
      c.default_boolean = d->get_bool();
    }
  } else if (o.if_contains("true_label") || o.if_contains("false_label") || o.if_contains("default")) {
    fail(where, "'true_label', 'false_label' and 'default' apply to Boolean columns only");
  }
  c.wire_name = c.is_lookup() ? "_" + c.name + "_value" : c.name;
  return c;
}

void add_column(table_schema& t, column c, std::string const& where) {
  std::set<std::string> names{t.primary_id, "versionnumber", "createdon", "modifiedon"};
  for (auto const& existing : t.columns) {
    names.insert(existing.name);
    names.insert(existing.wire_name);
  }
  if (names.count(c.name)) fail(where, "column '" + c.name + "' is declared twice or is a system column");
  if (c.wire_name != c.name && names.count(c.wire_name)) fail(where, "column '" + c.wire_name + "' is declared twice");
  if (c.type == column_type::owner && std::any_of(t.columns.begin(), t.columns.end(), [](column const& x) {
        return x.type == column_type::owner;
      }))
    fail(where, "a table has at most one Owner column");
  if (c.type == column_type::owner) t.user_owned = true;
  t.columns.push_back(std::move(c));
}

table_schema parse_table(json::value const& v, std::string const& where, schema const& s) {
  auto const& o = as_object(v, where);
  only_members(o, where,
               {"entity_set", "logical_name", "primary_id", "primary_name", "display_name", "change_tracking",
                "columns", "alternate_keys"});
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
  t.display_name = text(o, "display_name", where, false);
  t.change_tracking = flag(o, "change_tracking", where, true);

  auto const* cols = o.if_contains("columns");
  if (!cols || !cols->is_array() || cols->get_array().empty()) fail(where, "'columns' must be a non-empty array");
  for (std::size_t i = 0; i < cols->get_array().size(); ++i) {
    std::string const cw = where + ".columns[" + std::to_string(i) + "]";
    add_column(t, parse_column(cols->get_array()[i], cw, s, t.logical_name), cw);
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
        switch (t.columns[*idx].type) {
          case column_type::boolean:
            fail(kw, "attribute '" + std::string(a.get_string()) + "' is a boolean, which cannot be part of a key");
          case column_type::memo:
          case column_type::double_:
          case column_type::money:
          case column_type::multiselect:
          case column_type::image:
          case column_type::file:
          case column_type::customer:
          case column_type::owner:
            fail(kw, "attribute '" + std::string(a.get_string()) + "' is of a type that cannot be part of a key");
          default:
            break;
        }
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

// Lookup targets may name tables declared later in the file: their entity sets are filled in
// once every table is known.
void resolve_targets(schema& s) {
  for (auto& t : s.tables)
    for (auto& c : t.columns)
      for (auto& target : c.targets) {
        for (auto const& other : s.tables) {
          if (other.logical_name == target.logical_name) target.entity_set = other.entity_set;
          // A first-version "target" named an entity set declared further down.
          if (other.entity_set == target.entity_set) target.logical_name = other.logical_name;
        }
      }
}

}  // namespace

option const* option_set::find(int value) const {
  for (auto const& o : options)
    if (o.value == value) return &o;
  return nullptr;
}

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

std::string entity_set_of(schema const& s, std::string_view logical_name) {
  for (auto const& t : s.tables)
    if (t.logical_name == logical_name) return t.entity_set;
  // Standard tables outside the schema, as their EntitySetName reads.
  static constexpr std::pair<std::string_view, std::string_view> known[] = {
      {"systemuser", "systemusers"},   {"team", "teams"},
      {"account", "accounts"},         {"contact", "contacts"},
      {"businessunit", "businessunits"}, {"transactioncurrency", "transactioncurrencies"}};
  for (auto const& [l, set] : known)
    if (l == logical_name) return std::string(set);
  return std::string(logical_name) + "s";
}

schema parse_schema(std::string_view text_in) {
  boost::system::error_code ec;
  json::value const root = json::parse(text_in, ec);
  if (ec) throw std::runtime_error("schema: not valid JSON: " + ec.message());
  auto const& o = as_object(root, "root");
  only_members(o, "root", {"tables", "option_sets"});
  schema s;
  if (auto const* sets = o.if_contains("option_sets")) {
    if (!sets->is_array()) fail("root", "'option_sets' must be an array");
    for (std::size_t i = 0; i < sets->get_array().size(); ++i) {
      std::string const where = "option_sets[" + std::to_string(i) + "]";
      auto const& so = as_object(sets->get_array()[i], where);
      only_members(so, where, {"name", "options"});
      auto set = std::make_shared<option_set>();
      set->name = text(so, "name", where, true);
      set->global = true;
      auto const* opts = so.if_contains("options");
      if (!opts) fail(where, "'options' is missing");
      set->options = parse_options(*opts, where, column_type::picklist);
      if (find_global(s, set->name)) fail(where, "option set '" + set->name + "' is declared twice");
      s.global_option_sets.push_back(std::move(set));
    }
  }
  auto const* tables = o.if_contains("tables");
  if (!tables || !tables->is_array() || tables->get_array().empty()) fail("root", "'tables' must be a non-empty array");
  std::set<std::string> sets{"organizations", "EntityDefinitions", "WhoAmI", "GlobalOptionSetDefinitions"};
  std::set<std::string> logical;
  for (std::size_t i = 0; i < tables->get_array().size(); ++i) {
    std::string const where = "tables[" + std::to_string(i) + "]";
    table_schema t = parse_table(tables->get_array()[i], where, s);
    if (!sets.insert(t.entity_set).second)
      fail(where, "entity_set '" + t.entity_set + "' is declared twice or is reserved");
    if (!logical.insert(t.logical_name).second) fail(where, "logical_name '" + t.logical_name + "' is declared twice");
    s.tables.push_back(std::move(t));
  }
  resolve_targets(s);
  return s;
}

column parse_column_json(std::string_view json_text, schema const& s, table_schema const& t) {
  boost::system::error_code ec;
  json::value const v = json::parse(json_text, ec);
  if (ec) throw std::runtime_error("column: not valid JSON: " + ec.message());
  column c = parse_column(v, "column", s, t.logical_name);
  table_schema copy = t;
  add_column(copy, c, "column");
  return c;
}

std::string_view default_schema_json() {
  return builtin_schema_json();
}

}  // namespace emulator
