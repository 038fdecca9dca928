#pragma once
// The system query options of a request ($select, $skiptoken, ...) and the column selection a
// $select describes.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "errors.hpp"
#include "schema.hpp"

namespace emulator {

struct query_options {
  std::optional<std::string> select, filter, orderby, expand, top, skiptoken, deltatoken, count;
};

// Unknown (including $skip, which Dataverse does not support) or repeated $-options are a 400;
// other parameters are ignored.
result<query_options> parse_query_options(std::string_view raw_query);

enum class selected_kind { column, primary_id, versionnumber, createdon, modifiedon };

struct selected_item {
  selected_kind kind = selected_kind::column;
  std::size_t column = 0;  // for selected_kind::column
};

struct selection {
  std::vector<selected_item> items;  // rendering order; always ends with the primary id if absent
  std::string text;                  // "a,b,c" as it goes into links and contexts; empty: no $select
};

// No $select (or an empty one) selects every column.
result<selection> parse_select(table_schema const& t, std::optional<std::string> const& select);

}  // namespace emulator
