#include "dataverse/links.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>

namespace dvsync::dataverse {
namespace urls = boost::urls;
namespace {

core::error refused(std::string message) { return core::make_error(core::errc::link_rejected, std::move(message)); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The port a connection would use: explicit, or the scheme's default.
std::optional<std::uint32_t> effective_port(urls::url_view const& u) {
  if (u.has_port() && !u.port().empty()) {
    std::string_view p = u.port();
    if (p.size() > 5) return std::nullopt;
    std::uint32_t n = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (n == 0 || n > 65535) return std::nullopt;
    return n;
  }
  switch (u.scheme_id()) {
    case urls::scheme::https: return 443;
    case urls::scheme::http: return 80;
    default: return std::nullopt;
  }
}

bool same_host(urls::url_view const& a, urls::url_view const& b) {
  if (a.host_type() != b.host_type()) return false;
  switch (a.host_type()) {
    case urls::host_type::ipv4: return a.host_ipv4_address() == b.host_ipv4_address();
    case urls::host_type::ipv6: return a.host_ipv6_address() == b.host_ipv6_address();
    default: return lower(a.encoded_host()) == lower(b.encoded_host());
  }
}

std::string select_list(config::table_spec const& table) {
  std::string select;
  for (auto const& c : table.columns) {
    if (!select.empty()) select += ',';
    select += c.wire;
  }
  return select;
}

bool has_dot_segment(urls::url_view const& u) {
  for (auto const& segment : u.segments())
    if (segment == "." || segment == "..") return true;
  return false;
}

}  // namespace

core::result<void> check_link(std::string_view link, std::string_view dataverse_url) {
  auto configured = urls::parse_uri(dataverse_url);
  if (!configured) return refused("the configured dataverse.url is not an absolute URL");
  auto parsed = urls::parse_uri(link);
  if (!parsed) return refused("link is not an absolute URL");
  urls::url_view const& u = *parsed;
  urls::url_view const& base = *configured;
  // Boost.URL 1.81 reads "https://10.0.0.1.example.com" as host 10.0.0.1 with path ".example.com".
  if (!u.encoded_path().empty() && !u.encoded_path().starts_with('/'))
    return refused("link is not a valid absolute URL");

  // Names only the host: the rest of a link carries a paging cookie or a delta token.
  std::string host = lower(u.encoded_host());
  if (u.scheme_id() != base.scheme_id() || lower(u.scheme()) != lower(base.scheme()))
    return refused(fmt::format("link to host {} rejected: scheme {} differs from the configured {}", host,
                               lower(u.scheme()), lower(base.scheme())));
  if (u.has_userinfo()) return refused(fmt::format("link to host {} rejected: it carries user info", host));
  if (!same_host(u, base))
    return refused(fmt::format("link to host {} rejected: only {} is followed", host, lower(base.encoded_host())));
  auto port = effective_port(u);
  auto base_port = effective_port(base);
  if (!port || port != base_port)
    return refused(fmt::format("link to host {} rejected: port {} differs from the configured {}", host,
                               u.has_port() ? std::string(u.port()) : "(default)", base_port.value_or(0)));

  std::string_view base_path = base.encoded_path();
  while (!base_path.empty() && base_path.back() == '/') base_path.remove_suffix(1);
  std::string prefix = fmt::format("{}/api/data/", base_path);
  if (!std::string_view(u.encoded_path()).starts_with(prefix) || has_dot_segment(u))
    return refused(fmt::format("link to host {} rejected: its path is outside {}", host, prefix));
  return {};
}

link_guard::link_guard(std::string dataverse_url, std::string_view first_url)
    : dataverse_url_(std::move(dataverse_url)) {
  fetched_.emplace(std::hash<std::string_view>{}(first_url), 1);
}

core::result<void> link_guard::check(page const& p) {
  ++pages_;
  for (auto const* link : {&p.next_link, &p.delta_link})
    if (*link)
      if (auto ok = check_link(**link, dataverse_url_); !ok) return ok.error();
  if (!p.next_link) return {};
  // The next page answers the link this page hands out.
  auto [at, fresh] = fetched_.emplace(std::hash<std::string_view>{}(*p.next_link), pages_ + 1);
  if (!fresh)
    return core::make_error(core::errc::protocol,
                            fmt::format("the @odata.nextLink of page {} leads back to page {} of this cycle: the server "
                                        "pages in a loop",
                                        pages_, at->second));
  return {};
}

std::string initial_url(config::dataverse_settings const& dataverse, config::table_spec const& table) {
  return fmt::format("{}/api/data/v{}/{}?$select={}", dataverse.url, dataverse.api_version, table.entity_set,
                     select_list(table));
}

std::string versions_url(config::dataverse_settings const& dataverse, config::table_spec const& table) {
  return fmt::format("{}/api/data/v{}/{}?$select={},versionnumber", dataverse.url, dataverse.api_version,
                     table.entity_set, table.id);
}

bool is_row_id(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    char const c = id[i];
    bool const dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string row_url(config::dataverse_settings const& dataverse, config::table_spec const& table, std::string_view id) {
  if (!is_row_id(id)) throw std::invalid_argument("row_url: not a row id");
  return fmt::format("{}/api/data/v{}/{}({})?$select={}", dataverse.url, dataverse.api_version, table.entity_set, id,
                     select_list(table));
}

}  // namespace dvsync::dataverse
