#pragma once
// The organization's metadata as dvsync reads it (EntityDefinitions, their Attributes and Keys,
// the option sets of choice columns), and the queries that read it. Parsing is pure: bodies in,
// values or a metadata_invalid error naming the table and attribute out.
#include "core/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dvsync::dataverse {

struct alternate_key {
  std::string name;
  std::vector<std::string> attributes;  // KeyAttributes
};

// One row of GET EntityDefinitions.
struct entity_summary {
  std::string logical_name;
  std::string entity_set;
  std::string primary_id;
  std::string primary_name;
  bool change_tracking = false;
  std::vector<alternate_key> keys;  // from $expand=Keys
};

// The answer to GET EntityDefinitions: the tables the Web API can read, and the names of those it
// cannot (no EntitySetName or PrimaryIdAttribute: internal and intersect tables have a null
// EntitySetName in real organizations).
struct entity_list {
  std::vector<entity_summary> tables;
  std::vector<std::string> left_out;
};

struct option {
  std::int64_t value = 0;
  std::string label;  // the user's localized label, else the first localized one
};

struct attribute {
  std::string logical_name;
  std::string type;                  // AttributeType: String, Money, Lookup, Virtual, ...
  std::string type_name;             // AttributeTypeName.Value: StringType, MultiSelectPicklistType, ImageType, ...
  bool valid_for_read = true;        // IsValidForRead
  std::string attribute_of;          // AttributeOf: set for parts of another attribute, not served as properties
  std::vector<std::string> targets;  // lookups: the tables it may point to
  std::string date_behavior;         // DateTime: DateTimeBehavior.Value (UserLocal, DateOnly, TimeZoneIndependent)
  std::vector<option> options;       // Picklist, State, Status, MultiSelectPicklist
};

struct table_metadata {
  entity_summary entity;
  std::vector<attribute> attributes;

  attribute const* find(std::string_view logical_name) const;
};

// The kinds of attribute whose details come from a type cast of the Attributes collection.
enum class attribute_cast { lookup = 1, datetime, picklist, state, status, multi_select };

// Query paths, relative to the Web API root (<url>/api/data/v9.2/).
std::string entity_list_query();
std::string table_query(std::string_view logical_name);
std::string cast_query(std::string_view logical_name, attribute_cast cast);

// Parsers of the answers to those queries. A missing required field, an attribute without a
// logical name or type, or a body that is not the expected JSON is errc::metadata_invalid, naming
// the table (and the attribute) concerned. In the list, an entity without EntitySetName or
// PrimaryIdAttribute is left out rather than an error: one such table must not hide all the others.
core::result<entity_list> parse_entity_list(std::string_view body);
core::result<table_metadata> parse_table(std::string_view body, std::string_view logical_name);
// Adds what a cast query returned (targets, date behaviour, options) to the attributes it names.
core::result<void> merge_cast(table_metadata& table, attribute_cast cast, std::string_view body);

}  // namespace dvsync::dataverse
