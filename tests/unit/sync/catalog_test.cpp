#include "sync/catalog.hpp"

#include <gtest/gtest.h>

namespace dvsync::sync {
namespace {

using namespace std::chrono_literals;

// Labels are read at start and daily: a refresh set longer than a day is cut to a day, a shorter
// one is kept as it is.
TEST(MetadataRefreshTest, IsAtMostADayWhateverTheSetting) {
  EXPECT_EQ(metadata_refresh_period(3600s), 3600s);
  EXPECT_EQ(metadata_refresh_period(1s), 1s);
  EXPECT_EQ(metadata_refresh_period(86400s), 86400s);
  EXPECT_EQ(metadata_refresh_period(86401s), 86400s);
  EXPECT_EQ(metadata_refresh_period(30 * 86400s), 86400s);
  EXPECT_EQ(metadata_refresh_period(0s), 0s) << "discover reads every time";
}

}  // namespace
}  // namespace dvsync::sync
