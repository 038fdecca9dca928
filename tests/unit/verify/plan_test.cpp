#include "verify/plan.hpp"

#include <gtest/gtest.h>

namespace dvsync::verify {
namespace {

using store::fix_action;

fix_inputs drift_of(std::int64_t rows, std::int64_t of) {
  fix_inputs in;
  in.drifted = rows;
  in.source_rows = of;
  in.lock_held = true;
  return in;
}

TEST(repair_limit, is_a_tenth_of_the_table_between_10_and_1000_rows) {
  EXPECT_EQ(repair_limit(0), 10);
  EXPECT_EQ(repair_limit(20), 10);
  EXPECT_EQ(repair_limit(5'000), 500);
  EXPECT_EQ(repair_limit(1'000'000), 1000);
}

TEST(decide_fix, repairs_small_drift_by_id) {
  auto d = decide_fix(drift_of(3, 20));
  EXPECT_EQ(d.action, fix_action::repaired);
  EXPECT_EQ(decide_fix(drift_of(10, 20)).action, fix_action::repaired);
}

TEST(decide_fix, nothing_without_drift) { EXPECT_EQ(decide_fix(drift_of(0, 20)).action, fix_action::none); }

TEST(decide_fix, large_drift_is_a_full_resync_saying_so) {
  auto d = decide_fix(drift_of(11, 20));
  EXPECT_EQ(d.action, fix_action::resync_requested);
  EXPECT_NE(d.reason.find("11 rows drifted, more than the 10"), std::string::npos) << d.reason;
}

TEST(decide_fix, without_the_writer_lock_it_asks_the_daemon_for_a_full_resync) {
  auto in = drift_of(1, 1000);
  in.lock_held = false;
  in.lock_problem = "database is locked by another dvsync (pid 42)";
  auto d = decide_fix(in);
  EXPECT_EQ(d.action, fix_action::resync_requested);
  EXPECT_NE(d.reason.find("pid 42"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("running daemon"), std::string::npos) << d.reason;
}

TEST(decide_fix, a_pending_full_resync_comes_first_and_needs_nothing_more) {
  auto in = drift_of(500, 1000);
  in.lock_held = false;
  in.full_resync_pending = true;
  in.full_resync_reason = "a full resync (manual) is requested";
  auto d = decide_fix(in);
  EXPECT_EQ(d.action, fix_action::resync_pending);
  EXPECT_NE(d.reason.find("(manual)"), std::string::npos) << d.reason;
}

TEST(decide_fix, a_mirror_with_other_columns_is_rebuilt_not_patched) {
  auto in = drift_of(1, 1000);
  in.columns_match = false;
  EXPECT_EQ(decide_fix(in).action, fix_action::resync_requested);
}

}  // namespace
}  // namespace dvsync::verify
