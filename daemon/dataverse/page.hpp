#pragma once
// One page of a tracked read or a delta, as the sync engine consumes it.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace dvsync::dataverse {

// A column value as SQLite will store it: JSON null, integer (booleans become 0/1), real, or text.
// Objects and arrays (never expected in a $select of plain attributes) arrive as their JSON text.
using value = std::variant<std::monostate, std::int64_t, double, std::string>;

// A new or updated row. `columns` holds one value per field, in config::fields_of order.
struct record {
  std::string id;                        // lower-case GUID
  std::optional<std::int64_t> version;   // from @odata.etag W/"N" (or versionnumber); none if opaque
  std::vector<value> columns;
};

// A row that cannot enter the mirror (its key is null or empty, or a value does not fit its
// column's type): kept with its raw JSON.
struct rejected {
  std::string id;
  std::string raw_json;
  std::string reason;
};

struct page {
  std::vector<record> upserts;
  std::vector<std::string> deletes;      // lower-case GUIDs of $deletedEntity entries
  std::vector<rejected> rejects;
  std::optional<std::string> next_link;
  std::optional<std::string> delta_link;
};

}  // namespace dvsync::dataverse
