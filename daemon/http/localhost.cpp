#include "http/localhost.hpp"

#include "http/message.hpp"

namespace dvsync::http {

namespace {

constexpr std::string_view localhost = "localhost";

bool is_localhost_name(std::string_view host) {
  if (host.ends_with('.')) host.remove_suffix(1);
  if (host.size() < localhost.size() || !iequals(host.substr(host.size() - localhost.size()), localhost)) return false;
  auto const labels = host.substr(0, host.size() - localhost.size());
  if (labels.empty()) return true;
  // "x.localhost" and "a.b.localhost", but not "notlocalhost", ".localhost" or "a..localhost".
  return labels.size() >= 2 && labels.back() == '.' && labels.front() != '.' && labels.find("..") == std::string_view::npos;
}

}  // namespace

std::vector<std::string> localhost_addresses(std::string_view host) {
  if (!is_localhost_name(host)) return {};
  return {"127.0.0.1", "::1"};
}

}  // namespace dvsync::http
