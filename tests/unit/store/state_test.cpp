#include "store/state.hpp"

#include "store/database.hpp"
#include "store_fixture.hpp"

#include <gtest/gtest.h>

namespace dvsync::store::test {
namespace {

using V = std::vector<std::string>;
using state_test = store_test;

table_status status_of(database& db, std::int64_t now) {
  auto all = db.read_status(now).value();
  if (all.size() != 1) throw std::runtime_error("expected one table");
  return all[0];
}

TEST_F(state_test, a_table_without_state_reads_as_never_synced) {
  auto db = open_db();
  auto s = db.load_state("sample_book");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->table, "sample_book");
  EXPECT_FALSE(s->delta_link);
  EXPECT_FALSE(s->cycle_kind);
  EXPECT_EQ(phase_of(*s), phase::never_synced);
  EXPECT_TRUE(db.read_status(0).value().empty());
}

TEST_F(state_test, status_follows_the_phases_of_a_table) {
  auto db = open_db();
  ASSERT_TRUE(db.ensure_table(books()));
  auto t = status_of(db, 100);
  EXPECT_EQ(t.phase, phase::never_synced);
  EXPECT_STREQ(to_string(t.phase), "never synced");
  EXPECT_EQ(t.entity_set, "sample_books");
  EXPECT_FALSE(t.token_age_s);

  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "initial"));
  ASSERT_TRUE(db.stage_page(books(), upserts({book("a", std::string("X"), "a", 1)}), "next-1"));
  t = status_of(db, 100);
  EXPECT_EQ(t.phase, phase::initial);
  EXPECT_EQ(t.pages_staged, 1);
  EXPECT_EQ(t.rows, 0);

  dataverse::page last = upserts({book("b", std::string("Y"), "b", 1)});
  last.rejects = {{"r", "{}", "no key"}};
  ASSERT_TRUE(db.finish_cycle(books(), last, "link-1", 1000));
  t = status_of(db, 1060);
  EXPECT_EQ(t.phase, phase::idle);
  EXPECT_EQ(t.rows, 2);
  EXPECT_EQ(t.rejects, 1);
  EXPECT_EQ(t.token_age_s, 60);
  EXPECT_EQ(t.last_success_at, 1000);
  EXPECT_EQ(t.last_cycle_upserts, 2);
  EXPECT_EQ(t.last_cycle_rejects, 1);
  EXPECT_EQ(t.last_cycle_pages, 2);

  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  t = status_of(db, 1060);
  EXPECT_EQ(t.phase, phase::resuming);
  EXPECT_EQ(t.cycle_kind, cycle_kind::delta);
  ASSERT_TRUE(db.abandon_cycle(books()));
  EXPECT_EQ(status_of(db, 1060).phase, phase::idle);
}

TEST_F(state_test, phase_of_covers_every_combination_that_can_be_stored) {
  table_state s;
  EXPECT_EQ(phase_of(s), phase::never_synced);
  s.cycle_kind = cycle_kind::full;
  EXPECT_EQ(phase_of(s), phase::initial);
  s.cursor = "next";
  EXPECT_EQ(phase_of(s), phase::initial);
  s.delta_link = "link";
  EXPECT_EQ(phase_of(s), phase::resuming);
  s.cycle_kind = cycle_kind::delta;
  s.cursor.reset();
  EXPECT_EQ(phase_of(s), phase::resuming);
  s.cycle_kind.reset();
  EXPECT_EQ(phase_of(s), phase::idle);
}

TEST_F(state_test, a_recorded_failure_leaves_data_and_link_untouched) {
  auto db = open_db();
  initial_sync(db, {book("a", std::string("X"), "a", 1)});
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.stage_page(books(), deletes({"a"}), "next-1"));
  ASSERT_TRUE(db.record_attempt("sample_book", 1500));
  ASSERT_TRUE(db.record_failure("sample_book", "HTTP 500 from Dataverse", 1501));

  auto s = db.load_state("sample_book").value();
  EXPECT_EQ(s.last_error, "HTTP 500 from Dataverse");
  EXPECT_EQ(s.last_error_at, 1501);
  EXPECT_EQ(s.last_attempt_at, 1500);
  EXPECT_EQ(s.delta_link, "link-1");
  EXPECT_EQ(s.cursor, "next-1");
  EXPECT_EQ(s.pages_staged, 1);
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"X:a:a:1"}));
  EXPECT_EQ(r.query_int("SELECT count(*) FROM dvsync_stage_sample_book").value(), 1);
  EXPECT_EQ(status_of(db, 1600).last_error, "HTTP 500 from Dataverse");

  // The next success clears the error.
  ASSERT_TRUE(db.finish_cycle(books(), {}, "link-2", 1700));
  s = db.load_state("sample_book").value();
  EXPECT_FALSE(s.last_error);
  EXPECT_FALSE(s.last_error_at);
  EXPECT_EQ(mirror_rows(r), V{});
}

TEST_F(state_test, long_failure_messages_are_cut_on_a_character_boundary) {
  auto db = open_db();
  ASSERT_TRUE(db.ensure_table(books()));
  std::string message = "x";                     // so that byte 2000 falls inside a character
  for (int i = 0; i < 1500; ++i) message += "é";  // two bytes each
  ASSERT_TRUE(db.record_failure("sample_book", message, 1));
  auto stored = *db.load_state("sample_book").value().last_error;
  EXPECT_EQ(stored.size(), 1999u);
  EXPECT_EQ(stored, message.substr(0, 1999));
}

TEST_F(state_test, a_failure_without_state_is_an_error) {
  auto db = open_db();
  EXPECT_FALSE(db.record_failure("nowhere", "x", 1));
  EXPECT_FALSE(db.request_resync("nowhere", "manual").value());
}

TEST_F(state_test, a_table_is_known_from_its_first_attempt_so_that_an_early_failure_shows) {
  // A table whose metadata cannot be read fails before its mirror exists: status still shows it.
  auto db = open_db();
  ASSERT_TRUE(db.record_attempt("account", 10));
  ASSERT_TRUE(db.record_failure("account", "change tracking is off", 11));
  auto status = db.read_status(12);
  ASSERT_TRUE(status);
  ASSERT_EQ(status->size(), 1u);
  EXPECT_EQ(status->front().table, "account");
  EXPECT_EQ(status->front().last_error, "change tracking is off");
  // The mirror made later takes the state row over, with its entity set.
  config::table_spec account{"accounts", "account", "accountid", "", {"name"}};
  ASSERT_TRUE(db.ensure_table(account));
  ASSERT_TRUE(db.begin_cycle(account, cycle_kind::full, "initial"));
}

TEST_F(state_test, a_resync_request_survives_a_delta_cycle_and_ends_with_a_full_one) {
  auto db = open_db();
  initial_sync(db, {book("a", std::string("X"), "a", 1)});
  ASSERT_TRUE(db.request_resync("sample_book", "manual").value());
  auto s = db.load_state("sample_book").value();
  EXPECT_TRUE(s.resync_requested);
  EXPECT_EQ(s.resync_reason, "manual");

  // A delta that was already under way when the request came finishes without consuming it.
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.finish_cycle(books(), {}, "link-2", 2000));
  EXPECT_TRUE(db.load_state("sample_book").value().resync_requested);

  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "manual"));
  ASSERT_TRUE(db.finish_cycle(books(), upserts({book("a", std::string("X"), "a", 1)}), "link-3", 3000));
  s = db.load_state("sample_book").value();
  EXPECT_FALSE(s.resync_requested);
  EXPECT_EQ(s.resync_reason, "");
  EXPECT_EQ(s.full_resyncs, 1);
}

TEST_F(state_test, change_retention_is_unknown_until_recorded_then_kept_and_replaced) {
  auto db = open_db();
  EXPECT_FALSE(db.change_retention_days().value());
  ASSERT_TRUE(db.record_change_retention(7, 100));
  EXPECT_EQ(db.change_retention_days().value(), 7);
  ASSERT_TRUE(db.record_change_retention(30, 200));
  EXPECT_EQ(db.change_retention_days().value(), 30);
  EXPECT_FALSE(db.record_change_retention(-1, 300));  // refused by the schema's CHECK
  EXPECT_EQ(db.change_retention_days().value(), 30);
}

}  // namespace
}  // namespace dvsync::store::test
