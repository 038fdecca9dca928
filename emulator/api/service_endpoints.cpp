#include "service_endpoints.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <optional>
#include <string_view>

#include "json_text.hpp"
#include "url.hpp"
#include "words.hpp"

namespace emulator {
namespace {

namespace json = boost::json;

// The identities of Microsoft's own WhoAmI example (reference §1.4).
constexpr std::string_view organization_id = "00aa00aa-bb11-cc22-dd33-44ee44ee44ee";
constexpr std::string_view business_unit_id = "11bb11bb-cc22-dd33-ee44-55ff55ff55ff";
constexpr std::string_view user_id = "22cc22cc-dd33-ee44-ff55-66aa66aa66aa";

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
  for (auto name : split_words(*select, ",")) {
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

namespace {

// The value of `@alias` in a raw query, percent-decoded.
std::optional<std::string> alias_value(std::string_view raw_query, std::string_view alias) {
  while (!raw_query.empty()) {
    auto const amp = raw_query.find('&');
    std::string_view const pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view{} : raw_query.substr(amp + 1);
    auto const eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    auto name = percent_decode(pair.substr(0, eq), false);
    if (name && *name == alias) return percent_decode(pair.substr(eq + 1), false);
  }
  return std::nullopt;
}

}  // namespace

http_response handle_total_record_count(request_context& ctx, std::string_view function_segment, std::string_view raw_query) {
  if (ctx.request.method != "GET") return error_response(errors::method_not_allowed(ctx.request.method));
  // RetrieveTotalRecordCount(EntityNames=@p1): the parameter is a collection, passed by alias.
  constexpr std::string_view prefix = "RetrieveTotalRecordCount(EntityNames=";
  if (!function_segment.starts_with(prefix) || !function_segment.ends_with(")"))
    return error_response(errors::bad_request("RetrieveTotalRecordCount takes one parameter, EntityNames."));
  auto const argument = function_segment.substr(prefix.size(), function_segment.size() - prefix.size() - 1);
  std::optional<std::string> text;
  if (argument.starts_with("@"))
    text = alias_value(raw_query, argument);
  else
    text = std::string(argument);
  if (!text) return error_response(errors::bad_request("The parameter alias " + std::string(argument) + " has no value."));
  boost::system::error_code ec;
  auto const names = json::parse(*text, ec);
  if (ec || !names.is_array())
    return error_response(errors::bad_request("EntityNames must be a collection of strings, such as [\"account\"]."));

  json::array keys;
  json::array values;
  for (auto const& n : names.get_array()) {
    if (!n.is_string()) return error_response(errors::bad_request("EntityNames must be a collection of strings."));
    std::string_view const logical = n.get_string();
    auto const& tables = ctx.db.tables();
    auto t = std::find_if(tables.begin(), tables.end(), [&](table const& x) { return x.schema().logical_name == logical; });
    if (t == tables.end())
      return error_response(errors::bad_request("Could not find entity with logical name '" + std::string(logical) + "'."));
    keys.emplace_back(logical);
    values.emplace_back(static_cast<std::int64_t>(t->rows().size()));
  }
  json::object collection;
  collection["Count"] = static_cast<std::int64_t>(keys.size());
  collection["IsReadOnly"] = false;
  collection["Keys"] = std::move(keys);
  collection["Values"] = std::move(values);
  json::object body;
  body["@odata.context"] = ctx.service_root + "/$metadata#Microsoft.Dynamics.CRM.RetrieveTotalRecordCountResponse";
  body["EntityRecordCountCollection"] = std::move(collection);
  return json_response(200, json::serialize(body));
}

}  // namespace emulator
