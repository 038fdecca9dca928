#pragma once
// Table definitions as the Web API serves them (query-metadata-web-api.md): EntityDefinitions with
// $select, $filter and $expand=Attributes/Keys; a table's Attributes, one attribute, type casts
// (Microsoft.Dynamics.CRM.PicklistAttributeMetadata, ...) with $expand=OptionSet,GlobalOptionSet;
// Keys; GlobalOptionSetDefinitions. Read-only: the definitions come from the schema.

#include <string_view>

#include "request_context.hpp"

namespace emulator {

// `path` is the percent-decoded path after the service root, starting with EntityDefinitions or
// GlobalOptionSetDefinitions.
http_response handle_metadata(request_context& ctx, std::string_view path);

// The MetadataId of a table (stable per logical name) or of one of its attributes.
std::string metadata_id(std::string_view logical_name);

}  // namespace emulator
