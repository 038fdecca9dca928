#include <gtest/gtest.h>
#include "api/web_api.hpp"
TEST(web_api, constructs) { emulator::web_api api({}); EXPECT_EQ(api.retention_days(), 7); }
