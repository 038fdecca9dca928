#pragma once
// GET on an entity set: a plain paged read, the initial change-tracking read (every current row,
// then a delta link), and the read of a delta link (changes since its token, then a new one).
// Reads walk ordered indexes from the position stored in the link, so a page costs
// O(page * log n) and a delta O(changes * log n), whatever the table size.

#include "request_context.hpp"
#include "table.hpp"

namespace emulator {

http_response read_collection(request_context& ctx, table const& t);

}  // namespace emulator
