// database: the per-table state row (dvsync_table_state) and the status view of it.
#include "store/state.hpp"

#include "store/database.hpp"
#include "store/table_statement.hpp"

#include <fmt/format.h>

namespace dvsync::store {
namespace {

constexpr const char* state_columns =
    "table_name, entity_set, delta_link, delta_link_at, cycle_kind, cycle_reason, cursor, cycle_started_at, "
    "pages_staged, resync_requested, resync_reason, last_attempt_at, last_success_at, last_error, last_error_at, "
    "last_cycle_upserts, last_cycle_deletes, last_cycle_rejects, last_cycle_pages, full_resyncs, mirror_rows, "
    "rows_staged, rows_expected, change_feed, feed_last_seq, lookup_targets_lost_at";

// Long messages (a whole HTML error page, say) would bloat the state row and status output.
constexpr std::size_t max_error_bytes = 2000;

table_state read_state_row(statement const& st) {
  table_state s;
  s.table = st.column_text(0);
  s.entity_set = st.column_text(1);
  s.delta_link = st.column_optional_text(2);
  s.delta_link_at = st.column_optional_int(3);
  if (auto kind = st.column_optional_text(4)) s.cycle_kind = *kind == "full" ? cycle_kind::full : cycle_kind::delta;
  s.cycle_reason = st.column_optional_text(5).value_or("");
  s.cursor = st.column_optional_text(6);
  s.cycle_started_at = st.column_optional_int(7);
  s.pages_staged = st.column_int(8);
  s.resync_requested = st.column_int(9) != 0;
  s.resync_reason = st.column_optional_text(10).value_or("");
  s.last_attempt_at = st.column_optional_int(11);
  s.last_success_at = st.column_optional_int(12);
  s.last_error = st.column_optional_text(13);
  s.last_error_at = st.column_optional_int(14);
  s.last_cycle_upserts = st.column_int(15);
  s.last_cycle_deletes = st.column_int(16);
  s.last_cycle_rejects = st.column_int(17);
  s.last_cycle_pages = st.column_int(18);
  s.full_resyncs = st.column_int(19);
  s.mirror_rows = st.column_optional_int(20);
  s.rows_staged = st.column_int(21);
  s.rows_expected = st.column_optional_int(22);
  s.change_feed = st.column_int(23) != 0;
  s.feed_last_seq = st.column_optional_int(24);
  s.lookup_targets_lost_at = st.column_optional_int(25);
  return s;
}

core::error no_state(std::string const& table) {
  return core::make_error(core::errc::database, fmt::format("table {} has no sync state yet", table));
}

core::result<bool> mirror_exists(connection& c, std::string const& table) {
  auto one = int_for_table(c, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE", table);
  if (!one) return one.error();
  return one->has_value();
}

core::result<std::int64_t> count_rejects(connection& c, std::string const& table) {
  auto n = int_for_table(c, "SELECT count(*) FROM dvsync_rejects WHERE table_name = ?1", table);
  if (!n) return n.error();
  return n->value_or(0);
}

}  // namespace

const char* to_string(cycle_kind k) { return k == cycle_kind::full ? "full" : "delta"; }

const char* to_string(phase p) {
  switch (p) {
    case phase::never_synced: return "never synced";
    case phase::initial: return "initial";
    case phase::resuming: return "resuming";
    case phase::idle: return "idle";
  }
  return "unknown";
}

phase phase_of(table_state const& s) {
  if (!s.delta_link && !s.cycle_kind) return phase::never_synced;
  if (s.cycle_kind == cycle_kind::full && !s.delta_link) return phase::initial;
  if (s.cycle_kind || s.cursor) return phase::resuming;
  return phase::idle;
}

core::result<table_state> database::load_state(std::string const& table) {
  auto const one_at_a_time = serialize();
  auto st = conn_.prepare(fmt::format("SELECT {} FROM dvsync_table_state WHERE table_name = ?1", state_columns));
  if (!st) return st.error();
  st->bind_text(1, table);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) {
    table_state fresh;
    fresh.table = table;
    return fresh;
  }
  auto s = read_state_row(*st);
  st->reset();
  return s;
}

core::result<bool> database::request_resync(std::string const& table, std::string const& reason) {
  auto const one_at_a_time = serialize();
  if (auto r = durability(true); !r) return r.error();
  // A requested resync also asks for lookup targets again: the way to try once more after the
  // service lost a delta link with them.
  auto st = conn_.prepare(
      "UPDATE dvsync_table_state SET resync_requested = 1, resync_reason = ?2, lookup_targets_lost_at = NULL "
      "WHERE table_name = ?1");
  if (!st) return st.error();
  st->bind_text(1, table);
  st->bind_text(2, reason);
  if (auto r = st->run(); !r) return r.error();
  return conn_.changes() > 0;
}

core::result<void> database::record_attempt(std::string const& table, std::int64_t now) {
  auto const one_at_a_time = serialize();
  if (auto r = durability(false); !r) return r;
  // A table is known from its first attempt, so that a failure before its mirror exists (its
  // metadata could not be read or mirrored) shows in status. Its entity set is filled in when
  // the table is first ensured.
  auto st = conn_.prepare(
      "INSERT INTO dvsync_table_state (table_name, entity_set, last_attempt_at) VALUES (?1, '', ?2) "
      "ON CONFLICT (table_name) DO UPDATE SET last_attempt_at = excluded.last_attempt_at");
  if (!st) return st.error();
  st->bind_text(1, table);
  st->bind_int(2, now);
  return st->run();
}

core::result<void> database::record_lookup_targets_lost(std::string const& table, std::int64_t now) {
  auto const one_at_a_time = serialize();
  // Commits are ordered in the WAL: a cursor staged by the read without targets, which a crash
  // could resume, is never kept without this.
  if (auto r = durability(false); !r) return r;
  auto st = conn_.prepare("UPDATE dvsync_table_state SET lookup_targets_lost_at = ?2 WHERE table_name = ?1");
  if (!st) return st.error();
  st->bind_text(1, table);
  st->bind_int(2, now);
  return st->run();
}

core::result<void> database::record_rows_expected(std::string const& table, std::int64_t rows) {
  auto const one_at_a_time = serialize();
  if (auto r = durability(false); !r) return r;
  auto st = conn_.prepare("UPDATE dvsync_table_state SET rows_expected = ?2 WHERE table_name = ?1");
  if (!st) return st.error();
  st->bind_text(1, table);
  st->bind_int(2, rows);
  return st->run();
}

core::result<void> database::record_failure(std::string const& table, std::string const& message, std::int64_t now) {
  auto const one_at_a_time = serialize();
  if (auto r = durability(false); !r) return r;
  auto st = conn_.prepare("UPDATE dvsync_table_state SET last_error = ?2, last_error_at = ?3 WHERE table_name = ?1");
  if (!st) return st.error();
  std::string_view text = message;
  if (text.size() > max_error_bytes) {
    // Cut before a UTF-8 continuation byte, never inside a character.
    std::size_t n = max_error_bytes;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    text = text.substr(0, n);
  }
  st->bind_text(1, table);
  st->bind_text(2, text);
  st->bind_int(3, now);
  if (auto r = st->run(); !r) return r;
  if (conn_.changes() == 0) return no_state(table);
  return {};
}

core::result<std::vector<table_status>> database::read_status(std::int64_t now) {
  auto const one_at_a_time = serialize();
  // One snapshot: counts and state of every table as of the same commit.
  auto tx = transaction::begin_read(conn_);
  if (!tx) return tx.error();
  auto st = conn_.prepare(fmt::format("SELECT {} FROM dvsync_table_state ORDER BY table_name", state_columns));
  if (!st) return st.error();
  std::vector<table_state> states;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    states.push_back(read_state_row(*st));
  }

  std::vector<table_status> out;
  for (auto const& s : states) {
    table_status t;
    t.table = s.table;
    t.entity_set = s.entity_set;
    auto exists = mirror_exists(conn_, s.table);
    if (!exists) return exists.error();
    if (auto known = mirror_rows_.find(s.table); *exists && known != mirror_rows_.end()) {
      t.rows = known->second;
    } else if (*exists && s.mirror_rows) {
      t.rows = *s.mirror_rows;
    } else if (*exists) {
      auto rows = conn_.query_int(fmt::format("SELECT count(*) FROM {}", quote_identifier(s.table)));
      if (!rows) return rows.error();
      t.rows = *rows;
    }
    auto rejects = count_rejects(conn_, s.table);
    if (!rejects) return rejects.error();
    t.rejects = *rejects;
    t.phase = phase_of(s);
    t.cycle_kind = s.cycle_kind;
    t.cycle_reason = s.cycle_reason;
    t.pages_staged = s.pages_staged;
    t.rows_staged = s.rows_staged;
    t.rows_expected = s.rows_expected;
    t.cycle_started_at = s.cycle_started_at;
    t.resync_requested = s.resync_requested;
    t.last_attempt_at = s.last_attempt_at;
    t.last_success_at = s.last_success_at;
    t.last_error = s.last_error;
    t.last_error_at = s.last_error_at;
    if (s.delta_link_at) t.token_age_s = now - *s.delta_link_at;
    t.last_cycle_upserts = s.last_cycle_upserts;
    t.last_cycle_deletes = s.last_cycle_deletes;
    t.last_cycle_rejects = s.last_cycle_rejects;
    t.last_cycle_pages = s.last_cycle_pages;
    t.full_resyncs = s.full_resyncs;
    t.change_feed = s.change_feed;
    t.feed_last_seq = s.feed_last_seq;
    t.lookup_targets_lost_at = s.lookup_targets_lost_at;
    out.push_back(std::move(t));
  }
  return out;
}

core::result<void> database::record_change_retention(int days, std::int64_t now) {
  auto const one_at_a_time = serialize();
  auto st = conn_.prepare(
      "INSERT INTO dvsync_organization (id, change_retention_days, checked_at) VALUES (1, ?1, ?2) "
      "ON CONFLICT (id) DO UPDATE SET change_retention_days = excluded.change_retention_days, "
      "checked_at = excluded.checked_at");
  if (!st) return st.error();
  st->bind_int(1, std::int64_t{days});
  st->bind_int(2, now);
  return st->run();
}

core::result<std::optional<int>> database::change_retention_days() {
  auto const one_at_a_time = serialize();
  auto st = conn_.prepare("SELECT change_retention_days FROM dvsync_organization WHERE id = 1");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<int>{};
  auto days = static_cast<int>(st->column_int(0));
  st->reset();
  return std::optional<int>{days};
}

core::result<std::optional<std::int64_t>> database::change_retention_checked_at() {
  auto const one_at_a_time = serialize();
  auto checked = conn_.query_int("SELECT coalesce((SELECT checked_at FROM dvsync_organization WHERE id = 1), -1)");
  if (!checked) return checked.error();
  return *checked < 0 ? std::optional<std::int64_t>{} : std::optional<std::int64_t>{*checked};
}

}  // namespace dvsync::store
