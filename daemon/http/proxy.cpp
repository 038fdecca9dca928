#include "http/proxy.hpp"

#include "core/base64.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace dvsync::http {

using core::errc;

namespace {

std::optional<std::string> env_value(char const* name) {
  char const* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// RFC 3986 percent-decoding of the user information; nothing for a malformed escape.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= s.size()) return std::nullopt;
    auto [ptr, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
    if (ec != std::errc{} || ptr != s.data() + i + 3) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

core::error proxy_error(std::string const& shown, std::string const& why) {
  return core::make_error(errc::config_invalid, "proxy " + shown + ": " + why);
}

}  // namespace

proxy_environment proxy_environment::from_process() {
  // Lower case first, as curl does (upper-case HTTP_PROXY is unsafe under CGI; HTTPS_PROXY is not).
  auto https = env_value("https_proxy");
  if (!https) https = env_value("HTTPS_PROXY");
  auto no = env_value("no_proxy");
  if (!no) no = env_value("NO_PROXY");
  return {https, no};
}

core::result<proxy> parse_proxy_url(std::string_view url) {
  url = trim(url);
  std::string_view rest = url;
  if (auto scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    std::string const scheme = lower(rest.substr(0, scheme_end));
    rest.remove_prefix(scheme_end + 3);
    if (scheme != "http")
      return proxy_error(scheme + "://...", "only http:// proxies are supported (CONNECT over plain TCP to the proxy; "
                                            "TLS to the server stays end to end)");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::string_view userinfo;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
  }
  std::string const shown = "http://" + std::string(rest);
  if (rest.find_first_of("/?#") != std::string_view::npos) return proxy_error(shown, "a proxy URL has no path");

  proxy p;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return proxy_error(shown, "unclosed [ in the host");
    p.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty() && after.front() != ':') return proxy_error(shown, "junk after the host");
    if (!after.empty()) port_text = after.substr(1);
  } else {
    auto colon = rest.rfind(':');
    p.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (p.host.empty()) return proxy_error(shown, "no host");
  p.port = 1080;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || value == 0 || value > 65535)
      return proxy_error(shown, "the port must be a number from 1 to 65535");
    p.port = static_cast<std::uint16_t>(value);
  }
  std::string const bracketed = p.host.find(':') != std::string::npos ? "[" + p.host + "]" : p.host;
  p.display = "http://" + bracketed + ":" + std::to_string(p.port);
  if (!userinfo.empty()) {
    auto decoded = percent_decode(userinfo);
    if (!decoded) return proxy_error(p.display, "malformed %-escape in the user name or password");
    // RFC 7617: Basic credentials are base64 of user-id ":" password; the decoded text is sent as is.
    std::string credentials = *decoded;
    if (credentials.find(':') == std::string::npos) credentials += ':';
    p.authorization = "Basic " + core::base64(credentials);
  }
  return p;
}

std::vector<std::string> parse_no_proxy(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view entry = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry.empty()) continue;
    if (entry.front() == '[') {  // [::1]:port
      auto close = entry.find(']');
      entry = entry.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
    } else if (auto colon = entry.find(':'); colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
      entry = entry.substr(0, colon);  // host:port; a bare IPv6 address has several colons
    }
    while (!entry.empty() && entry.front() == '.') entry.remove_prefix(1);
    if (!entry.empty()) out.push_back(lower(entry));
  }
  return out;
}

core::result<proxy_settings> resolve_proxy(std::string const& configured_url, std::optional<std::string> const& configured_no_proxy,
                                           proxy_environment const& env) {
  proxy_settings s;
  std::optional<std::string> const url = !configured_url.empty() ? std::optional<std::string>(configured_url) : env.https_proxy;
  if (url) {
    auto p = parse_proxy_url(*url);
    if (!p) return p.error();
    s.https = std::move(*p);
  }
  auto const no_proxy = configured_no_proxy ? configured_no_proxy : env.no_proxy;
  if (no_proxy) s.no_proxy = parse_no_proxy(*no_proxy);
  return s;
}

bool bypasses_proxy(std::vector<std::string> const& no_proxy, std::string_view host) {
  std::string const h = lower(host);
  for (auto const& entry : no_proxy) {
    if (entry == "*" || h == entry) return true;
    if (h.size() > entry.size() && h.ends_with(entry) && h[h.size() - entry.size() - 1] == '.') return true;
  }
  return false;
}

std::string connect_request(proxy const& p, std::string_view authority) {
  std::string r = "CONNECT " + std::string(authority) + " HTTP/1.1\r\nHost: " + std::string(authority) + "\r\n";
  if (!p.authorization.empty()) r += "Proxy-Authorization: " + p.authorization + "\r\n";
  r += "\r\n";
  return r;
}

std::optional<core::error> connect_refusal(proxy const& p, std::string_view authority, std::string_view head) {
  std::string_view status_line = head.substr(0, head.find("\r\n"));
  int status = 0;
  if (status_line.starts_with("HTTP/1.") && status_line.size() >= 12) {
    std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
  }
  if (status >= 200 && status <= 299) return std::nullopt;
  std::string const what = "the proxy " + p.display + " refused CONNECT " + std::string(authority) + " (" +
                           std::string(status_line.empty() ? std::string_view("no status line") : status_line) + ")";
  // 407 is the proxy's "authenticate to me" (RFC 9110 15.5.8); tinyproxy 1.11 answers a CONNECT
  // with wrong credentials 401 instead. Before the tunnel exists nothing but the proxy can answer,
  // so both mean the proxy's credentials.
  if (status == 407 || status == 401)
    return core::make_error(errc::auth_failed, what + (p.authorization.empty()
                                                           ? ": it wants credentials; give them in HTTPS_PROXY as "
                                                             "http://user:password@host:port"
                                                           : ": it does not accept the credentials of HTTPS_PROXY"));
  if (status >= 500 && status <= 599) return core::make_error(errc::network, what);
  return core::make_error(errc::http_status, what);
}

}  // namespace dvsync::http
