// Which names a power cut takes away: those made since their directory was last synced.
#include "unsynced_names.hpp"

#include <gtest/gtest.h>

namespace dvsync::powerloss {
namespace {

using names = std::vector<std::string>;

TEST(unsynced_names, a_name_stays_unsynced_until_its_own_directory_is_synced) {
  unsynced_names u;
  u.created("/db");
  u.created("/state");
  u.created("/state/mirror.db");
  u.directory_synced("/state");
  EXPECT_EQ(u.pending(), (names{"/db", "/state"}));
  u.directory_synced("/");
  EXPECT_EQ(u.pending(), names{});
}

TEST(unsynced_names, removing_a_directory_takes_its_unsynced_entries_with_it) {
  unsynced_names u;
  u.created("/a");
  u.created("/a/x");
  u.created("/a!");
  u.created("/ab/y");
  u.removed("/a");
  EXPECT_EQ(u.pending(), (names{"/a!", "/ab/y"}));
}

TEST(unsynced_names, a_rename_is_durable_but_an_unsynced_name_stays_unsynced_under_its_new_name) {
  unsynced_names u;
  u.created("/tmp1");
  u.created("/old/x");
  u.created("/target");
  u.renamed("/tmp1", "/final");
  u.renamed("/old", "/new");
  u.renamed("/durable", "/target");
  EXPECT_EQ(u.pending(), (names{"/final", "/new/x"}));
}

TEST(unsynced_names, parent_of) {
  EXPECT_EQ(unsynced_names::parent_of("/a"), "/");
  EXPECT_EQ(unsynced_names::parent_of("/a/b/c"), "/a/b");
}

}  // namespace
}  // namespace dvsync::powerloss
