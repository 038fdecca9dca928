#include "web_api.hpp"

#include <stdexcept>

#include "cells.hpp"
#include "collection_reads.hpp"
#include "generator.hpp"
#include "json_text.hpp"
#include "metadata_endpoints.hpp"
#include "render.hpp"
#include "row_endpoints.hpp"
#include "service_endpoints.hpp"
#include "url.hpp"

namespace emulator {

struct web_api::impl {
  options opts;
  store db;
  std::mt19937_64 rng;
  write_rules rules;
  organization_state org;

  explicit impl(options o)
      : opts(std::move(o)),
        db(parse_schema(opts.schema_json.empty() ? default_schema_json() : std::string_view(opts.schema_json)),
           opts.change_retention_days),
        rng(opts.guid_seed != 0 ? opts.guid_seed
                                : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {
    rules.codec.empty_string_as_null = opts.empty_string_as_null;
    rules.enforce_required = opts.enforce_required;
  }

  table& find(std::string const& entity_set) {
    table* t = db.find(entity_set);
    if (!t) throw std::invalid_argument("unknown entity set '" + entity_set + "'");
    return *t;
  }

  table const& find(std::string const& entity_set) const {
    table const* t = db.find(entity_set);
    if (!t) throw std::invalid_argument("unknown entity set '" + entity_set + "'");
    return *t;
  }

  http_response route(http_request const& r);
};

namespace {

void validate(options const& o) {
  if (o.max_page_size < 1) throw std::runtime_error("max page size must be at least 1");
  if (o.change_retention_days < 0 || o.change_retention_days > 365)
    throw std::runtime_error("change retention must be between 0 and 365 days");
  if (o.expired_token_status < 400 || o.expired_token_status > 599)
    throw std::runtime_error("the expired-token status must be an HTTP error status (400-599)");
}

options validated(options o) {
  validate(o);
  return o;
}

// "/api/data/v9.2/" -> "v9.2"; empty when the path is outside the Web API.
std::string_view api_version(std::string_view path) {
  for (std::string_view v : {"v9.0", "v9.1", "v9.2"}) {
    std::string const prefix = "/api/data/" + std::string(v) + "/";
    if (path.substr(0, prefix.size()) == prefix) return v;
  }
  return {};
}

}  // namespace

http_response web_api::impl::route(http_request const& r) {
  db.purge();
  auto const [path, raw_query] = split_target(r.target);
  std::string_view const version = api_version(path);
  if (version.empty()) return error_response(errors::no_resource(r.origin + r.target));
  std::string_view rest = path.substr(std::string_view("/api/data/").size() + version.size() + 1);
  auto const decoded = percent_decode(rest, false);
  if (!decoded) return error_response(errors::bad_request("The request URI contains a malformed percent-encoding."));
  if (decoded->empty()) return error_response(errors::no_resource(r.origin + r.target));
  std::string_view const first = std::string_view(*decoded).substr(0, decoded->find_first_of("(/"));

  if (first == "RetrieveTotalRecordCount") {
    request_context fn{r, db, opts, r.origin + "/api/data/" + std::string(version), parse_prefer(r), {}};
    return handle_total_record_count(fn, *decoded, raw_query);
  }
  auto query = parse_query_options(raw_query);
  if (!query) return error_response(query.error());
  request_context ctx{r, db, opts, r.origin + "/api/data/" + std::string(version), parse_prefer(r), std::move(*query)};
  // Table definitions have paths of several segments (EntityDefinitions(...)/Attributes/...).
  if (first == "EntityDefinitions" || first == "GlobalOptionSetDefinitions") return handle_metadata(ctx, *decoded);

  if (auto const slash = decoded->find('/'); slash != std::string::npos) {
    // Navigation properties, $count, $ref and the like are outside the emulator.
    std::string_view const next = std::string_view(*decoded).substr(slash + 1);
    return error_response(errors::segment_not_found(next.substr(0, next.find('/'))));
  }
  std::string_view const name = first;
  if (name == "WhoAmI" && (*decoded == "WhoAmI" || *decoded == "WhoAmI()")) return handle_whoami(ctx);
  table* t = db.find(name);
  if (!t && name != "organizations") return error_response(errors::segment_not_found(name));
  auto const segment = parse_segment(*decoded);
  if (!segment) return error_response(segment.error());
  if (name == "organizations") return handle_organizations(ctx, *segment, org);

  if (segment->has_key) {
    if (r.method == "POST") return error_response(errors::method_not_allowed(r.method));
    return handle_row(ctx, *t, segment->parts, rules, rng);
  }
  if (r.method == "GET") return read_collection(ctx, *t);
  if (r.method == "POST") return create_in_collection(ctx, *t, rules, rng);
  return error_response(errors::method_not_allowed(r.method));
}

web_api::web_api(options o) : impl_(std::make_unique<impl>(validated(std::move(o)))) {}
web_api::~web_api() = default;
web_api::web_api(web_api&&) noexcept = default;
web_api& web_api::operator=(web_api&&) noexcept = default;

http_response web_api::handle(http_request const& r) {
  try {
    return impl_->route(r);
  } catch (std::exception const& e) {
    return error_response(errors::internal(std::string("Internal error in the emulator: ") + e.what()));
  }
}

void web_api::reset() {
  impl_->db.reset();
}

void web_api::seed_sample() {
  seed_sample_books(impl_->db, impl_->find("sample_books"), impl_->rules, impl_->rng);
}

void web_api::seed(std::string const& entity_set, std::int64_t count, std::uint64_t seed, seed_order order) {
  seed_rows(impl_->db, impl_->find(entity_set), count, seed, order);
}

web_api::mutation_counts web_api::mutate(std::string const& entity_set, double fraction, std::uint64_t seed,
                                         double create_share, double update_share, double delete_share) {
  auto const m =
      mutate_rows(impl_->db, impl_->find(entity_set), fraction, seed, create_share, update_share, delete_share);
  return {m.created, m.updated, m.deleted};
}

void web_api::add_column(std::string const& entity_set, std::string const& column_json) {
  table& t = impl_->find(entity_set);
  schema view;
  for (auto const& other : impl_->db.tables()) view.tables.push_back(other.schema());
  view.global_option_sets = impl_->db.global_option_sets();
  try {
    t.add_column(parse_column_json(column_json, view, t.schema()));
  } catch (std::runtime_error const& e) {
    throw std::invalid_argument(e.what());
  }
}

void web_api::remove_column(std::string const& entity_set, std::string const& name) {
  table& t = impl_->find(entity_set);
  auto const& s = t.schema();
  auto const index = s.column_by_name(name);
  if (!index) throw std::invalid_argument("column '" + name + "' is not a column of " + entity_set);
  if (name == s.primary_name)
    throw std::invalid_argument("column '" + name + "' is the primary name of " + entity_set + " and cannot be removed");
  for (auto const& k : s.keys)
    for (auto const c : k.columns)
      if (c == *index)
        throw std::invalid_argument("column '" + name + "' is part of the alternate key '" + k.name +
                                    "' and cannot be removed");
  t.remove_column(*index);
}

void web_api::remove_table(std::string const& entity_set) {
  if (!impl_->db.remove(entity_set)) throw std::invalid_argument("unknown entity set '" + entity_set + "'");
}

std::vector<std::string> web_api::column_names(std::string const& entity_set) const {
  std::vector<std::string> names;
  for (auto const& c : impl_->find(entity_set).schema().columns) names.push_back(c.name);
  return names;
}

void web_api::expire_tokens() {
  impl_->db.expire_tokens();
}

void web_api::advance_clock(std::chrono::seconds s) {
  impl_->db.advance_clock(s);
}

std::string web_api::dump(std::string const& entity_set) const {
  table const& t = impl_->find(entity_set);
  auto const& schema = t.schema();
  std::string out = "[";
  std::vector<std::string_view> cells;
  bool first = true;
  for (auto const& [id, r] : t.rows()) {
    if (!first) out += ',';
    first = false;
    out += R"({"id":")";
    id.append_to(out);
    out += R"(","version":)";
    append_int(out, r.version);
    unpack_cells(r.cells, cells);
    for (std::size_t i = 0; i < schema.columns.size(); ++i) {
      out += ",\"";
      out += schema.columns[i].wire_name;
      out += "\":";
      out += cell_json(cells[i]);
    }
    out += R"(,"createdon":")";
    append_iso_time(out, r.created_on);
    out += R"(","modifiedon":")";
    append_iso_time(out, r.modified_on);
    out += "\"}";
  }
  out += ']';
  return out;
}

int web_api::retention_days() const {
  return impl_->db.retention_days();
}

void web_api::set_retention_days(int days) {
  impl_->db.set_retention_days(days);
}

std::string web_api::create_row(std::string const& entity_set, std::string const& json_object) {
  auto const id = emulator::create_row(impl_->db, impl_->find(entity_set), {json_object, std::nullopt, {}},
                                       impl_->rules, impl_->rng);
  if (!id) throw std::invalid_argument(id.error().message);
  return id->str();
}

bool web_api::update_row(std::string const& entity_set, std::string const& id, std::string const& json_object) {
  table& t = impl_->find(entity_set);
  auto const g = guid::parse(id);
  if (!g) throw std::invalid_argument("'" + id + "' is not a GUID");
  if (!t.find(*g)) return false;
  auto const ok = emulator::update_row(impl_->db, t, *g, json_object, impl_->rules);
  if (!ok) throw std::invalid_argument(ok.error().message);
  return true;
}

bool web_api::delete_row(std::string const& entity_set, std::string const& id) {
  table& t = impl_->find(entity_set);
  auto const g = guid::parse(id);
  if (!g) throw std::invalid_argument("'" + id + "' is not a GUID");
  if (!t.find(*g)) return false;
  return t.erase(*g, impl_->db.next_version(), impl_->db.now());
}

std::int64_t web_api::row_count(std::string const& entity_set) const {
  return static_cast<std::int64_t>(impl_->find(entity_set).rows().size());
}

std::int64_t web_api::tombstone_count(std::string const& entity_set) const {
  return static_cast<std::int64_t>(impl_->find(entity_set).tombstones().size());
}

std::int64_t web_api::current_version() const {
  return impl_->db.version();
}

std::vector<std::string> web_api::entity_sets() const {
  std::vector<std::string> sets;
  for (auto const& t : impl_->db.tables()) sets.push_back(t.schema().entity_set);
  return sets;
}

std::chrono::system_clock::time_point web_api::now() const {
  return impl_->db.now_point();
}

}  // namespace emulator
