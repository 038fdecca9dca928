#pragma once
// Writes and single-row reads, as the Web API does them: POST to the collection, and GET, PATCH
// (update or upsert) and DELETE on sample_books(<guid>) or sample_books(<key>='<value>').

#include <random>
#include <vector>

#include "address.hpp"
#include "request_context.hpp"
#include "row_writer.hpp"

namespace emulator {

http_response create_in_collection(request_context& ctx, table& t, write_rules const& rules, std::mt19937_64& rng);
http_response handle_row(request_context& ctx, table& t, std::vector<key_part> const& key, write_rules const& rules,
                         std::mt19937_64& rng);

}  // namespace emulator
