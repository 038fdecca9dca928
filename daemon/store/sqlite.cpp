#include "store/sqlite.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <mutex>
#include <unordered_map>
#include <utility>

namespace dvsync::store {
namespace {

core::error make_sqlite_error(sqlite3* db, int rc, std::string_view context) {
  auto const code = (rc & 0xff) == SQLITE_FULL ? core::errc::database_full : core::errc::database;
  // errmsg describes the latest failure on this connection; errstr is the fallback without one.
  const char* detail = db != nullptr && (sqlite3_errcode(db) & 0xff) == (rc & 0xff) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return core::make_error(code, fmt::format("{}: {}", context, detail));
}

// Enough of the SQL to tell which statement failed; values are bound, so no data leaks into it.
std::string sql_excerpt(sqlite3_stmt* stmt) {
  std::string_view sql = sqlite3_sql(stmt) != nullptr ? sqlite3_sql(stmt) : "";
  constexpr std::size_t max = 100;
  return sql.size() <= max ? std::string(sql) : std::string(sql.substr(0, max)) + "...";
}

}  // namespace

// Idle statements by their SQL text, one per text. `open` turns false when the connection closes:
// statements still out then are finalized when they come back. No lock of its own: like the
// connection (opened SQLITE_OPEN_NOMUTEX), it is used by one thread at a time, so a statement
// must be destroyed under whatever serializes its connection (store::database's mutex).
struct statement_cache {
  bool open = true;
  std::unordered_map<std::string, sqlite3_stmt*> idle;
};

// connection

connection::connection(sqlite3* db) : db_(db), cache_(std::make_shared<statement_cache>()) {}

void connection::close() {
  if (cache_) {
    cache_->open = false;
    for (auto& entry : cache_->idle) sqlite3_finalize(entry.second);
    cache_->idle.clear();
  }
  // close_v2 defers the close until every statement is finalized, whatever the destruction order.
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

core::result<connection> connection::open(std::string const& path_or_uri, open_mode mode,
                                           std::chrono::milliseconds busy_timeout) {
  // Memory statistics take a global mutex on every allocation SQLite makes; nothing reads them.
  // Only possible before SQLite initializes, which the first open does.
  static std::once_flag library_configured;
  std::call_once(library_configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= mode == open_mode::read_only ? SQLITE_OPEN_READONLY | SQLITE_OPEN_URI : SQLITE_OPEN_READWRITE;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path_or_uri.c_str(), &raw, flags, nullptr);
  connection c(raw);  // closes the handle on every path below, even when open failed
  if (rc != SQLITE_OK) return make_sqlite_error(raw, rc, fmt::format("cannot open {}", path_or_uri));

  sqlite3_extended_result_codes(raw, 1);
  c.set_busy_timeout(busy_timeout);
  rc = sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  if (rc != SQLITE_OK) return make_sqlite_error(raw, rc, "cannot enable SQLITE_DBCONFIG_DEFENSIVE");
  rc = sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  if (rc != SQLITE_OK) return make_sqlite_error(raw, rc, "cannot turn trusted_schema off");
  return c;
}

connection::connection(connection&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), busy_timeout_(other.busy_timeout_), cache_(std::move(other.cache_)) {}

connection& connection::operator=(connection&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    busy_timeout_ = other.busy_timeout_;
    cache_ = std::move(other.cache_);
  }
  return *this;
}

connection::~connection() { close(); }

core::result<void> connection::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  auto const code = (rc & 0xff) == SQLITE_FULL ? core::errc::database_full : core::errc::database;
  std::string_view head = sql.substr(0, 100);
  return core::make_error(code, fmt::format("{} (in: {}{})", detail, head, sql.size() > head.size() ? "..." : ""));
}

core::result<statement> connection::prepare(std::string_view sql) {
  if (db_ == nullptr || !cache_) return core::make_error(core::errc::database, "the connection is closed");
  std::string text(sql);
  if (auto it = cache_->idle.find(text); it != cache_->idle.end()) {
    sqlite3_stmt* idle = it->second;
    cache_->idle.erase(it);
    return statement(db_, idle, cache_, std::move(text));
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    std::string_view head = sql.substr(0, 100);
    return make_sqlite_error(db_, rc, fmt::format("cannot prepare {}{}", head, sql.size() > head.size() ? "..." : ""));
  }
  return statement(db_, stmt, cache_, std::move(text));
}

std::size_t connection::idle_statements() const { return cache_ ? cache_->idle.size() : 0; }

core::result<std::int64_t> connection::query_int(std::string_view sql) {
  auto st = prepare(sql);
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return core::make_error(core::errc::database, fmt::format("no row from {}", sql));
  return st->column_int(0);
}

core::result<std::string> connection::query_text(std::string_view sql) {
  auto st = prepare(sql);
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return core::make_error(core::errc::database, fmt::format("no row from {}", sql));
  return st->column_text(0);
}

std::int64_t connection::changes() const { return sqlite3_changes64(db_); }

void connection::set_busy_timeout(std::chrono::milliseconds timeout) {
  busy_timeout_ = timeout;
  sqlite3_busy_timeout(db_, static_cast<int>(timeout.count()));
}

core::result<void> connection::persist_wal() {
  int on = 1;
  int rc = sqlite3_file_control(db_, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
  if (rc != SQLITE_OK) return make_sqlite_error(db_, rc, "cannot set SQLITE_FCNTL_PERSIST_WAL");
  return {};
}

core::result<connection::checkpoint_outcome> connection::checkpoint_truncate() {
  // With a busy handler, TRUNCATE would block the daemon's only thread while a reader is active.
  sqlite3_busy_timeout(db_, 0);
  checkpoint_outcome out;
  int rc = sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_TRUNCATE, &out.wal_frames, &out.checkpointed_frames);
  sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout_.count()));
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) return out;
  if (rc != SQLITE_OK) return make_sqlite_error(db_, rc, "checkpoint failed");
  out.complete = true;
  return out;
}

core::result<connection::checkpoint_outcome> connection::checkpoint_passive() {
  checkpoint_outcome out;
  int rc = sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, &out.wal_frames, &out.checkpointed_frames);
  if (rc != SQLITE_OK) return make_sqlite_error(db_, rc, "checkpoint failed");
  out.complete = out.checkpointed_frames == out.wal_frames;
  return out;
}

void connection::auto_checkpoint(int frames) { sqlite3_wal_autocheckpoint(db_, frames); }

// statement

statement::statement(sqlite3* db, sqlite3_stmt* stmt, std::shared_ptr<statement_cache> cache, std::string sql)
    : db_(db), stmt_(stmt), cache_(std::move(cache)), sql_(std::move(sql)) {}

statement::statement(statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bind_rc_(other.bind_rc_),
      cache_(std::move(other.cache_)),
      sql_(std::move(other.sql_)) {}

statement& statement::operator=(statement&& other) noexcept {
  if (this != &other) {
    release();
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_rc_ = other.bind_rc_;
    cache_ = std::move(other.cache_);
    sql_ = std::move(other.sql_);
  }
  return *this;
}

statement::~statement() { release(); }

void statement::release() {
  sqlite3_stmt* stmt = std::exchange(stmt_, nullptr);
  if (stmt == nullptr) return;
  // Reset ends any read it was in (an unfinished SELECT would hold its snapshot, and with it the
  // checkpoint); unbinding drops pointers to text that is about to go away.
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (cache_ && cache_->open && cache_->idle.try_emplace(std::move(sql_), stmt).second) return;
  sqlite3_finalize(stmt);
}

void statement::note_bind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void statement::bind_null(int index) { note_bind(sqlite3_bind_null(stmt_, index)); }

void statement::bind_int(int index, std::int64_t v) { note_bind(sqlite3_bind_int64(stmt_, index, v)); }

void statement::bind_int(int index, std::optional<std::int64_t> v) {
  if (v)
    bind_int(index, *v);
  else
    bind_null(index);
}

void statement::bind_real(int index, double v) { note_bind(sqlite3_bind_double(stmt_, index, v)); }

void statement::bind_text(int index, std::string_view v) {
  note_bind(sqlite3_bind_text64(stmt_, index, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8));
}

void statement::bind_optional_text(int index, std::optional<std::string> const& v) {
  if (v)
    bind_text(index, std::string_view(*v));
  else
    bind_null(index);
}

void statement::bind_value(int index, dataverse::value_view v) {
  switch (v.index()) {
    case 1: bind_int(index, std::get<1>(v)); break;
    case 2: bind_real(index, std::get<2>(v)); break;
    case 3: bind_text(index, std::get<3>(v)); break;
    default: bind_null(index); break;
  }
}

void statement::bind_column(int index, statement const& from, int column) {
  note_bind(sqlite3_bind_value(stmt_, index, sqlite3_column_value(from.stmt_, column)));
}

core::result<bool> statement::step() {
  if (bind_rc_ != SQLITE_OK) {
    int rc = std::exchange(bind_rc_, SQLITE_OK);
    auto e = make_sqlite_error(db_, rc, fmt::format("cannot bind a parameter of {}", sql_excerpt(stmt_)));
    sqlite3_reset(stmt_);
    return e;
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    sqlite3_reset(stmt_);
    return false;
  }
  auto e = make_sqlite_error(db_, rc, sql_excerpt(stmt_));
  sqlite3_reset(stmt_);
  return e;
}

core::result<void> statement::run() {
  for (;;) {
    auto r = step();
    if (!r) return r.error();
    if (!*r) return {};
  }
}

core::result<bool> statement::run_unless_conflict() {
  if (bind_rc_ != SQLITE_OK) return step().error();  // step() reports the failed bind
  for (;;) {
    int const rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) continue;
    if (rc == SQLITE_DONE) {
      sqlite3_reset(stmt_);
      return true;
    }
    auto e = make_sqlite_error(db_, rc, sql_excerpt(stmt_));
    sqlite3_reset(stmt_);
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) return false;
    return e;
  }
}

void statement::reset() { sqlite3_reset(stmt_); }

bool statement::column_is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

std::int64_t statement::column_int(int i) const { return sqlite3_column_int64(stmt_, i); }

std::optional<std::int64_t> statement::column_optional_int(int i) const {
  if (column_is_null(i)) return std::nullopt;
  return column_int(i);
}

int statement::column_count() const { return sqlite3_column_count(stmt_); }

std::string statement::column_text(int i) const {
  auto const* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
  if (p == nullptr) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)));
}

std::optional<std::string> statement::column_optional_text(int i) const {
  if (column_is_null(i)) return std::nullopt;
  return column_text(i);
}

// transaction

core::result<transaction> transaction::begin_write(connection& c) {
  // IMMEDIATE takes the write lock now, under the busy timeout, instead of failing with BUSY when a
  // deferred transaction later tries to upgrade from reading to writing.
  if (auto r = c.exec("BEGIN IMMEDIATE"); !r) return r.error();
  return transaction(c);
}

core::result<transaction> transaction::begin_read(connection& c) {
  if (auto r = c.exec("BEGIN"); !r) return r.error();
  return transaction(c);
}

transaction::transaction(transaction&& other) noexcept : c_(std::exchange(other.c_, nullptr)) {}

transaction::~transaction() {
  if (c_ != nullptr) (void)c_->exec("ROLLBACK");
}

core::result<void> transaction::commit() {
  auto r = c_->exec("COMMIT");
  // A failed COMMIT leaves the transaction open (SQLITE_BUSY) or already rolled back; either way
  // the destructor's ROLLBACK is the right end.
  if (r) c_ = nullptr;
  return r;
}

std::string quote_identifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('"');
  for (char ch : name) {
    if (ch == '"') out.push_back('"');
    out.push_back(ch);
  }
  out.push_back('"');
  return out;
}

}  // namespace dvsync::store
