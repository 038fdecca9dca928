#pragma once
// Request statistics for the control API: how many requests per path (without the query) and
// status, in total, and how many bytes went out. Control API requests are not counted.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace emulator {

// The status recorded for a request answered by closing the connection (reset fault).
inline constexpr int status_connection_reset = 0;

class request_stats {
 public:
  void record(std::string_view path, int status, std::uint64_t bytes_sent);
  void reset();

  // `{"total_requests":N,"bytes_sent":B,"requests":[{"path":P,"status":S,"count":C},...]}`
  std::string report() const;

 private:
  std::map<std::pair<std::string, int>, std::uint64_t> counts_;
  std::uint64_t total_requests_ = 0;
  std::uint64_t bytes_sent_ = 0;
};

}  // namespace emulator
