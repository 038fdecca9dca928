#pragma once
// Appends the JSON of records, deleted-entity entries, contexts and links. Everything is built by
// appending to one std::string: a 5000-row page is a few hundred kilobytes of copying.

#include <string>
#include <string_view>
#include <vector>

#include "guid.hpp"
#include "headers.hpp"
#include "query.hpp"
#include "schema.hpp"
#include "table.hpp"

namespace emulator {

class store;

// Reusable buffers for rendering many rows without allocating per row, and what the request asked
// to be annotated (odata.include-annotations). `db` finds the primary names of lookup targets for
// their formatted values.
struct render_scratch {
  std::vector<std::string_view> cells;
  annotation_prefs annotations;
  store const* db = nullptr;
};

// {"@odata.etag":"W/\"<version>\"", <selected columns>, <primary id>}; `prefix` (may be empty) is
// inserted right after the opening brace, e.g. an "@odata.context" member for a single row.
void append_record(std::string& out, table_schema const& t, guid id, row const& r, selection const& sel,
                   render_scratch& scratch, std::string_view prefix = {});

// {"@odata.context":"<root>/$metadata#<set>/$deletedEntity","id":"<guid>","reason":"deleted"}
void append_deleted(std::string& out, std::string_view service_root, std::string_view entity_set, guid id);

// <root>/$metadata#<set>(<select>)<suffix>; without $select there is no parenthesis.
std::string context_url(std::string_view service_root, std::string_view entity_set, selection const& sel,
                        std::string_view suffix);

// <root>/<set>?$select=<select>&<name>=<encoded value> (without $select: <root>/<set>?<name>=...).
std::string collection_link(std::string_view service_root, std::string_view entity_set, selection const& sel,
                            std::string_view option, std::string_view encoded_value);

// <root>/<set>(<guid>), the OData-EntityId of a row.
std::string entity_id_url(std::string_view service_root, std::string_view entity_set, guid id);

}  // namespace emulator
