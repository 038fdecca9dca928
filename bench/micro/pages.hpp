#pragma once
// Generated sample_book pages and records for the micro-benchmarks, shaped like the emulator's.
#include "config/settings.hpp"
#include "dataverse/page.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace dvsync::bench {

enum class key_order {
  ascending = 1,  // ids and keys grow with the row number (the emulator's seeded data)
  random,         // ids and keys in random order (real tables: keys unrelated to the id order)
};

config::table_spec books();

// The body of one page of a tracked read: `rows` records from row `first`, with a nextLink.
std::string page_body(std::size_t first, std::size_t rows, key_order order);

// The same rows as the parser would produce them.
dataverse::page page_records(std::size_t first, std::size_t rows, key_order order);

}  // namespace dvsync::bench
