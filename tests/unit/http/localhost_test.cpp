#include "http/localhost.hpp"

#include <gtest/gtest.h>

namespace dvsync::http {
namespace {

std::vector<std::string> const loopback{"127.0.0.1", "::1"};

TEST(LocalhostTest, LocalhostAndNamesUnderItAreTheLoopbackAddresses) {
  for (std::string_view host : {"localhost", "LocalHost", "localhost.", "emulator.localhost", "a.b.LOCALHOST",
                                "dvsync-test.localhost."}) {
    EXPECT_EQ(localhost_addresses(host), loopback) << host;
  }
}

TEST(LocalhostTest, OtherNamesAreLeftToTheResolver) {
  for (std::string_view host : {"", ".", "localhost.example.com", "notlocalhost", "localhost-1", ".localhost",
                                "a..localhost", "localhost..", "127.0.0.1", "::1", "org.crm.dynamics.com"}) {
    EXPECT_TRUE(localhost_addresses(host).empty()) << host;
  }
}

}  // namespace
}  // namespace dvsync::http
