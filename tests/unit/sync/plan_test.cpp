#include "sync/plan.hpp"

#include <gtest/gtest.h>

namespace dvsync::sync {
namespace {

const std::string initial = "https://org/api/data/v9.2/sample_books?$select=sample_name";
const std::string delta = "https://org/api/data/v9.2/sample_books?$select=sample_name&$deltatoken=1%2101";

TEST(make_plan, never_synced_starts_a_full_initial_read) {
  auto p = make_plan({}, initial);
  EXPECT_EQ(p.kind, cycle_kind::full);
  EXPECT_EQ(p.reason, "initial");
  EXPECT_EQ(p.url, initial);
  EXPECT_TRUE(p.begin);
  EXPECT_FALSE(p.resuming);
}

TEST(make_plan, synced_table_gets_the_stored_delta_link_unchanged) {
  remembered s;
  s.delta_link = delta;
  auto p = make_plan(s, initial);
  EXPECT_EQ(p.kind, cycle_kind::delta);
  EXPECT_EQ(p.url, delta);
  EXPECT_TRUE(p.begin);
}

TEST(make_plan, interrupted_cycle_resumes_from_its_cursor_without_clearing_staging) {
  remembered s;
  s.delta_link = delta;
  s.in_progress = cycle_kind::full;
  s.in_progress_reason = "token_expired";
  s.cursor = "https://org/api/data/v9.2/sample_books?$skiptoken=page3";
  auto p = make_plan(s, initial);
  EXPECT_EQ(p.kind, cycle_kind::full);
  EXPECT_EQ(p.reason, "token_expired");
  EXPECT_EQ(p.url, *s.cursor);
  EXPECT_FALSE(p.begin);
  EXPECT_TRUE(p.resuming);
}

TEST(make_plan, cycle_interrupted_before_its_first_page_starts_again) {
  remembered s;
  s.in_progress = cycle_kind::full;
  s.in_progress_reason = "initial";
  auto p = make_plan(s, initial);
  EXPECT_EQ(p.url, initial);
  EXPECT_TRUE(p.begin);
  EXPECT_FALSE(p.resuming);

  s.delta_link = delta;
  s.in_progress = cycle_kind::delta;
  p = make_plan(s, initial);
  EXPECT_EQ(p.kind, cycle_kind::delta);
  EXPECT_EQ(p.url, delta);
}

TEST(make_plan, requested_resync_wins_over_the_delta_link) {
  remembered s;
  s.delta_link = delta;
  s.resync_requested = true;
  s.resync_reason = "manual";
  auto p = make_plan(s, initial);
  EXPECT_EQ(p.kind, cycle_kind::full);
  EXPECT_EQ(p.reason, "manual");
  EXPECT_EQ(p.url, initial);
}

TEST(make_plan, an_interrupted_cycle_finishes_before_a_requested_resync) {
  remembered s;
  s.delta_link = delta;
  s.resync_requested = true;
  s.in_progress = cycle_kind::delta;
  s.in_progress_reason = "delta";
  s.cursor = "https://org/next";
  EXPECT_TRUE(make_plan(s, initial).resuming);
}

TEST(from_the_beginning, a_resumed_full_read_after_an_expired_token_starts_again_as_a_full_read) {
  // The expired token is still the stored link: made again from the state, the cycle would be a
  // delta from it.
  plan running{cycle_kind::full, "token_expired", "https://org/api/data/v9.2/sample_books?$skiptoken=page3", false, true};
  auto p = from_the_beginning(running, delta, initial);
  EXPECT_EQ(p.kind, cycle_kind::full);
  EXPECT_EQ(p.reason, "token_expired");
  EXPECT_EQ(p.url, initial);
  EXPECT_TRUE(p.begin);
  EXPECT_FALSE(p.resuming);
}

TEST(from_the_beginning, a_delta_starts_again_from_the_stored_link) {
  plan running{cycle_kind::delta, "delta", "https://org/api/data/v9.2/sample_books?$skiptoken=d2", false, true};
  auto p = from_the_beginning(running, delta, initial);
  EXPECT_EQ(p.kind, cycle_kind::delta);
  EXPECT_EQ(p.url, delta);
  EXPECT_TRUE(p.begin);
  EXPECT_FALSE(p.resuming);
}

TEST(from_the_beginning, an_initial_read_starts_again_from_the_initial_url) {
  auto p = from_the_beginning({cycle_kind::full, "initial", "https://org/x?$skiptoken=2", false, true}, std::nullopt, initial);
  EXPECT_EQ(p.kind, cycle_kind::full);
  EXPECT_EQ(p.reason, "initial");
  EXPECT_EQ(p.url, initial);
}

}  // namespace
}  // namespace dvsync::sync
