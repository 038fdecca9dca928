#include "row_endpoints.hpp"

#include <charconv>

#include "json_text.hpp"
#include "render.hpp"

namespace emulator {
namespace {

// Answers a write with the row's location, or the row itself for Prefer: return=representation.
http_response written(request_context& ctx, table const& t, guid id, int status_with_body) {
  auto const& schema = t.schema();
  std::string location = entity_id_url(ctx.service_root, schema.entity_set, id);
  if (!ctx.prefs.return_representation) return no_content({{"OData-EntityId", std::move(location)}});
  auto const sel = parse_select(schema, ctx.query.select);
  if (!sel) return error_response(sel.error());
  std::string prefix = R"("@odata.context":)";
  append_json_string(prefix, context_url(ctx.service_root, schema.entity_set, *sel, "/$entity"));
  prefix.push_back(',');
  std::string body;
  render_scratch scratch = scratch_for(ctx);
  append_record(body, schema, id, *t.find(id), *sel, scratch, prefix);
  std::vector<std::string> applied{"return=representation"};
  if (ctx.prefs.include_annotations) applied.push_back(annotations_applied(ctx));
  auto r = json_response(status_with_body, std::move(body), applied);
  r.headers.emplace_back("OData-EntityId", std::move(location));
  return r;
}

// If-Match / If-None-Match carry W/"<version>", "<version>" or *.
std::optional<std::int64_t> etag_version(std::string_view etag) {
  if (etag.substr(0, 2) == "W/") etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  std::int64_t v = 0;
  auto const r = std::from_chars(etag.data(), etag.data() + etag.size(), v);
  if (r.ec != std::errc{} || r.ptr != etag.data() + etag.size()) return std::nullopt;
  return v;
}

// Checks an If-Match header against the current row; a missing row fails an If-Match.
result<void> check_if_match(std::optional<std::string_view> if_match, row const* current, api_error not_found) {
  if (!if_match) return {};
  if (!current) return not_found;
  if (*if_match == "*") return {};
  auto const v = etag_version(*if_match);
  if (!v || *v != current->version) return errors::version_mismatch();
  return {};
}

http_response get_row(request_context& ctx, table const& t, guid id) {
  auto const& schema = t.schema();
  if (ctx.query.expand) return error_response(errors::not_implemented("The emulator does not implement $expand."));
  auto const sel = parse_select(schema, ctx.query.select);
  if (!sel) return error_response(sel.error());
  row const* r = t.find(id);
  if (auto const none_match = find_header(ctx.request, "If-None-Match"); none_match && *none_match != "null") {
    auto const v = etag_version(*none_match);
    if (v && *v == r->version) {
      http_response not_modified;
      not_modified.status = 304;
      not_modified.headers = {{"OData-Version", "4.0"}};
      return not_modified;
    }
  }
  std::string prefix = R"("@odata.context":)";
  append_json_string(prefix, context_url(ctx.service_root, schema.entity_set, *sel, "/$entity"));
  prefix.push_back(',');
  std::string body;
  render_scratch scratch = scratch_for(ctx);
  append_record(body, schema, id, *r, *sel, scratch, prefix);
  std::vector<std::string> applied;
  if (ctx.prefs.include_annotations) applied.push_back(annotations_applied(ctx));
  return json_response(200, std::move(body), applied);
}

}  // namespace

http_response create_in_collection(request_context& ctx, table& t, write_rules const& rules, std::mt19937_64& rng) {
  create_request req;
  req.body = ctx.request.body;
  auto const id = create_row(ctx.db, t, req, rules, rng);
  if (!id) return error_response(id.error());
  return written(ctx, t, *id, 201);
}

http_response handle_row(request_context& ctx, table& t, std::vector<key_part> const& key, write_rules const& rules,
                         std::mt19937_64& rng) {
  auto const& schema = t.schema();
  auto const address = resolve_address(schema, key, rules.codec);
  if (!address) return error_response(address.error());
  std::optional<guid> id = address->id;
  if (address->key) id = t.find_by_key(*address->key, address->composite);
  row const* current = id ? t.find(*id) : nullptr;
  api_error const not_found = address->id ? errors::row_not_found(schema.logical_name, address->id->str())
                                          : errors::row_not_found_by_key(schema.logical_name);
  auto const& method = ctx.request.method;

  if (method == "GET") {
    if (!current) return error_response(not_found);
    return get_row(ctx, t, *id);
  }
  if (method == "DELETE") {
    if (!current) return error_response(not_found);
    if (auto const ok = check_if_match(find_header(ctx.request, "If-Match"), current, not_found); !ok)
      return error_response(ok.error());
    t.erase(*id, ctx.db.next_version(), ctx.db.now());
    return no_content({});
  }
  if (method == "PATCH") {
    auto const if_match = find_header(ctx.request, "If-Match");
    auto const if_none_match = find_header(ctx.request, "If-None-Match");
    if (auto const ok = check_if_match(if_match, current, not_found); !ok) return error_response(ok.error());
    if (current) {
      // If-None-Match: * turns an upsert into "create only".
      if (if_none_match && *if_none_match == "*") return error_response(errors::duplicate_id());
      if (auto const ok = update_row(ctx.db, t, *id, ctx.request.body, rules); !ok) return error_response(ok.error());
      return written(ctx, t, *id, 200);
    }
    // Upsert: the row does not exist yet, so the URL's id or key values seed the new row.
    create_request req;
    req.body = ctx.request.body;
    req.id = address->id;
    req.preset = address->values;
    auto const created = create_row(ctx.db, t, req, rules, rng);
    if (!created) return error_response(created.error());
    return written(ctx, t, *created, 201);
  }
  return error_response(errors::method_not_allowed(method));
}

}  // namespace emulator
