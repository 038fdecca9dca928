// faultfs mounted for real: what was not synced is gone after a power cut, and what was synced is
// kept; SQLite in WAL mode works on it (locks, shared memory) and loses a commit made with
// synchronous=OFF but keeps one made with FULL. These are what keep the power-loss test (T4)
// from passing because nothing was ever lost. Skips, saying why, where FUSE cannot be mounted.
#include "fault_disk.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dvsync::test {
namespace {

namespace fs = std::filesystem;

class faultfs_test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = fault_disk::mount((dir_ / "disk").string(), (dir_ / "mnt").string(), disk_))
      GTEST_SKIP() << "faultfs cannot be mounted here: " << *why;
  }

  std::string at(std::string const& name) const { return disk_->path() + "/" + name; }

  // Cuts the power and turns it on again; returns the cut's report.
  power_cut_report power_cycle() {
    auto report = disk_->cut();
    if (auto why = disk_->power_on()) throw std::runtime_error(*why);
    return report;
  }

  // A file whose name and contents are durable.
  void durable_file(std::string const& name, std::string const& text) {
    write_file(at(name), text);
    sync_file(at(name));
    fault_disk::sync_directory(disk_->path());
  }

  static void sync_file(std::string const& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0) << path;
    EXPECT_EQ(::fsync(fd), 0);
    ::close(fd);
  }

  temp_dir dir_;
  std::optional<fault_disk> disk_;  // after dir_: unmounted before the directory goes
};

TEST_F(faultfs_test, a_write_that_was_not_synced_is_lost_and_a_synced_one_is_kept) {
  durable_file("kept", "before");
  durable_file("lost", "before");
  write_file(at("kept"), "after, and synced");
  sync_file(at("kept"));
  write_file(at("lost"), "after, never synced");
  EXPECT_EQ(read_file(at("lost")), "after, never synced") << "readers see unsynced writes before the cut";

  auto report = power_cycle();
  EXPECT_EQ(read_file(at("kept")), "after, and synced");
  EXPECT_EQ(read_file(at("lost")), "before");
  EXPECT_GE(report.pages, 1u) << report.line;
}

TEST_F(faultfs_test, fdatasync_and_o_dsync_writes_are_kept) {
  durable_file("a", "");
  durable_file("b", "");
  int fd = ::open(at("a").c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_EQ(::pwrite(fd, "datasync", 8, 0), 8);
  ASSERT_EQ(::fdatasync(fd), 0);
  ::close(fd);
  fd = ::open(at("b").c_str(), O_WRONLY | O_DSYNC | O_CLOEXEC);
  ASSERT_EQ(::pwrite(fd, "dsync", 5, 0), 5);
  ::close(fd);
  power_cycle();
  EXPECT_EQ(read_file(at("a")), "datasync");
  EXPECT_EQ(read_file(at("b")), "dsync");
}

TEST_F(faultfs_test, a_new_file_is_lost_unless_its_directory_was_synced) {
  fs::create_directory(at("dir"));
  fault_disk::sync_directory(disk_->path());
  write_file(at("dir/synced_name"), "x");
  sync_file(at("dir/synced_name"));
  fault_disk::sync_directory(at("dir"));
  write_file(at("dir/unsynced_name"), "y");
  sync_file(at("dir/unsynced_name"));  // the file's own fsync does not make its name durable
  fs::create_directory(at("unsynced_dir"));
  write_file(at("unsynced_dir/f"), "z");
  sync_file(at("unsynced_dir/f"));
  fault_disk::sync_directory(at("unsynced_dir"));  // its entries, but not its own name

  auto report = power_cycle();
  EXPECT_EQ(read_file(at("dir/synced_name")), "x");
  EXPECT_FALSE(fs::exists(at("dir/unsynced_name")));
  EXPECT_FALSE(fs::exists(at("unsynced_dir")));
  EXPECT_EQ(report.names, 2u) << report.line;
}

TEST_F(faultfs_test, a_truncation_that_was_not_synced_is_undone) {
  durable_file("f", std::string(10000, 'a'));
  fs::resize_file(at("f"), 10);
  EXPECT_EQ(fs::file_size(at("f")), 10u);
  power_cycle();
  EXPECT_EQ(read_file(at("f")), std::string(10000, 'a'));
}

TEST_F(faultfs_test, shared_mappings_work_and_msync_makes_them_durable) {
  durable_file("mapped", std::string(8192, '.'));
  int fd = ::open(at("mapped").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  void* p = ::mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(p, MAP_FAILED) << std::strerror(errno);
  auto* bytes = static_cast<char*>(p);
  std::memcpy(bytes, "synced", 6);
  ASSERT_EQ(::msync(p, 8192, MS_SYNC), 0);
  std::memcpy(bytes + 4096, "unsynced", 8);
  EXPECT_EQ(read_file(at("mapped")).substr(4096, 8), "unsynced") << "a mapping and read() share the page cache";
  ::munmap(p, 8192);
  ::close(fd);

  power_cycle();
  auto text = read_file(at("mapped"));
  EXPECT_EQ(text.substr(0, 6), "synced");
  EXPECT_EQ(text.substr(4096, 8), "........");
}

// SQLite in WAL mode in a child process that is killed (SIGKILL) after its commits, so that no
// close or checkpoint syncs anything on its way out; then the power is cut.
void commit_and_die(std::string const& db) {
  auto run = [&](sqlite3* c, char const* sql) {
    char* err = nullptr;
    if (sqlite3_exec(c, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::fprintf(stderr, "%s: %s\n", sql, err);
      std::_Exit(2);
    }
  };
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    sqlite3* c = nullptr;
    if (sqlite3_open(db.c_str(), &c) != SQLITE_OK) std::_Exit(2);
    run(c, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t(x TEXT);"
           "INSERT INTO t VALUES ('full')");
    // A second connection: the locks and the shared memory index work across connections.
    sqlite3* other = nullptr;
    if (sqlite3_open(db.c_str(), &other) != SQLITE_OK) std::_Exit(2);
    run(c, "BEGIN IMMEDIATE");
    if (sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_BUSY) std::_Exit(3);
    run(c, "COMMIT");
    run(other, "PRAGMA synchronous = OFF; INSERT INTO t VALUES ('off')");
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(c, "SELECT count(*) FROM t", -1, &st, nullptr);
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != 2) std::_Exit(4);
    sqlite3_finalize(st);
    (void)!::write(ready[1], "x", 1);
    ::pause();
    std::_Exit(0);
  }
  ::close(ready[1]);
  char byte = 0;
  ssize_t got = ::read(ready[0], &byte, 1);
  ::close(ready[0]);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_EQ(got, 1) << "the SQLite child failed (status " << status << ")";
}

std::string query(std::string const& db, std::string const& sql) {
  sqlite3* c = nullptr;
  if (sqlite3_open_v2(db.c_str(), &c, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(c);
    return "cannot open";
  }
  std::string out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(c, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      if (!out.empty()) out += ",";
      auto const* text = sqlite3_column_text(st, 0);
      out += text ? reinterpret_cast<char const*>(text) : "NULL";
    }
  } else {
    out = sqlite3_errmsg(c);
  }
  sqlite3_finalize(st);
  sqlite3_close(c);
  return out;
}

TEST_F(faultfs_test, sqlite_wal_keeps_a_commit_made_with_synchronous_full_and_loses_one_made_with_off) {
  auto const db = at("t.db");
  commit_and_die(db);
  if (HasFatalFailure()) return;
  auto report = power_cycle();
  EXPECT_GT(report.wal_pages, 0u) << report.line;
  EXPECT_EQ(query(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(query(db, "SELECT x FROM t ORDER BY rowid"), "full");
}

}  // namespace
}  // namespace dvsync::test
