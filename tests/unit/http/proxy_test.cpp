// The pure half of the HTTPS proxy: proxy URLs (credentials into a Basic header, never into what
// may be shown), NO_PROXY lists as curl reads them, precedence of the configuration over the
// environment, the CONNECT request, and what each answer to it means.
#include "http/proxy.hpp"

#include <gtest/gtest.h>

namespace dvsync::http {
namespace {

TEST(proxy_url, host_port_and_default_scheme_and_port) {
  auto p = parse_proxy_url("http://proxy.corp.example:3128");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->host, "proxy.corp.example");
  EXPECT_EQ(p->port, 3128);
  EXPECT_EQ(p->authorization, "");
  EXPECT_EQ(p->display, "http://proxy.corp.example:3128");
  auto bare = parse_proxy_url(" proxy:8080/ ");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->display, "http://proxy:8080");
  EXPECT_EQ(parse_proxy_url("http://proxy")->port, 1080);  // curl's default
  auto v6 = parse_proxy_url("http://[::1]:3128");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->display, "http://[::1]:3128");
}

TEST(proxy_url, credentials_become_a_basic_header_and_stay_out_of_the_display) {
  // RFC 7617 section 2's example.
  auto p = parse_proxy_url("http://Aladdin:open%20sesame@proxy:3128");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->authorization, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(p->display, "http://proxy:3128");
  // A password may hold '@' (escaped or not: the last '@' ends the user information).
  auto at = parse_proxy_url("http://user:p@ss@proxy:3128");
  ASSERT_TRUE(at);
  EXPECT_EQ(at->host, "proxy");
  EXPECT_EQ(at->authorization, "Basic dXNlcjpwQHNz");
}

TEST(proxy_url, refusals_never_show_the_credentials) {
  for (auto const* url : {"https://user:hunter2@proxy:3128", "socks5://user:hunter2@proxy:1080",
                          "http://user:hunter2@proxy:99999", "http://user:hunter2@:3128",
                          "http://user:hunter2@proxy:3128/path", "http://user:hunt%zzer2@proxy:3128"}) {
    auto p = parse_proxy_url(url);
    ASSERT_FALSE(p) << url;
    EXPECT_EQ(p.error().code, core::errc::config_invalid);
    EXPECT_EQ(p.error().message.find("hunter2"), std::string::npos) << p.error().message;
    EXPECT_EQ(p.error().message.find("hunt%zz"), std::string::npos) << p.error().message;
  }
}

TEST(no_proxy, entries_are_hosts_domains_and_addresses_as_curl_reads_them) {
  auto list = parse_no_proxy(" .corp.example, localhost ,10.1.2.3, Internal.Example:8443, [::1]:443, ,*x");
  EXPECT_EQ(list, (std::vector<std::string>{"corp.example", "localhost", "10.1.2.3", "internal.example", "::1", "*x"}));
  EXPECT_TRUE(bypasses_proxy(list, "corp.example"));
  EXPECT_TRUE(bypasses_proxy(list, "login.CORP.example"));
  EXPECT_FALSE(bypasses_proxy(list, "notcorp.example"));
  EXPECT_TRUE(bypasses_proxy(list, "localhost"));
  EXPECT_TRUE(bypasses_proxy(list, "10.1.2.3"));
  EXPECT_FALSE(bypasses_proxy(list, "10.1.2.30"));
  EXPECT_TRUE(bypasses_proxy(list, "::1"));
  EXPECT_FALSE(bypasses_proxy(list, "contoso.crm.dynamics.com"));
  EXPECT_TRUE(bypasses_proxy(parse_no_proxy("*"), "contoso.crm.dynamics.com"));
  EXPECT_FALSE(bypasses_proxy(parse_no_proxy(""), "localhost"));
}

TEST(resolve_proxy, the_configuration_wins_over_the_environment) {
  proxy_environment env{"http://u:p@env-proxy:3128", "env.example"};
  auto from_env = resolve_proxy("", std::nullopt, env);
  ASSERT_TRUE(from_env);
  EXPECT_EQ(from_env->https->display, "http://env-proxy:3128");
  EXPECT_FALSE(from_env->https->authorization.empty());
  EXPECT_TRUE(bypasses_proxy(from_env->no_proxy, "www.env.example"));

  auto configured = resolve_proxy("http://file-proxy:8080", std::string(""), env);
  ASSERT_TRUE(configured);
  EXPECT_EQ(configured->https->display, "http://file-proxy:8080");
  EXPECT_TRUE(configured->https->authorization.empty());
  EXPECT_TRUE(configured->no_proxy.empty());  // "" in the file turns NO_PROXY off

  auto none = resolve_proxy("", std::nullopt, {});
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->https);
  EXPECT_FALSE(resolve_proxy("", std::nullopt, proxy_environment{"ftp://proxy", std::nullopt}));
}

TEST(connect_request, names_the_authority_twice_and_carries_the_credentials) {
  auto p = *parse_proxy_url("http://Aladdin:open%20sesame@proxy:3128");
  EXPECT_EQ(connect_request(p, "contoso.crm.dynamics.com:443"),
            "CONNECT contoso.crm.dynamics.com:443 HTTP/1.1\r\nHost: contoso.crm.dynamics.com:443\r\n"
            "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n");
  EXPECT_EQ(connect_request(*parse_proxy_url("proxy:3128"), "[::1]:443"),
            "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n");
}

TEST(connect_refusal, success_auth_outage_and_prohibition_mean_different_things) {
  auto anonymous = *parse_proxy_url("http://proxy:3128");
  auto with_credentials = *parse_proxy_url("http://u:secret-word@proxy:3128");
  EXPECT_FALSE(connect_refusal(anonymous, "h:443", "HTTP/1.1 200 Connection established\r\n\r\n"));
  EXPECT_FALSE(connect_refusal(anonymous, "h:443", "HTTP/1.0 200 OK\r\nProxy-agent: x\r\n\r\n"));

  auto wants = connect_refusal(anonymous, "h:443", "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
  ASSERT_TRUE(wants);
  EXPECT_EQ(wants->code, core::errc::auth_failed);
  EXPECT_NE(wants->message.find("give them in HTTPS_PROXY"), std::string::npos) << wants->message;
  auto refused = connect_refusal(with_credentials, "h:443", "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->message.find("does not accept the credentials"), std::string::npos);
  EXPECT_EQ(refused->message.find("secret-word"), std::string::npos);
  // tinyproxy 1.11 says 401 to a CONNECT with wrong credentials: the proxy's credentials all the same.
  auto tinyproxy = connect_refusal(with_credentials, "h:443", "HTTP/1.0 401 Unauthorized\r\n\r\n");
  ASSERT_TRUE(tinyproxy);
  EXPECT_EQ(tinyproxy->code, core::errc::auth_failed);

  auto outage = connect_refusal(anonymous, "h:443", "HTTP/1.1 502 Bad Gateway\r\n\r\n");
  ASSERT_TRUE(outage);
  EXPECT_EQ(outage->code, core::errc::network);
  EXPECT_TRUE(core::is_transient(outage->code));
  auto forbidden = connect_refusal(anonymous, "h:443", "HTTP/1.1 403 Forbidden\r\n\r\n");
  ASSERT_TRUE(forbidden);
  EXPECT_EQ(forbidden->code, core::errc::http_status);
  EXPECT_NE(forbidden->message.find("the proxy http://proxy:3128 refused CONNECT h:443 (HTTP/1.1 403 Forbidden)"),
            std::string::npos)
      << forbidden->message;
  EXPECT_TRUE(connect_refusal(anonymous, "h:443", "garbage\r\n\r\n"));
}

}  // namespace
}  // namespace dvsync::http
