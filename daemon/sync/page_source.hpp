#pragma once
// Where pages come from: the Dataverse client in production, a scripted fake in unit tests.
#include "core/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace dvsync::sync {

class page_source {
 public:
  virtual ~page_source() = default;
  // GETs one page (an initial query, a nextLink or a delta link) and returns its body. Transient
  // failures are retried inside; what comes back is final for this attempt of the cycle.
  // `lookup_targets`: the table has lookups to several tables, whose target names are wanted.
  // `values_per_row`: what a row of the table brings, for the page size.
  virtual boost::asio::awaitable<core::result<std::string>> get(std::string url, bool lookup_targets,
                                                                std::size_t values_per_row) = 0;
  // The service's estimate of a table's rows (by logical name), for the progress of a full read.
  // An error only means no estimate.
  virtual boost::asio::awaitable<core::result<std::int64_t>> row_estimate(std::string logical_name) {
    co_return core::make_error(core::errc::protocol, "no estimate of " + logical_name + "'s rows");
  }
};

}  // namespace dvsync::sync
