#pragma once
// The tables as dvsync syncs them, resolved from the configuration and the organization's
// metadata: read at the first cycle, again after the refresh period (sync.metadata_refresh_s), and
// at once when the service says a selected column is gone. Tables are resolved one by one, so a table whose metadata cannot be read or
// mirrored fails alone.
#include "config/settings.hpp"
#include "core/error.hpp"
#include "dataverse/metadata.hpp"
#include "dataverse/resolve.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dvsync::sync {

// Where metadata comes from: the Dataverse client in production.
class metadata_source {
 public:
  virtual ~metadata_source() = default;
  // GETs a query relative to the Web API root (dataverse/metadata.hpp) and returns the body.
  virtual boost::asio::awaitable<core::result<std::string>> get_metadata(std::string query) = 0;
};

// Reads one table's metadata: the table with its attributes and keys, then the type casts that
// carry lookup targets, date behaviours and option sets (only those the table has).
boost::asio::awaitable<core::result<dataverse::table_metadata>> read_table_metadata(metadata_source& source,
                                                                                    std::string logical_name);

// Choice labels are promised fresh at start and daily, and they come with a table's metadata: so
// the metadata is read again at least once a day, whatever sync.metadata_refresh_s (up to 30 days)
// asks for.
inline constexpr std::chrono::seconds longest_metadata_refresh = std::chrono::hours{24};
std::chrono::seconds metadata_refresh_period(std::chrono::seconds configured);

class catalog {
 public:
  using clock = std::chrono::steady_clock;
  catalog(metadata_source& source, std::chrono::seconds refresh_period)
      : source_(source), refresh_period_(metadata_refresh_period(refresh_period)) {}

  struct entry {
    dataverse::resolved_table table;
    bool fresh = false;  // read from the service by this call (labels are worth storing)
  };
  boost::asio::awaitable<core::result<entry>> resolve(config::table_config const& config);

  // The next resolve of `table` reads its metadata again (a column was removed or added).
  void forget(std::string const& table);

  // Every table of the organization (GET EntityDefinitions), for discovery.
  boost::asio::awaitable<core::result<dataverse::entity_list>> tables();

 private:
  boost::asio::awaitable<core::result<std::string>> logical_name_of(config::table_config const& config);

  struct cached {
    dataverse::resolved_table table;
    clock::time_point read_at;
  };
  metadata_source& source_;
  std::chrono::seconds refresh_period_;
  std::optional<dataverse::entity_list> entities_;
  clock::time_point entities_read_at_;
  std::map<std::string, cached> tables_;
};

}  // namespace dvsync::sync
