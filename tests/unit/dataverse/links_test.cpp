#include "dataverse/links.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace dvsync::dataverse {
namespace {

constexpr std::string_view org = "https://contoso.crm.dynamics.com";
constexpr std::string_view token = "$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44";

std::string delta_link(std::string_view origin) {
  return std::string(origin) + "/api/data/v9.2/sample_books?$select=sample_name,sample_bookcode&" + std::string(token);
}

void expect_rejected(std::string_view link, std::string_view base, std::string_view host_in_message = "") {
  auto r = check_link(link, base);
  ASSERT_FALSE(r) << link;
  EXPECT_EQ(r.error().code, core::errc::link_rejected);
  // The message may name the host, never the token.
  EXPECT_EQ(r.error().message.find("deltatoken"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("919042"), std::string::npos) << r.error().message;
  if (!host_in_message.empty()) {
    EXPECT_NE(r.error().message.find(host_in_message), std::string::npos) << r.error().message;
  }
}

TEST(Links, SameOriginIsAccepted) {
  EXPECT_TRUE(check_link(delta_link(org), org));
  EXPECT_TRUE(check_link(delta_link("https://CONTOSO.crm.Dynamics.com"), org));
  EXPECT_TRUE(check_link(delta_link("HTTPS://contoso.crm.dynamics.com"), org));
  EXPECT_TRUE(check_link(delta_link("https://contoso.crm.dynamics.com:443"), org));
  EXPECT_TRUE(check_link(delta_link(org), "https://contoso.crm.dynamics.com:443"));
  EXPECT_TRUE(check_link("https://contoso.crm.dynamics.com/api/data/v9.2/contacts?$skiptoken=%3Ccookie%20pagenumber=%222%22", org));
}

TEST(Links, OtherHostIsRejected) {
  expect_rejected(delta_link("https://evil.example.com"), org, "evil.example.com");
  expect_rejected(delta_link("https://contoso.crm.dynamics.com.evil.example.com"), org, "evil.example.com");
  expect_rejected(delta_link("https://fabrikam.crm.dynamics.com"), org, "fabrikam");
  expect_rejected(delta_link("https://contoso.crm.dynamics.com@evil.example.com"), org);
  expect_rejected(delta_link("https://user:pass@contoso.crm.dynamics.com"), org);
}

TEST(Links, OtherPortOrSchemeIsRejected) {
  expect_rejected(delta_link("https://contoso.crm.dynamics.com:8443"), org, "contoso.crm.dynamics.com");
  expect_rejected(delta_link("http://contoso.crm.dynamics.com"), org, "contoso.crm.dynamics.com");
  expect_rejected(delta_link("http://contoso.crm.dynamics.com:443"), org);
  expect_rejected(delta_link("https://127.0.0.1:8080"), "http://127.0.0.1:8080");
  expect_rejected(delta_link("http://127.0.0.1"), "http://127.0.0.1:8080");
  expect_rejected(delta_link("http://127.0.0.1:99999"), "http://127.0.0.1:8080");
  expect_rejected(delta_link("ftp://contoso.crm.dynamics.com"), org);
}

TEST(Links, OtherPathIsRejected) {
  expect_rejected("https://contoso.crm.dynamics.com/api/other/v9.2/sample_books?" + std::string(token), org);
  expect_rejected("https://contoso.crm.dynamics.com/?" + std::string(token), org);
  expect_rejected("https://contoso.crm.dynamics.com/API/DATA/v9.2/x?" + std::string(token), org);
  expect_rejected("https://contoso.crm.dynamics.com/api/data?" + std::string(token), org);
  expect_rejected("https://contoso.crm.dynamics.com/api/data/../../oauth?" + std::string(token), org);
  expect_rejected("https://contoso.crm.dynamics.com/xapi/data/v9.2/x?" + std::string(token), org);
}

TEST(Links, RelativeOrMalformedLinksAreRejected) {
  expect_rejected("/api/data/v9.2/sample_books?" + std::string(token), org);
  expect_rejected("api/data/v9.2/sample_books?" + std::string(token), org);
  expect_rejected("//contoso.crm.dynamics.com/api/data/v9.2/sample_books?" + std::string(token), org);
  expect_rejected("", org);
  expect_rejected("https://contoso.crm.dynamics.com/api/data/v9.2/x y?" + std::string(token), org);
  // Boost.URL 1.81 would read this as host 127.0.0.1 with path ".evil.example.com:8080/api/data/...".
  expect_rejected(delta_link("http://127.0.0.1.evil.example.com:8080"), "http://127.0.0.1:8080");
}

TEST(Links, LoopbackOrigins) {
  EXPECT_TRUE(check_link(delta_link("http://127.0.0.1:8080"), "http://127.0.0.1:8080"));
  EXPECT_TRUE(check_link(delta_link("http://localhost:8080"), "http://LocalHost:8080"));
  expect_rejected(delta_link("http://127.0.0.2:8080"), "http://127.0.0.1:8080");
  expect_rejected(delta_link("http://localhost:8080"), "http://127.0.0.1:8080");
}

TEST(Links, Ipv6Loopback) {
  EXPECT_TRUE(check_link(delta_link("http://[::1]:8080"), "http://[::1]:8080"));
  EXPECT_TRUE(check_link(delta_link("http://[0:0:0:0:0:0:0:1]:8080"), "http://[::1]:8080"));
  expect_rejected(delta_link("http://[::2]:8080"), "http://[::1]:8080");
  expect_rejected(delta_link("http://[::1]:8081"), "http://[::1]:8080");
  expect_rejected(delta_link("http://[::1]"), "http://[::1]:8080");
  expect_rejected(delta_link("http://127.0.0.1:8080"), "http://[::1]:8080");
}

TEST(Links, ConfiguredPathPrefix) {
  EXPECT_TRUE(check_link(delta_link("https://proxy.example.com/org1"), "https://proxy.example.com/org1"));
  expect_rejected(delta_link("https://proxy.example.com/org2"), "https://proxy.example.com/org1");
  expect_rejected(delta_link("https://proxy.example.com"), "https://proxy.example.com/org1");
}

TEST(Links, InitialUrl) {
  config::dataverse_settings dataverse{std::string(org), "9.2"};
  config::table_spec book{"sample_books", "sample_book", "sample_bookid", "sample_bookcode",
                          {"sample_name", "sample_bookcode", "sample_author"}};
  std::string url = initial_url(dataverse, book);
  EXPECT_EQ(url,
            "https://contoso.crm.dynamics.com/api/data/v9.2/sample_books?$select=sample_name,sample_bookcode,sample_author");
  EXPECT_TRUE(check_link(url, org));

  config::dataverse_settings emulator{"http://[::1]:8080", "9.0"};
  config::table_spec one{"accounts", "account", "accountid", "name", {"name"}};
  url = initial_url(emulator, one);
  EXPECT_EQ(url, "http://[::1]:8080/api/data/v9.0/accounts?$select=name");
  EXPECT_TRUE(check_link(url, emulator.url));
}

TEST(Links, VerifyReadsIdsAndVersionsAndRowsByTheirGuidOnly) {
  config::dataverse_settings dataverse{"https://contoso.crm.dynamics.com", "9.2"};
  config::table_spec book{"sample_books", "sample_book", "sample_bookid", "sample_bookcode",
                          {"sample_name", "sample_bookcode", "sample_author"}};
  EXPECT_EQ(versions_url(dataverse, book),
            "https://contoso.crm.dynamics.com/api/data/v9.2/sample_books?$select=sample_bookid,versionnumber");
  std::string const id = "2f4a3c4e-1d55-4c1e-9a43-0d1c3c9b8e11";
  EXPECT_TRUE(is_row_id(id));
  EXPECT_EQ(row_url(dataverse, book, id),
            "https://contoso.crm.dynamics.com/api/data/v9.2/sample_books(2f4a3c4e-1d55-4c1e-9a43-0d1c3c9b8e11)"
            "?$select=sample_name,sample_bookcode,sample_author");
  EXPECT_TRUE(check_link(row_url(dataverse, book, id), dataverse.url));
  // Ids put into a mirror by hand never reach a URL.
  for (std::string bad : {"2F4A3C4E-1D55-4C1E-9A43-0D1C3C9B8E11", "2f4a3c4e-1d55-4c1e-9a43-0d1c3c9b8e1",
                          "2f4a3c4e-1d55-4c1e-9a43-0d1c3c9b8e11)/x", "2f4a3c4e+1d55-4c1e-9a43-0d1c3c9b8e11", "",
                          "../../../accounts(2f4a3c4e-1d55-4c1e)"}) {
    EXPECT_FALSE(is_row_id(bad)) << bad;
    EXPECT_THROW(row_url(dataverse, book, bad), std::invalid_argument) << bad;
  }
}

page linking(std::optional<std::string> next, std::optional<std::string> delta = std::nullopt) {
  page p;
  p.next_link = std::move(next);
  p.delta_link = std::move(delta);
  return p;
}

std::string books_page(int n) {
  return std::string(org) + "/api/data/v9.2/sample_books?$skiptoken=%3Ccookie%20pagenumber=%22" + std::to_string(n) + "%22";
}

TEST(LinkGuard, PagesThatMoveOnPass) {
  link_guard guard(std::string(org), books_page(1));
  EXPECT_TRUE(guard.check(linking(books_page(2))));
  EXPECT_TRUE(guard.check(linking(books_page(3))));
  EXPECT_TRUE(guard.check(linking(std::nullopt, delta_link(org))));
}

TEST(LinkGuard, ANextLinkSeenBeforeInTheCycleIsALoop) {
  link_guard guard(std::string(org), books_page(1));
  ASSERT_TRUE(guard.check(linking(books_page(2))));
  ASSERT_TRUE(guard.check(linking(books_page(3))));
  auto r = guard.check(linking(books_page(2)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::errc::protocol);
  EXPECT_EQ(r.error().message, "the @odata.nextLink of page 3 leads back to page 2 of this cycle: the server pages in a loop");

  link_guard same(std::string(org), books_page(1));
  r = same.check(linking(books_page(1)));  // a page that links to itself
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("page 1 leads back to page 1"), std::string::npos) << r.error().message;
}

TEST(LinkGuard, EveryLinkIsCheckedForItsOrigin) {
  link_guard guard(std::string(org), books_page(1));
  EXPECT_EQ(guard.check(linking("https://evil.example.com/api/data/v9.2/sample_books")).error().code, core::errc::link_rejected);
  EXPECT_EQ(guard.check(linking(std::nullopt, delta_link("http://contoso.crm.dynamics.com"))).error().code,
            core::errc::link_rejected);
}

}  // namespace
}  // namespace dvsync::dataverse
