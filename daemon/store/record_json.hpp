#pragma once
// A record as JSON text, for the rejects table when a record without a key reaches the store
// (the page parser normally rejects those itself, with the raw JSON it received).
#include "config/settings.hpp"
#include "dataverse/page.hpp"

#include <string>

namespace dvsync::store {

// {"<id>": "...", "<field>": value, ...} in config::fields_of order.
std::string record_json(config::table_spec const& spec, dataverse::record const& r);

}  // namespace dvsync::store
