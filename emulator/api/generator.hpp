#pragma once
// Generated data for tests, demos and benchmarks: Microsoft's 10 sample books, N synthetic rows,
// and random mutations of a fraction of a table. Rows go straight into the table (no JSON), so a
// million rows take seconds.

#include <cstdint>
#include <random>

#include "row_writer.hpp"
#include "store.hpp"
#include "web_api.hpp"

namespace emulator {

// Demo Book 0-9 / BookCode0-9 / Author0-9 (reference §8.2); a book whose code exists is skipped,
// as the sample swallows its duplicate-key error.
void seed_sample_books(store& db, table& t, write_rules const& rules, std::mt19937_64& rng);

// `count` rows with ascending ids. Their text takes the table's next `count` sequence numbers,
// in id order or, shuffled, in an order drawn from `seed` (a Fisher-Yates permutation).
void seed_rows(store& db, table& t, std::int64_t count, std::uint64_t seed,
               seed_order order = seed_order::ascending);

struct mutation_result {
  std::int64_t created = 0, updated = 0, deleted = 0;
};
mutation_result mutate_rows(store& db, table& t, double fraction, std::uint64_t seed, double create_share,
                            double update_share, double delete_share);

}  // namespace emulator
