#pragma once
// Decides the answer to one request, without I/O: Web API requests go through the bearer check,
// the service protection limits and the fault script to web_api; the token endpoint through the fault script to the
// token issuer; /_emulator/ to the control API. The session then carries out the reply (waits,
// writes, truncates or resets) and reports what it sent.
#include "api/web_api.hpp"
#include "server/auth.hpp"
#include "server/control.hpp"
#include "server/faults.hpp"
#include "server/options.hpp"
#include "server/stats.hpp"
#include "server/throttle.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace emulator {

struct router_settings {
  auth_settings auth;
  bool check_bearer = true;
  bool gzip = false;
  std::optional<throttle_limit> throttle;
  std::optional<execution_time_budget> execution_limit;
  std::optional<int> max_concurrent;
  int dop_hint = 8;
};

struct reply {
  http_response response;
  std::chrono::milliseconds delay{0};
  std::optional<std::size_t> truncate_after;  // body bytes to send before closing
  bool reset = false;                         // close without answering
  bool counted = true;                        // false for the control API
  std::string path;                           // the request path, for statistics
  bool in_progress = false;                   // counted by the concurrency and execution limits
  std::string client;                         // whose limits counted it: the bearer token's client id
  std::chrono::steady_clock::time_point started{};
};

class router {
 public:
  using clock = std::chrono::steady_clock;

  router(web_api& api, router_settings s);

  reply route(http_request const& r, clock::time_point now);

  // What the session did with a reply: feeds the statistics.
  void sent(reply const& r, std::uint64_t bytes);

 private:
  // One client's service protection limits; each absent when it is off.
  struct client_limits {
    std::optional<request_throttle> requests;
    std::optional<execution_time_limit> execution;
    std::optional<concurrency_limit> concurrency;
  };
  client_limits& limits_of(std::string const& client);
  // The 429 of the first of the client's limits the request would exceed; counts it otherwise.
  std::optional<http_response> protection_refusal(std::string const& client, clock::time_point now);

  web_api& api_;
  router_settings settings_;
  token_issuer tokens_;
  std::unordered_map<std::string, client_limits> limits_;  // by client id
  fault_script faults_;
  request_stats stats_;
  control_api control_;
};

// `/{tenant}/oauth2/v2.0/token` -> the tenant; nullopt for any other path.
std::optional<std::string> token_path_tenant(std::string_view path);

}  // namespace emulator
