#pragma once
// The control API under /_emulator/ (JSON in, JSON out, no authentication): reset, seed, mutate,
// token expiry, the emulator clock, the fault script, statistics, row dumps and health. The README
// documents every endpoint with a curl example.
#include "api/web_api.hpp"
#include "server/auth.hpp"
#include "server/faults.hpp"
#include "server/stats.hpp"

namespace emulator {

class control_api {
 public:
  control_api(web_api& api, token_issuer& tokens, fault_script& faults, request_stats& stats);

  http_response handle(http_request const& r);

 private:
  web_api& api_;
  token_issuer& tokens_;
  fault_script& faults_;
  request_stats& stats_;
};

}  // namespace emulator
