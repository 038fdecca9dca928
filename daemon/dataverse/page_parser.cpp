#include "dataverse/page_parser.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace dvsync::dataverse {
namespace json = boost::json;
namespace {

core::error protocol(std::string message) { return core::make_error(core::errc::protocol, std::move(message)); }

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// 8-4-4-4-12 hex digits, returned in lower case (the mirror's form).
std::optional<std::string> normalize_guid(std::string_view s) {
  if (s.size() != 36) return std::nullopt;
  std::string out(s);
  for (std::size_t i = 0; i < out.size(); ++i) {
    char& c = out[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return std::nullopt;
    } else if (!is_hex(c)) {
      return std::nullopt;
    } else if (c >= 'A' && c <= 'F') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// Dataverse sends a bare GUID; generic OData sends an entity-id such as `accounts(<guid>)`,
// `accounts(accountid=<guid>)` or a whole URL ending that way.
std::optional<std::string> deleted_id(std::string_view id) {
  if (auto open = id.rfind('('); open != std::string_view::npos) {
    auto close = id.find(')', open);
    if (close == std::string_view::npos) return std::nullopt;
    id = id.substr(open + 1, close - open - 1);
    if (auto eq = id.rfind('='); eq != std::string_view::npos) id = id.substr(eq + 1);
    if (id.size() >= 2 && id.front() == '\'' && id.back() == '\'') id = id.substr(1, id.size() - 2);
  }
  return normalize_guid(id);
}

std::optional<std::int64_t> digits_to_int64(std::string_view s) {
  std::int64_t n = 0;
  if (s.empty() || s.front() == '-' || s.front() == '+') return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

// The weak ETag W/"<versionnumber>"; an ETag of another shape is opaque and yields nothing.
std::optional<std::int64_t> version_of(json::object const& o) {
  if (json::value const* etag = o.if_contains("@odata.etag"); etag && etag->is_string()) {
    std::string_view s = etag->get_string();
    if (s.size() > 4 && s.starts_with("W/\"") && s.back() == '"')
      if (auto n = digits_to_int64(s.substr(3, s.size() - 4))) return n;
  }
  if (json::value const* v = o.if_contains("versionnumber")) {
    if (v->is_int64() && v->get_int64() >= 0) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))
      return static_cast<std::int64_t>(v->get_uint64());
  }
  return std::nullopt;
}

value to_column(json::value const& v) {
  switch (v.kind()) {
    case json::kind::null: return std::monostate{};
    case json::kind::bool_: return std::int64_t{v.get_bool() ? 1 : 0};
    case json::kind::int64: return v.get_int64();
    case json::kind::uint64:
      if (v.get_uint64() <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        return static_cast<std::int64_t>(v.get_uint64());
      return static_cast<double>(v.get_uint64());
    case json::kind::double_: return v.get_double();
    case json::kind::string: return std::string(v.get_string());
    case json::kind::array:
    case json::kind::object: return json::serialize(v);
  }
  return std::monostate{};
}

bool is_deleted_entity(json::object const& o, config::table_spec const& spec) {
  if (json::value const* context = o.if_contains("@odata.context"); context && context->is_string())
    if (std::string_view(context->get_string()).find("$deletedEntity") != std::string_view::npos) return true;
  return !o.contains(spec.id) && o.contains("id") && o.contains("reason");
}

// Boost.JSON reads a number beyond the range of double (1e400) as infinity and writes it back as
// `Infinity`, which is not JSON: the mirror would hold a value the source never had and a reject's
// raw JSON would not parse. No Dataverse type reaches that range, so such a page is malformed.
// Nesting is bounded by the parser's depth limit.
bool has_non_finite_number(json::value const& v) {
  switch (v.kind()) {
    case json::kind::double_: return !std::isfinite(v.get_double());
    case json::kind::array:
      return std::any_of(v.get_array().begin(), v.get_array().end(), has_non_finite_number);
    case json::kind::object:
      return std::any_of(v.get_object().begin(), v.get_object().end(),
                         [](json::key_value_pair const& m) { return has_non_finite_number(m.value()); });
    default: return false;
  }
}

core::result<void> read_element(json::value const& element, std::size_t index, config::table_spec const& spec,
                                std::size_t key_index, page& out) {
  if (!element.is_object()) return protocol(fmt::format("value[{}] is not an object", index));
  if (has_non_finite_number(element)) return protocol(fmt::format("value[{}] has a number out of range", index));
  json::object const& o = element.get_object();

  if (is_deleted_entity(o, spec)) {
    json::value const* id = o.if_contains("id");
    if (!id || !id->is_string()) return protocol(fmt::format("value[{}]: deleted entity has no string id", index));
    auto guid = deleted_id(id->get_string());
    if (!guid) return protocol(fmt::format("value[{}]: deleted entity id is not a GUID", index));
    out.deletes.push_back(std::move(*guid));
    return {};
  }

  json::value const* id = o.if_contains(spec.id);
  if (!id) return protocol(fmt::format("value[{}]: primary key {} is missing", index, spec.id));
  std::optional<std::string> guid;
  if (id->is_string()) guid = normalize_guid(id->get_string());
  if (!guid) return protocol(fmt::format("value[{}]: primary key {} is not a GUID", index, spec.id));

  if (key_index < spec.columns.size()) {
    json::value const* key = o.if_contains(spec.key);
    const char* problem = nullptr;
    if (!key || key->is_null())
      problem = "null";
    else if (key->is_string() && key->get_string().empty())
      problem = "empty";
    if (problem) {
      out.rejects.push_back(rejected{std::move(*guid), json::serialize(o), fmt::format("key {} is {}", spec.key, problem)});
      return {};
    }
  }

  record r;
  r.id = std::move(*guid);
  r.version = version_of(o);
  r.columns.reserve(spec.columns.size());
  for (std::string const& name : spec.columns) {
    json::value const* v = o.if_contains(name);
    r.columns.push_back(v ? to_column(*v) : value{});
  }
  out.upserts.push_back(std::move(r));
  return {};
}

core::result<std::optional<std::string>> link(json::object const& root, std::string_view name) {
  json::value const* v = root.if_contains(name);
  if (!v) return std::optional<std::string>();
  if (!v->is_string()) return protocol(fmt::format("{} is not a string", name));
  return std::optional<std::string>(std::string(v->get_string()));
}

}  // namespace

core::result<page> parse_page(std::string_view body, config::table_spec const& spec) {
  // One arena per page: the DOM of a 5000-row page is freed at once instead of value by value.
  json::monotonic_resource arena;
  json::parser parser;
  parser.reset(&arena);
  json::error_code ec;
  std::size_t consumed = parser.write(body.data(), body.size(), ec);
  if (ec) return protocol(fmt::format("invalid JSON at offset {}: {}", consumed, ec.message()));
  json::value root = parser.release();
  if (!root.is_object()) return protocol("page is not a JSON object");
  json::object const& o = root.get_object();

  page out;
  auto next = link(o, "@odata.nextLink");
  if (!next) return next.error();
  out.next_link = std::move(*next);
  auto delta = link(o, "@odata.deltaLink");
  if (!delta) return delta.error();
  out.delta_link = std::move(*delta);

  json::value const* items = o.if_contains("value");
  if (!items) return out;
  if (!items->is_array()) return protocol("value is not an array");
  json::array const& elements = items->get_array();
  out.upserts.reserve(elements.size());

  std::size_t key_index = static_cast<std::size_t>(
      std::find(spec.columns.begin(), spec.columns.end(), spec.key) - spec.columns.begin());
  for (std::size_t i = 0; i < elements.size(); ++i)
    if (auto r = read_element(elements[i], i, spec, key_index, out); !r) return r.error();
  return out;
}

}  // namespace dvsync::dataverse
