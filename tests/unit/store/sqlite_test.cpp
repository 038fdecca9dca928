#include "store/sqlite.hpp"

#include "store_fixture.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

namespace dvsync::store::test {
namespace {

class sqlite_test : public ::testing::Test {
 protected:
  connection open() {
    auto path = (dir_.path() / "t.db").string();
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0600);
    ::close(fd);
    return connection::open(path, open_mode::read_write, std::chrono::milliseconds{100}).value();
  }
  temp_dir dir_;
};

TEST_F(sqlite_test, read_write_open_never_creates_the_file) {
  auto path = (dir_.path() / "missing.db").string();
  auto c = connection::open(path, open_mode::read_write, std::chrono::milliseconds{100});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, core::errc::database);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(sqlite_test, errors_carry_the_sqlite_message) {
  auto c = open();
  auto st = c.prepare("SELEC 1");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, core::errc::database);
  EXPECT_NE(st.error().message.find("syntax error"), std::string::npos) << st.error().message;

  ASSERT_TRUE(c.exec("CREATE TABLE t (k TEXT PRIMARY KEY)"));
  auto ins = c.prepare("INSERT INTO t VALUES (?1)").value();
  ins.bind_text(1, std::string_view("a"));
  ASSERT_TRUE(ins.run());
  ins.bind_text(1, std::string_view("a"));
  auto dup = ins.run();
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("UNIQUE constraint failed: t.k"), std::string::npos) << dup.error().message;
  // The statement was reset by the failure and can be used again.
  ins.bind_text(1, std::string_view("b"));
  EXPECT_TRUE(ins.run());
}

TEST_F(sqlite_test, a_full_database_is_reported_as_database_full) {
  auto c = open();
  ASSERT_TRUE(c.exec("CREATE TABLE t (v BLOB); PRAGMA max_page_count = 8"));
  auto r = c.exec("INSERT INTO t SELECT zeroblob(4096) FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 "
                  "UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8)");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::errc::database_full) << r.error().message;
  EXPECT_TRUE(core::is_transient(r.error().code));
}

TEST_F(sqlite_test, a_transaction_rolls_back_unless_committed) {
  auto c = open();
  ASSERT_TRUE(c.exec("CREATE TABLE t (v INTEGER)"));
  {
    auto tx = transaction::begin_write(c).value();
    ASSERT_TRUE(c.exec("INSERT INTO t VALUES (1)"));
  }
  EXPECT_EQ(c.query_int("SELECT count(*) FROM t").value(), 0);
  {
    auto tx = transaction::begin_write(c).value();
    ASSERT_TRUE(c.exec("INSERT INTO t VALUES (2)"));
    ASSERT_TRUE(tx.commit());
  }
  EXPECT_EQ(c.query_int("SELECT sum(v) FROM t").value(), 2);
}

TEST_F(sqlite_test, values_keep_their_json_type_in_untyped_columns) {
  auto c = open();
  ASSERT_TRUE(c.exec("CREATE TABLE t (n INTEGER PRIMARY KEY, v)"));
  auto ins = c.prepare("INSERT INTO t VALUES (?1, ?2)").value();
  std::vector<dataverse::value_view> values = {dataverse::value_view{}, dataverse::value_view{std::int64_t{42}},
                                               dataverse::value_view{2.5}, dataverse::value_view{std::string_view("007")}};
  for (std::size_t i = 0; i < values.size(); ++i) {
    ins.bind_int(1, static_cast<std::int64_t>(i));
    ins.bind_value(2, values[i]);
    ASSERT_TRUE(ins.run());
  }
  EXPECT_EQ(c.query_text("SELECT group_concat(typeof(v) || '=' || coalesce(v, ''), ',') FROM (SELECT v FROM t ORDER BY n)")
                .value(),
            "null=,integer=42,real=2.5,text=007");
}

TEST_F(sqlite_test, identifiers_are_quoted_with_doubled_quotes) {
  EXPECT_EQ(quote_identifier("plain"), "\"plain\"");
  EXPECT_EQ(quote_identifier("we\"ird"), "\"we\"\"ird\"");
  auto c = open();
  ASSERT_TRUE(c.exec("CREATE TABLE " + quote_identifier("a\"b; DROP TABLE x") + " (" + quote_identifier("c\"") + ")"));
  EXPECT_EQ(c.query_text("SELECT name FROM sqlite_schema").value(), "a\"b; DROP TABLE x");
}


TEST_F(sqlite_test, a_statement_goes_back_to_its_connection_and_is_taken_again) {
  auto c = open();
  ASSERT_TRUE(c.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"));
  EXPECT_EQ(c.idle_statements(), 0u);
  {
    auto ins = c.prepare("INSERT INTO t VALUES (?1, ?2)").value();
    ins.bind_int(1, 1);
    ins.bind_text(2, std::string_view("one"));
    ASSERT_TRUE(ins.run());
  }
  EXPECT_EQ(c.idle_statements(), 1u);
  {
    auto ins = c.prepare("INSERT INTO t VALUES (?1, ?2)").value();
    EXPECT_EQ(c.idle_statements(), 0u);
    // Taken back unbound: the text bound before, since gone, is not read again.
    ins.bind_int(1, 2);
    ASSERT_TRUE(ins.run());
    // The same text while one is out: a second statement of its own.
    auto again = c.prepare("INSERT INTO t VALUES (?1, ?2)").value();
    again.bind_int(1, 3);
    again.bind_text(2, std::string_view("three"));
    ASSERT_TRUE(again.run());
  }
  EXPECT_EQ(c.idle_statements(), 1u);  // one kept per text
  EXPECT_EQ(c.query_text("SELECT group_concat(k || '=' || coalesce(v, 'null'), ',') FROM t").value(),
            "1=one,2=null,3=three");
}

TEST_F(sqlite_test, a_statement_left_mid_query_holds_no_snapshot_once_given_back) {
  auto writer = open();
  ASSERT_EQ(writer.query_text("PRAGMA journal_mode = WAL").value(), "wal");
  ASSERT_TRUE(writer.exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2), (3)"));
  auto reader = open();
  {
    auto st = reader.prepare("SELECT v FROM t").value();
    ASSERT_TRUE(st.step().value());  // a read transaction is open here
  }
  ASSERT_TRUE(writer.exec("INSERT INTO t VALUES (4)"));
  // A snapshot still held by the reader would keep the last frames in the WAL.
  auto done = writer.checkpoint_truncate().value();
  EXPECT_TRUE(done.complete);
}

TEST_F(sqlite_test, a_statement_taken_again_follows_schema_changes) {
  auto c = open();
  ASSERT_TRUE(c.exec("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)"));
  EXPECT_EQ(c.query_text("SELECT group_concat(a) FROM t").value(), "1");
  ASSERT_TRUE(c.exec("DROP TABLE t; CREATE TABLE t (z TEXT, a INTEGER); INSERT INTO t VALUES ('x', 7)"));
  EXPECT_EQ(c.query_text("SELECT group_concat(a) FROM t").value(), "7");
  ASSERT_TRUE(c.exec("DROP TABLE t"));
  auto gone = c.query_text("SELECT group_concat(a) FROM t");
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message.find("no such table"), std::string::npos) << gone.error().message;
}

TEST_F(sqlite_test, a_statement_may_outlive_its_connection) {
  std::optional<statement> survivor;
  {
    auto c = open();
    survivor.emplace(c.prepare("SELECT 1").value());
  }
  survivor.reset();  // finalized, not handed to a connection that is gone (ASan would tell)
  SUCCEED();
}

}  // namespace
}  // namespace dvsync::store::test
