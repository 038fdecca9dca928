#include "row_writer.hpp"

#include <boost/json.hpp>

#include "cells.hpp"

namespace emulator {
namespace {

namespace json = boost::json;

constexpr std::string_view bind_suffix = "@odata.bind";

result<json::object> parse_object(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return errors::bad_request("The request body is not valid JSON: " + ec.message() + ".");
  if (!v.is_object()) return errors::bad_request("The request body must be a JSON object.");
  return std::move(v.get_object());
}

// Applies every member of `body` to `values`; the primary id, if present, goes to `body_id`.
result<void> apply_body(table_schema const& t, json::object const& body, std::vector<std::string>& values,
                        std::optional<guid>& body_id, write_rules const& rules) {
  for (auto const& member : body) {
    std::string_view const key = member.key();
    if (key.size() > bind_suffix.size() && key.substr(key.size() - bind_suffix.size()) == bind_suffix) {
      auto const c = t.column_by_name(key.substr(0, key.size() - bind_suffix.size()));
      if (!c || t.columns[*c].type != column_type::lookup) return errors::undeclared_property(key, t.logical_name);
      auto text = encode_value(t, t.columns[*c], member.value(), true, rules.codec);
      if (!text) return text.error();
      values[*c] = std::move(*text);
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
    auto text = encode_value(t, t.columns[*c], member.value(), false, rules.codec);
    if (!text) return text.error();
    values[*c] = std::move(*text);
  }
  return {};
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
  if (auto const ok = apply_body(schema, *body, values, body_id, rules); !ok) return ok.error();
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
  if (auto const ok = apply_body(schema, *body, values, body_id, rules); !ok) return ok.error();
  if (body_id && *body_id != id)
    return errors::bad_request("The id in the request body does not match the id in the request URI.");
  if (auto const ok = check_required(schema, values, rules); !ok) return ok.error();
  if (auto const ok = t.check_keys(values, id); !ok) return ok.error();
  t.replace(id, values, db.next_version(), db.now());
  return {};
}

}  // namespace emulator
