#pragma once
// The real dataverse-emulator binary as a child process, for integration tests: started on
// 127.0.0.1 with a free port, stopped (SIGTERM, then SIGKILL) on destruction.
#include "http_client.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace dvsync::test {

// The emulator's default test credentials (its --client-id / --client-secret defaults).
inline constexpr std::string_view emulator_client_id = "dvsync-test-client";
inline constexpr std::string_view emulator_client_secret = "dvsync-test-secret";

// The path of the built dataverse-emulator.
std::string emulator_binary();

struct cli_run {
  int exit_code = -1;  // -1 when it did not exit by itself in time (it is then killed)
  std::string out;
  std::string err;
};

// Runs dataverse-emulator with these arguments to completion (for command-line tests).
cli_run run_emulator_cli(std::vector<std::string> const& args, std::chrono::milliseconds timeout = std::chrono::seconds(10));

class emulator_process {
 public:
  // Adds `--listen 127.0.0.1:0 --port-file <tmp> --service-limits off` before `extra_args`; waits
  // (at most 10 s) for the port file. Throws std::runtime_error with the emulator's output when it
  // does not come up.
  explicit emulator_process(std::vector<std::string> const& extra_args = {});
  ~emulator_process();
  emulator_process(emulator_process const&) = delete;
  emulator_process& operator=(emulator_process const&) = delete;

  std::uint16_t port() const { return port_; }
  // http://127.0.0.1:PORT (https when started with --tls-cert).
  std::string origin() const;
  // origin() + "/api/data/v9.2/" + path (path without a leading slash).
  std::string api_url(std::string_view path) const;

  // POST /_emulator/<path> with a JSON body.
  http_reply control(std::string_view path, std::string const& json = "{}") const;
  // GET /_emulator/<path>.
  http_reply control_get(std::string_view path) const;

  // A bearer token from the token endpoint (throws std::runtime_error on any other answer).
  std::string token(std::string_view client_id = emulator_client_id,
                    std::string_view client_secret = emulator_client_secret) const;

  // Sends SIGTERM and waits; returns the exit code (-signal when killed by a signal, -1000 when it
  // did not stop in time, after which it is killed).
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // What the emulator wrote to stdout and stderr so far.
  std::string output() const;
  pid_t pid() const { return pid_; }

 private:
  temp_dir dir_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  bool tls_ = false;
  std::uint16_t port_ = 0;
};

// POST /{tenant}/oauth2/v2.0/token with the client credentials form and scope origin/.default.
http_reply request_token(std::string const& origin, std::string_view client_id, std::string_view client_secret,
                         std::string_view tenant = "dvsync-test-tenant", call_options const& options = {});

// The access_token of a successful token reply; throws std::runtime_error otherwise.
std::string access_token_of(http_reply const& r);

// Headers a Web API client sends: Authorization (when token is not empty), Accept, OData-*.
header_list web_api_headers(std::string const& token);

}  // namespace dvsync::test
