// dataverse-emulator: wiring only. Parse the command line, build the organization, the router and
// the listener, announce the port, serve until SIGTERM or SIGINT.
#include "api/web_api.hpp"
#include "server/options.hpp"
#include "server/router.hpp"
#include "server/server.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef EMULATOR_VERSION
#error "EMULATOR_VERSION must be defined by the build"
#endif

namespace {

bool read_text(std::string const& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return static_cast<bool>(in) || in.eof();
}

}  // namespace

int main(int argc, char** argv) {
  using emulator::parsed_command;
  auto command = emulator::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
  switch (command.what) {
    case parsed_command::action::help:
      std::cout << emulator::usage_text();
      return 0;
    case parsed_command::action::version:
      std::cout << "dataverse-emulator " << EMULATOR_VERSION << "\n";
      return 0;
    case parsed_command::action::usage_error:
      std::cerr << "dataverse-emulator: " << command.error << "\n(see dataverse-emulator --help)\n";
      return emulator::exit_usage;
    case parsed_command::action::run:
      break;
  }
  auto const& o = command.options;

  emulator::options api_options;
  api_options.change_retention_days = o.change_retention_days;
  api_options.max_page_size = o.max_page_size;
  api_options.expired_token_status = o.expired_token_status;
  if (!o.schema_file.empty() && !read_text(o.schema_file, api_options.schema_json)) {
    std::cerr << "dataverse-emulator: --schema: cannot read '" << o.schema_file << "'\n";
    return emulator::exit_no_input;
  }

  std::optional<emulator::web_api> api;
  try {
    api.emplace(api_options);
  } catch (std::exception const& e) {
    std::cerr << "dataverse-emulator: " << (o.schema_file.empty() ? "" : "--schema: ") << e.what() << "\n";
    return emulator::exit_data_error;
  }
  try {
    if (o.seed.what == emulator::seed_request::kind::sample) api->seed_sample();
    if (o.seed.what == emulator::seed_request::kind::generated)
      api->seed(o.seed.entity_set, o.seed.count, 1, o.seed.order);
  } catch (std::exception const& e) {
    std::cerr << "dataverse-emulator: --seed: " << e.what() << "\n";
    return emulator::exit_usage;
  }

  emulator::router_settings routing;
  routing.auth = {o.client_id, o.client_secret, o.tenant, std::chrono::seconds(o.token_lifetime_s), nullptr};
  if (!o.client_certificate.empty()) {
    std::string pem;
    if (!read_text(o.client_certificate, pem)) {
      std::cerr << "dataverse-emulator: --client-certificate: cannot read '" << o.client_certificate << "'\n";
      return emulator::exit_no_input;
    }
    try {
      routing.auth.certificates = std::make_shared<emulator::registered_certificates const>(
          emulator::registered_certificates::from_pem(pem, "--client-certificate " + o.client_certificate));
    } catch (std::exception const& e) {
      std::cerr << "dataverse-emulator: " << e.what() << "\n";
      return emulator::exit_data_error;
    }
  }
  for (auto const& c : o.extra_clients) routing.auth.other_clients.emplace_back(c.id, c.secret);
  routing.check_bearer = !o.no_auth;
  routing.gzip = o.gzip;
  routing.throttle = o.throttle;
  routing.execution_limit = o.execution_limit;
  routing.max_concurrent = o.max_concurrent;
  routing.dop_hint = o.dop_hint;
  emulator::router routes(*api, routing);

  try {
    emulator::server listener({o.listen_host, o.listen_port, o.tls_cert, o.tls_key, o.log_requests}, routes);
    if (!o.port_file.empty()) emulator::write_port_file(o.port_file, listener.port());
    auto host = o.listen_host.find(':') != std::string::npos ? "[" + o.listen_host + "]" : o.listen_host;
    std::cout << "dataverse-emulator listening on " << (listener.tls() ? "https" : "http") << "://" << host << ":"
              << listener.port() << std::endl;
    listener.run(true);
  } catch (std::exception const& e) {
    std::cerr << "dataverse-emulator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
