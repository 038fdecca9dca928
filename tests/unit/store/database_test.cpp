#include "store/database.hpp"

#include "migrations.hpp"
#include "store_fixture.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

namespace dvsync::store::test {
namespace {

unsigned mode_of(std::string const& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

using database_test = store_test;

TEST_F(database_test, open_creates_the_directory_0750_and_the_files_0640_in_wal_mode) {
  ::umask(022);
  auto db = open_db();
  ASSERT_TRUE(db.ensure_table(books()));  // a write, so that -wal and -shm exist
  auto dir = std::filesystem::path(db_path()).parent_path().string();
  EXPECT_EQ(mode_of(dir), 0750u);
  EXPECT_EQ(mode_of(db_path()), 0640u);
  EXPECT_EQ(mode_of(db_path() + "-wal"), 0640u);
  EXPECT_EQ(mode_of(db_path() + "-shm"), 0640u);
  auto r = reader();
  EXPECT_EQ(first_text(r, "PRAGMA journal_mode"), "wal");
}

TEST_F(database_test, migrations_are_applied_once_and_keep_the_data) {
  auto latest = schema::migrations().back().version;
  {
    auto db = open_db();
    ASSERT_TRUE(db.ensure_table(books()));
    ASSERT_TRUE(db.record_failure("sample_book", "boom", 5));
  }
  auto again = database::open(settings());
  ASSERT_TRUE(again) << again.error().message;
  auto r = reader();
  EXPECT_EQ(r.query_int("PRAGMA user_version").value(), latest);
  EXPECT_EQ(first_text(r, "SELECT last_error FROM dvsync_table_state"), "boom");
}

TEST_F(database_test, a_database_from_a_newer_dvsync_is_refused) {
  { auto db = open_db(); }
  {
    auto raw = connection::open(db_path(), open_mode::read_write, std::chrono::milliseconds{100}).value();
    ASSERT_TRUE(raw.exec("PRAGMA user_version = 999"));
  }
  auto db = database::open(settings());
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().message.find("newer"), std::string::npos) << db.error().message;
}

TEST_F(database_test, a_second_writer_is_refused_and_told_the_holders_pid) {
  auto first = open_db();
  ASSERT_TRUE(first.acquire_lock());
  ASSERT_TRUE(first.acquire_lock());  // again: still ours

  auto second = open_db();
  auto refused = second.acquire_lock();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::errc::locked);
  EXPECT_NE(refused.error().message.find("pid " + std::to_string(::getpid())), std::string::npos) << refused.error().message;

  first = open_db();  // the old object, and with it the lock, is gone
  EXPECT_TRUE(second.acquire_lock());
  EXPECT_TRUE(std::filesystem::exists(db_path() + "-lock"));
}

TEST_F(database_test, read_only_open_of_a_missing_database_fails_and_creates_nothing) {
  auto db = database::open_read_only(db_path());
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, core::errc::io);
  EXPECT_NE(db.error().message.find("does not exist"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(db_path()).parent_path()));
}

TEST_F(database_test, a_read_only_database_reads_status_and_refuses_writes) {
  {
    auto db = open_db();
    ASSERT_TRUE(db.ensure_table(books()));
  }
  auto ro = database::open_read_only(db_path());
  ASSERT_TRUE(ro) << ro.error().message;
  auto status = ro->read_status(0);
  ASSERT_TRUE(status) << status.error().message;
  ASSERT_EQ(status->size(), 1u);
  EXPECT_EQ((*status)[0].table, "sample_book");
  auto write = ro->record_attempt("sample_book", 1);
  ASSERT_FALSE(write);
  EXPECT_EQ(write.error().code, core::errc::database);
}

TEST_F(database_test, integrity_check_is_ok_after_cycles) {
  auto db = open_db();
  initial_sync(db, {book("a", std::string("A"), "one"), book("b", std::string("B"), "two")});
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "manual"));
  ASSERT_TRUE(db.finish_cycle(books(), upserts({book("a", std::string("A"), "one")}), "link-2", 2000));
  EXPECT_EQ(db.integrity_check().value(), "ok");
}

TEST_F(database_test, checkpoint_truncate_empties_the_wal_but_never_waits_for_a_reader) {
  auto db = open_db();
  initial_sync(db, {book("a", std::string("A"), "one")});
  EXPECT_GT(db.wal_bytes().value(), 0u);

  auto r = reader();
  {
    auto snapshot = transaction::begin_read(r).value();
    EXPECT_EQ(r.query_int("SELECT count(*) FROM sample_book").value(), 1);
    ASSERT_TRUE(db.record_attempt("sample_book", 7));  // a frame the reader's snapshot does not have
    auto busy = db.checkpoint_truncate();
    ASSERT_TRUE(busy) << busy.error().message;
    EXPECT_FALSE(busy->complete);
  }
  auto done = db.checkpoint_truncate();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_TRUE(done->complete);
  EXPECT_EQ(db.wal_bytes().value(), 0u);
  auto const counts = db.checkpoints();
  EXPECT_EQ(counts.complete, 1u);
  EXPECT_EQ(counts.incomplete, 1u);
  EXPECT_EQ(counts.failed, 0u);
  EXPECT_EQ(counts.frames_pending, 0u);
}

}  // namespace
}  // namespace dvsync::store::test
