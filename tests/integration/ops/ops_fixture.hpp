#pragma once
// What the operations tests add to daemon_test: waiting for log lines, the metrics port a daemon
// picked, GETs against its endpoints, a free port for a fixed metrics address.
#include "fixture.hpp"
#include "http_client.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace dvsync::test {

class ops_test : public daemon_test {
 protected:
  std::string log_path(std::string const& log_name = "daemon.log") const { return (dir_ / log_name).string(); }
  std::string log(std::string const& log_name = "daemon.log") const { return read_file(log_path(log_name)); }

  // Waits until the log holds `needle` `times` times; false after `timeout`.
  bool wait_for_log(std::string const& needle, std::chrono::milliseconds timeout, int times = 1,
                    std::string const& log_name = "daemon.log") const;
  // The port of the `metrics.listening` line (waits for it); 0 when it never came.
  std::uint16_t metrics_port(std::string const& log_name = "daemon.log") const;
  // GET http://127.0.0.1:port/path.
  http_reply get(std::uint16_t port, std::string const& path) const;
  // GETs until the status is `status`; the last reply either way.
  http_reply wait_for_status(std::uint16_t port, std::string const& path, int status, std::chrono::milliseconds timeout) const;

  // `"metrics": {"listen": "..."},` for config_overrides::extra_top_level.
  static std::string metrics_at(std::string const& listen);
  // A port that nothing listens on right now.
  static std::uint16_t free_port();
};

// The samples of a /metrics body: series as written (name and labels) -> value.
std::map<std::string, std::string> parse_metrics(std::string const& body);

}  // namespace dvsync::test
