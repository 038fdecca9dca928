#pragma once
// From a configured table and its metadata to the table dvsync syncs: which attributes become
// columns, under which type rule (schema/README.md), keyed by what. Pure.
#include "config/settings.hpp"
#include "config/table_spec.hpp"
#include "core/error.hpp"
#include "dataverse/metadata.hpp"

#include <optional>
#include <string>
#include <vector>

namespace dvsync::dataverse {

// How one attribute is mirrored: a type, or why it is not.
struct column_rule {
  std::optional<config::column_type> type;
  bool polymorphic = false;     // a lookup to several tables
  std::string not_mirrored;     // when there is no type: why (File, Image, Virtual, ...)
};
column_rule rule_for(attribute const& a);

// Whether an attribute is among the default columns: readable, served as a property of its own
// (no AttributeOf), not the primary id, and of a type that can be mirrored.
bool mirrored_by_default(attribute const& a, entity_summary const& e);

struct resolved_table {
  config::table_spec spec;
  std::vector<config::choice_label> labels;  // every option of its choice columns
};

// errc::not_tracked when the table's change tracking is off (the message says how to turn it on);
// errc::metadata_invalid for a configured column, id or key the table does not have, or one whose
// type cannot be mirrored, or an attribute of an unknown AttributeType among the columns. Each
// message names the table and the attribute.
core::result<resolved_table> resolve(config::table_config const& config, table_metadata const& metadata);

}  // namespace dvsync::dataverse
