#pragma once
// The emulator's command line: defaults, parsing and validation. Pure: no I/O, so every flag and
// every error message is unit-tested.
#include "api/web_api.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emulator {

// Defaults that tests and the README rely on.
inline constexpr std::string_view default_client_id = "dvsync-test-client";
inline constexpr std::string_view default_client_secret = "dvsync-test-secret";

struct throttle_limit {
  int requests = 0;
  int window_s = 0;
};

struct execution_time_budget {
  int milliseconds = 0;
  int window_s = 0;
};

// Microsoft's service protection limits, per user and web server (api-limits.md): the defaults, so
// that a client meets them here before it meets them in production.
inline constexpr throttle_limit documented_request_limit{6000, 300};
inline constexpr execution_time_budget documented_execution_limit{1'200'000, 300};
inline constexpr int documented_max_concurrent = 52;

// Another application registered in the tenant (--extra-client), with its own limits.
struct client_credential {
  std::string id;
  std::string secret;
};

// What `--seed` asked for: nothing, the sample rows, or N generated rows of one entity set.
struct seed_request {
  enum class kind { none = 1, sample, generated };
  kind what = kind::none;
  std::string entity_set = "sample_books";
  std::int64_t count = 0;
  seed_order order = seed_order::ascending;  // --seed-order, for generated rows only
};

struct server_options {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 0;
  std::string port_file;
  std::string schema_file;  // empty: the built-in sample_book schema
  seed_request seed;
  std::string client_id{default_client_id};
  std::string client_secret{default_client_secret};
  std::vector<client_credential> extra_clients;
  std::string tenant;  // empty: any tenant is accepted
  std::string client_certificate;  // PEM file of certificates registered for the client; empty: none
  int token_lifetime_s = 3600;
  int change_retention_days = 7;
  int max_page_size = 5000;
  // Each limit, counted per client; nullopt: off.
  std::optional<throttle_limit> throttle = documented_request_limit;
  std::optional<execution_time_budget> execution_limit = documented_execution_limit;
  std::optional<int> max_concurrent = documented_max_concurrent;
  int dop_hint = 8;
  bool gzip = false;
  int expired_token_status = 400;
  std::string tls_cert;
  std::string tls_key;
  bool no_auth = false;
  bool log_requests = false;
};

struct parsed_command {
  enum class action { run = 1, help, version, usage_error };
  action what = action::run;
  server_options options;
  std::string error;  // set for usage_error; names the flag and the value
};

// argv without the program name.
parsed_command parse_command_line(std::vector<std::string> const& args);

std::string usage_text();

// EX_USAGE from sysexits.h: the exit status for a bad command line.
inline constexpr int exit_usage = 64;
// EX_DATAERR: the schema file was read but is not a valid schema.
inline constexpr int exit_data_error = 65;
// EX_NOINPUT: a file named on the command line cannot be read.
inline constexpr int exit_no_input = 66;

}  // namespace emulator
