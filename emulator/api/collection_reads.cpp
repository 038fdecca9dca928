#include "collection_reads.hpp"

#include <algorithm>
#include <charconv>

#include "json_text.hpp"
#include "paging.hpp"
#include "render.hpp"

namespace emulator {
namespace {

std::vector<std::string> applied_preferences(request_context const& ctx, bool tracking, int page_size) {
  std::vector<std::string> applied;
  if (tracking && ctx.prefs.track_changes) applied.emplace_back("odata.track-changes");
  if (ctx.prefs.max_page_size) applied.push_back("odata.maxpagesize=" + std::to_string(page_size));
  if (ctx.prefs.include_annotations) applied.push_back(annotations_applied(ctx));
  return applied;
}

int page_size_for(request_context const& ctx, page_cursor const* cursor) {
  // The docs ask clients to resend the same odata.maxpagesize with every nextLink; a client that
  // does not gets the size its first page was served with.
  int size = ctx.prefs.max_page_size ? *ctx.prefs.max_page_size : cursor ? cursor->page_size : ctx.opts.max_page_size;
  return std::clamp(size, 1, ctx.opts.max_page_size);
}

// Change tracking covers whole tables only (reference §2.1).
result<void> check_tracking_options(query_options const& q) {
  if (q.filter) return errors::not_supported_with_tracking("$filter");
  if (q.orderby) return errors::not_supported_with_tracking("$orderby");
  if (q.expand) return errors::not_supported_with_tracking("$expand");
  if (q.top) return errors::not_supported_with_tracking("$top");
  return {};
}

// Plain and initial tracked reads: rows in id order after the cursor's position.
http_response read_by_id(request_context& ctx, table const& t, selection const& sel, page_cursor const* cursor,
                         bool tracking, delta_token token, int page_size, std::optional<std::int64_t> count,
                         bool paged) {
  auto const& rows = t.rows();
  auto it = cursor ? rows.upper_bound(cursor->last_id) : rows.begin();
  std::vector<table::row_map::const_iterator> page;
  page.reserve(std::min(static_cast<std::size_t>(page_size), rows.size()));
  for (; it != rows.end() && page.size() < static_cast<std::size_t>(page_size); ++it) page.push_back(it);
  bool const more = paged && it != rows.end();

  auto const& schema = t.schema();
  std::string body;
  body.reserve(256 + page.size() * (64 + schema.columns.size() * 32));
  body += R"({"@odata.context":)";
  append_json_string(body, context_url(ctx.service_root, schema.entity_set, sel, ""));
  if (count) {
    body += R"(,"@odata.count":)";
    append_int(body, *count);
  }
  if (tracking && !more) {
    body += R"(,"@odata.deltaLink":)";
    append_json_string(
        body, collection_link(ctx.service_root, schema.entity_set, sel, "$deltatoken", encode_deltatoken(token)));
  }
  body += R"(,"value":[)";
  render_scratch scratch = scratch_for(ctx);
  for (std::size_t i = 0; i < page.size(); ++i) {
    if (i > 0) body.push_back(',');
    append_record(body, schema, page[i]->first, page[i]->second, sel, scratch);
  }
  body.push_back(']');
  if (more) {
    page_cursor next;
    next.kind = tracking ? cursor_kind::initial : cursor_kind::plain;
    next.page_number = cursor ? cursor->page_number + 1 : 2;
    next.page_size = page_size;
    next.first_id = page.front()->first;
    next.last_id = page.back()->first;
    next.token_version = token.version;
    next.token_time = token.time;
    body += R"(,"@odata.nextLink":)";
    append_json_string(
        body, collection_link(ctx.service_root, schema.entity_set, sel, "$skiptoken", encode_skiptoken(next, schema)));
  }
  body.push_back('}');
  return json_response(200, std::move(body), applied_preferences(ctx, tracking, page_size));
}

// Delta reads: rows with from < version <= to by ascending version, then tombstones the same way.
// `to` was fixed by the first page, so a row changed while the client pages has moved above it
// and is delivered by the next delta instead (never lost, never twice in one response).
http_response read_delta(request_context& ctx, table const& t, selection const& sel, page_cursor const& at,
                         int page_size) {
  auto const& schema = t.schema();
  auto const& changes = t.rows_by_version();
  auto const& deletes = t.tombstones();
  std::int64_t const to = at.token_version;

  std::vector<table::row_map::const_iterator> changed;
  std::vector<table::tombstone_map::const_iterator> deleted;
  auto const limit = static_cast<std::size_t>(page_size);
  delta_phase phase = at.phase;
  std::int64_t last = at.last_version;

  if (phase == delta_phase::changes) {
    for (auto it = changes.upper_bound(last); it != changes.end() && it->first <= to && changed.size() < limit; ++it) {
      changed.push_back(it->second);
      last = it->first;
    }
    auto const next = changes.upper_bound(last);
    if (next == changes.end() || next->first > to) {
      // Every change of the window is on this page or an earlier one: the deletes follow.
      phase = delta_phase::deletes;
      last = at.from_version;
    }
  }
  bool more = true;  // still in the changes phase: the page filled up before they ran out
  if (phase == delta_phase::deletes) {
    auto it = deletes.upper_bound(last);
    for (; it != deletes.end() && it->first <= to && changed.size() + deleted.size() < limit; ++it) {
      deleted.push_back(it);
      last = it->first;
    }
    more = it != deletes.end() && it->first <= to;
  }

  std::string body;
  body.reserve(256 + changed.size() * (64 + schema.columns.size() * 32) + deleted.size() * 160);
  body += R"({"@odata.context":)";
  append_json_string(body, context_url(ctx.service_root, schema.entity_set, sel, "/$delta"));
  if (!more) {
    body += R"(,"@odata.deltaLink":)";
    append_json_string(body, collection_link(ctx.service_root, schema.entity_set, sel, "$deltatoken",
                                             encode_deltatoken({at.token_version, at.token_time})));
  }
  body += R"(,"value":[)";
  render_scratch scratch = scratch_for(ctx);
  bool first = true;
  for (auto const& it : changed) {
    if (!first) body.push_back(',');
    first = false;
    append_record(body, schema, it->first, it->second, sel, scratch);
  }
  for (auto const& it : deleted) {
    if (!first) body.push_back(',');
    first = false;
    append_deleted(body, ctx.service_root, schema.entity_set, it->second.id);
  }
  body.push_back(']');
  if (more) {
    page_cursor next = at;
    next.page_number = at.page_number + 1;
    next.page_size = page_size;
    next.phase = phase;
    next.last_version = last;
    body += R"(,"@odata.nextLink":)";
    append_json_string(
        body, collection_link(ctx.service_root, schema.entity_set, sel, "$skiptoken", encode_skiptoken(next, schema)));
  }
  body.push_back('}');
  return json_response(200, std::move(body), applied_preferences(ctx, true, page_size));
}

result<std::int64_t> parse_top(std::string const& text) {
  std::int64_t n = -1;
  auto const r = std::from_chars(text.data(), text.data() + text.size(), n);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size() || n < 0)
    return errors::bad_request(
        "Invalid value '" + text +
        "' for $top query option found. The $top query option requires a non-negative integer value.");
  return n;
}

}  // namespace

http_response read_collection(request_context& ctx, table const& t) {
  auto const& schema = t.schema();
  auto const& q = ctx.query;
  auto const sel = parse_select(schema, q.select);
  if (!sel) return error_response(sel.error());

  std::optional<delta_token> token;
  if (q.deltatoken) {
    token = decode_deltatoken(*q.deltatoken);
    if (!token) return error_response(errors::bad_request("The $deltatoken is not valid."));
  }
  std::optional<page_cursor> cursor;
  if (q.skiptoken) {
    auto c = decode_skiptoken(*q.skiptoken, schema);
    if (!c) return error_response(c.error());
    if (token && (c->kind != cursor_kind::delta || c->from_version != token->version))
      return error_response(errors::bad_request("The $skiptoken is not valid for this request."));
    cursor = *c;
  }

  bool const tracking = token || (cursor && cursor->kind != cursor_kind::plain) ||
                        (!cursor && ctx.prefs.track_changes && schema.change_tracking);
  if (tracking) {
    if (auto const ok = check_tracking_options(q); !ok) return error_response(ok.error());
    if (!schema.change_tracking)
      return error_response(
          errors::bad_request("Change tracking is not enabled for the entity '" + schema.logical_name + "'."));
  }
  int const page_size = page_size_for(ctx, cursor ? &*cursor : nullptr);

  if (token || (cursor && cursor->kind == cursor_kind::delta)) {
    page_cursor at;
    if (cursor) {
      at = *cursor;
    } else {
      at.kind = cursor_kind::delta;
      at.page_number = 1;
      at.from_version = token->version;
      at.from_time = token->time;
      at.token_version = ctx.db.version();
      at.token_time = ctx.db.now();
      at.phase = delta_phase::changes;
      at.last_version = token->version;
    }
    if (ctx.db.token_expired(at.from_version, at.from_time))
      return error_response(errors::expired_token(ctx.opts.expired_token_status));
    return read_delta(ctx, t, *sel, at, page_size);
  }

  if (tracking) {
    delta_token const mint =
        cursor ? delta_token{cursor->token_version, cursor->token_time} : delta_token{ctx.db.version(), ctx.db.now()};
    return read_by_id(ctx, t, *sel, cursor ? &*cursor : nullptr, true, mint, page_size, std::nullopt, true);
  }

  if (q.filter) return error_response(errors::not_implemented("The emulator does not implement $filter."));
  if (q.orderby) return error_response(errors::not_implemented("The emulator does not implement $orderby."));
  if (q.expand) return error_response(errors::not_implemented("The emulator does not implement $expand."));
  if (q.top && !ctx.prefs.max_page_size && !cursor) {
    // "If you include both, $top is ignored" (reference §4.1). A $top read is a single page.
    auto const top = parse_top(*q.top);
    if (!top) return error_response(top.error());
    int const size = static_cast<int>(std::min<std::int64_t>(*top, ctx.opts.max_page_size));
    return read_by_id(ctx, t, *sel, nullptr, false, {}, size, std::nullopt, false);
  }
  std::optional<std::int64_t> count;
  if (q.count && *q.count == "true") count = static_cast<std::int64_t>(t.rows().size());
  return read_by_id(ctx, t, *sel, cursor ? &*cursor : nullptr, false, {}, page_size, count, true);
}

}  // namespace emulator
