#pragma once
// An HTTPS proxy, for networks that reach Dataverse and Entra ID only through one. An https://
// request goes through an HTTP CONNECT tunnel (RFC 9110 section 9.3.6): the proxy relays bytes,
// and TLS runs end to end with the origin server, whose certificate and host name are verified as
// without a proxy. http:// requests (loopback only: the emulator) never use the proxy.
// Where the proxy comes from: the configuration's proxy.url, else HTTPS_PROXY or https_proxy;
// hosts to reach directly: proxy.no_proxy, else NO_PROXY or no_proxy. Credentials in the proxy
// URL (http://user:password@host:port) become a Proxy-Authorization: Basic header and never
// appear in a message or a log line.
#include "core/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dvsync::http {

struct proxy {
  std::string host;             // without IPv6 brackets
  std::uint16_t port = 0;
  std::string authorization;    // "Basic <base64 of user:password>", or empty: a credential, never log
  std::string display;          // "http://host:port": what messages and logs may show
};

struct proxy_settings {
  std::optional<proxy> https;
  std::vector<std::string> no_proxy;  // lower case, without leading dots or ports; "*" = every host
};

// The environment variables, read once (from_process) or given by tests.
struct proxy_environment {
  std::optional<std::string> https_proxy;  // https_proxy, else HTTPS_PROXY
  std::optional<std::string> no_proxy;     // no_proxy, else NO_PROXY

  static proxy_environment from_process();
};

// http://[user[:password]@]host[:port][/]; no scheme means http://, no port means 1080 (as curl).
// errc::config_invalid for another scheme (a TLS connection to the proxy itself is not supported),
// no host, a bad port, or a path; the message shows the URL without its credentials.
core::result<proxy> parse_proxy_url(std::string_view url);

// A comma-separated NO_PROXY list as curl reads it: entries are host names, domains (a leading
// dot is optional: "example.com" covers www.example.com too) or IP addresses; "*" covers every
// host; a ":port" suffix is ignored.
std::vector<std::string> parse_no_proxy(std::string_view list);

// The configuration's values (empty when not set) win over the environment's.
core::result<proxy_settings> resolve_proxy(std::string const& configured_url, std::optional<std::string> const& configured_no_proxy,
                                           proxy_environment const& env);

// Whether `host` is reached directly under `no_proxy` (host compared case-insensitively).
bool bypasses_proxy(std::vector<std::string> const& no_proxy, std::string_view host);

// The CONNECT request head for `authority` ("host:port", IPv6 hosts in brackets).
std::string connect_request(proxy const& p, std::string_view authority);

// The proxy's answer to CONNECT (its head, up to the blank line): nothing for 2xx; otherwise
// errc::auth_failed for 407 (and 401, tinyproxy's answer), errc::network for 5xx (the proxy could not reach the server, or is
// overloaded: transient), errc::http_status for the rest (the proxy forbids it), each naming the
// proxy and its status line.
std::optional<core::error> connect_refusal(proxy const& p, std::string_view authority, std::string_view head);

}  // namespace dvsync::http
