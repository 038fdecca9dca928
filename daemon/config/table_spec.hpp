#pragma once
// A table as dvsync syncs it: what the configuration says, completed from the organization's
// metadata (dataverse/metadata.hpp, sync/catalog.hpp). Everything below the engine works on this
// resolved form only.
#include <cstddef>
#include <string>
#include <vector>

namespace dvsync::config {

// How an attribute's values are stored, one rule per Dataverse AttributeType (schema/README.md).
enum class column_type {
  json = 1,   // no declared type (a table described by hand): the JSON value keeps its own type
  text,       // String, Memo, EntityName: TEXT
  integer,    // Integer, BigInt: INTEGER
  boolean,    // Boolean: INTEGER 0/1
  real,       // Double: REAL
  decimal,    // Money, Decimal: REAL for arithmetic, and the exact digits sent in dvsync_exact_<name>
  datetime,   // DateTime: ISO 8601 UTC text, 2023-04-07T21:59:01Z
  date,       // DateTime with the DateOnly format: YYYY-MM-DD
  guid,       // Uniqueidentifier: lower-case GUID text
  lookup,     // Lookup, Customer, Owner: the lower-case GUID
  choice,     // Picklist, State, Status: INTEGER
  choices,    // MultiSelectPicklist: a JSON array of integers, [1,3]
};

struct column_spec {
  // Implicit from a name: a column described by hand, selected and stored under that name.
  column_spec(std::string n) : name(n), wire(std::move(n)) {}  // NOLINT(google-explicit-constructor)
  column_spec(char const* n) : column_spec(std::string(n)) {}  // NOLINT(google-explicit-constructor)
  column_spec(std::string n, std::string w, column_type t, bool poly = false)
      : name(std::move(n)), wire(std::move(w)), type(t), polymorphic(poly) {}

  std::string name;   // the mirror column: the attribute's logical name, or as configured
  std::string wire;   // the $select item and JSON member: the name, or _<name>_value for a lookup
  column_type type = column_type::json;
  // A lookup to more than one table (Customer, Owner, ...): the target's logical name, from the
  // Microsoft.Dynamics.CRM.lookuplogicalname annotation, is stored beside it in <name>type.
  bool polymorphic = false;

  friend bool operator==(column_spec const&, column_spec const&) = default;
};

// What is kept besides the mirror, which always holds the source's rows as they are now.
enum class table_mode {
  mirror = 1,   // the mirror alone
  soft_delete,  // and <table>_all: every row ever mirrored, a deleted one marked with dvsync_deleted_at
  history,      // and <table>_history: one row per version, with dvsync_valid_from and dvsync_valid_to
};
char const* to_string(table_mode m);

struct table_spec {
  std::string entity_set;            // Web API collection, e.g. sample_books
  std::string table;                 // mirror table name in SQLite, e.g. sample_book
  std::string id;                    // primary key attribute (GUID), e.g. sample_bookid
  std::string key;                   // alternate key column, the mirror's PRIMARY KEY; empty: the id is
  std::vector<column_spec> columns;  // selected attributes, in mirror column order; includes the key
  std::string logical_name = {};     // the table's logical name (empty for a table described by hand)
  table_mode mode = table_mode::mirror;
  bool change_feed = false;          // every change the merge applies is appended to dvsync_feed
};

// The label of one option of a choice column (Picklist, State, Status, MultiSelectPicklist).
struct choice_label {
  std::string column;  // mirror column
  long long value = 0;
  std::string label;
};

// One stored value of a record besides its id and version: most columns are one field; a decimal
// adds its exact digits, a polymorphic lookup its target table.
struct field {
  enum class part { value = 1, exact, target };
  std::string name;       // mirror column
  std::size_t column = 0; // index in table_spec::columns
  part of = part::value;
  column_type type = column_type::json;
};

// The fields of a table in record order: each column's value, followed by its extra part if any.
std::vector<field> fields_of(table_spec const& spec);

// The values one row of the table brings in a page: its fields, its id and its version (what
// dataverse::rows_per_page bounds a page by).
std::size_t values_per_row(table_spec const& spec);

// Whether a read of the table asks for lookup targets: it has a lookup to several tables, whose
// target comes only in the lookuplogicalname annotation.
bool has_lookup_targets(table_spec const& spec);

// The column holding a decimal's exact digits, and a polymorphic lookup's target table.
std::string exact_column(std::string const& name);
std::string target_column(std::string const& name);

// The SQLite type a field is declared with (empty for json: no declared type).
char const* sql_type(field const& f);

// "String", "Money", ... for messages; the AttributeType names that map to `t`.
char const* to_string(column_type t);

}  // namespace dvsync::config
