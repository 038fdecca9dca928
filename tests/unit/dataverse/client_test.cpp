#include "dataverse/client.hpp"

#include <gtest/gtest.h>

namespace dvsync::dataverse {
namespace {

using namespace std::chrono_literals;

TEST(ClientOptionsTest, ComeFromTheConfiguration) {
  config::settings s;
  s.dataverse.url = "https://contoso.crm.dynamics.com/";
  s.dataverse.api_version = "9.1";
  s.sync.page_size = 250;
  s.sync.max_attempts = 9;
  s.sync.backoff_base = 2s;
  s.sync.backoff_cap = 90s;
  s.sync.retry_after_cap = 120s;
  std::stop_source stop;
  auto const o = make_client_options(s, stop.get_token());
  EXPECT_EQ(o.api_root, "https://contoso.crm.dynamics.com/api/data/v9.1");
  EXPECT_EQ(o.page_size, 250);
  EXPECT_EQ(o.max_attempts, 9);
  EXPECT_EQ(o.backoff_base, 2s);
  EXPECT_EQ(o.backoff_cap, 90s);
  EXPECT_EQ(o.retry_after_cap, 120s);
  EXPECT_FALSE(o.sleep);
  EXPECT_FALSE(o.stop.stop_requested());
  stop.request_stop();
  EXPECT_TRUE(o.stop.stop_requested());
}

}  // namespace
}  // namespace dvsync::dataverse

namespace dvsync::dataverse {
namespace {

TEST(RowsPerPage, AWideTableAsksForFewerRowsSoThatAPageHoldsAboutAsManyValues) {
  client_options o;  // page_size 5000, 100,000 values a page
  EXPECT_EQ(rows_per_page(o, 0), 5000) << "unknown width: the configured size";
  EXPECT_EQ(rows_per_page(o, 5), 5000) << "sample_book's rows fit";
  EXPECT_EQ(rows_per_page(o, 20), 5000);
  EXPECT_EQ(rows_per_page(o, 79), 1265) << "a 77-column mirror row with its id and version";
  EXPECT_EQ(rows_per_page(o, 100000), 100) << "never below 100 rows";
  o.page_size = 50;
  EXPECT_EQ(rows_per_page(o, 100000), 50) << "nor above the configured size";
}

}  // namespace
}  // namespace dvsync::dataverse
