#pragma once
// Creating and updating rows from a JSON body, as POST and PATCH do: validation of every member,
// required columns, alternate-key uniqueness, then one version bump per write. The HTTP handlers
// and the control helpers share it.

#include <cstddef>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "errors.hpp"
#include "guid.hpp"
#include "store.hpp"
#include "value_codec.hpp"

namespace emulator {

struct write_rules {
  codec_options codec;
  bool enforce_required = true;
};

struct create_request {
  std::string_view body;                                    // a JSON object
  std::optional<guid> id;                                   // from the URL of an upsert by id
  std::vector<std::pair<std::size_t, std::string>> preset;  // key values from the URL of an upsert by key
};

result<guid> create_row(store& db, table& t, create_request const& req, write_rules const& rules, std::mt19937_64& rng);
result<void> update_row(store& db, table& t, guid id, std::string_view body, write_rules const& rules);

}  // namespace emulator
