#include "dataverse/resolve.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace dvsync::dataverse {
namespace {

using config::column_type;

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

core::error invalid(std::string message) { return core::make_error(core::errc::metadata_invalid, std::move(message)); }

bool is_lookup(column_rule const& r) { return r.type == column_type::lookup; }

// A configured column is an attribute's logical name, or a lookup's property name _<name>_value.
attribute const* attribute_for(table_metadata const& m, std::string const& column) {
  if (auto const* a = m.find(column)) return a;
  if (column.size() > 7 && column.front() == '_' && column.ends_with("_value"))
    if (auto const* a = m.find(column.substr(1, column.size() - 7)); a != nullptr && is_lookup(rule_for(*a))) return a;
  return nullptr;
}

}  // namespace

column_rule rule_for(attribute const& a) {
  auto const& t = a.type;
  auto typed = [](column_type c, bool poly = false) { return column_rule{c, poly, {}}; };
  if (t == "String" || t == "Memo" || t == "EntityName") return typed(column_type::text);
  if (t == "Integer" || t == "BigInt") return typed(column_type::integer);
  if (t == "Boolean") return typed(column_type::boolean);
  if (t == "Double") return typed(column_type::real);
  if (t == "Decimal" || t == "Money") return typed(column_type::decimal);
  // Only the DateOnly behaviour is served as a date; a UserLocal column with the date-only format
  // still comes as a UTC date and time.
  if (t == "DateTime") return typed(a.date_behavior == "DateOnly" ? column_type::date : column_type::datetime);
  if (t == "Uniqueidentifier") return typed(column_type::guid);
  if (t == "Lookup" || t == "Customer" || t == "Owner")
    return typed(column_type::lookup, t != "Lookup" || a.targets.size() > 1);
  if (t == "Picklist" || t == "State" || t == "Status") return typed(column_type::choice);
  if (t == "Virtual") {
    if (a.type_name == "MultiSelectPicklistType") return typed(column_type::choices);
    if (a.type_name == "FileType" || a.type_name == "ImageType")
      return {{}, false, fmt::format("{} column: its content is downloaded separately, not served in a row",
                                     a.type_name == "FileType" ? "a File" : "an Image")};
    return {{}, false, "a Virtual column: it has no stored value"};
  }
  if (t == "PartyList" || t == "CalendarRules" || t == "ManagedProperty")
    return {{}, false, fmt::format("a {} column: it is not a plain value", t)};
  return {{}, false, {}};
}

bool mirrored_by_default(attribute const& a, entity_summary const& e) {
  if (!a.valid_for_read || !a.attribute_of.empty() || same_name(a.logical_name, e.primary_id)) return false;
  auto r = rule_for(a);
  // An unknown type is not silently left out: resolve() reports it.
  return r.type.has_value() || r.not_mirrored.empty();
}

core::result<resolved_table> resolve(config::table_config const& c, table_metadata const& m) {
  auto const& e = m.entity;
  std::string const table = c.table.empty() ? e.logical_name : c.table;
  if (!e.change_tracking)
    return core::make_error(
        core::errc::not_tracked,
        fmt::format("table {}: change tracking is off for {}; turn it on in Power Apps (Tables > {} > Properties > "
                    "Advanced options > Track changes) or set EntityMetadata.ChangeTrackingEnabled, then restart dvsync",
                    table, e.logical_name, e.logical_name));

  resolved_table out;
  auto& spec = out.spec;
  spec.logical_name = e.logical_name;
  spec.entity_set = c.entity_set.empty() ? e.entity_set : c.entity_set;
  spec.table = table;
  spec.id = c.id.empty() ? e.primary_id : c.id;
  spec.key = c.key;
  spec.mode = c.mode;
  spec.change_feed = c.change_feed;

  std::vector<std::pair<std::string, attribute const*>> chosen;  // mirror column name, attribute
  if (c.columns) {
    for (auto const& name : *c.columns) {
      auto const* a = attribute_for(m, name);
      if (a == nullptr) return invalid(fmt::format("table {}: attribute {} does not exist in {}", table, name, e.logical_name));
      chosen.emplace_back(name, a);
    }
  } else {
    for (auto const& a : m.attributes) {
      if (!mirrored_by_default(a, e)) continue;
      if (std::any_of(c.exclude_columns.begin(), c.exclude_columns.end(),
                      [&](std::string const& x) { return same_name(x, a.logical_name); }))
        continue;
      chosen.emplace_back(a.logical_name, &a);
    }
  }

  for (auto const& [name, a] : chosen) {
    auto rule = rule_for(*a);
    if (!rule.type) {
      if (rule.not_mirrored.empty())
        return invalid(fmt::format("table {}: attribute {} has AttributeType {}, which dvsync does not know; leave it out "
                                   "with \"exclude_columns\": [\"{}\"]",
                                   table, a->logical_name, a->type, a->logical_name));
      return invalid(fmt::format("table {}: attribute {} cannot be mirrored: it is {}", table, a->logical_name,
                                 rule.not_mirrored));
    }
    std::string wire = is_lookup(rule) && name == a->logical_name ? fmt::format("_{}_value", name) : name;
    spec.columns.emplace_back(name, std::move(wire), *rule.type, rule.polymorphic);
    if (*rule.type == column_type::choice || *rule.type == column_type::choices)
      for (auto const& o : a->options) out.labels.push_back({name, o.value, o.label});
  }

  // Extra columns (a decimal's exact digits, a lookup's target table) must not take a real one's name.
  auto const fields = config::fields_of(spec);
  for (std::size_t i = 0; i < fields.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (same_name(fields[i].name, fields[j].name) || same_name(fields[i].name, spec.id))
        return invalid(fmt::format("table {}: column {} would be stored twice; leave one of the attributes out",
                                   table, fields[i].name));
  if (!spec.key.empty() &&
      std::none_of(spec.columns.begin(), spec.columns.end(), [&](auto const& col) { return col.name == spec.key; }))
    return invalid(fmt::format("table {}: the key {} is not among the mirrored columns", table, spec.key));
  return out;
}

}  // namespace dvsync::dataverse
