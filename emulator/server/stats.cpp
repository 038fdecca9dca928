#include "server/stats.hpp"

#include <boost/json.hpp>

namespace emulator {

void request_stats::record(std::string_view path, int status, std::uint64_t bytes_sent) {
  ++counts_[{std::string(path), status}];
  ++total_requests_;
  bytes_sent_ += bytes_sent;
}

void request_stats::reset() {
  counts_.clear();
  total_requests_ = 0;
  bytes_sent_ = 0;
}

std::string request_stats::report() const {
  boost::json::array rows;
  for (auto const& [key, count] : counts_)
    rows.push_back(boost::json::object{{"path", key.first}, {"status", key.second}, {"count", count}});
  return boost::json::serialize(boost::json::object{
      {"total_requests", total_requests_}, {"bytes_sent", bytes_sent_}, {"requests", std::move(rows)}});
}

}  // namespace emulator
