#include "row_writer.hpp"

#include <boost/json.hpp>

#include "cells.hpp"
#include "value_codec.hpp"

namespace emulator {
namespace {

namespace json = boost::json;

constexpr std::string_view bind_suffix = "@odata.bind";

// The user WhoAmI answers (service_endpoints.cpp): a row created without an owner is theirs, as
// Dataverse makes the caller the owner.
constexpr std::string_view calling_user = "22cc22cc-dd33-ee44-ff55-66aa66aa66aa";

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

// The end of the JSON value starting at s[i] (the text is known to be valid JSON).
std::size_t skip_value(std::string_view s, std::size_t i) {
  int depth = 0;
  bool in_string = false;
  for (; i < s.size(); ++i) {
    char const c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') {
        in_string = false;
        if (depth == 0) return i + 1;
      }
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') {
      if (depth == 0) return i;
      if (--depth == 0) return i + 1;
    } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      return i;
    }
  }
  return i;
}

// The JSON text of every top-level member value as sent, by decoded name: a number's digits
// must reach decimal and money columns before a double rounds them.
std::vector<std::pair<std::string, std::string_view>> raw_members(std::string_view s) {
  std::vector<std::pair<std::string, std::string_view>> out;
  std::size_t i = skip_space(s, 0);
  if (i >= s.size() || s[i] != '{') return out;
  ++i;
  while (true) {
    i = skip_space(s, i);
    if (i >= s.size() || s[i] != '"') return out;
    std::size_t const key_end = skip_value(s, i);
    boost::system::error_code ec;
    json::value const key = json::parse(s.substr(i, key_end - i), ec);
    if (ec || !key.is_string()) return out;
    i = skip_space(s, key_end);
    if (i >= s.size() || s[i] != ':') return out;
    i = skip_space(s, i + 1);
    std::size_t const value_end = skip_value(s, i);
    out.emplace_back(std::string(key.get_string()), s.substr(i, value_end - i));
    i = skip_space(s, value_end);
    if (i >= s.size() || s[i] != ',') return out;
    ++i;
  }
}

std::string_view raw_of(std::vector<std::pair<std::string, std::string_view>> const& raw, std::string_view key) {
  for (auto const& [k, v] : raw)
    if (k == key) return v;
  return {};
}

// `<name>@odata.bind` or, for a table of several targets, `<name>_<target>@odata.bind`.
std::optional<std::pair<std::size_t, std::string_view>> bound_column(table_schema const& t, std::string_view nav) {
  if (auto const c = t.column_by_name(nav); c && t.columns[*c].is_lookup()) return std::pair{*c, std::string_view{}};
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    auto const& c = t.columns[i];
    if (!c.is_lookup() || nav.size() <= c.name.size() + 1 || nav.substr(0, c.name.size()) != c.name ||
        nav[c.name.size()] != '_')
      continue;
    std::string_view const target = nav.substr(c.name.size() + 1);
    for (auto const& tg : c.targets)
      if (tg.logical_name == target) return std::pair{i, target};
  }
  return std::nullopt;
}

result<json::object> parse_object(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return errors::bad_request("The request body is not valid JSON: " + ec.message() + ".");
  if (!v.is_object()) return errors::bad_request("The request body must be a JSON object.");
  return std::move(v.get_object());
}

// Applies every member of `body` to `values`; the primary id, if present, goes to `body_id`.
result<void> apply_body(table_schema const& t, json::object const& body, std::string_view body_text,
                        std::vector<std::string>& values, std::optional<guid>& body_id, write_rules const& rules) {
  auto const raw = raw_members(body_text);
  for (auto const& member : body) {
    std::string_view const key = member.key();
    if (key.size() > bind_suffix.size() && key.substr(key.size() - bind_suffix.size()) == bind_suffix) {
      auto const bound = bound_column(t, key.substr(0, key.size() - bind_suffix.size()));
      if (!bound) return errors::undeclared_property(key, t.logical_name);
      auto text = encode_bind(t.columns[bound->first], member.value(), bound->second);
      if (!text) return text.error();
      values[bound->first] = std::move(*text);
      continue;
    }
    // Instance annotations (@odata.etag, x@OData.Community.Display.V1.FormattedValue, ...) carry
    // no data; a client may echo them back from a GET.
    if (key.find('@') != std::string_view::npos) continue;
    if (key == t.primary_id) {
      auto const id = member.value().is_string() ? guid::parse(member.value().get_string()) : std::nullopt;
      if (!id)
        return errors::bad_request("Cannot convert the literal '" + json::serialize(member.value()) +
                                   "' to the expected type 'Edm.Guid'.");
      body_id = id;
      continue;
    }
    // System columns are read-only; Dataverse ignores them in a body.
    if (key == "versionnumber" || key == "createdon" || key == "modifiedon") continue;
    auto const c = t.column_by_wire_name(key);
    if (!c) return errors::undeclared_property(key, t.logical_name);
    auto text = encode_value(t, t.columns[*c], member.value(), raw_of(raw, key), rules.codec);
    if (!text) return text.error();
    values[*c] = std::move(*text);
  }
  return {};
}

// What Dataverse fills in on create: state and status, boolean defaults, and the caller as owner.
void apply_create_defaults(table_schema const& t, std::vector<std::string>& values) {
  std::optional<int> state;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    auto const& c = t.columns[i];
    if (c.type == column_type::state) {
      if (values[i] == null_cell) values[i] = std::to_string(c.options->options.front().value);
      state = std::stoi(values[i]);
    }
  }
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    auto const& c = t.columns[i];
    if (values[i] != null_cell) continue;
    if (c.type == column_type::status && state) {
      for (auto const& o : c.options->options)
        if (o.state == state) {
          values[i] = std::to_string(o.value);
          break;
        }
    } else if (c.type == column_type::boolean && c.default_boolean) {
      values[i] = *c.default_boolean ? "true" : "false";
    } else if (c.type == column_type::owner) {
      values[i] = lookup_cell(calling_user, "systemuser");
    }
  }
}

result<void> check_required(table_schema const& t, std::vector<std::string> const& values, write_rules const& rules) {
  if (!rules.enforce_required) return {};
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    if (t.columns[i].required && values[i] == null_cell)
      return errors::bad_request("The attribute '" + t.columns[i].name + "' of '" + t.logical_name +
                                 "' is required and cannot be null or missing.");
  }
  return {};
}

}  // namespace

result<guid> create_row(store& db, table& t, create_request const& req, write_rules const& rules,
                        std::mt19937_64& rng) {
  auto const& schema = t.schema();
  auto body = parse_object(req.body);
  if (!body) return body.error();
  std::vector<std::string> values(schema.columns.size(), std::string(null_cell));
  for (auto const& [column, text] : req.preset) values[column] = text;
  std::optional<guid> body_id;
  if (auto const ok = apply_body(schema, *body, req.body, values, body_id, rules); !ok) return ok.error();
  apply_create_defaults(schema, values);
  if (req.id && body_id && *req.id != *body_id)
    return errors::bad_request("The id in the request body does not match the id in the request URI.");
  guid const id = req.id ? *req.id : body_id ? *body_id : guid::random(rng);
  if (t.find(id)) return errors::duplicate_id();
  if (auto const ok = check_required(schema, values, rules); !ok) return ok.error();
  if (auto const ok = t.check_keys(values, std::nullopt); !ok) return ok.error();
  t.insert(id, values, db.next_version(), db.now());
  return id;
}

result<void> update_row(store& db, table& t, guid id, std::string_view body_text, write_rules const& rules) {
  auto const& schema = t.schema();
  row const* current = t.find(id);
  if (!current) return errors::row_not_found(schema.logical_name, id.str());
  auto body = parse_object(body_text);
  if (!body) return body.error();
  std::vector<std::string> values = row_values(*current);
  std::optional<guid> body_id;
  if (auto const ok = apply_body(schema, *body, body_text, values, body_id, rules); !ok) return ok.error();
  if (body_id && *body_id != id)
    return errors::bad_request("The id in the request body does not match the id in the request URI.");
  if (auto const ok = check_required(schema, values, rules); !ok) return ok.error();
  if (auto const ok = t.check_keys(values, id); !ok) return ok.error();
  t.replace(id, values, db.next_version(), db.now());
  return {};
}

}  // namespace emulator
