#include "auth/credential.hpp"
#include "cli/commands.hpp"
#include "config/config.hpp"
#include "http/proxy.hpp"
#include "core/log.hpp"

#include <cstdio>

namespace dvsync::cli {

std::optional<config::settings> load_settings(arguments const& a) {
  bool const local = a.cmd == command::status || a.cmd == command::resync || a.cmd == command::healthcheck;
  auto loaded = config::load(a.config_path, local ? config::purpose::local : config::purpose::sync);
  auto problems = loaded.problems;
  // The certificate is read, parsed and checked against its dates as the daemon will use it, so
  // that check-config reports a wrong key or an expired certificate before anything starts.
  if (loaded.value && !local && !loaded.value->auth.client_certificate_file.empty()) {
    if (auto credential = auth::load_client_credential(loaded.value->auth); !credential)
      problems.push_back({"auth.client_certificate_file", credential.error().message});
  }
  // The proxy URL, from the file or HTTPS_PROXY, parsed as the connection will parse it.
  if (loaded.value && !local) {
    auto const& proxy = loaded.value->proxy;
    if (auto resolved = http::resolve_proxy(proxy.url, proxy.no_proxy, http::proxy_environment::from_process()); !resolved)
      problems.push_back({proxy.url.empty() ? "HTTPS_PROXY" : "proxy.url", resolved.error().message});
  }
  core::log::options o = core::log::default_options();
  if (loaded.value) {
    auto const& level = a.log_level ? *a.log_level : loaded.value->log.level;
    auto const& format = a.log_format ? *a.log_format : loaded.value->log.format;
    if (auto lv = core::log::parse_level(level))
      o.min_level = *lv;
    else
      problems.push_back({"--log-level", "must be debug, info, warn or error"});
    if (format == "json")
      o.style = core::log::format::json;
    else if (format != "text")
      problems.push_back({"--log-format", "must be text or json"});
  }
  if (!problems.empty() || !loaded.value) {
    std::fprintf(stderr, "%s", config::describe(problems).c_str());
    std::fprintf(stderr, "dvsync: %s: %zu problem(s); nothing was started\n", a.config_path.c_str(), problems.size());
    return std::nullopt;
  }
  core::log::configure(o);
  return loaded.value;
}

bool table_option_known(arguments const& a, config::settings const& s) {
  if (!a.table) return true;
  for (auto const& t : s.tables)
    if (t.table == *a.table) return true;
  std::fprintf(stderr, "dvsync: no table named '%s' in %s\n", a.table->c_str(), a.config_path.c_str());
  return false;
}

}  // namespace dvsync::cli
