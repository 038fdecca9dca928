#include "store/verify_store.hpp"

#include "store/change_capture.hpp"
#include "store/database.hpp"
#include "store/record_json.hpp"
#include "store/table_layout.hpp"
#include "store/table_statement.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <variant>

namespace dvsync::store {
namespace {

// The working tables, keyed by id: the comparisons are merge joins over two id-ordered B-trees.
// Both fill in id order (the mirror is copied through its id index; the service pages by id), so
// a million rows cost appends, not random inserts, and SQLite's temp files, not memory, hold them.
constexpr char const* drop_working_tables =
    "DROP TABLE IF EXISTS temp.dvsync_verify_mirror; DROP TABLE IF EXISTS temp.dvsync_verify_source; "
    "DROP TABLE IF EXISTS temp.dvsync_verify_changed; DROP TABLE IF EXISTS temp.dvsync_verify_rows";

constexpr char const* create_working_tables =
    "CREATE TEMP TABLE dvsync_verify_mirror (id TEXT PRIMARY KEY NOT NULL, version INTEGER, rejected INTEGER NOT NULL) "
    "WITHOUT ROWID; "
    "CREATE TEMP TABLE dvsync_verify_source (id TEXT PRIMARY KEY NOT NULL, version INTEGER) WITHOUT ROWID; "
    "CREATE TEMP TABLE dvsync_verify_changed (id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID";

// Rows of one side whose id the other side lacks, or whose version differs, leaving out ids that
// changed in the source after the delta link (the next cycle brings those: not drift). A reject
// kept without its version (the parser's and a cycle's rejects have none) matches any version.
constexpr char const* not_changed = "NOT EXISTS (SELECT 1 FROM temp.dvsync_verify_changed c WHERE c.id = {}.id)";

std::string missing_rows(std::string const& columns) {
  return fmt::format(
      "SELECT {} FROM temp.dvsync_verify_source s WHERE NOT EXISTS (SELECT 1 FROM temp.dvsync_verify_mirror m "
      "WHERE m.id = s.id) AND {}",
      columns, fmt::format(not_changed, "s"));
}

std::string extra_rows(std::string const& columns) {
  return fmt::format(
      "SELECT {} FROM temp.dvsync_verify_mirror m WHERE NOT EXISTS (SELECT 1 FROM temp.dvsync_verify_source s "
      "WHERE s.id = m.id) AND {}",
      columns, fmt::format(not_changed, "m"));
}

std::string stale_rows(std::string const& columns) {
  return fmt::format(
      "SELECT {} FROM temp.dvsync_verify_source s JOIN temp.dvsync_verify_mirror m ON m.id = s.id "
      "WHERE m.version IS NOT s.version AND NOT (m.rejected AND m.version IS NULL) AND {}",
      columns, fmt::format(not_changed, "s"));
}

// The source's rows with the mirror's columns and declared types (`types`, as the mirror table
// declares them: so that each value is stored as the mirror stores it), keyed by id: a row read
// twice keeps its last values.
std::string create_rows_table(table_layout const& l, std::vector<std::string> const& types) {
  std::string cols;
  for (std::size_t i = 0; i < l.columns.size(); ++i)
    cols += quote_identifier(l.columns[i]) + (types[i].empty() ? "" : " " + types[i]) + ", ";
  return fmt::format("CREATE TEMP TABLE dvsync_verify_rows ({}PRIMARY KEY ({})) WITHOUT ROWID", cols,
                     quote_identifier(l.id_column()));
}

std::string insert_rows_table(table_layout const& l) {
  std::string cols, params;
  for (std::size_t i = 0; i < l.columns.size(); ++i) {
    cols += (i > 0 ? ", " : "") + quote_identifier(l.columns[i]);
    params += fmt::format("{}?{}", i > 0 ? ", " : "", i + 1);
  }
  return fmt::format("INSERT OR REPLACE INTO temp.dvsync_verify_rows ({}) VALUES ({})", cols, params);
}

// The columns compared value by value: all but the id (the join) and the version (equal by then),
// and the targets of polymorphic lookups when the table's reads no longer ask for them (rows
// written before keep theirs, the source's answers have none: not a difference).
std::vector<std::string> compared_columns(table_layout const& l, config::table_spec const& spec, bool targets) {
  std::vector<std::string> left_out;
  if (!targets)
    for (auto const& f : config::fields_of(spec))
      if (f.of == config::field::part::target) left_out.push_back(f.name);
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < l.columns.size(); ++i)
    if (i != l.id_index() && std::find(left_out.begin(), left_out.end(), l.columns[i]) == left_out.end())
      out.push_back(l.columns[i]);
  return out;
}

// `parts` joined by `op` as a balanced tree: SQLite refuses an expression deeper than 1,000, which
// a flat chain over the columns of a wide table would be.
std::string balanced(std::vector<std::string> const& parts, std::size_t from, std::size_t to, char const* op) {
  if (to - from == 1) return parts[from];
  auto const mid = from + (to - from) / 2;
  return fmt::format("({} {} {})", balanced(parts, from, mid, op), op, balanced(parts, mid, to, op));
}

// Rows whose version the source (its ids and versions, and its rows), the copy and the mirror as it
// is now agree on, with another value in some compared column (IS NOT: NULL equals NULL, and a
// value differs from one of another type). `columns` may use `differing`, the names of the columns
// that differ, comma-separated.
std::string altered_rows(table_layout const& l, std::vector<std::string> const& compared, std::string const& columns) {
  auto const id = quote_identifier(l.id_column());
  std::vector<std::string> any, which;
  for (auto const& name : compared) {
    auto const c = quote_identifier(name);
    any.push_back(fmt::format("s.{} IS NOT m.{}", c, c));
    std::string literal = name;
    for (std::size_t at = literal.find('\''); at != std::string::npos; at = literal.find('\'', at + 2)) literal.insert(at, 1, '\'');
    which.push_back(fmt::format("CASE WHEN s.{} IS NOT m.{} THEN ',{}' ELSE '' END", c, c, literal));
  }
  auto const differs = any.empty() ? std::string("0") : balanced(any, 0, any.size(), "OR");
  auto const names = which.empty() ? std::string("''") : balanced(which, 0, which.size(), "||");
  return fmt::format(
      "SELECT {cols} FROM (SELECT s.{id} AS id, m.dvsync_version AS version, substr({which}, 2) AS differing "
      "FROM temp.dvsync_verify_rows s JOIN temp.dvsync_verify_source src ON src.id = s.{id} AND src.version = "
      "s.dvsync_version JOIN temp.dvsync_verify_mirror v ON v.id = s.{id} AND v.version = "
      "s.dvsync_version JOIN main.{mirror} m ON m.{id} = s.{id} AND m.dvsync_version = s.dvsync_version "
      "WHERE ({any}) AND NOT EXISTS (SELECT 1 FROM temp.dvsync_verify_changed c WHERE c.id = s.{id}))",
      fmt::arg("cols", columns), fmt::arg("id", id), fmt::arg("which", names),
      fmt::arg("mirror", quote_identifier(l.mirror_name)), fmt::arg("any", differs));
}

std::vector<std::string> split_names(std::string const& list) {
  std::vector<std::string> out;
  for (std::size_t from = 0; from < list.size();) {
    auto const comma = list.find(',', from);
    auto const end = comma == std::string::npos ? list.size() : comma;
    out.push_back(list.substr(from, end - from));
    from = end + 1;
  }
  return out;
}

// The first `limit` rows of `sql` (id, mirror version, source version, and for altered rows the
// columns that differ) by id, appended to `out`.
core::result<void> examples_of(connection& c, drift_kind kind, std::string const& sql, std::size_t limit,
                               std::vector<drift_example>& out) {
  if (limit == 0) return {};
  auto st = c.prepare(sql + " ORDER BY 1 LIMIT ?1");
  if (!st) return st.error();
  st->bind_int(1, static_cast<std::int64_t>(limit));
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    drift_example e{kind, st->column_text(0), st->column_optional_int(1), st->column_optional_int(2), {}};
    if (st->column_count() > 3)
      for (auto const& name : split_names(st->column_text(3))) e.columns.push_back(name);
    out.push_back(std::move(e));
  }
  return {};
}

// One page into a working table, in one transaction: ?1 the id and, when `versions`, ?2 the version.
// Without versions, the ids of its deletes too.
core::result<void> insert_ids(connection& c, std::string const& sql, dataverse::page const& page, bool versions) {
  auto tx = transaction::begin_write(c);
  if (!tx) return tx.error();
  auto st = c.prepare(sql);
  if (!st) return st.error();
  for (auto const& r : page.upserts) {
    st->bind_text(1, r.id);
    if (versions) st->bind_int(2, r.version);
    if (auto done = st->run(); !done) return done;
  }
  if (!versions)
    for (auto const& id : page.deletes) {
      st->bind_text(1, id);
      if (auto done = st->run(); !done) return done;
    }
  return tx->commit();
}

}  // namespace

char const* to_string(drift_kind k) {
  switch (k) {
    case drift_kind::missing: return "missing";
    case drift_kind::extra: return "extra";
    case drift_kind::stale: return "stale";
    case drift_kind::altered: return "altered";
  }
  return "unknown";
}

char const* to_string(fix_action a) {
  switch (a) {
    case fix_action::none: return "none";
    case fix_action::repaired: return "repaired";
    case fix_action::resync_requested: return "resync_requested";
    case fix_action::resync_pending: return "resync_pending";
  }
  return "unknown";
}

core::result<verify_baseline> verify_store::begin(config::table_spec const& spec, bool values) {
  auto const one_at_a_time = db_.serialize();
  auto& c = db_.conn_;
  values_.reset();
  auto layout = make_layout(spec);
  if (!layout) return layout.error();
  if (auto r = c.exec(drop_working_tables); !r) return r.error();
  if (auto r = c.exec(create_working_tables); !r) return r.error();

  verify_baseline out;
  // One read snapshot: the rows, the rejects and the link of one committed cycle. Writing the
  // TEMP tables takes no lock on the database itself, so the daemon commits on meanwhile.
  auto tx = transaction::begin_read(c);
  if (!tx) return tx.error();
  auto state = c.prepare(
      "SELECT delta_link, cycle_kind, cycle_reason, resync_requested, resync_reason, lookup_targets_lost_at "
      "FROM dvsync_table_state WHERE table_name = ?1");
  if (!state) return state.error();
  state->bind_text(1, spec.table);
  auto row = state->step();
  if (!row) return row.error();
  if (*row) {
    out.delta_link = state->column_optional_text(0).value_or("");
    bool const full_cycle = state->column_optional_text(1) == std::optional<std::string>("full");
    bool const requested = state->column_int(3) != 0;
    out.full_resync_pending = full_cycle || requested;
    if (full_cycle)
      out.full_resync_reason = "a full cycle (" + state->column_optional_text(2).value_or("") + ") is in progress";
    else if (requested)
      out.full_resync_reason = "a full resync (" + state->column_optional_text(4).value_or("") + ") is requested";
    out.lookup_targets_lost = !state->column_is_null(5);
    state->reset();
  }
  auto declared = column_declarations(c, layout->mirror_name);
  if (!declared) return declared.error();
  std::vector<std::string> columns;
  std::map<std::string, std::string> types;
  for (auto const& d : *declared) {
    columns.push_back(d.name);
    types[d.name] = d.type;
  }
  if (columns.empty()) {
    out.delta_link.clear();  // no mirror table: nothing it describes
    return out;
  }
  out.columns_match = !column_difference(columns, layout->columns);
  // A full resync replaces the table, whatever its values: nothing to compare them with.
  if (values && out.columns_match && !out.full_resync_pending) {
    std::vector<std::string> in_order;
    for (auto const& name : layout->columns) in_order.push_back(types[name]);
    if (auto r = c.exec(create_rows_table(*layout, in_order)); !r) return r.error();
    out.values = true;
  }
  // The id and dvsync_version are in every layout the mirror has had, whatever its other columns.
  auto const id = quote_identifier(layout->id_column());
  if (auto r = c.exec(fmt::format("INSERT INTO temp.dvsync_verify_mirror (id, version, rejected) SELECT {0}, "
                                  "dvsync_version, 0 FROM main.{1} ORDER BY {0}",
                                  id, quote_identifier(layout->mirror_name)));
      !r)
    return r.error();
  auto copied = c.changes();
  if (auto r = run_with_table(c,
                              "INSERT OR IGNORE INTO temp.dvsync_verify_mirror (id, version, rejected) SELECT id, "
                              "version, 1 FROM main.dvsync_rejects WHERE table_name = ?1",
                              spec.table);
      !r)
    return r.error();
  out.mirror_rows = copied + c.changes();
  if (auto r = tx->commit(); !r) return r.error();
  if (out.values) {
    auto compared = compared_columns(*layout, spec, !out.lookup_targets_lost);
    values_ = values_plan{std::move(*layout), std::move(compared)};
  }
  return out;
}

core::result<void> verify_store::add_rows(dataverse::page const& page) {
  if (!values_) return core::make_error(core::errc::database, "verify: values are not compared for this table");
  auto const one_at_a_time = db_.serialize();
  auto& c = db_.conn_;
  auto const& l = values_->layout;
  auto tx = transaction::begin_write(c);
  if (!tx) return tx.error();
  auto st = c.prepare(insert_rows_table(l));
  if (!st) return st.error();
  for (auto const& r : page.upserts) {
    if (r.size() != l.record_values)
      return core::make_error(core::errc::protocol, fmt::format("table {}: record {} has {} values for {} columns",
                                                                l.mirror_name, r.id, r.size(), l.record_values));
    bind_mirror_row(*st, l, r);
    if (auto done = st->run(); !done) return done;
  }
  return tx->commit();
}

core::result<void> verify_store::add_source(dataverse::page const& page) {
  auto const one_at_a_time = db_.serialize();
  return insert_ids(db_.conn_,
                    "INSERT INTO temp.dvsync_verify_source (id, version) VALUES (?1, ?2) "
                    "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                    page, true);
}

core::result<void> verify_store::add_changed(dataverse::page const& page) {
  auto const one_at_a_time = db_.serialize();
  return insert_ids(db_.conn_, "INSERT OR IGNORE INTO temp.dvsync_verify_changed (id) VALUES (?1)", page, false);
}

core::result<std::int64_t> verify_store::source_rows() {
  auto const one_at_a_time = db_.serialize();
  return db_.conn_.query_int("SELECT count(*) FROM temp.dvsync_verify_source");
}

core::result<std::int64_t> verify_store::working_bytes() {
  auto const one_at_a_time = db_.serialize();
  auto pages = db_.conn_.query_int("PRAGMA temp.page_count");
  if (!pages) return pages.error();
  auto size = db_.conn_.query_int("PRAGMA temp.page_size");
  if (!size) return size.error();
  return *pages * *size;
}

core::result<drift> verify_store::compare(std::size_t examples) {
  auto const one_at_a_time = db_.serialize();
  auto& c = db_.conn_;
  drift out;
  auto missing = c.query_int(missing_rows("count(*)"));
  if (!missing) return missing.error();
  auto extra = c.query_int(extra_rows("count(*)"));
  if (!extra) return extra.error();
  auto stale = c.query_int(stale_rows("count(*)"));
  if (!stale) return stale.error();
  out.counts = {*missing, *extra, *stale};
  if (values_) {
    auto altered = c.query_int(altered_rows(values_->layout, values_->compared, "count(*)"));
    if (!altered) return altered.error();
    out.counts.altered = *altered;
  }
  if (examples == 0) return out;
  if (*missing > 0)
    if (auto e = examples_of(c, drift_kind::missing, missing_rows("s.id, NULL, s.version"), examples, out.missing); !e)
      return e.error();
  if (*extra > 0)
    if (auto e = examples_of(c, drift_kind::extra, extra_rows("m.id, m.version, NULL"), examples, out.extra); !e)
      return e.error();
  if (*stale > 0)
    if (auto e = examples_of(c, drift_kind::stale, stale_rows("s.id, m.version, s.version"), examples, out.stale); !e)
      return e.error();
  if (out.counts.altered > 0)
    if (auto e = examples_of(c, drift_kind::altered, altered_rows(values_->layout, values_->compared, "id, version, version, differing"), examples,
                             out.altered);
        !e)
      return e.error();
  return out;
}

core::result<std::vector<drift_example>> verify_store::drifted(std::size_t limit) {
  auto const one_at_a_time = db_.serialize();
  auto& c = db_.conn_;
  std::vector<drift_example> rows;
  if (auto e = examples_of(c, drift_kind::missing, missing_rows("s.id, NULL, s.version"), limit, rows); !e) return e.error();
  if (auto e = examples_of(c, drift_kind::stale, stale_rows("s.id, m.version, s.version"), limit - rows.size(), rows); !e)
    return e.error();
  if (values_)
    if (auto e = examples_of(c, drift_kind::altered, altered_rows(values_->layout, values_->compared, "id, version, version"), limit - rows.size(), rows);
        !e)
      return e.error();
  if (auto e = examples_of(c, drift_kind::extra, extra_rows("m.id, m.version, NULL"), limit - rows.size(), rows); !e)
    return e.error();
  return rows;
}

core::result<void> verify_store::end() {
  auto const one_at_a_time = db_.serialize();
  values_.reset();
  return db_.conn_.exec(drop_working_tables);
}

core::result<repair_totals> verify_store::repair(config::table_spec const& spec, dataverse::page const& fetched,
                                                 std::vector<std::string> const& gone, std::string const& delta_link,
                                                 std::int64_t now) {
  auto const one_at_a_time = db_.serialize();
  auto& c = db_.conn_;
  auto made = make_layout(spec);
  if (!made) return made.error();
  table_layout const& l = *made;
  if (auto r = db_.durability(true); !r) return r.error();
  auto tx = transaction::begin_write(c);
  if (!tx) return tx.error();

  auto link = c.prepare("SELECT delta_link FROM dvsync_table_state WHERE table_name = ?1");
  if (!link) return link.error();
  link->bind_text(1, spec.table);
  auto row = link->step();
  if (!row) return row.error();
  bool const same_link = *row && link->column_optional_text(0) == std::optional<std::string>(delta_link);
  if (*row) link->reset();
  if (!same_link)
    return core::make_error(core::errc::database,
                            fmt::format("table {}: a cycle committed after verify read the mirror; nothing was "
                                        "repaired (verify again)",
                                        spec.table));
  auto columns = column_names(c, l.mirror_name);
  if (!columns) return columns.error();
  if (auto differs = column_difference(*columns, l.columns))
    return core::make_error(core::errc::database, fmt::format("table {}: {}; nothing was repaired", spec.table, *differs));

  auto update = c.prepare(l.update_in_place());
  if (!update) return update.error();
  auto displace = c.prepare(l.delete_displaced());
  if (!displace) return displace.error();
  auto insert = c.prepare(l.insert_mirror());
  if (!insert) return insert.error();
  auto remove = c.prepare(fmt::format("DELETE FROM {} WHERE {} = ?1", quote_identifier(l.mirror_name),
                                      quote_identifier(l.id_column())));
  if (!remove) return remove.error();
  auto unreject = c.prepare("DELETE FROM dvsync_rejects WHERE table_name = ?1 AND id = ?2");
  if (!unreject) return unreject.error();
  auto reject = c.prepare(
      "INSERT OR REPLACE INTO dvsync_rejects (table_name, id, raw_json, reason, version, seen_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!reject) return reject.error();

  repair_totals totals;
  auto drop_row = [&](std::string const& id) -> core::result<std::int64_t> {
    remove->bind_text(1, id);
    if (auto r = remove->run(); !r) return r.error();
    auto const removed = c.changes();
    unreject->bind_text(1, spec.table);
    unreject->bind_text(2, id);
    if (auto r = unreject->run(); !r) return r.error();
    return removed + c.changes();
  };
  auto keep_rejected = [&](std::string const& id, std::string const& raw_json, std::string const& reason,
                           std::optional<std::int64_t> version) -> core::result<void> {
    remove->bind_text(1, id);
    if (auto r = remove->run(); !r) return r;
    reject->bind_text(1, spec.table);
    reject->bind_text(2, id);
    reject->bind_text(3, raw_json);
    reject->bind_text(4, reason);
    reject->bind_int(5, version);
    reject->bind_int(6, now);
    if (auto r = reject->run(); !r) return r;
    ++totals.rejected;
    return {};
  };

  // What the repair writes reaches the change feed and the table's mode like a cycle's changes.
  bool const capture = captures_changes(spec);
  if (capture)
    if (auto r = start_capture(c, l); !r) return r.error();
  for (auto const& r : fetched.upserts) {
    if (r.size() != l.record_values)
      return core::make_error(core::errc::protocol, fmt::format("table {}: record {} has {} values for {} columns",
                                                                spec.table, r.id, r.size(), l.record_values));
    if (!l.keyed_by_id && missing_key(r.at(l.key_value))) {
      auto const* problem = std::holds_alternative<std::monostate>(r.at(l.key_value)) ? "null" : "empty";
      if (auto k = keep_rejected(r.id, record_json(spec, r), fmt::format("key {} is {}", spec.key, problem), r.version); !k)
        return k.error();
      continue;
    }
    unreject->bind_text(1, spec.table);
    unreject->bind_text(2, r.id);
    if (auto u = unreject->run(); !u) return u.error();
    // As a delta's merge writes a row: in place when it keeps its key, else after removing the
    // rows it displaces (its own old row, and a row holding the key it takes).
    bind_mirror_row(*update, l, r);
    if (auto u = update->run(); !u) return u.error();
    if (c.changes() != 1) {
      if (!l.keyed_by_id) displace->bind_value(1, r.at(l.key_value));
      displace->bind_text(l.keyed_by_id ? 1 : 2, r.id);
      if (auto d = displace->run(); !d) return d.error();
      bind_mirror_row(*insert, l, r);
      if (auto i = insert->run(); !i) return i.error();
    }
    ++totals.upserted;
  }
  for (auto const& r : fetched.rejects)
    if (auto k = keep_rejected(r.id, r.raw_json, r.reason, std::nullopt); !k) return k.error();
  for (auto const& id : gone) {
    auto removed = drop_row(id);
    if (!removed) return removed.error();
    totals.deleted += *removed > 0 ? 1 : 0;
  }

  if (capture) {
    if (auto r = stop_capture(c, l); !r) return r.error();
    if (auto r = apply_changes(c, l, spec, now, now - db_.feed_retention_.count()); !r) return r.error();
  }
  auto counted = c.query_int(l.count_rows(l.mirror_name));
  if (!counted) return counted.error();
  totals.rows = *counted;
  auto store_rows = c.prepare("UPDATE dvsync_table_state SET mirror_rows = ?2 WHERE table_name = ?1");
  if (!store_rows) return store_rows.error();
  store_rows->bind_text(1, spec.table);
  store_rows->bind_int(2, totals.rows);
  if (auto r = store_rows->run(); !r) return r.error();
  if (auto r = tx->commit(); !r) return r.error();
  db_.mirror_rows_[spec.table] = totals.rows;
  return totals;
}

core::result<void> verify_store::record(verify_outcome const& o) {
  auto const one_at_a_time = db_.serialize();
  auto& c = db_.conn_;
  if (auto r = db_.durability(false); !r) return r;
  auto st = c.prepare(
      "INSERT OR REPLACE INTO dvsync_verify (table_name, finished_at, duration_ms, source_rows, mirror_rows, missing, "
      "extra, stale, pending, fix, altered, values_compared) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!st) return st.error();
  st->bind_text(1, o.table);
  st->bind_int(2, o.finished_at);
  st->bind_int(3, o.duration_ms);
  st->bind_int(4, o.source_rows);
  st->bind_int(5, o.mirror_rows);
  st->bind_int(6, o.drift.missing);
  st->bind_int(7, o.drift.extra);
  st->bind_int(8, o.drift.stale);
  st->bind_int(9, o.pending);
  st->bind_text(10, to_string(o.fix));
  st->bind_int(11, o.drift.altered);
  st->bind_int(12, o.values ? 1 : 0);
  return st->run();
}

core::result<std::vector<verify_outcome>> verify_store::last_outcomes() {
  auto const one_at_a_time = db_.serialize();
  auto st = db_.conn_.prepare(
      "SELECT table_name, finished_at, duration_ms, source_rows, mirror_rows, missing, extra, stale, pending, fix, "
      "altered, values_compared FROM dvsync_verify ORDER BY table_name");
  if (!st) return st.error();
  std::vector<verify_outcome> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    verify_outcome o;
    o.table = st->column_text(0);
    o.finished_at = st->column_int(1);
    o.duration_ms = st->column_int(2);
    o.source_rows = st->column_int(3);
    o.mirror_rows = st->column_int(4);
    o.drift = {st->column_int(5), st->column_int(6), st->column_int(7), st->column_int(10)};
    o.values = st->column_int(11) != 0;
    o.pending = st->column_int(8);
    auto const fix = st->column_text(9);
    for (auto a : {fix_action::none, fix_action::repaired, fix_action::resync_requested, fix_action::resync_pending})
      if (fix == to_string(a)) o.fix = a;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace dvsync::store
