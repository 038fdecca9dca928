#include "store/database.hpp"

#include "core/log.hpp"
#include "migrations.hpp"
#include "store/page_writer.hpp"
#include "store/pragmas.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dvsync::store {
namespace {

namespace fs = std::filesystem;

core::error io_error(std::string what) { return core::make_error(core::errc::io, std::move(what)); }

// fsync of a directory, which makes the names made in it durable. Best effort, as SQLite's own
// directory syncs: some file systems refuse to sync a directory.
void sync_directory(fs::path const& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// Missing directories are created 0750 (less if the umask says so): the mirror is for the
// service and its readers' group only. Each new directory's parent is synced: a new name is
// durable only once its directory is, and SQLite syncs only the database's own directory, so
// without this a power cut could take away the directories, and with them a committed cycle.
core::result<void> make_parent_directories(std::string const& path) {
  fs::path dir = fs::path(path).parent_path();
  std::vector<fs::path> missing;
  std::error_code ec;
  for (fs::path p = dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0750) != 0 && errno != EEXIST)
      return io_error(fmt::format("cannot create directory {}: {}", it->string(), std::strerror(errno)));
    sync_directory(it->parent_path());
  }
  return {};
}

// SQLite gives -wal and -shm the database file's mode, so choosing it here covers all three.
core::result<void> create_database_file(std::string const& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  if (errno == EEXIST) return {};
  return io_error(fmt::format("cannot create database {}: {}", path, std::strerror(errno)));
}

int latest_schema_version() {
  auto all = schema::migrations();
  return all.empty() ? 0 : all.back().version;
}

core::result<int> migrate(connection& c) {
  auto current = c.query_int("PRAGMA user_version");
  if (!current) return current.error();
  int const latest = latest_schema_version();
  if (*current > latest)
    return core::make_error(core::errc::database,
                            fmt::format("the database has schema version {}, newer than this dvsync knows ({}): "
                                        "use a newer dvsync",
                                        *current, latest));
  for (auto const& m : schema::migrations()) {
    if (m.version <= *current) continue;
    auto tx = transaction::begin_write(c);
    if (!tx) return tx.error();
    // Another process may have migrated between our read and our lock.
    auto now = c.query_int("PRAGMA user_version");
    if (!now) return now.error();
    if (*now >= m.version) continue;
    if (auto r = c.exec(m.sql); !r)
      return core::make_error(r.error().code, fmt::format("migration {} failed: {}", m.name, r.error().message));
    if (auto r = c.exec(fmt::format("PRAGMA user_version = {}", m.version)); !r) return r.error();
    if (auto r = tx->commit(); !r) return r.error();
    core::log::info("store.migrated", {{"version", m.version}, {"name", m.name}});
  }
  return latest;
}

// A path as a `file:` URI: absolute, so a leading "//" can never read as an authority, and with
// the characters that URIs give a meaning escaped.
std::string file_uri(std::string const& path) {
  std::error_code ec;
  auto abs = fs::absolute(path, ec);
  std::string text = ec ? path : abs.string();
  std::string uri = "file://";
  for (char ch : text) {
    if (ch == '%' || ch == '?' || ch == '#')
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(ch));
    else
      uri.push_back(ch);
  }
  return uri + "?mode=ro";
}

}  // namespace

struct database::checkpoint_counters {
  std::atomic<std::uint64_t> complete{0}, incomplete{0}, failed{0}, frames_pending{0};
};

database::database(std::string path, connection conn)
    : path_(std::move(path)), conn_(std::move(conn)), counters_(std::make_unique<checkpoint_counters>()) {}

database::database(database&&) noexcept = default;
database& database::operator=(database&&) noexcept = default;
database::~database() = default;

core::result<database> database::open(config::database_settings const& settings) {
  auto const& path = settings.path;
  if (path.empty()) return core::make_error(core::errc::config_invalid, "database.path is empty");
  if (auto r = make_parent_directories(path); !r) return r.error();
  if (auto r = create_database_file(path); !r) return r.error();
  // Asked to write a file it may not (mode, owner, read-only mount, chattr +i), SQLite quietly
  // opens it read-only, and the connection stays so after the file is fixed: the daemon would
  // start, fail every cycle with "attempt to write a readonly database" and never recover. The
  // -wal counts too: SQLite creates it with the database's mode, so it can stay read-only after
  // the database file was fixed. Refuse to start instead.
  for (std::string const& file : {path, path + "-wal"})
    if (::access(file.c_str(), W_OK) != 0 && errno != ENOENT)
      return io_error(fmt::format("cannot write {}: {}; dvsync must be able to write the database and its -wal", file,
                                  std::strerror(errno)));

  auto c = connection::open(path, open_mode::read_write, settings.busy_timeout);
  if (!c) return c.error();
  // 16 KiB pages instead of 4: fewer B-tree pages to split, log and checkpoint per row; a bulk load
  // costs about a fifth less CPU. Only a new, empty database takes it (WAL fixes the size).
  if (auto r = c->exec("PRAGMA page_size = 16384"); !r) return r.error();
  auto mode = c->query_text("PRAGMA journal_mode = WAL");
  if (!mode) return mode.error();
  if (*mode != "wal")
    return core::make_error(core::errc::database,
                            fmt::format("{}: cannot use WAL (journal_mode stays {}); the database must be on a local "
                                        "filesystem",
                                        path, *mode));
  if (auto r = c->exec(connection_pragmas(settings)); !r) return r.error();
  if (auto r = c->persist_wal(); !r) return r.error();
  auto version = migrate(*c);
  if (!version) return version.error();

  core::log::info("store.open", {{"path", path}, {"schema_version", *version},
                                 {"synchronous", settings.synchronous_full ? "full" : "normal"}});
  database db(path, std::move(*c));
  db.synchronous_full_ = settings.synchronous_full;
  db.feed_retention_ = std::chrono::days(settings.change_feed_retention_days);
  return db;
}

core::result<database> database::open_read_only(std::string const& path, std::chrono::milliseconds busy_timeout) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return io_error(fmt::format("database {} does not exist: dvsync has not synced yet, or database.path points "
                                  "elsewhere",
                                  path));
    return io_error(fmt::format("cannot read database {}: {}", path, std::strerror(errno)));
  }
  auto c = connection::open(file_uri(path), open_mode::read_only, busy_timeout);
  if (!c) return c.error();
  auto version = c->query_int("PRAGMA user_version");
  if (!version) return version.error();
  if (*version == 0) return core::make_error(core::errc::database, fmt::format("{} is not a dvsync database", path));
  if (*version != latest_schema_version())
    return core::make_error(core::errc::database,
                            fmt::format("{} has schema version {}, this dvsync reads version {}: run the matching "
                                        "dvsync (the daemon upgrades the schema when it starts)",
                                        path, *version, latest_schema_version()));
  return database(path, std::move(*c));
}

core::result<void> database::acquire_lock() {
  auto const one_at_a_time = serialize();
  if (lock_) return {};
  auto l = file_lock::acquire(path_ + "-lock");
  if (!l) return l.error();
  lock_.emplace(std::move(*l));
  return {};
}

core::result<std::uint64_t> database::wal_bytes() const {
  struct stat st {};
  auto wal = path_ + "-wal";
  if (::stat(wal.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::uint64_t{0};
    return io_error(fmt::format("cannot stat {}: {}", wal, std::strerror(errno)));
  }
  return static_cast<std::uint64_t>(st.st_size);
}

core::result<std::string> database::integrity_check() {
  auto const one_at_a_time = serialize();
  auto st = conn_.prepare("PRAGMA integrity_check");
  if (!st) return st.error();
  std::string out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    if (!out.empty()) out += "; ";
    out += st->column_text(0);
  }
  return out;
}

core::result<void> database::durability(bool changes_data) {
  bool const relax = synchronous_full_ && !changes_data;
  if (relax == relaxed_) return {};
  if (auto r = conn_.exec(relax ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL"); !r) return r;
  relaxed_ = relax;
  return {};
}

core::result<connection::checkpoint_outcome> database::counted(core::result<connection::checkpoint_outcome> outcome) {
  auto& c = *counters_;
  if (!outcome) {
    c.failed.fetch_add(1, std::memory_order_relaxed);
    return outcome;
  }
  (outcome->complete ? c.complete : c.incomplete).fetch_add(1, std::memory_order_relaxed);
  auto const left = std::max(outcome->wal_frames - outcome->checkpointed_frames, 0);
  c.frames_pending.store(outcome->complete ? 0 : static_cast<std::uint64_t>(left), std::memory_order_relaxed);
  return outcome;
}

checkpoint_counts database::checkpoints() const {
  auto const& c = *counters_;
  return {c.complete.load(std::memory_order_relaxed), c.incomplete.load(std::memory_order_relaxed),
          c.failed.load(std::memory_order_relaxed), c.frames_pending.load(std::memory_order_relaxed)};
}

core::result<connection::checkpoint_outcome> database::checkpoint_truncate() {
  auto const one_at_a_time = serialize();
  return counted(conn_.checkpoint_truncate());
}

core::result<std::optional<connection::checkpoint_outcome>> database::checkpoint_after_cycle() {
  auto const one_at_a_time = serialize();
  if (!checkpoint_due_) return std::optional<connection::checkpoint_outcome>{};
  auto const started = std::chrono::steady_clock::now();
  auto done = counted(conn_.checkpoint_passive());
  if (!done) return done.error();
  checkpoint_due_ = false;
  core::log::debug("store.checkpoint",
                   {{"wal_frames", done->wal_frames}, {"copied_frames", done->checkpointed_frames},
                    {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                               .count()}});
  constexpr int warn_after = 5, warn_every = 60;
  if (done->complete) {
    if (checkpoints_held_back_ >= warn_after)
      core::log::info("store.checkpoint_caught_up", {{"held_back_cycles", checkpoints_held_back_}});
    checkpoints_held_back_ = 0;
  } else if (++checkpoints_held_back_ >= warn_after && (checkpoints_held_back_ - warn_after) % warn_every == 0) {
    auto wal = wal_bytes();
    core::log::warn("store.checkpoint_held_back",
                    {{"cycles", checkpoints_held_back_}, {"wal_bytes", wal ? *wal : 0},
                     {"note", "a reader has kept one read transaction open across these cycles; the WAL grows "
                              "until it ends"}});
  }
  return std::optional<connection::checkpoint_outcome>{*done};
}

}  // namespace dvsync::store
