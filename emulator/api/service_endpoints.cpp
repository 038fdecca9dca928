#include "service_endpoints.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <string_view>

#include "json_text.hpp"

namespace emulator {
namespace {

namespace json = boost::json;

// The identities of Microsoft's own WhoAmI example (reference §1.4).
constexpr std::string_view organization_id = "00aa00aa-bb11-cc22-dd33-44ee44ee44ee";
constexpr std::string_view business_unit_id = "11bb11bb-cc22-dd33-ee44-55ff55ff55ff";
constexpr std::string_view user_id = "22cc22cc-dd33-ee44-ff55-66aa66aa66aa";

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, std::string_view sep) {
  std::vector<std::string_view> parts;
  while (true) {
    auto const at = s.find(sep);
    parts.push_back(trim(s.substr(0, at)));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + sep.size());
  }
}

// A resource with a fixed list of properties, each rendered by a function.
struct property {
  std::string_view name;
  std::function<void(std::string&)> render;
};

result<std::vector<property const*>> select_properties(std::vector<property> const& all,
                                                       std::optional<std::string> const& select,
                                                       std::string_view type_name) {
  std::vector<property const*> chosen;
  if (!select || trim(*select).empty()) {
    for (auto const& p : all) chosen.push_back(&p);
    return chosen;
  }
  for (auto name : split(*select, ",")) {
    auto const it = std::find_if(all.begin(), all.end(), [&](property const& p) { return p.name == name; });
    if (it == all.end()) return errors::unknown_property(name, type_name);
    if (std::find(chosen.begin(), chosen.end(), &*it) == chosen.end()) chosen.push_back(&*it);
  }
  return chosen;
}

void append_properties(std::string& out, std::vector<property const*> const& chosen) {
  for (auto const* p : chosen) {
    out += ",\"";
    out += p->name;
    out += "\":";
    p->render(out);
  }
}

std::string context(request_context const& ctx, std::string_view set, std::optional<std::string> const& select,
                    std::string_view suffix) {
  std::string s = ctx.service_root + "/$metadata#" + std::string(set);
  if (select && !trim(*select).empty()) s += "(" + std::string(trim(*select)) + ")";
  s += suffix;
  return s;
}

std::function<void(std::string&)> text(std::string value) {
  return [value = std::move(value)](std::string& out) { append_json_string(out, value); };
}

std::function<void(std::string&)> boolean(bool value) {
  return [value](std::string& out) { out += value ? "true" : "false"; };
}

// A stable MetadataId per table: FNV-1a of the logical name, spread over 128 bits.
std::string metadata_id(std::string_view logical_name) {
  std::uint64_t h1 = 0xcbf29ce484222325ULL, h2 = 0x84222325cbf29ce4ULL;
  for (char c : logical_name) {
    h1 = (h1 ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    h2 = (h2 ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
  }
  return guid{h1, h2}.str();
}

std::vector<property> entity_properties(table_schema const& t) {
  return {{"MetadataId", text(metadata_id(t.logical_name))},
          {"LogicalName", text(t.logical_name)},
          {"SchemaName", text(t.logical_name)},
          {"EntitySetName", text(t.entity_set)},
          {"LogicalCollectionName", text(t.entity_set)},
          {"PrimaryIdAttribute", text(t.primary_id)},
          {"PrimaryNameAttribute", text(t.primary_name)},
          {"ChangeTrackingEnabled", boolean(t.change_tracking)}};
}

// $filter on EntityDefinitions: only "<Property> eq <literal>" terms joined by "and", enough for
// the documented "ChangeTrackingEnabled eq true".
result<bool> matches_filter(table_schema const& t, std::string_view filter) {
  for (auto term : split(filter, " and ")) {
    auto const parts = split(term, " eq ");
    if (parts.size() != 2)
      return errors::not_implemented(
          "The emulator's EntityDefinitions $filter supports only '<Property> eq <value>' terms.");
    std::string_view const name = parts[0];
    std::string_view const literal = parts[1];
    std::string actual;
    if (name == "ChangeTrackingEnabled")
      actual = t.change_tracking ? "true" : "false";
    else if (name == "LogicalName")
      actual = "'" + t.logical_name + "'";
    else if (name == "SchemaName")
      actual = "'" + t.logical_name + "'";
    else if (name == "EntitySetName" || name == "LogicalCollectionName")
      actual = "'" + t.entity_set + "'";
    else
      return errors::not_implemented("The emulator's EntityDefinitions $filter does not support '" + std::string(name) +
                                     "'.");
    if (actual != literal) return false;
  }
  return true;
}

}  // namespace

http_response handle_organizations(request_context& ctx, resource_segment const& segment, organization_state& org) {
  std::vector<property> const props = {
      {"organizationid", text(std::string(organization_id))},
      {"name", text("dataverse-emulator")},
      {"expirechangetrackingindays", [&](std::string& out) { append_int(out, ctx.db.retention_days()); }}};
  auto const& method = ctx.request.method;
  if (segment.has_key) {
    if (segment.parts.size() != 1 || !(segment.parts[0].name.empty() || segment.parts[0].name == "organizationid"))
      return error_response(errors::invalid_key("organization"));
    auto const id = guid::parse(segment.parts[0].value);
    if (!id || id->str() != organization_id)
      return error_response(errors::row_not_found("organization", segment.parts[0].value));
    if (method == "PATCH") {
      // Setting ExpireChangeTrackingInDays is how an administrator changes the retention.
      boost::system::error_code ec;
      json::value const body = json::parse(ctx.request.body, ec);
      if (ec || !body.is_object())
        return error_response(errors::bad_request("The request body must be a JSON object."));
      for (auto const& m : body.get_object()) {
        if (m.key().find('@') != std::string_view::npos) continue;
        if (m.key() != "expirechangetrackingindays")
          return error_response(errors::bad_request(
              "The emulator only lets 'expirechangetrackingindays' of the organization be changed."));
        if (!m.value().is_int64() || m.value().get_int64() < 0 || m.value().get_int64() > 365)
          return error_response(
              errors::validation("A validation error occurred. The value of 'expirechangetrackingindays' must be an "
                                 "integer between 0 and 365."));
        ctx.db.set_retention_days(static_cast<int>(m.value().get_int64()));
        org.version = ctx.db.next_version();
      }
      return no_content({});
    }
    if (method != "GET") return error_response(errors::method_not_allowed(method));
  } else if (method != "GET") {
    return error_response(errors::method_not_allowed(method));
  }
  auto const chosen = select_properties(props, ctx.query.select, "organization");
  if (!chosen) return error_response(chosen.error());
  std::string record = R"("@odata.etag":"W/\")" + std::to_string(org.version) + R"(\"")";
  append_properties(record, *chosen);
  if (std::find_if(chosen->begin(), chosen->end(), [](property const* p) { return p->name == "organizationid"; }) ==
      chosen->end()) {
    record += R"(,"organizationid":")" + std::string(organization_id) + "\"";
  }
  std::string body = R"({"@odata.context":)";
  if (segment.has_key) {
    append_json_string(body, context(ctx, "organizations", ctx.query.select, "/$entity"));
    body += "," + record + "}";
  } else {
    append_json_string(body, context(ctx, "organizations", ctx.query.select, ""));
    body += R"(,"value":[{)" + record + "}]}";
  }
  return json_response(200, std::move(body));
}

http_response handle_whoami(request_context& ctx) {
  if (ctx.request.method != "GET") return error_response(errors::method_not_allowed(ctx.request.method));
  std::string body = R"({"@odata.context":)";
  append_json_string(body, ctx.service_root + "/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse");
  body += R"(,"BusinessUnitId":")" + std::string(business_unit_id) + R"(","UserId":")" + std::string(user_id) +
          R"(","OrganizationId":")" + std::string(organization_id) + R"("})";
  return json_response(200, std::move(body));
}

http_response handle_entity_definitions(request_context& ctx, resource_segment const& segment) {
  if (ctx.request.method != "GET") return error_response(errors::method_not_allowed(ctx.request.method));
  std::vector<table const*> tables;
  for (auto const& t : ctx.db.tables()) tables.push_back(&t);
  if (segment.has_key) {
    if (segment.parts.size() != 1) return error_response(errors::invalid_key("EntityMetadata"));
    auto const& part = segment.parts[0];
    auto const it = std::find_if(tables.begin(), tables.end(), [&](table const* t) {
      if (part.name == "LogicalName") return part.quoted && t->schema().logical_name == part.value;
      if (part.name.empty() || part.name == "MetadataId") {
        auto const id = guid::parse(part.value);
        return id && id->str() == metadata_id(t->schema().logical_name);
      }
      return false;
    });
    if (it == tables.end())
      return error_response({404, "0x80040217", "Could not find entity with key '" + part.value + "'."});
    auto const props = entity_properties((*it)->schema());
    auto const chosen = select_properties(props, ctx.query.select, "EntityMetadata");
    if (!chosen) return error_response(chosen.error());
    std::string body = R"({"@odata.context":)";
    append_json_string(body, context(ctx, "EntityDefinitions", ctx.query.select, "/$entity"));
    append_properties(body, *chosen);
    body += "}";
    return json_response(200, std::move(body));
  }
  std::string body = R"({"@odata.context":)";
  append_json_string(body, context(ctx, "EntityDefinitions", ctx.query.select, ""));
  body += R"(,"value":[)";
  bool first = true;
  for (auto const* t : tables) {
    if (ctx.query.filter) {
      auto const keep = matches_filter(t->schema(), *ctx.query.filter);
      if (!keep) return error_response(keep.error());
      if (!*keep) continue;
    }
    auto const props = entity_properties(t->schema());
    auto const chosen = select_properties(props, ctx.query.select, "EntityMetadata");
    if (!chosen) return error_response(chosen.error());
    std::string record;
    append_properties(record, *chosen);
    if (!first) body += ",";
    first = false;
    body += "{" + record.substr(1) + "}";
  }
  body += "]}";
  return json_response(200, std::move(body));
}

}  // namespace emulator
