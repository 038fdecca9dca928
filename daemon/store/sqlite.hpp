#pragma once
// A small RAII layer over the SQLite C API: connection, statement, transaction. sqlite3.h stays in
// sqlite.cpp. Every failure becomes a core::error carrying sqlite3_errmsg: SQLITE_FULL maps to
// errc::database_full (transient: space may come back), everything else, including SQLITE_BUSY
// after the busy timeout, to errc::database.
#include "core/error.hpp"
#include "dataverse/page.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace dvsync::store {

enum class open_mode {
  read_write = 1,  // an existing file; the caller creates it first to choose its mode
  read_only,       // a `file:...?mode=ro` URI
};

class statement;
struct statement_cache;

// SQLite's own default for wal_autocheckpoint, in frames.
inline constexpr int default_auto_checkpoint_frames = 1000;

class connection {
 public:
  // Never creates the database file. Turns on SQLITE_DBCONFIG_DEFENSIVE, trusted_schema=OFF,
  // extended result codes and the busy timeout.
  static core::result<connection> open(std::string const& path_or_uri, open_mode mode,
                                       std::chrono::milliseconds busy_timeout);

  connection(connection&& other) noexcept;
  connection& operator=(connection&& other) noexcept;
  connection(connection const&) = delete;
  connection& operator=(connection const&) = delete;
  ~connection();

  // Runs one or more statements that return no rows needed by the caller.
  core::result<void> exec(std::string_view sql);
  // Compiles the first statement of `sql`. A statement goes back to the connection when destroyed,
  // reset and unbound, and the next prepare of the same text takes it instead of compiling again:
  // a poll that finds nothing to do costs little more than its few reads and one write.
  core::result<statement> prepare(std::string_view sql);
  // Statements waiting in the connection for their next prepare.
  std::size_t idle_statements() const;

  // The first column of the first row (PRAGMAs, counts); errors if there is no row.
  core::result<std::int64_t> query_int(std::string_view sql);
  core::result<std::string> query_text(std::string_view sql);

  // Rows changed by the most recent INSERT, UPDATE or DELETE.
  std::int64_t changes() const;

  void set_busy_timeout(std::chrono::milliseconds timeout);
  // Keep -wal and -shm after the last connection closes, so group readers without write access to
  // the directory can still open the database while the daemon is stopped.
  core::result<void> persist_wal();

  struct checkpoint_outcome {
    bool complete = false;     // false: readers or a writer kept some frames in the WAL
    int wal_frames = 0;
    int checkpointed_frames = 0;
  };
  // A TRUNCATE checkpoint that never waits: without a busy handler it does what it can at once.
  core::result<checkpoint_outcome> checkpoint_truncate();
  // A PASSIVE checkpoint: copies what no reader still needs, never waits, never blocks readers.
  core::result<checkpoint_outcome> checkpoint_passive();
  // The WAL size, in frames, at which a commit runs a checkpoint itself; 0 turns that off.
  void auto_checkpoint(int frames);

 private:
  explicit connection(sqlite3* db);
  void close();
  sqlite3* db_ = nullptr;
  std::chrono::milliseconds busy_timeout_{0};
  // Shared with the statements taken from it, which may outlive the connection.
  std::shared_ptr<statement_cache> cache_;
};

class statement {
 public:
  statement(statement&& other) noexcept;
  statement& operator=(statement&& other) noexcept;
  statement(statement const&) = delete;
  statement& operator=(statement const&) = delete;
  ~statement();

  // Parameters are 1-based. Text is bound without a copy: it must stay alive until the statement
  // is stepped to the end or reset. A failed bind is reported by the next step().
  void bind_null(int index);
  void bind_int(int index, std::int64_t v);
  void bind_int(int index, std::optional<std::int64_t> v);
  void bind_real(int index, double v);
  void bind_text(int index, std::string_view v);
  void bind_optional_text(int index, std::optional<std::string> const& v);
  void bind_value(int index, dataverse::value_view v);
  // A copy of column `column` of the row `from` has stepped to.
  void bind_column(int index, statement const& from, int column);

  // true: a row is ready. false: done, and the statement is reset for its next use.
  // On error the statement is reset too.
  core::result<bool> step();
  // Steps to the end (a statement that returns no rows).
  core::result<void> run();
  // Like run(), but a PRIMARY KEY or UNIQUE violation is `false` (the statement changed nothing)
  // instead of an error.
  core::result<bool> run_unless_conflict();
  // Ends a query early; a no-op after step() returned false.
  void reset();

  int column_count() const;
  bool column_is_null(int i) const;
  std::int64_t column_int(int i) const;
  std::optional<std::int64_t> column_optional_int(int i) const;
  std::string column_text(int i) const;
  std::optional<std::string> column_optional_text(int i) const;

 private:
  friend class connection;
  statement(sqlite3* db, sqlite3_stmt* stmt, std::shared_ptr<statement_cache> cache, std::string sql);
  void note_bind(int rc);
  void release();  // back to the cache, or finalized

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int bind_rc_ = 0;
  std::shared_ptr<statement_cache> cache_;
  std::string sql_;  // the text it was prepared from: its key in the cache
};

// BEGIN IMMEDIATE (or a deferred BEGIN for a read snapshot) ... COMMIT; rolls back in the
// destructor unless committed.
class transaction {
 public:
  static core::result<transaction> begin_write(connection& c);
  static core::result<transaction> begin_read(connection& c);

  transaction(transaction&& other) noexcept;
  transaction& operator=(transaction&&) = delete;
  transaction(transaction const&) = delete;
  transaction& operator=(transaction const&) = delete;
  ~transaction();

  core::result<void> commit();

 private:
  explicit transaction(connection& c) : c_(&c) {}
  connection* c_ = nullptr;
};

// "name" with embedded quotes doubled, for identifiers that cannot be bound as parameters.
std::string quote_identifier(std::string_view name);

}  // namespace dvsync::store
