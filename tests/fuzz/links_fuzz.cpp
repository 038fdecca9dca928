// Following server links: the first input byte picks a configured dataverse.url, the rest is a
// nextLink or deltaLink. An accepted link stays on the configured scheme, host and path; a refused
// one is described without the part of the link that carries the token.
#include "dataverse/links.hpp"
#include "require.hpp"

#include <boost/url/parse.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace dvsync;
using fuzz::require;

constexpr std::array<std::string_view, 4> configured{
    "https://contoso.crm.dynamics.com", "http://127.0.0.1:8080", "https://[::1]:8443/org", "https://org.example.com/base"};

// Text that cannot come from anywhere but the link's query.
constexpr std::string_view canary = "Qx7canarytoken";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view base = configured[data[0] % configured.size()];
  std::string_view link(reinterpret_cast<char const*>(data + 1), size - 1);

  auto checked = dataverse::check_link(link, base);
  if (checked) {
    auto u = boost::urls::parse_uri(link);
    require(u.has_value(), "an accepted link is an absolute URL");
    auto b = boost::urls::parse_uri(base);
    require(lower(u->scheme()) == lower(b->scheme()), "an accepted link keeps the scheme");
    if (b->host_type() == boost::urls::host_type::ipv6)
      require(u->host_type() == b->host_type() && u->host_ipv6_address() == b->host_ipv6_address(),
              "an accepted link keeps the host");
    else
      require(lower(u->host()) == lower(b->host()), "an accepted link keeps the host");
    require(!u->has_userinfo(), "an accepted link has no user info");
    std::string prefix = std::string(b->encoded_path()) + "/api/data/";
    require(std::string_view(u->encoded_path()).starts_with(prefix), "an accepted link stays under /api/data/");
  } else {
    require(checked.error().code == core::errc::link_rejected, "a refused link is link_rejected");
  }

  if (link.find(lower(canary)) != std::string_view::npos || lower(link).find(lower(canary)) != std::string::npos)
    return 0;
  std::string with_token(link);
  with_token += with_token.find('?') == std::string::npos ? "?$deltatoken=" : "&$deltatoken=";
  with_token += canary;
  if (auto r = dataverse::check_link(with_token, base); !r)
    require(lower(r.error().message).find(lower(canary)) == std::string::npos, "a refusal never quotes the token");
  return 0;
}
