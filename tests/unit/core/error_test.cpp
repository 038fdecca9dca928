#include "core/error.hpp"

#include <gtest/gtest.h>

namespace dvsync::core {
namespace {

TEST(errc, starts_at_one_so_no_error_tests_false) { EXPECT_EQ(static_cast<int>(errc::config_invalid), 1); }

TEST(errc, only_transport_throttling_and_full_disk_are_transient) {
  EXPECT_TRUE(is_transient(errc::network));
  EXPECT_TRUE(is_transient(errc::timeout));
  EXPECT_TRUE(is_transient(errc::throttled));
  EXPECT_TRUE(is_transient(errc::server_busy));
  EXPECT_FALSE(is_transient(errc::token_expired));
  EXPECT_FALSE(is_transient(errc::tls_verify));
  EXPECT_FALSE(is_transient(errc::protocol));
}

TEST(result, carries_our_error_and_throws_a_readable_exception_on_value) {
  result<int> r = make_error(errc::protocol, "page has no value array");
  ASSERT_TRUE(r.has_error());
  EXPECT_EQ(r.error().code, errc::protocol);
  EXPECT_THROW((void)r.value(), std::runtime_error);
}

}  // namespace
}  // namespace dvsync::core
