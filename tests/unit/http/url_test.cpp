#include "http/message.hpp"
#include "http/url.hpp"

#include <gtest/gtest.h>

namespace dvsync::http {
namespace {

TEST(UrlTest, HttpsUrlKeepsItsEncodedPathAndQueryUnchanged) {
  std::string const path_and_query =
      "/api/data/v9.2/accounts?$select=name,accountnumber&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44";
  auto e = parse_url("https://org.crm.dynamics.com" + path_and_query);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_TRUE(e->tls);
  EXPECT_EQ(e->host, "org.crm.dynamics.com");
  EXPECT_FALSE(e->host_is_ip);
  EXPECT_EQ(e->port, 443);
  EXPECT_EQ(e->target, path_and_query);
}

TEST(UrlTest, PlainHttpWithPortAndNoPath) {
  auto e = parse_url("http://127.0.0.1:8080");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_FALSE(e->tls);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_TRUE(e->host_is_ip);
  EXPECT_EQ(e->port, 8080);
  EXPECT_EQ(e->target, "/");
  EXPECT_EQ(parse_url("http://localhost")->port, 80);
}

TEST(UrlTest, Ipv6HostLosesItsBracketsButHostHeaderKeepsThem) {
  auto e = parse_url("http://[::1]:9000/x");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->host, "::1");
  EXPECT_TRUE(e->host_is_ip);
  EXPECT_EQ(host_header(*e), "[::1]:9000");
  EXPECT_EQ(origin(*e), "http://[::1]:9000");
}

TEST(UrlTest, FragmentIsNotSent) {
  auto e = parse_url("https://h.example/p?q=1#frag");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->target, "/p?q=1");
}

TEST(UrlTest, HostHeaderOmitsTheDefaultPort) {
  EXPECT_EQ(host_header(*parse_url("https://h.example:443/")), "h.example");
  EXPECT_EQ(host_header(*parse_url("https://h.example:8443/")), "h.example:8443");
  EXPECT_EQ(host_header(*parse_url("http://h.example:80/")), "h.example");
}

TEST(UrlTest, OriginSeparatesSchemesAndPorts) {
  EXPECT_EQ(origin(*parse_url("https://h.example/a")), "https://h.example:443");
  EXPECT_EQ(origin(*parse_url("https://h.example/a")), origin(*parse_url("https://h.example:443/b?c")));
  EXPECT_NE(origin(*parse_url("https://h.example/")), origin(*parse_url("http://h.example/")));
  EXPECT_NE(origin(*parse_url("https://h.example/")), origin(*parse_url("https://h.example:8443/")));
}

TEST(UrlTest, UnusableUrlsAreProtocolErrors) {
  for (auto const* bad : {"ftp://h.example/", "https://user:pw@h.example/", "/relative/path", "https://",
                          "https://h.example:0/", "not a url", "https://h.example/a b"}) {
    auto e = parse_url(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().code, core::errc::protocol) << bad;
  }
}

TEST(UrlTest, FormEncodingEscapesEverythingButUnreserved) {
  EXPECT_EQ(form_encode({{"grant_type", "client_credentials"}, {"client_secret", "a+b c&d=e/~%"}}),
            "grant_type=client_credentials&client_secret=a%2Bb+c%26d%3De%2F~%25");
  EXPECT_EQ(form_encode({{"scope", "https://org.crm.dynamics.com/.default"}}),
            "scope=https%3A%2F%2Forg.crm.dynamics.com%2F.default");
  EXPECT_EQ(form_encode({{"k", "\xc3\xa9"}}), "k=%C3%A9");
  EXPECT_EQ(form_encode({}), "");
}

TEST(MessageTest, HeaderLookupIgnoresCase) {
  response r;
  r.headers = {{"Content-Type", "application/json"}, {"retry-after", "7"}, {"Retry-After", "9"}};
  ASSERT_TRUE(r.header("RETRY-AFTER"));
  EXPECT_EQ(*r.header("RETRY-AFTER"), "7");
  EXPECT_EQ(*r.header("content-type"), "application/json");
  EXPECT_FALSE(r.header("Content-Length"));
  EXPECT_FALSE(r.header("Content-Typ"));
  EXPECT_TRUE(iequals("OData-Version", "odata-version"));
  EXPECT_FALSE(iequals("OData-Version", "OData-Versions"));
}

}  // namespace
}  // namespace dvsync::http
