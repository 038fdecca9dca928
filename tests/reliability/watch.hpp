#pragma once
// Watching a running daemon from the outside, for the long-running reliability tests (T6, T25):
// its log as it grows, the fields and times of its events, its memory and descriptors, the size of
// a file, and its metrics endpoint.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace dvsync::test {

// The complete lines appended to a log file since the last look. The file may not exist yet.
class log_follower {
 public:
  explicit log_follower(std::string path) : path_(std::move(path)) {}
  std::vector<std::string> new_lines();

 private:
  std::string path_;
  std::uint64_t offset_ = 0;
  std::string partial_;  // a line whose end has not been written yet
};

// The value of `key=` in a text log line (quotes removed), or nullopt.
std::optional<std::string> log_field(std::string_view line, std::string_view key);
// A numeric field; nullopt when absent or not a number.
std::optional<std::int64_t> log_number(std::string_view line, std::string_view key);
// The event name of a log line ("" when none).
std::string log_event(std::string_view line);
// The `time=` of a text log line (UTC, milliseconds), or nullopt.
std::optional<std::chrono::system_clock::time_point> log_time(std::string_view line);

// What /proc says about a live process; nullopt once it is gone.
struct process_sample {
  std::int64_t rss_kib = 0;  // VmRSS
  int fds = 0;               // entries of /proc/PID/fd
};
std::optional<process_sample> sample_process(pid_t pid);

// The size of a file in bytes; 0 when it does not exist.
std::uint64_t file_bytes(std::string const& path);

// One sample of a Prometheus text exposition, by its series as written (name and labels); nullopt
// when absent or when the endpoint did not answer 200.
std::optional<double> scrape_metric(std::uint16_t port, std::string const& series);

// Seconds between two wall-clock times (b - a).
double seconds_between(std::chrono::system_clock::time_point a, std::chrono::system_clock::time_point b);

// Least-squares slope of y over x; 0 with fewer than two distinct x.
double slope(std::vector<double> const& x, std::vector<double> const& y);

}  // namespace dvsync::test
