#pragma once
// Tables as declared in a schema file (see emulator/schema/sample_book.json and emulator/README.md).
// Every table also has the system columns versionnumber, createdon and modifiedon; they are not
// listed in `columns`.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emulator {

enum class column_type { string, integer, decimal, boolean, datetime, lookup };

struct column {
  std::string name;       // logical name; for a lookup, the navigation property name
  std::string wire_name;  // name in JSON: the logical name, or _<name>_value for a lookup
  column_type type = column_type::string;
  bool required = false;
  int max_length = 100;                    // string
  std::int64_t min_value = -2147483648LL;  // integer (Edm.Int32 by default)
  std::int64_t max_value = 2147483647LL;
  int precision = 2;   // decimal: digits after the point
  std::string target;  // lookup: the entity set it points to
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
  bool change_tracking = true;
  std::vector<column> columns;
  std::vector<alternate_key> keys;

  std::optional<std::size_t> column_by_wire_name(std::string_view name) const;
  std::optional<std::size_t> column_by_name(std::string_view name) const;
  std::string key_attributes(alternate_key const& k) const;  // "a, b", for error messages
};

struct schema {
  std::vector<table_schema> tables;
};

// Throws std::runtime_error naming the offending member for anything invalid.
schema parse_schema(std::string_view json);
std::string_view default_schema_json();

}  // namespace emulator
