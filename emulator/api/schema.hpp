#pragma once
// Tables as declared in a schema file (see emulator/schema/*.json and emulator/README.md).
// Every table also has the system columns versionnumber, createdon and modifiedon; they are not
// listed in `columns`. Column types follow Dataverse's AttributeTypeCode (plus the types the
// service reports as Virtual: MultiSelectPicklist, Image, File); the lower-case names of the
// first schema version (string, integer, decimal, boolean, datetime, lookup) are aliases.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emulator {

enum class column_type {
  string = 1,
  memo,
  integer,
  bigint,
  boolean,
  double_,
  decimal,
  money,
  datetime,
  uniqueidentifier,
  lookup,
  customer,
  owner,
  picklist,
  state,
  status,
  multiselect,
  image,
  file,
};

enum class datetime_behavior { user_local = 1, date_only, time_zone_independent };

struct option {
  int value = 0;
  std::string label;
  std::optional<int> state;           // Status options: the state they belong to
  std::optional<int> default_status;  // State options: the status a row in this state gets
  std::string invariant_name;         // State options
};

struct option_set {
  std::string name;  // a global option set's name; a local one is <table>_<column>
  bool global = false;
  std::vector<option> options;
  option const* find(int value) const;
};

struct lookup_target {
  std::string logical_name;  // what Targets and lookuplogicalname show, e.g. "contact"
  std::string entity_set;    // what @odata.bind names, e.g. "contacts"
};

struct column {
  std::string name;       // logical name; for a lookup, the navigation property name
  std::string wire_name;  // name in JSON: the logical name, or _<name>_value for lookups
  column_type type = column_type::string;
  bool required = false;
  std::string display_name;             // DisplayName label; empty: derived from the name
  int max_length = 100;                 // string (default 100), memo (default 2000)
  std::int64_t min_value = -2147483648LL;  // integer (Edm.Int32), bigint (Edm.Int64)
  std::int64_t max_value = 2147483647LL;
  std::string min_number, max_number;  // double, decimal, money: exact decimal text
  int precision = 2;                    // double, decimal, money: digits after the point
  datetime_behavior behavior = datetime_behavior::user_local;
  bool date_only_format = false;             // DateTimeAttributeMetadata.Format
  std::vector<lookup_target> targets;        // lookup, customer, owner
  std::shared_ptr<option_set const> options;  // picklist, state, status, multiselect
  std::string true_label = "Yes", false_label = "No";  // boolean
  std::optional<bool> default_boolean;                   // boolean: value a create leaves unset gets

  bool is_lookup() const {
    return type == column_type::lookup || type == column_type::customer || type == column_type::owner;
  }
  bool is_choice() const {
    return type == column_type::picklist || type == column_type::state || type == column_type::status ||
           type == column_type::multiselect;
  }
  bool is_exact_number() const { return type == column_type::decimal || type == column_type::money; }
  bool is_date_only() const { return type == column_type::datetime && behavior == datetime_behavior::date_only; }
  // The rendered digits after the point: money keeps the four of its storage whatever its
  // precision (the documented "revenue": 20000.0000 of a precision-2 column).
  int rendered_scale() const { return type == column_type::money ? 4 : precision; }
};

struct alternate_key {
  std::string name;
  std::vector<std::size_t> columns;  // indexes into table_schema::columns
};

// Columns a client can $select besides the declared ones.
enum class system_column { versionnumber, createdon, modifiedon };

struct table_schema {
  std::string entity_set;
  std::string logical_name;
  std::string primary_id;
  std::string primary_name;  // informational (EntityDefinitions); may be empty
  std::string display_name;
  bool change_tracking = true;
  bool user_owned = false;  // OwnershipType UserOwned when it has an Owner column
  std::vector<column> columns;
  std::vector<alternate_key> keys;

  std::optional<std::size_t> column_by_wire_name(std::string_view name) const;
  std::optional<std::size_t> column_by_name(std::string_view name) const;
  std::string key_attributes(alternate_key const& k) const;  // "a, b", for error messages
};

struct schema {
  std::vector<table_schema> tables;
  std::vector<std::shared_ptr<option_set const>> global_option_sets;
};

// Throws std::runtime_error naming the offending member for anything invalid.
schema parse_schema(std::string_view json);
std::string_view default_schema_json();

// One column as the schema file declares it, for a table of `s` (the control API adds columns
// at run time). Lookup targets and global option sets are resolved against `s`. Throws
// std::runtime_error naming the problem.
column parse_column_json(std::string_view json, schema const& s, table_schema const& t);

// The entity set of a target table: the schema's, else the standard one of a system table
// (systemuser -> systemusers, ...).
std::string entity_set_of(schema const& s, std::string_view logical_name);

}  // namespace emulator
