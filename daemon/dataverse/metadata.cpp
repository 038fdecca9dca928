#include "dataverse/metadata.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace dvsync::dataverse {
namespace json = boost::json;
namespace {

core::error invalid(std::string message) { return core::make_error(core::errc::metadata_invalid, std::move(message)); }

core::result<json::value> parse_json(std::string_view body, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return invalid(fmt::format("{}: the metadata is not valid JSON ({})", what, ec.message()));
  if (!v.is_object()) return invalid(fmt::format("{}: the metadata is not a JSON object", what));
  return v;
}

std::string text(json::object const& o, std::string_view name) {
  auto const* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Properties such as AttributeTypeName and DateTimeBehavior are complex values: {"Value": "..."}.
std::string inner_value(json::object const& o, std::string_view name) {
  auto const* v = o.if_contains(name);
  if (v == nullptr || !v->is_object()) return {};
  return text(v->get_object(), "Value");
}

bool flag(json::object const& o, std::string_view name, bool fallback) {
  auto const* v = o.if_contains(name);
  if (v == nullptr) return fallback;
  if (v->is_bool()) return v->get_bool();
  // Some metadata booleans are managed properties: {"Value": true, "CanBeChanged": ...}.
  if (v->is_object())
    if (auto const* inner = v->get_object().if_contains("Value"); inner != nullptr && inner->is_bool())
      return inner->get_bool();
  return fallback;
}

core::result<json::array const*> value_array(json::object const& root, std::string_view what) {
  auto const* v = root.if_contains("value");
  if (v == nullptr || !v->is_array()) return invalid(fmt::format("{}: the metadata has no value array", what));
  return &v->get_array();
}

core::result<entity_summary> read_entity(json::object const& o, std::string_view what) {
  entity_summary e;
  e.logical_name = text(o, "LogicalName");
  e.entity_set = text(o, "EntitySetName");
  e.primary_id = text(o, "PrimaryIdAttribute");
  e.primary_name = text(o, "PrimaryNameAttribute");
  e.change_tracking = flag(o, "ChangeTrackingEnabled", false);
  std::string missing;
  for (auto [name, value] : {std::pair{"LogicalName", &e.logical_name}, std::pair{"EntitySetName", &e.entity_set},
                             std::pair{"PrimaryIdAttribute", &e.primary_id}})
    if (value->empty()) missing += missing.empty() ? name : fmt::format(", {}", name);
  if (!missing.empty()) return invalid(fmt::format("{}: the table's metadata has no {}", what, missing));
  if (auto const* keys = o.if_contains("Keys"); keys != nullptr && keys->is_array()) {
    for (auto const& item : keys->get_array()) {
      if (!item.is_object()) return invalid(fmt::format("{}: a key is not an object", what));
      alternate_key k;
      k.name = text(item.get_object(), "LogicalName");
      if (auto const* attrs = item.get_object().if_contains("KeyAttributes"); attrs != nullptr && attrs->is_array())
        for (auto const& a : attrs->get_array())
          if (a.is_string()) k.attributes.emplace_back(a.get_string());
      if (k.attributes.empty()) return invalid(fmt::format("{}: key {} has no KeyAttributes", what, k.name));
      e.keys.push_back(std::move(k));
    }
  }
  return e;
}

std::string label_of(json::object const& option) {
  auto const* label = option.if_contains("Label");
  if (label == nullptr || !label->is_object()) return {};
  auto const& l = label->get_object();
  if (auto const* user = l.if_contains("UserLocalizedLabel"); user != nullptr && user->is_object())
    if (auto s = text(user->get_object(), "Label"); !s.empty()) return s;
  if (auto const* all = l.if_contains("LocalizedLabels"); all != nullptr && all->is_array())
    for (auto const& one : all->get_array())
      if (one.is_object())
        if (auto s = text(one.get_object(), "Label"); !s.empty()) return s;
  return {};
}

// The options of an OptionSet or GlobalOptionSet member, if it has any.
core::result<std::vector<option>> options_of(json::object const& a, std::string_view member, std::string_view what) {
  std::vector<option> out;
  auto const* set = a.if_contains(member);
  if (set == nullptr || set->is_null()) return out;
  if (!set->is_object()) return invalid(fmt::format("{}: {} is not an object", what, member));
  auto const* options = set->get_object().if_contains("Options");
  if (options == nullptr || options->is_null()) return out;
  if (!options->is_array()) return invalid(fmt::format("{}: {}.Options is not an array", what, member));
  for (auto const& o : options->get_array()) {
    if (!o.is_object()) return invalid(fmt::format("{}: an option is not an object", what));
    auto const* v = o.get_object().if_contains("Value");
    if (v == nullptr || !v->is_int64()) return invalid(fmt::format("{}: an option has no integer Value", what));
    out.push_back({v->get_int64(), label_of(o.get_object())});
  }
  return out;
}

char const* cast_name(attribute_cast c) {
  switch (c) {
    case attribute_cast::lookup: return "LookupAttributeMetadata";
    case attribute_cast::datetime: return "DateTimeAttributeMetadata";
    case attribute_cast::picklist: return "PicklistAttributeMetadata";
    case attribute_cast::state: return "StateAttributeMetadata";
    case attribute_cast::status: return "StatusAttributeMetadata";
    case attribute_cast::multi_select: return "MultiSelectPicklistAttributeMetadata";
  }
  return "";
}

}  // namespace

attribute const* table_metadata::find(std::string_view logical_name) const {
  auto it = std::find_if(attributes.begin(), attributes.end(), [&](attribute const& a) { return a.logical_name == logical_name; });
  return it == attributes.end() ? nullptr : &*it;
}

std::string entity_list_query() {
  return "EntityDefinitions?$select=LogicalName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,"
         "ChangeTrackingEnabled&$expand=Keys($select=LogicalName,KeyAttributes)";
}

std::string table_query(std::string_view logical_name) {
  return fmt::format(
      "EntityDefinitions(LogicalName='{}')?$select=LogicalName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,"
      "ChangeTrackingEnabled&$expand=Attributes($select=LogicalName,AttributeType,AttributeTypeName,IsValidForRead,"
      "AttributeOf),Keys($select=LogicalName,KeyAttributes)",
      logical_name);
}

std::string cast_query(std::string_view logical_name, attribute_cast cast) {
  std::string const base =
      fmt::format("EntityDefinitions(LogicalName='{}')/Attributes/Microsoft.Dynamics.CRM.{}", logical_name, cast_name(cast));
  switch (cast) {
    case attribute_cast::lookup: return base + "?$select=LogicalName,Targets";
    case attribute_cast::datetime: return base + "?$select=LogicalName,DateTimeBehavior";
    case attribute_cast::picklist:
    case attribute_cast::multi_select:
      return base + "?$select=LogicalName&$expand=OptionSet($select=Options),GlobalOptionSet($select=Options)";
    case attribute_cast::state:
    case attribute_cast::status: return base + "?$select=LogicalName&$expand=OptionSet($select=Options)";
  }
  return base;
}

core::result<entity_list> parse_entity_list(std::string_view body) {
  auto doc = parse_json(body, "EntityDefinitions");
  if (!doc) return doc.error();
  auto items = value_array(doc->get_object(), "EntityDefinitions");
  if (!items) return items.error();
  entity_list out;
  for (std::size_t i = 0; i < (*items)->size(); ++i) {
    auto const& item = (**items)[i];
    if (!item.is_object()) return invalid(fmt::format("EntityDefinitions: value[{}] is not an object", i));
    auto const& o = item.get_object();
    if (auto name = text(o, "LogicalName");
        !name.empty() && (text(o, "EntitySetName").empty() || text(o, "PrimaryIdAttribute").empty())) {
      out.left_out.push_back(std::move(name));
      continue;
    }
    auto e = read_entity(o, fmt::format("EntityDefinitions value[{}]", i));
    if (!e) return e.error();
    out.tables.push_back(std::move(*e));
  }
  std::sort(out.tables.begin(), out.tables.end(), [](auto const& a, auto const& b) { return a.logical_name < b.logical_name; });
  std::sort(out.left_out.begin(), out.left_out.end());
  return out;
}

core::result<table_metadata> parse_table(std::string_view body, std::string_view logical_name) {
  std::string const what = fmt::format("table {}", logical_name);
  auto doc = parse_json(body, what);
  if (!doc) return doc.error();
  auto const& root = doc->get_object();
  table_metadata t;
  auto e = read_entity(root, what);
  if (!e) return e.error();
  t.entity = std::move(*e);

  auto const* attributes = root.if_contains("Attributes");
  if (attributes == nullptr || !attributes->is_array())
    return invalid(fmt::format("{}: the metadata has no Attributes array", what));
  for (std::size_t i = 0; i < attributes->get_array().size(); ++i) {
    auto const& item = attributes->get_array()[i];
    if (!item.is_object()) return invalid(fmt::format("{}: Attributes[{}] is not an object", what, i));
    auto const& o = item.get_object();
    attribute a;
    a.logical_name = text(o, "LogicalName");
    if (a.logical_name.empty()) return invalid(fmt::format("{}: Attributes[{}] has no LogicalName", what, i));
    a.type = text(o, "AttributeType");
    if (a.type.empty()) return invalid(fmt::format("{}: attribute {} has no AttributeType", what, a.logical_name));
    a.type_name = inner_value(o, "AttributeTypeName");
    a.valid_for_read = flag(o, "IsValidForRead", true);
    a.attribute_of = text(o, "AttributeOf");
    t.attributes.push_back(std::move(a));
  }
  return t;
}

core::result<void> merge_cast(table_metadata& table, attribute_cast cast, std::string_view body) {
  std::string const what = fmt::format("table {}", table.entity.logical_name);
  auto doc = parse_json(body, what);
  if (!doc) return doc.error();
  auto items = value_array(doc->get_object(), fmt::format("{} {}", what, cast_name(cast)));
  if (!items) return items.error();
  for (auto const& item : **items) {
    if (!item.is_object()) return invalid(fmt::format("{}: a {} is not an object", what, cast_name(cast)));
    auto const& o = item.get_object();
    auto name = text(o, "LogicalName");
    auto it = std::find_if(table.attributes.begin(), table.attributes.end(),
                           [&](attribute const& a) { return a.logical_name == name; });
    // An attribute added since the table was read: it arrives with the next read of the table.
    if (it == table.attributes.end()) continue;
    std::string const where = fmt::format("{}: attribute {}", what, name);
    switch (cast) {
      case attribute_cast::lookup:
        if (auto const* targets = o.if_contains("Targets"); targets != nullptr && targets->is_array())
          for (auto const& target : targets->get_array())
            if (target.is_string()) it->targets.emplace_back(target.get_string());
        break;
      case attribute_cast::datetime: it->date_behavior = inner_value(o, "DateTimeBehavior"); break;
      default:
        // A choice that uses a global option set may name it in both members: one list is enough.
        for (auto const* member : {"OptionSet", "GlobalOptionSet"}) {
          auto options = options_of(o, member, where);
          if (!options) return options.error();
          if (it->options.empty()) it->options = std::move(*options);
        }
    }
  }
  return {};
}

}  // namespace dvsync::dataverse
