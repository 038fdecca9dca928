#include "server/faults.hpp"

#include "server/headers.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <limits>

namespace emulator {
namespace {

namespace json = boost::json;

struct bad_fault {
  std::string message;
};

std::int64_t integer_field(json::value const& v, std::string_view name, std::int64_t min, std::int64_t max) {
  if (!v.is_int64() && !v.is_uint64()) throw bad_fault{std::string(name) + ": expected an integer"};
  auto n = v.is_int64() ? v.as_int64() : static_cast<std::int64_t>(std::min<std::uint64_t>(v.as_uint64(), INT64_MAX));
  if (n < min || n > max)
    throw bad_fault{std::string(name) + ": expected " + std::to_string(min) + " to " + std::to_string(max)};
  return n;
}

bool bool_field(json::value const& v, std::string_view name) {
  if (!v.is_bool()) throw bad_fault{std::string(name) + ": expected true or false"};
  return v.as_bool();
}

std::string string_field(json::value const& v, std::string_view name) {
  if (!v.is_string()) throw bad_fault{std::string(name) + ": expected a string"};
  return std::string(v.as_string());
}

void read_match(json::value const& v, fault& f) {
  if (!v.is_object()) throw bad_fault{"match: expected an object"};
  for (auto const& [key, value] : v.as_object()) {
    if (key == "method") {
      f.method = string_field(value, "match.method");
    } else if (key == "path") {
      f.path = string_field(value, "match.path");
    } else if (key == "prefer") {
      f.prefer = string_field(value, "match.prefer");
    } else if (key == "skip") {
      f.skip = static_cast<int>(integer_field(value, "match.skip", 0, std::numeric_limits<int>::max()));
    } else {
      throw bad_fault{"match: unknown field '" + std::string(key) + "'"};
    }
  }
}

// true: both links; "next" or "delta": that one alone (a service that loses only the delta link
// of a read's last page, as reported with annotations: reference/dataverse-protocol.md).
void read_drop_links(json::value const& v, fault& f) {
  if (v.is_bool()) {
    f.drop_next_link = f.drop_delta_link = v.as_bool();
  } else if (v.is_string() && v.as_string() == "next") {
    f.drop_next_link = true;
  } else if (v.is_string() && v.as_string() == "delta") {
    f.drop_delta_link = true;
  } else {
    throw bad_fault{"drop_links: expected true, false, \"next\" or \"delta\""};
  }
}

wrong_type_kind read_wrong_types(json::value const& v) {
  if (v.is_bool() && v.as_bool()) return wrong_type_kind::value_number;
  if (v.is_string()) {
    auto s = v.as_string();
    if (s == "value_number") return wrong_type_kind::value_number;
    if (s == "value_object") return wrong_type_kind::value_object;
    if (s == "row_fields") return wrong_type_kind::row_fields;
  }
  throw bad_fault{"wrong_types: expected true, \"value_number\", \"value_object\" or \"row_fields\""};
}

fault read_fault(json::value const& v) {
  if (!v.is_object()) throw bad_fault{"expected an object"};
  fault f;
  bool acts = false;
  for (auto const& [key, value] : v.as_object()) {
    if (key == "match") {
      read_match(value, f);
    } else if (key == "count") {
      f.count = static_cast<int>(integer_field(value, "count", -1, std::numeric_limits<int>::max()));
      if (f.count == 0) throw bad_fault{"count: expected -1 (always) or at least 1"};
    } else if (key == "status") {
      f.status = static_cast<int>(integer_field(value, "status", 100, 599));
      acts = true;
    } else if (key == "retry_after") {
      if (value.is_string()) {
        f.retry_after = std::string(value.as_string());
      } else {
        f.retry_after = std::to_string(integer_field(value, "retry_after", 0, std::numeric_limits<int>::max()));
      }
    } else if (key == "body") {
      f.body = value.is_string() ? std::string(value.as_string()) : json::serialize(value);
    } else if (key == "content_type") {
      f.content_type = string_field(value, "content_type");
    } else if (key == "delay_ms") {
      f.delay = std::chrono::milliseconds(integer_field(value, "delay_ms", 0, 3'600'000));
      acts = true;
    } else if (key == "truncate_after") {
      f.truncate_after = static_cast<std::size_t>(
          integer_field(value, "truncate_after", 0, std::numeric_limits<std::int64_t>::max()));
      acts = true;
    } else if (key == "reset") {
      f.reset = bool_field(value, "reset");
      acts = acts || f.reset;
    } else if (key == "drop_links") {
      read_drop_links(value, f);
      acts = acts || f.drop_next_link || f.drop_delta_link;
    } else if (key == "corrupt_json") {
      f.corrupt_json = bool_field(value, "corrupt_json");
      acts = acts || f.corrupt_json;
    } else if (key == "wrong_types") {
      if (!(value.is_bool() && !value.as_bool())) f.wrong_types = read_wrong_types(value);
      acts = acts || f.wrong_types.has_value();
    } else {
      throw bad_fault{"unknown field '" + std::string(key) + "'"};
    }
  }
  if (!acts)
    throw bad_fault{
        "no action: give status, delay_ms, truncate_after, reset, drop_links, corrupt_json or wrong_types"};
  if ((f.retry_after || v.as_object().contains("body") || !f.content_type.empty()) && !f.status)
    throw bad_fault{"retry_after, body and content_type need a status"};
  f.source = json::serialize(v);
  return f;
}

bool contains_ignoring_case(std::string_view haystack, std::string_view needle) {
  auto const lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                     [&](char a, char b) { return lower(a) == lower(b); }) != haystack.end();
}

bool matches(fault const& f, std::string_view method, std::string_view target, std::string_view prefer) {
  if (!f.method.empty() && !same_name(f.method, method)) return false;
  if (!f.prefer.empty() && !contains_ignoring_case(prefer, f.prefer)) return false;
  return target.find(f.path) != std::string_view::npos;
}

json::value rewrite_fields(json::value const& v) {
  if (v.is_string()) return json::value(static_cast<std::int64_t>(v.as_string().size()));
  if (v.is_number() || v.is_bool()) return json::value(json::serialize(v));
  return v;
}

}  // namespace

std::optional<std::string> fault_script::load(std::string_view json_text) {
  json::error_code ec;
  auto doc = json::parse(json_text, ec);
  if (ec) return "the body is not JSON: " + ec.message();
  json::array const* list = nullptr;
  if (doc.is_array()) list = &doc.as_array();
  if (doc.is_object() && doc.as_object().contains("faults") && doc.as_object().at("faults").is_array())
    list = &doc.as_object().at("faults").as_array();
  if (!list) return std::string("expected {\"faults\":[...]} or an array of faults");
  std::vector<fault> loaded;
  for (std::size_t i = 0; i < list->size(); ++i) {
    try {
      loaded.push_back(read_fault((*list)[i]));
    } catch (bad_fault const& e) {
      return "faults[" + std::to_string(i) + "]: " + e.message;
    }
  }
  faults_ = std::move(loaded);
  applied_total_ = 0;
  return std::nullopt;
}

void fault_script::clear() {
  faults_.clear();
  applied_total_ = 0;
}

std::optional<fault> fault_script::take(std::string_view method, std::string_view target, std::string_view prefer) {
  for (auto& f : faults_) {
    bool exhausted = f.count >= 0 && f.applied >= f.count;
    if (exhausted || !matches(f, method, target, prefer)) continue;
    if (f.skipped < f.skip) {
      ++f.skipped;
      continue;
    }
    ++f.applied;
    ++applied_total_;
    return f;
  }
  return std::nullopt;
}

std::string fault_script::report() const {
  json::array list;
  for (auto const& f : faults_) {
    auto entry = json::parse(f.source).as_object();
    entry["remaining"] = f.count < 0 ? -1 : f.count - f.applied;
    entry["skipped"] = f.skipped;
    entry["applied"] = f.applied;
    list.push_back(std::move(entry));
  }
  return json::serialize(json::object{{"faults", std::move(list)}, {"applied_total", applied_total_}});
}

std::string without_links(std::string const& body, bool next_link, bool delta_link) {
  json::error_code ec;
  auto doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return body;
  if (next_link) doc.as_object().erase("@odata.nextLink");
  if (delta_link) doc.as_object().erase("@odata.deltaLink");
  return json::serialize(doc);
}

// Half of the original, then a raw control character: invalid JSON whatever the first half was.
std::string corrupted_json(std::string const& body) { return body.substr(0, body.size() / 2) + "\x01<corrupted>"; }

std::string with_wrong_types(std::string const& body, wrong_type_kind kind) {
  json::error_code ec;
  auto doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return body;
  auto& o = doc.as_object();
  switch (kind) {
    case wrong_type_kind::value_number:
      o["value"] = 42;
      break;
    case wrong_type_kind::value_object:
      o["value"] = json::object{{"unexpected", "an object where an array belongs"}};
      break;
    case wrong_type_kind::row_fields:
      if (auto* rows = o.if_contains("value"); rows && rows->is_array()) {
        for (auto& row : rows->as_array()) {
          if (!row.is_object()) continue;
          for (auto& [key, value] : row.as_object())
            if (!key.starts_with("@")) value = rewrite_fields(value);
        }
      }
      break;
  }
  return json::serialize(doc);
}

}  // namespace emulator
