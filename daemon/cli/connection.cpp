#include "cli/connection.hpp"

#include "auth/credential.hpp"
#include "core/log.hpp"
#include "http/proxy.hpp"

#include <stdexcept>

namespace dvsync::cli {
namespace {

auth::client_credential load_credential(config::settings const& s) {
  auto credential = auth::load_client_credential(s.auth);
  if (!credential) throw std::runtime_error("client credential: " + credential.error().message);
  return std::move(*credential);
}

dataverse::client_options dataverse_options(config::settings const& s, std::stop_token stop,
                                            std::function<void()> on_progress) {
  auto o = dataverse::make_client_options(s, std::move(stop));
  o.on_progress = std::move(on_progress);
  return o;
}

http::limits response_limits(config::settings const& s) {
  http::limits l;
  l.body = static_cast<std::size_t>(s.sync.max_response_mb) * 1024 * 1024;
  l.body_setting = "sync.max_response_mb";
  return l;
}

}  // namespace

connection::connection(config::settings const& s, boost::asio::io_context& io, std::stop_token stop,
                       std::function<void()> on_progress)
    : http(io.get_executor(), http::tls_options{s.tls.ca_file, true},
           http::timeouts{std::chrono::seconds(30), s.sync.request_timeout}, response_limits(s)),
      tokens(http, auth::make_token_endpoint(s.auth, s.dataverse), load_credential(s)),
      dataverse(http, tokens, dataverse_options(s, std::move(stop), std::move(on_progress))) {
  auto proxies = http::resolve_proxy(s.proxy.url, s.proxy.no_proxy, http::proxy_environment::from_process());
  if (!proxies) throw std::runtime_error(proxies.error().message);
  if (proxies->https) core::log::info("http.proxy", {{"proxy", proxies->https->display}, {"no_proxy_entries", proxies->no_proxy.size()}});
  http.use_proxy(std::move(*proxies));
}

}  // namespace dvsync::cli
