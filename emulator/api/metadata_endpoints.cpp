#include "metadata_endpoints.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <optional>
#include <vector>

#include "address.hpp"
#include "decimal_text.hpp"
#include "json_text.hpp"
#include "words.hpp"

namespace emulator {
namespace {

namespace json = boost::json;

constexpr std::string_view crm = "Microsoft.Dynamics.CRM.";

// Splits on `sep` outside parentheses and quotes.
std::vector<std::string_view> split_top(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  int depth = 0;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char const c = s[i];
    if (c == '\'') quoted = !quoted;
    if (quoted) continue;
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == sep && depth == 0) {
      parts.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  parts.push_back(trim(s.substr(start)));
  return parts;
}

// ---- Labels, ids ------------------------------------------------------------------------------

std::string hashed_id(std::string_view text) {
  std::uint64_t h1 = 0xcbf29ce484222325ULL, h2 = 0x84222325cbf29ce4ULL;
  for (char c : text) {
    h1 = (h1 ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    h2 = (h2 ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
  }
  return guid{h1, h2}.str();
}

// {"LocalizedLabels":[{...1033...}],"UserLocalizedLabel":{...}}, as every documented label reads.
json::value label(std::string_view text, std::string_view owner_id) {
  if (text.empty()) return json::object{{"LocalizedLabels", json::array{}}, {"UserLocalizedLabel", nullptr}};
  json::object l{{"Label", text},
                 {"LanguageCode", 1033},
                 {"IsManaged", true},
                 {"MetadataId", hashed_id(std::string(owner_id) + "/label")},
                 {"HasChanged", nullptr}};
  return json::object{{"LocalizedLabels", json::array{l}}, {"UserLocalizedLabel", l}};
}

json::object managed(bool value, std::string_view property) {
  return json::object{{"Value", value}, {"CanBeChanged", false}, {"ManagedPropertyLogicalName", property}};
}

// "account_name" -> "Account Name": a display name for columns the schema gives none.
std::string display_from(std::string_view name) {
  std::string out;
  bool up = true;
  for (char c : name) {
    if (c == '_') {
      out.push_back(' ');
      up = true;
    } else {
      out.push_back(up && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
      up = false;
    }
  }
  return out;
}

// ---- Attributes ---------------------------------------------------------------------------------

// What metadata knows of an attribute; `c` is the data column behind it (none for system and
// AttributeOf attributes).
struct attribute {
  std::string name;
  std::string type;       // AttributeType (AttributeTypeCode)
  std::string type_name;  // AttributeTypeName.Value
  std::string metadata_type;  // "StringAttributeMetadata"; empty: the base type
  std::string attribute_of;
  bool readable = true, writable = true;
  bool primary_id = false, primary_name = false;
  std::string required_level = "None";
  column const* c = nullptr;
  std::optional<column> system;  // createdon, modifiedon, versionnumber, the primary id
};

struct type_names {
  std::string_view type, type_name, metadata_type;
};

type_names names_of(column_type t) {
  switch (t) {
    case column_type::string: return {"String", "StringType", "StringAttributeMetadata"};
    case column_type::memo: return {"Memo", "MemoType", "MemoAttributeMetadata"};
    case column_type::integer: return {"Integer", "IntegerType", "IntegerAttributeMetadata"};
    case column_type::bigint: return {"BigInt", "BigIntType", "BigIntAttributeMetadata"};
    case column_type::boolean: return {"Boolean", "BooleanType", "BooleanAttributeMetadata"};
    case column_type::double_: return {"Double", "DoubleType", "DoubleAttributeMetadata"};
    case column_type::decimal: return {"Decimal", "DecimalType", "DecimalAttributeMetadata"};
    case column_type::money: return {"Money", "MoneyType", "MoneyAttributeMetadata"};
    case column_type::datetime: return {"DateTime", "DateTimeType", "DateTimeAttributeMetadata"};
    case column_type::uniqueidentifier:
      return {"Uniqueidentifier", "UniqueidentifierType", "UniqueIdentifierAttributeMetadata"};
    case column_type::lookup: return {"Lookup", "LookupType", "LookupAttributeMetadata"};
    case column_type::customer: return {"Customer", "CustomerType", "LookupAttributeMetadata"};
    case column_type::owner: return {"Owner", "OwnerType", "LookupAttributeMetadata"};
    case column_type::picklist: return {"Picklist", "PicklistType", "PicklistAttributeMetadata"};
    case column_type::state: return {"State", "StateType", "StateAttributeMetadata"};
    case column_type::status: return {"Status", "StatusType", "StatusAttributeMetadata"};
    // The service reports these three as Virtual, told apart by AttributeTypeName.
    case column_type::multiselect:
      return {"Virtual", "MultiSelectPicklistType", "MultiSelectPicklistAttributeMetadata"};
    case column_type::image: return {"Virtual", "ImageType", "ImageAttributeMetadata"};
    case column_type::file: return {"Virtual", "FileType", "FileAttributeMetadata"};
  }
  return {"String", "StringType", "StringAttributeMetadata"};
}

attribute from_column(column const& c) {
  attribute a;
  auto const n = names_of(c.type);
  a.name = c.name;
  a.type = n.type;
  a.type_name = n.type_name;
  a.metadata_type = n.metadata_type;
  a.c = &c;
  a.required_level = c.required ? "SystemRequired" : "None";
  if (c.type == column_type::state || c.type == column_type::owner) a.required_level = "SystemRequired";
  return a;
}

attribute derived(std::string name, std::string_view of, std::string_view type) {
  attribute a;
  a.name = std::move(name);
  a.attribute_of = std::string(of);
  a.type = type;
  a.type_name = std::string(type) + "Type";
  a.writable = false;
  if (type == "String") a.metadata_type = "StringAttributeMetadata";
  if (type == "EntityName") a.metadata_type = "EntityNameAttributeMetadata";
  if (type == "BigInt") a.metadata_type = "BigIntAttributeMetadata";
  if (type == "Uniqueidentifier") {
    a.type_name = "UniqueidentifierType";
    a.metadata_type = "UniqueIdentifierAttributeMetadata";
  }
  // Virtual name attributes of choice columns are not readable through the Web API.
  if (type == "Virtual") a.readable = false;
  return a;
}

// createdon, modifiedon, versionnumber and the primary id: their column lives in the attribute
// (attributes_of points `c` at it once the list is final).
attribute system_attribute(std::string name, column_type type) {
  column c;
  c.name = name;
  c.wire_name = name;
  c.type = type;
  if (type == column_type::bigint) {
    c.min_value = INT64_MIN;
    c.max_value = INT64_MAX;
  }
  attribute a = from_column(c);
  a.system = std::move(c);
  a.writable = false;
  return a;
}

// Every attribute of a table, in the order the emulator lists them: the primary id, the declared
// columns, the attributes the service adds for them (AttributeOf), and the system columns.
std::vector<attribute> attributes_of(table_schema const& t) {
  std::vector<attribute> out;
  attribute id = system_attribute(t.primary_id, column_type::uniqueidentifier);
  id.primary_id = true;
  id.required_level = "SystemRequired";
  out.push_back(std::move(id));
  for (auto const& c : t.columns) {
    out.push_back(from_column(c));
    if (c.name == t.primary_name) out.back().primary_name = true;
  }
  for (auto const& c : t.columns) {
    switch (c.type) {
      case column_type::lookup:
        out.push_back(derived(c.name + "name", c.name, "String"));
        break;
      case column_type::customer:
      case column_type::owner:
        out.push_back(derived(c.name + "name", c.name, "String"));
        out.push_back(derived(c.name + "yominame", c.name, "String"));
        out.push_back(derived(c.name + "type", c.name, "EntityName"));
        break;
      case column_type::boolean:
      case column_type::picklist:
      case column_type::state:
      case column_type::status:
      case column_type::multiselect:
        out.push_back(derived(c.name + "name", c.name, "Virtual"));
        break;
      case column_type::file:
        out.push_back(derived(c.name + "_name", c.name, "String"));
        break;
      case column_type::image:
        out.push_back(derived(c.name + "_timestamp", c.name, "BigInt"));
        out.push_back(derived(c.name + "_url", c.name, "String"));
        out.push_back(derived(c.name + "id", c.name, "Uniqueidentifier"));
        break;
      default:
        break;
    }
  }
  // A derived name that is also a declared column stays the declared one.
  std::vector<attribute> unique;
  for (auto& a : out)
    if (std::none_of(unique.begin(), unique.end(), [&](attribute const& u) { return u.name == a.name; }))
      unique.push_back(std::move(a));
  for (auto const* name : {"createdon", "modifiedon"}) unique.push_back(system_attribute(name, column_type::datetime));
  unique.push_back(system_attribute("versionnumber", column_type::bigint));
  // system_attribute keeps its column inside the attribute: point at the moved copies.
  for (auto& a : unique)
    if (a.system) a.c = &*a.system;
  return unique;
}

json::value number_value(std::string const& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}

// The properties every AttributeMetadata has (what $select may name without a cast).
constexpr std::string_view common_properties[] = {
    "MetadataId",     "LogicalName",      "SchemaName",       "EntityLogicalName", "AttributeType",
    "AttributeTypeName", "AttributeOf",   "DisplayName",      "IsValidForRead",    "IsValidForCreate",
    "IsValidForUpdate", "IsPrimaryId",    "IsPrimaryName",    "IsCustomAttribute", "IsLogical",
    "RequiredLevel",  "IsSecured",        "ColumnNumber",     "SourceType",        "HasChanged"};

json::object attribute_record(table_schema const& t, attribute const& a, std::size_t index) {
  std::string const id = hashed_id(t.logical_name + "/" + a.name);
  json::object o;
  o["MetadataId"] = id;
  o["LogicalName"] = a.name;
  o["SchemaName"] = a.name;
  o["EntityLogicalName"] = t.logical_name;
  o["AttributeType"] = a.type;
  o["AttributeTypeName"] = json::object{{"Value", a.type_name}};
  o["AttributeOf"] = a.attribute_of.empty() ? json::value(nullptr) : json::value(a.attribute_of);
  std::string const display = a.c && !a.c->display_name.empty() ? a.c->display_name
                              : a.attribute_of.empty()           ? display_from(a.name)
                                                                 : std::string();
  o["DisplayName"] = label(display, id);
  o["IsValidForRead"] = a.readable;
  o["IsValidForCreate"] = a.writable;
  o["IsValidForUpdate"] = a.writable && !a.primary_id;
  o["IsPrimaryId"] = a.primary_id;
  o["IsPrimaryName"] = a.primary_name;
  o["IsCustomAttribute"] = a.name.rfind("sample_", 0) == 0;
  o["IsLogical"] = !a.attribute_of.empty();
  o["RequiredLevel"] = json::object{{"Value", a.required_level},
                                    {"CanBeChanged", !a.primary_id},
                                    {"ManagedPropertyLogicalName", "canmodifyrequirementlevelsettings"}};
  o["IsSecured"] = false;
  o["ColumnNumber"] = static_cast<std::int64_t>(index + 1);
  o["SourceType"] = 0;
  o["HasChanged"] = nullptr;
  if (!a.c) return o;
  column const& c = *a.c;
  switch (c.type) {
    case column_type::string:
      o["MaxLength"] = c.max_length;
      o["Format"] = "Text";
      o["FormatName"] = json::object{{"Value", "Text"}};
      break;
    case column_type::memo:
      o["MaxLength"] = c.max_length;
      o["Format"] = "TextArea";
      break;
    case column_type::integer:
      o["MinValue"] = c.min_value;
      o["MaxValue"] = c.max_value;
      o["Format"] = "None";
      break;
    case column_type::bigint:
      o["MinValue"] = c.min_value;
      o["MaxValue"] = c.max_value;
      break;
    case column_type::double_:
    case column_type::decimal:
    case column_type::money:
      o["Precision"] = c.precision;
      o["MinValue"] = number_value(c.min_number);
      o["MaxValue"] = number_value(c.max_number);
      if (c.type == column_type::money) {
        o["PrecisionSource"] = c.precision == 2 ? 2 : 0;
        o["IsBaseCurrency"] = false;
      }
      break;
    case column_type::datetime:
      o["Format"] = c.date_only_format ? "DateOnly" : "DateAndTime";
      o["DateTimeBehavior"] = json::object{{"Value", c.behavior == datetime_behavior::date_only ? "DateOnly"
                                                     : c.behavior == datetime_behavior::time_zone_independent
                                                         ? "TimeZoneIndependent"
                                                         : "UserLocal"}};
      o["CanChangeDateTimeBehavior"] = managed(a.system ? false : true, "canchangedatetimebehavior");
      break;
    case column_type::lookup:
    case column_type::customer:
    case column_type::owner: {
      json::array targets;
      for (auto const& target : c.targets) targets.push_back(json::string(target.logical_name));
      o["Targets"] = std::move(targets);
      break;
    }
    case column_type::picklist:
    case column_type::multiselect:
      o["DefaultFormValue"] = nullptr;
      break;
    case column_type::state:
    case column_type::status:
      break;
    case column_type::boolean:
      o["DefaultValue"] = c.default_boolean.value_or(false);
      break;
    case column_type::image:
      o["IsPrimaryImage"] = c.name == "entityimage";
      o["MaxHeight"] = 144;
      o["MaxWidth"] = 144;
      o["MaxSizeInKB"] = 10240;
      o["CanStoreFullImage"] = false;
      break;
    case column_type::file:
      o["MaxSizeInKB"] = 32768;
      break;
    case column_type::uniqueidentifier:
      break;
  }
  return o;
}

// ---- Option sets --------------------------------------------------------------------------------

json::object option_record(option const& o, std::string_view set_id, column_type type) {
  std::string const id = std::string(set_id) + "/" + std::to_string(o.value);
  json::object r;
  if (type == column_type::state) r["@odata.type"] = "#Microsoft.Dynamics.CRM.StateOptionMetadata";
  if (type == column_type::status) r["@odata.type"] = "#Microsoft.Dynamics.CRM.StatusOptionMetadata";
  r["Value"] = o.value;
  r["Label"] = label(o.label, id);
  r["Description"] = label("", id);
  r["Color"] = nullptr;
  r["IsManaged"] = true;
  r["ExternalValue"] = nullptr;
  if (type == column_type::state) {
    r["DefaultStatus"] = o.default_status ? json::value(*o.default_status) : json::value(nullptr);
    r["InvariantName"] = o.invariant_name;
  }
  if (type == column_type::status) r["State"] = o.state ? json::value(*o.state) : json::value(nullptr);
  r["MetadataId"] = nullptr;
  r["HasChanged"] = nullptr;
  return r;
}

json::object option_set_record(option_set const& set, column_type type) {
  std::string const id = hashed_id("optionset/" + set.name);
  json::object r;
  std::string_view const set_type = type == column_type::state    ? "State"
                                    : type == column_type::status ? "Status"
                                                                  : "Picklist";
  r["Options"] = [&] {
    json::array a;
    for (auto const& o : set.options) a.push_back(option_record(o, id, type));
    return a;
  }();
  r["MetadataId"] = id;
  r["Name"] = set.name;
  r["IsGlobal"] = set.global;
  r["IsCustomOptionSet"] = set.name.rfind("sample_", 0) == 0;
  r["OptionSetType"] = set_type;
  r["DisplayName"] = label(display_from(set.name), id);
  r["Description"] = label("", id);
  r["HasChanged"] = nullptr;
  return r;
}

// Booleans have a BooleanOptionSetMetadata: TrueOption and FalseOption instead of Options.
json::object boolean_option_set(table_schema const& t, column const& c) {
  std::string const id = hashed_id("optionset/" + t.logical_name + "_" + c.name);
  option yes{1, c.true_label, {}, {}, {}}, no{0, c.false_label, {}, {}, {}};
  json::object r;
  r["TrueOption"] = option_record(yes, id, column_type::boolean);
  r["FalseOption"] = option_record(no, id, column_type::boolean);
  r["MetadataId"] = id;
  r["Name"] = t.logical_name + "_" + c.name;
  r["IsGlobal"] = false;
  r["IsCustomOptionSet"] = c.name.rfind("sample_", 0) == 0;
  r["OptionSetType"] = "Boolean";
  r["HasChanged"] = nullptr;
  return r;
}

// ---- $select, $filter, $expand ------------------------------------------------------------------

struct expand_item {
  std::string name;
  std::optional<std::string> select, filter;
};

result<std::vector<expand_item>> parse_expand(std::string_view text) {
  std::vector<expand_item> items;
  for (auto part : split_top(text, ',')) {
    expand_item e;
    auto const open = part.find('(');
    e.name = std::string(trim(part.substr(0, open)));
    if (open != std::string_view::npos) {
      if (part.back() != ')') return errors::bad_request("The $expand option '" + std::string(part) + "' is not valid.");
      for (auto option : split_top(part.substr(open + 1, part.size() - open - 2), ';')) {
        auto const eq = option.find('=');
        std::string_view const name = trim(option.substr(0, eq));
        std::string value(eq == std::string_view::npos ? "" : trim(option.substr(eq + 1)));
        if (name == "$select")
          e.select = value;
        else if (name == "$filter")
          e.filter = value;
        else
          return errors::not_implemented("The emulator does not implement " + std::string(name) +
                                         " inside $expand of metadata.");
      }
    }
    items.push_back(std::move(e));
  }
  return items;
}

// Keeps the selected properties (MetadataId always: "The MetadataId property value is always
// returned"); `allowed` is what the type declares, `type` names it in the error.
result<json::object> apply_select(json::object const& full, std::optional<std::string> const& select,
                                  std::vector<std::string_view> const& allowed, std::string_view type) {
  if (!select || trim(*select).empty()) return full;
  json::object out;
  if (auto const* t = full.if_contains("@odata.type")) out["@odata.type"] = *t;
  for (auto name : split_top(*select, ',')) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      return errors::unknown_property(name, type.substr(crm.size()));
    if (auto const* v = full.if_contains(name)) out[name] = *v;
  }
  if (auto const* id = full.if_contains("MetadataId"); id && !out.contains("MetadataId")) out["MetadataId"] = *id;
  return out;
}

// $filter: "<Property>[/<Property>] eq|ne <literal>" terms joined by "and"; literals are 'text',
// true, false, null, numbers and enum members (Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist').
result<bool> matches(json::object const& record, std::string_view filter) {
  for (auto term : split_words(filter, " and ")) {
    std::string_view op = " eq ";
    auto at = term.find(op);
    if (at == std::string_view::npos) {
      op = " ne ";
      at = term.find(op);
    }
    if (at == std::string_view::npos || term.find(" or ") != std::string_view::npos)
      return errors::not_implemented(
          "The emulator's metadata $filter supports only '<Property> eq|ne <value>' terms joined by 'and'.");
    std::string_view const path = trim(term.substr(0, at));
    std::string_view literal = trim(term.substr(at + op.size()));
    json::value const* v = nullptr;
    json::object const* o = &record;
    for (auto step : split_words(path, "/")) {
      v = o ? o->if_contains(step) : nullptr;
      if (!v) return errors::bad_request("Could not find a property named '" + std::string(step) + "' on type '" +
                                         std::string(crm) + "AttributeMetadata'.");
      o = v->is_object() ? &v->get_object() : nullptr;
    }
    json::value expected;
    if (auto const quote = literal.find('\''); quote != std::string_view::npos && literal.back() == '\'') {
      std::string s;
      for (std::size_t i = quote + 1; i + 1 < literal.size(); ++i) {
        s.push_back(literal[i]);
        if (literal[i] == '\'') ++i;  // '' is one quote
      }
      expected = json::string(s);
    } else {
      boost::system::error_code ec;
      expected = json::parse(literal, ec);
      if (ec) return errors::bad_request("The $filter literal '" + std::string(literal) + "' is not valid.");
    }
    bool const equal = *v == expected || (v->is_number() && expected.is_number() &&
                                          v->to_number<double>() == expected.to_number<double>());
    if (equal != (op == " eq ")) return false;
  }
  return true;
}

// ---- Tables -------------------------------------------------------------------------------------

json::object entity_record(table_schema const& t) {
  std::string const id = metadata_id(t.logical_name);
  std::string const display = t.display_name.empty() ? display_from(t.logical_name) : t.display_name;
  json::object o;
  o["MetadataId"] = id;
  o["LogicalName"] = t.logical_name;
  o["SchemaName"] = t.logical_name;
  o["EntitySetName"] = t.entity_set;
  o["LogicalCollectionName"] = t.entity_set;
  o["CollectionSchemaName"] = t.entity_set;
  o["PrimaryIdAttribute"] = t.primary_id;
  o["PrimaryNameAttribute"] = t.primary_name.empty() ? json::value(nullptr) : json::value(t.primary_name);
  o["PrimaryImageAttribute"] = t.column_by_name("entityimage") ? json::value("entityimage") : json::value(nullptr);
  o["ChangeTrackingEnabled"] = t.change_tracking;
  o["CanChangeTrackingBeEnabled"] = managed(true, "canchangetrackingbeenabled");
  o["OwnershipType"] = t.user_owned ? "UserOwned" : "OrganizationOwned";
  o["IsCustomEntity"] = t.logical_name.rfind("sample_", 0) == 0;
  o["IsActivity"] = false;
  o["IsIntersect"] = false;
  o["IsValidForAdvancedFind"] = true;
  o["DisplayName"] = label(display, id);
  o["DisplayCollectionName"] = label(display + "s", id + "/collection");
  o["HasChanged"] = nullptr;
  return o;
}

std::vector<std::string_view> keys_of(json::object const& o) {
  std::vector<std::string_view> k;
  for (auto const& m : o)
    if (m.key() != "@odata.type") k.push_back(m.key());
  return k;
}

json::object key_record(table_schema const& t, alternate_key const& k) {
  std::string const id = hashed_id(t.logical_name + "/key/" + k.name);
  json::array attributes;
  for (auto const c : k.columns) attributes.push_back(json::string(t.columns[c].name));
  return json::object{{"MetadataId", id},
                      {"LogicalName", k.name},
                      {"SchemaName", k.name},
                      {"EntityLogicalName", t.logical_name},
                      {"KeyAttributes", std::move(attributes)},
                      {"EntityKeyIndexStatus", "Active"},
                      {"DisplayName", label(display_from(k.name), id)},
                      {"HasChanged", nullptr}};
}

std::string context_url(request_context const& ctx, std::string const& path, std::optional<std::string> const& select,
                        bool entity) {
  std::string s = ctx.service_root + "/$metadata#" + path;
  if (select && !trim(*select).empty()) s += "(" + std::string(trim(*select)) + ")";
  if (entity) s += "/$entity";
  return s;
}

http_response reply(request_context const& ctx, std::string const& context, json::value body) {
  json::object out{{"@odata.context", context}};
  if (body.is_array()) {
    out["value"] = std::move(body);
  } else {
    for (auto& m : body.get_object()) out[m.key()] = std::move(m.value());
  }
  (void)ctx;
  return json_response(200, json::serialize(out));
}

struct attribute_cast {
  std::string metadata_type;  // e.g. PicklistAttributeMetadata; empty: no cast
};

// The attribute's record as a request sees it: `cast` limits $select to that type's properties
// (without a cast, to AttributeMetadata's) and drops @odata.type.
result<json::object> attribute_view(table_schema const& t, attribute const& a, std::size_t index,
                                    attribute_cast const& cast, std::optional<std::string> const& select,
                                    std::optional<std::string> const& expand,
                                    std::vector<std::shared_ptr<option_set const>> const& globals) {
  json::object full = attribute_record(t, a, index);
  std::vector<std::string_view> allowed(std::begin(common_properties), std::end(common_properties));
  std::string type = std::string(crm) + "AttributeMetadata";
  if (!cast.metadata_type.empty()) {
    allowed = keys_of(full);
    type = std::string(crm) + cast.metadata_type;
  } else if (!a.metadata_type.empty()) {
    json::object typed{{"@odata.type", "#" + std::string(crm) + a.metadata_type}};
    for (auto& m : full) typed[m.key()] = std::move(m.value());
    full = std::move(typed);
  }
  auto selected = apply_select(full, select, allowed, type);
  if (!selected) return selected.error();
  if (!expand) return selected;
  if (cast.metadata_type.empty())
    return errors::bad_request("Could not find a property named 'OptionSet' on type '" + std::string(crm) +
                               "AttributeMetadata'.");
  auto items = parse_expand(*expand);
  if (!items) return items.error();
  for (auto const& item : *items) {
    if (item.name != "OptionSet" && item.name != "GlobalOptionSet")
      return errors::bad_request("Could not find a property named '" + item.name + "' on type '" + type + "'.");
    column const& c = *a.c;
    json::value set = nullptr;
    if (c.type == column_type::boolean) {
      if (item.name == "OptionSet") set = boolean_option_set(t, c);
    } else if (c.options && (item.name == "OptionSet" || c.options->global)) {
      set = option_set_record(*c.options, c.type);
    }
    if (set.is_object()) {
      auto const keys = keys_of(set.get_object());
      auto trimmed = apply_select(set.get_object(), item.select, keys,
                                  std::string(crm) + (c.type == column_type::boolean ? "BooleanOptionSetMetadata"
                                                                                     : "OptionSetMetadata"));
      if (!trimmed) return trimmed.error();
      set = std::move(*trimmed);
    }
    (*selected)[item.name] = std::move(set);
  }
  (void)globals;
  return selected;
}

std::optional<attribute_cast> parse_cast(std::string_view segment) {
  if (segment.substr(0, crm.size()) != crm) return std::nullopt;
  std::string_view const type = segment.substr(crm.size());
  static constexpr std::string_view known[] = {
      "StringAttributeMetadata",  "MemoAttributeMetadata",     "IntegerAttributeMetadata",
      "BigIntAttributeMetadata",  "BooleanAttributeMetadata",  "DoubleAttributeMetadata",
      "DecimalAttributeMetadata", "MoneyAttributeMetadata",    "DateTimeAttributeMetadata",
      "UniqueIdentifierAttributeMetadata", "LookupAttributeMetadata", "PicklistAttributeMetadata",
      "StateAttributeMetadata",   "StatusAttributeMetadata",   "MultiSelectPicklistAttributeMetadata",
      "ImageAttributeMetadata",   "FileAttributeMetadata",     "EntityNameAttributeMetadata"};
  for (auto const k : known)
    if (k == type) return attribute_cast{std::string(type)};
  return std::nullopt;
}

result<table const*> find_table(request_context const& ctx, resource_segment const& seg) {
  if (seg.parts.size() != 1) return errors::invalid_key("EntityMetadata");
  auto const& part = seg.parts[0];
  for (auto const& t : ctx.db.tables()) {
    if (part.name == "LogicalName" && part.quoted && t.schema().logical_name == part.value) return &t;
    if (part.name.empty() || part.name == "MetadataId") {
      auto const id = guid::parse(part.value);
      if (id && id->str() == metadata_id(t.schema().logical_name)) return &t;
    }
  }
  return api_error{404, "0x80040217", "Could not find entity with key '" + part.value + "'."};
}

result<std::size_t> find_attribute(table_schema const& t, std::vector<attribute> const& all,
                                   resource_segment const& seg) {
  if (seg.parts.size() != 1) return errors::invalid_key("AttributeMetadata");
  auto const& part = seg.parts[0];
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (part.name == "LogicalName" && part.quoted && all[i].name == part.value) return i;
    if (part.name.empty() || part.name == "MetadataId") {
      auto const id = guid::parse(part.value);
      if (id && id->str() == hashed_id(t.logical_name + "/" + all[i].name)) return i;
    }
  }
  return api_error{404, "0x80040217", "Could not find attribute with key '" + part.value + "'."};
}

http_response entity_definitions(request_context& ctx, std::optional<table const*> one) {
  auto const& q = ctx.query;
  std::vector<expand_item> expands;
  if (q.expand) {
    auto items = parse_expand(*q.expand);
    if (!items) return error_response(items.error());
    expands = std::move(*items);
    for (auto const& e : expands)
      if (e.name != "Attributes" && e.name != "Keys")
        return error_response(errors::not_implemented("The emulator does not implement $expand=" + e.name +
                                                      " on EntityDefinitions."));
  }
  auto render = [&](table_schema const& t) -> result<json::object> {
    json::object full = entity_record(t);
    auto chosen = apply_select(full, q.select, keys_of(full), std::string(crm) + "EntityMetadata");
    if (!chosen) return chosen.error();
    for (auto const& e : expands) {
      json::array list;
      if (e.name == "Attributes") {
        auto const all = attributes_of(t);
        for (std::size_t i = 0; i < all.size(); ++i) {
          auto a = attribute_view(t, all[i], i, {}, e.select, std::nullopt, {});
          if (!a) return a.error();
          if (e.filter) {
            auto keep = matches(attribute_record(t, all[i], i), *e.filter);
            if (!keep) return keep.error();
            if (!*keep) continue;
          }
          list.push_back(std::move(*a));
        }
      } else {
        for (auto const& k : t.keys) {
          json::object full_key = key_record(t, k);
          auto chosen_key = apply_select(full_key, e.select, keys_of(full_key), std::string(crm) + "EntityKeyMetadata");
          if (!chosen_key) return chosen_key.error();
          list.push_back(std::move(*chosen_key));
        }
      }
      (*chosen)[e.name] = std::move(list);
    }
    return chosen;
  };
  if (one) {
    auto r = render((*one)->schema());
    if (!r) return error_response(r.error());
    return reply(ctx, context_url(ctx, "EntityDefinitions", q.select, true), std::move(*r));
  }
  json::array list;
  for (auto const& t : ctx.db.tables()) {
    if (q.filter) {
      auto keep = matches(entity_record(t.schema()), *q.filter);
      if (!keep) return error_response(keep.error());
      if (!*keep) continue;
    }
    auto r = render(t.schema());
    if (!r) return error_response(r.error());
    list.push_back(std::move(*r));
  }
  return reply(ctx, context_url(ctx, "EntityDefinitions", q.select, false), std::move(list));
}

http_response global_option_sets(request_context& ctx, resource_segment const& seg) {
  auto const& globals = ctx.db.global_option_sets();
  auto render = [&](option_set const& s) {
    json::object o{{"@odata.type", "#Microsoft.Dynamics.CRM.OptionSetMetadata"}};
    for (auto& m : option_set_record(s, column_type::picklist)) o[m.key()] = std::move(m.value());
    return o;
  };
  if (!seg.has_key) {
    if (ctx.query.filter)
      return error_response(errors::bad_request("GlobalOptionSetDefinitions does not support $filter."));
    json::array list;
    for (auto const& g : globals) {
      auto chosen = apply_select(render(*g), ctx.query.select, keys_of(render(*g)),
                                 std::string(crm) + "OptionSetMetadataBase");
      if (!chosen) return error_response(chosen.error());
      list.push_back(std::move(*chosen));
    }
    return reply(ctx, context_url(ctx, "GlobalOptionSetDefinitions", ctx.query.select, false), std::move(list));
  }
  if (seg.parts.size() != 1) return error_response(errors::invalid_key("OptionSetMetadataBase"));
  auto const& part = seg.parts[0];
  for (auto const& g : globals) {
    bool const hit = (part.name == "Name" && part.quoted && g->name == part.value) ||
                     ((part.name.empty() || part.name == "MetadataId") && guid::parse(part.value) &&
                      guid::parse(part.value)->str() == hashed_id("optionset/" + g->name));
    if (!hit) continue;
    auto const full = render(*g);
    auto chosen = apply_select(full, ctx.query.select, keys_of(full), std::string(crm) + "OptionSetMetadataBase");
    if (!chosen) return error_response(chosen.error());
    return reply(ctx, context_url(ctx, "GlobalOptionSetDefinitions", ctx.query.select, true), std::move(*chosen));
  }
  return error_response({404, "0x80040217", "Could not find optionset with key '" + part.value + "'."});
}

}  // namespace

std::string metadata_id(std::string_view logical_name) {
  return hashed_id(logical_name);
}

http_response handle_metadata(request_context& ctx, std::string_view path) {
  if (ctx.request.method != "GET") return error_response(errors::method_not_allowed(ctx.request.method));
  std::vector<std::string_view> segments;
  for (auto s : split_top(path, '/')) segments.push_back(s);
  auto const first = parse_segment(segments[0]);
  if (!first) return error_response(first.error());
  if (first->name == "GlobalOptionSetDefinitions") {
    if (segments.size() > 1) return error_response(errors::not_implemented("The emulator serves whole option sets only."));
    return global_option_sets(ctx, *first);
  }
  if (!first->has_key) {
    if (segments.size() > 1) return error_response(errors::segment_not_found(segments[1]));
    return entity_definitions(ctx, std::nullopt);
  }
  auto const t = find_table(ctx, *first);
  if (!t) return error_response(t.error());
  table_schema const& schema = (*t)->schema();
  if (segments.size() == 1) return entity_definitions(ctx, *t);

  auto const second = parse_segment(segments[1]);
  if (!second) return error_response(second.error());
  std::string const base = "EntityDefinitions('" + schema.logical_name + "')";
  auto const& q = ctx.query;
  if (second->name == "Keys") {
    if (segments.size() > 2) return error_response(errors::segment_not_found(segments[2]));
    std::string const type = std::string(crm) + "EntityKeyMetadata";
    if (second->has_key) {
      for (auto const& k : schema.keys) {
        if (second->parts.size() == 1 && (second->parts[0].value == k.name ||
                                          second->parts[0].value == hashed_id(schema.logical_name + "/key/" + k.name))) {
          auto const full = key_record(schema, k);
          auto chosen = apply_select(full, q.select, keys_of(full), type);
          if (!chosen) return error_response(chosen.error());
          return reply(ctx, context_url(ctx, base + "/Keys", q.select, true), std::move(*chosen));
        }
      }
      return error_response({404, "0x80040217", "Could not find key with key '" +
                                                    (second->parts.empty() ? "" : second->parts[0].value) + "'."});
    }
    json::array list;
    for (auto const& k : schema.keys) {
      auto const full = key_record(schema, k);
      auto chosen = apply_select(full, q.select, keys_of(full), type);
      if (!chosen) return error_response(chosen.error());
      list.push_back(std::move(*chosen));
    }
    return reply(ctx, context_url(ctx, base + "/Keys", q.select, false), std::move(list));
  }
  if (second->name != "Attributes") {
    if (second->name == "ManyToOneRelationships" || second->name == "OneToManyRelationships" ||
        second->name == "ManyToManyRelationships")
      return error_response(errors::not_implemented("The emulator does not serve relationship definitions."));
    return error_response(errors::segment_not_found(segments[1]));
  }

  auto const all = attributes_of(schema);
  std::optional<std::size_t> single;
  if (second->has_key) {
    auto const at = find_attribute(schema, all, *second);
    if (!at) return error_response(at.error());
    single = *at;
  }
  attribute_cast cast;
  std::string path_text = base + "/Attributes";
  if (segments.size() > 2) {
    auto const c = parse_cast(segments[2]);
    if (!c) {
      if (segments[2] == std::string(crm) + "EnumAttributeMetadata")
        return error_response(errors::bad_request("Attributes cannot be cast to EnumAttributeMetadata."));
      return error_response(errors::segment_not_found(segments[2]));
    }
    cast = *c;
    path_text += "/" + std::string(segments[2]);
  }
  auto of_cast = [&](attribute const& a) { return cast.metadata_type.empty() || a.metadata_type == cast.metadata_type; };

  if (single) {
    attribute const& a = all[*single];
    if (!of_cast(a))
      return error_response(errors::bad_request("The attribute '" + a.name + "' is not of type '" + std::string(crm) +
                                                cast.metadata_type + "'."));
    if (segments.size() > 3) {
      // .../Attributes(x)/<cast>/OptionSet?$select=Options
      if (segments.size() > 4 || (segments[3] != "OptionSet" && segments[3] != "GlobalOptionSet") || cast.metadata_type.empty())
        return error_response(errors::segment_not_found(segments.back()));
      auto view = attribute_view(schema, a, *single, cast, std::string("LogicalName"),
                                 std::string(segments[3]) + (q.select ? "($select=" + *q.select + ")" : ""),
                                 ctx.db.global_option_sets());
      if (!view) return error_response(view.error());
      json::value set = (*view)[segments[3]];
      if (!set.is_object()) return json_response(204, "");
      return reply(ctx, context_url(ctx, path_text + "/" + std::string(segments[3]), q.select, true),
                   std::move(set));
    }
    auto view = attribute_view(schema, a, *single, cast, q.select, q.expand, ctx.db.global_option_sets());
    if (!view) return error_response(view.error());
    return reply(ctx, context_url(ctx, path_text, q.select, true), std::move(*view));
  }
  json::array list;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!of_cast(all[i])) continue;
    if (q.filter) {
      auto keep = matches(attribute_record(schema, all[i], i), *q.filter);
      if (!keep) return error_response(keep.error());
      if (!*keep) continue;
    }
    auto view = attribute_view(schema, all[i], i, cast, q.select, q.expand, ctx.db.global_option_sets());
    if (!view) return error_response(view.error());
    list.push_back(std::move(*view));
  }
  return reply(ctx, context_url(ctx, path_text, q.select, false), std::move(list));
}

}  // namespace emulator
