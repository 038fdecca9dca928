#include "server/options.hpp"

#include <boost/asio/ip/address.hpp>

#include <charconv>
#include <limits>

namespace emulator {
namespace {

struct usage_failure {
  std::string message;
};

template <typename Int>
std::optional<Int> parse_int(std::string_view text, Int min, Int max) {
  Int v{};
  auto const* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc{} || p != end || v < min || v > max) return std::nullopt;
  return v;
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

int int_flag(std::string_view flag, std::string_view value, int min, int max) {
  auto v = parse_int<int>(value, min, max);
  if (!v)
    throw usage_failure{std::string(flag) + ": expected an integer from " + std::to_string(min) + " to " +
                        std::to_string(max) + ", got " + quoted(value)};
  return *v;
}

void parse_listen(std::string_view value, server_options& o) {
  auto fail = [&] {
    return usage_failure{"--listen: expected HOST:PORT (an IP address, or [IPv6]:PORT), got " + quoted(value)};
  };
  auto colon = value.rfind(':');
  if (colon == std::string_view::npos) throw fail();
  auto host = value.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(host), ec);
  if (host.empty() || ec) throw fail();
  auto port = parse_int<int>(value.substr(colon + 1), 0, 65535);
  if (!port) throw fail();
  o.listen_host = std::string(host);
  o.listen_port = static_cast<std::uint16_t>(*port);
}

void parse_seed(std::string_view value, server_options& o) {
  if (value == "sample") {
    o.seed.what = seed_request::kind::sample;
    return;
  }
  auto colon = value.find(':');
  auto set = colon == std::string_view::npos ? std::string_view{} : value.substr(0, colon);
  auto count_text = colon == std::string_view::npos ? value : value.substr(colon + 1);
  auto count = parse_int<std::int64_t>(count_text, 0, std::numeric_limits<std::int64_t>::max());
  if (!count || (colon != std::string_view::npos && set.empty()))
    throw usage_failure{"--seed: expected 'sample', N or ENTITY_SET:N, got " + quoted(value)};
  o.seed.what = seed_request::kind::generated;
  if (!set.empty()) o.seed.entity_set = std::string(set);
  o.seed.count = *count;
}

void parse_seed_order(std::string_view value, server_options& o) {
  if (value == "ascending") {
    o.seed.order = seed_order::ascending;
  } else if (value == "shuffled") {
    o.seed.order = seed_order::shuffled;
  } else {
    throw usage_failure{"--seed-order: expected 'ascending' or 'shuffled', got " + quoted(value)};
  }
}

void parse_throttle(std::string_view value, server_options& o) {
  if (value == "off") {
    o.throttle.reset();
    return;
  }
  auto slash = value.find('/');
  auto fail = usage_failure{"--throttle: expected REQUESTS/SECONDS with both above zero, got " + quoted(value)};
  if (slash == std::string_view::npos) throw fail;
  auto r = parse_int<int>(value.substr(0, slash), 1, std::numeric_limits<int>::max());
  auto s = parse_int<int>(value.substr(slash + 1), 1, 86400);
  if (!r || !s) throw fail;
  o.throttle = throttle_limit{*r, *s};
}

void parse_execution_limit(std::string_view value, server_options& o) {
  if (value == "off") {
    o.execution_limit.reset();
    return;
  }
  auto slash = value.find('/');
  auto fail = usage_failure{"--execution-limit: expected MILLISECONDS/SECONDS with both above zero, got " + quoted(value)};
  if (slash == std::string_view::npos) throw fail;
  auto ms = parse_int<int>(value.substr(0, slash), 1, std::numeric_limits<int>::max());
  auto s = parse_int<int>(value.substr(slash + 1), 1, 86400);
  if (!ms || !s) throw fail;
  o.execution_limit = execution_time_budget{*ms, *s};
}

void parse_service_limits(std::string_view value, server_options& o) {
  if (value == "off") {
    o.throttle.reset();
    o.execution_limit.reset();
    o.max_concurrent.reset();
  } else if (value == "documented") {
    o.throttle = documented_request_limit;
    o.execution_limit = documented_execution_limit;
    o.max_concurrent = documented_max_concurrent;
  } else {
    throw usage_failure{"--service-limits: expected 'off' or 'documented', got " + quoted(value)};
  }
}

void parse_extra_client(std::string_view value, server_options& o) {
  auto colon = value.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == value.size())
    throw usage_failure{"--extra-client: expected ID:SECRET, got " + quoted(value)};
  o.extra_clients.push_back({std::string(value.substr(0, colon)), std::string(value.substr(colon + 1))});
}

bool is_switch(std::string_view flag) {
  return flag == "--gzip" || flag == "--no-auth" || flag == "--log-requests" || flag == "--help" || flag == "-h" ||
         flag == "--version";
}

// Applies one flag that takes a value; false when the flag is unknown.
bool apply_valued(std::string_view flag, std::string_view value, server_options& o) {
  if (flag == "--listen") {
    parse_listen(value, o);
  } else if (flag == "--port-file") {
    o.port_file = std::string(value);
  } else if (flag == "--schema") {
    o.schema_file = std::string(value);
  } else if (flag == "--seed") {
    parse_seed(value, o);
  } else if (flag == "--seed-order") {
    parse_seed_order(value, o);
  } else if (flag == "--client-id") {
    o.client_id = std::string(value);
  } else if (flag == "--client-secret") {
    o.client_secret = std::string(value);
  } else if (flag == "--client-certificate") {
    o.client_certificate = std::string(value);
  } else if (flag == "--tenant") {
    o.tenant = std::string(value);
  } else if (flag == "--token-lifetime-s") {
    o.token_lifetime_s = int_flag(flag, value, 1, 7 * 24 * 3600);
  } else if (flag == "--change-retention-days") {
    o.change_retention_days = int_flag(flag, value, 0, 365);
  } else if (flag == "--max-page-size") {
    o.max_page_size = int_flag(flag, value, 1, 1'000'000);
  } else if (flag == "--throttle") {
    parse_throttle(value, o);
  } else if (flag == "--execution-limit") {
    parse_execution_limit(value, o);
  } else if (flag == "--max-concurrent") {
    if (value == "off") {
      o.max_concurrent.reset();
    } else {
      o.max_concurrent = int_flag(flag, value, 1, 100'000);
    }
  } else if (flag == "--service-limits") {
    parse_service_limits(value, o);
  } else if (flag == "--extra-client") {
    parse_extra_client(value, o);
  } else if (flag == "--dop-hint") {
    o.dop_hint = int_flag(flag, value, 1, 1'000);
  } else if (flag == "--expired-token-status") {
    o.expired_token_status = int_flag(flag, value, 400, 599);
  } else if (flag == "--tls-cert") {
    o.tls_cert = std::string(value);
  } else if (flag == "--tls-key") {
    o.tls_key = std::string(value);
  } else {
    return false;
  }
  if (value.empty() && flag != "--tenant") throw usage_failure{std::string(flag) + ": the value must not be empty"};
  return true;
}

void validate(server_options const& o) {
  if (o.tls_cert.empty() != o.tls_key.empty()) throw usage_failure{"--tls-cert and --tls-key must be given together"};
  if (o.seed.order != seed_order::ascending && o.seed.what != seed_request::kind::generated)
    throw usage_failure{"--seed-order applies to generated rows: give --seed N or --seed ENTITY_SET:N too"};
  if (o.client_id.empty()) throw usage_failure{"--client-id: the value must not be empty"};
  if (o.client_secret.empty()) throw usage_failure{"--client-secret: the value must not be empty"};
  for (auto const& c : o.extra_clients)
    if (c.id == o.client_id) throw usage_failure{"--extra-client: " + quoted(c.id) + " is already the --client-id"};
}

}  // namespace

parsed_command parse_command_line(std::vector<std::string> const& args) {
  parsed_command out;
  try {
    for (std::size_t i = 0; i < args.size(); ++i) {
      std::string_view arg = args[i];
      std::string_view flag = arg;
      std::optional<std::string_view> inline_value;
      if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
        flag = arg.substr(0, eq);
        inline_value = arg.substr(eq + 1);
      }
      if (is_switch(flag)) {
        if (inline_value) throw usage_failure{std::string(flag) + ": takes no value"};
        if (flag == "--help" || flag == "-h") out.what = parsed_command::action::help;
        if (flag == "--version" && out.what != parsed_command::action::help) out.what = parsed_command::action::version;
        if (flag == "--gzip") out.options.gzip = true;
        if (flag == "--no-auth") out.options.no_auth = true;
        if (flag == "--log-requests") out.options.log_requests = true;
        continue;
      }
      if (!flag.starts_with("--")) throw usage_failure{"unexpected argument " + quoted(arg) + " (flags start with --)"};
      std::string_view value;
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        throw usage_failure{std::string(flag) + ": missing value"};
      }
      if (!apply_valued(flag, value, out.options)) throw usage_failure{"unknown flag " + quoted(flag)};
    }
    if (out.what == parsed_command::action::run) validate(out.options);
  } catch (usage_failure const& f) {
    out.what = parsed_command::action::usage_error;
    out.error = f.message;
  }
  return out;
}

std::string usage_text() {
  return R"(usage: dataverse-emulator [flags]
A local Microsoft Dataverse Web API (change tracking) with an Entra ID token endpoint.

  --listen HOST:PORT           address to listen on; port 0 picks a free port (default 127.0.0.1:0)
  --port-file FILE             write the bound port to FILE (atomically) once listening
  --schema FILE                JSON table schema (default: the sample_book table)
  --seed sample|N|SET:N        initial rows: the sample, or N generated rows (default: none)
  --seed-order ascending|shuffled  generated text (keys) in id order or in random order (default ascending)
  --client-id ID               accepted OAuth client id (default dvsync-test-client)
  --client-secret SECRET       accepted OAuth client secret (default dvsync-test-secret)
  --extra-client ID:SECRET     another registered client, counted apart by the limits (repeatable)
  --client-certificate FILE    PEM certificate(s) registered for the client: signed client assertions
                               (certificate credentials) are accepted too
  --tenant TENANT              accepted tenant in /{tenant}/oauth2/v2.0/token (default: any)
  --token-lifetime-s N         bearer token lifetime in seconds (default 3600)
  --change-retention-days N    change-tracking retention (default 7)
  --max-page-size N            largest page served (default 5000)
  Service protection limits, per client (per bearer token's application); 'off' turns one off:
  --throttle R/S|off           at most R Web API requests per S-second sliding window, then 429 (default 6000/300)
  --execution-limit MS/S|off   at most MS ms of combined request time per S-second window, then 429
                               (default 1200000/300)
  --max-concurrent N|off       at most N Web API requests in progress at once, then 429 (default 52)
  --service-limits off|documented  all three off, or all three at Microsoft's values (the default)
  --dop-hint N                 x-ms-dop-hint sent with every Web API response (default 8)
  --gzip                       answer Accept-Encoding: gzip with gzip bodies
  --expired-token-status N     HTTP status for an expired $deltatoken (default 400)
  --tls-cert FILE --tls-key FILE  serve HTTPS (TLS 1.2+) with this PEM chain and key
  --no-auth                    do not check bearer tokens on the Web API
  --log-requests               one line per request on stderr
  --help, --version
)";
}

}  // namespace emulator
