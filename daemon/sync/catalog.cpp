#include "sync/catalog.hpp"

#include "core/log.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dvsync::sync {
namespace {

using dataverse::attribute_cast;

bool has_type(dataverse::table_metadata const& m, std::initializer_list<std::string_view> types,
              std::string_view type_name = {}) {
  for (auto const& a : m.attributes)
    for (auto t : types)
      if (a.type == t && (type_name.empty() || a.type_name == type_name)) return true;
  return false;
}

}  // namespace

std::chrono::seconds metadata_refresh_period(std::chrono::seconds configured) {
  return std::min(configured, longest_metadata_refresh);
}

boost::asio::awaitable<core::result<dataverse::table_metadata>> read_table_metadata(metadata_source& source,
                                                                                    std::string logical_name) {
  auto body = co_await source.get_metadata(dataverse::table_query(logical_name));
  if (!body) {
    if (body.error().http_status == 404)
      co_return core::make_error(core::errc::metadata_invalid,
                                 fmt::format("table {}: the organization has no such table ({})", logical_name,
                                             body.error().message));
    co_return body.error();
  }
  auto table = dataverse::parse_table(*body, logical_name);
  if (!table) co_return table.error();
  struct wanted {
    attribute_cast cast;
    bool needed;
  };
  wanted const casts[] = {
      {attribute_cast::lookup, has_type(*table, {"Lookup", "Customer", "Owner"})},
      {attribute_cast::datetime, has_type(*table, {"DateTime"})},
      {attribute_cast::picklist, has_type(*table, {"Picklist"})},
      {attribute_cast::state, has_type(*table, {"State"})},
      {attribute_cast::status, has_type(*table, {"Status"})},
      {attribute_cast::multi_select, has_type(*table, {"Virtual"}, "MultiSelectPicklistType")},
  };
  for (auto const& w : casts) {
    if (!w.needed) continue;
    auto details = co_await source.get_metadata(dataverse::cast_query(logical_name, w.cast));
    if (!details) co_return details.error();
    if (auto merged = dataverse::merge_cast(*table, w.cast, *details); !merged) co_return merged.error();
  }
  co_return table;
}

boost::asio::awaitable<core::result<dataverse::entity_list>> catalog::tables() {
  auto const now = clock::now();
  if (!entities_ || now - entities_read_at_ >= refresh_period_) {
    auto body = co_await source_.get_metadata(dataverse::entity_list_query());
    if (!body) co_return body.error();
    auto list = dataverse::parse_entity_list(*body);
    if (!list) co_return list.error();
    entities_ = std::move(*list);
    entities_read_at_ = now;
  }
  co_return *entities_;
}

boost::asio::awaitable<core::result<std::string>> catalog::logical_name_of(config::table_config const& config) {
  if (!config.logical_name.empty()) co_return config.logical_name;
  // An entry that names only its collection: the table is the one with that EntitySetName.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto all = co_await tables();
    if (!all) co_return all.error();
    for (auto const& e : all->tables)
      if (e.entity_set == config.entity_set) co_return e.logical_name;
    entities_.reset();  // perhaps created since the list was read
  }
  co_return core::make_error(core::errc::metadata_invalid,
                             fmt::format("table {}: the organization has no table with entity set {}", config.table,
                                         config.entity_set));
}

boost::asio::awaitable<core::result<catalog::entry>> catalog::resolve(config::table_config const& config) {
  auto const now = clock::now();
  if (auto it = tables_.find(config.table); it != tables_.end() && now - it->second.read_at < refresh_period_)
    co_return entry{it->second.table, false};
  auto name = co_await logical_name_of(config);
  if (!name) co_return name.error();
  auto metadata = co_await read_table_metadata(source_, *name);
  if (!metadata) co_return metadata.error();
  auto resolved = dataverse::resolve(config, *metadata);
  if (!resolved) co_return resolved.error();
  core::log::info("metadata.read", {{"table", config.table}, {"logical_name", *name},
                                    {"columns", resolved->spec.columns.size()},
                                    {"key", resolved->spec.key.empty() ? resolved->spec.id : resolved->spec.key}});
  tables_[config.table] = cached{*resolved, now};
  co_return entry{std::move(*resolved), true};
}

void catalog::forget(std::string const& table) { tables_.erase(table); }

}  // namespace dvsync::sync
