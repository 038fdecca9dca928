// `dvsync verify` against the emulator: no drift on a correct mirror; hand-made drift (a row
// deleted from the mirror, a version altered, a foreign row inserted, with the sqlite3 shell's
// means) found exactly in a keyed and a GUID-keyed table; --fix repairs only those rows, or falls
// back to a full resync when the drift is large or a running daemon holds the lock; and no false
// drift while a daemon syncs a source that keeps changing. With --values, edits that keep the
// version are found in every type and repaired. The daemon exports the outcome.
#include "ops_fixture.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;

bool contains(std::string const& haystack, std::string const& needle) { return haystack.find(needle) != std::string::npos; }

std::string const both_tables = R"([
  { "entity_set": "sample_books", "table": "sample_book", "id": "sample_bookid", "key": "sample_bookcode",
    "columns": ["sample_name", "sample_bookcode", "sample_author"] },
  { "logical_name": "account" } ])";

// Ids no source row has: lower-case GUIDs, so a repair asks the service for them (and gets 404).
std::string const foreign_book = "0000aaaa-0000-4000-8000-0000000000b1";
std::string const foreign_account = "0000aaaa-0000-4000-8000-0000000000a1";

struct table_drift {
  std::int64_t missing = -1, extra = -1, stale = -1, pending = -1;
  std::string status;
  std::vector<std::string> missing_ids, extra_ids, stale_ids;
  std::string fix;
  bool values_compared = false;
  std::int64_t altered = -1;            // with --values
  std::vector<std::string> altered_rows;  // "<id>:<column>:<column>..."
};

std::vector<std::string> ids_of(boost::json::value const& list) {
  std::vector<std::string> out;
  for (auto const& e : list.as_array()) out.emplace_back(e.as_object().at("id").as_string());
  return out;
}

class verify_test : public ops_test {
 protected:
  void SetUp() override {
    ops_test::SetUp();
    configure();
  }

  void configure(config_overrides o = {}) {
    o.tables = both_tables;
    write_config(o);
  }

  void seed_accounts(int count) {
    auto r = emulator_->control("seed", fmt::format(R"({{"entity_set":"accounts","count":{},"seed":5}})", count));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // 20 books and 30 accounts, synced.
  void synced_tables() {
    create_books(0, 19);
    seed_accounts(30);
    auto r = once();
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string account_id(int nth) const {
    return query_text(db_path_, fmt::format("SELECT accountid FROM account ORDER BY accountid LIMIT 1 OFFSET {}", nth));
  }

  // In each table: a row deleted, a version altered, a foreign row inserted. Returns nothing; the
  // ids are the members below.
  void make_drift() {
    deleted_book_ = id_of("BookCode3");
    stale_book_ = id_of("BookCode5");
    deleted_account_ = account_id(2);
    stale_account_ = account_id(7);
    exec_sql(db_path_, fmt::format(
                           "DELETE FROM sample_book WHERE sample_bookid = '{0}';"
                           "UPDATE sample_book SET dvsync_version = dvsync_version + 1000 WHERE sample_bookid = '{1}';"
                           "INSERT INTO sample_book (sample_bookcode, sample_bookid, sample_name, dvsync_version) "
                           "VALUES ('Foreign', '{2}', 'not in the source', 1);"
                           "DELETE FROM account WHERE accountid = '{3}';"
                           "UPDATE account SET dvsync_version = dvsync_version + 1000 WHERE accountid = '{4}';"
                           "INSERT INTO account (accountid, name, dvsync_version) VALUES ('{5}', 'foreign', 1);",
                           deleted_book_, stale_book_, foreign_book, deleted_account_, stale_account_, foreign_account));
  }

  process_result verify(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"verify"};
    args.insert(args.end(), extra.begin(), extra.end());
    return dvsync(args);
  }

  // `verify --json [extra]`, by table.
  std::map<std::string, table_drift> verify_json(process_result& r, std::vector<std::string> extra = {}) {
    extra.push_back("--json");
    r = verify(extra);
    std::map<std::string, table_drift> out;
    boost::system::error_code ec;
    auto doc = boost::json::parse(r.out, ec);
    if (ec) {
      ADD_FAILURE() << "not JSON: " << r.out << r.err;
      return out;
    }
    for (auto const& item : doc.as_object().at("tables").as_array()) {
      auto const& t = item.as_object();
      auto const& examples = t.at("examples").as_object();
      table_drift d;
      d.status = t.at("status").as_string();
      d.missing = t.at("missing").as_int64();
      d.extra = t.at("extra").as_int64();
      d.stale = t.at("stale").as_int64();
      d.pending = t.at("pending").as_int64();
      d.missing_ids = ids_of(examples.at("missing"));
      d.extra_ids = ids_of(examples.at("extra"));
      d.stale_ids = ids_of(examples.at("stale"));
      d.fix = t.at("fix").as_object().at("action").as_string();
      d.values_compared = t.at("values_compared").as_bool();
      if (d.values_compared) {
        d.altered = t.at("altered").as_int64();
        for (auto const& e : examples.at("altered").as_array()) {
          std::string row(e.as_object().at("id").as_string());
          for (auto const& c : e.as_object().at("columns").as_array()) row += ":" + std::string(c.as_string());
          d.altered_rows.push_back(row);
        }
      }
      out[std::string(t.at("table").as_string())] = d;
    }
    return out;
  }

  void expect_the_hand_made_drift(std::map<std::string, table_drift> const& found) {
    ASSERT_TRUE(found.contains("sample_book") && found.contains("account"));
    auto const& b = found.at("sample_book");
    EXPECT_EQ(b.status, "drift");
    EXPECT_EQ(b.missing_ids, std::vector<std::string>{deleted_book_});
    EXPECT_EQ(b.extra_ids, std::vector<std::string>{foreign_book});
    EXPECT_EQ(b.stale_ids, std::vector<std::string>{stale_book_});
    EXPECT_EQ(b.missing + b.extra + b.stale, 3);
    auto const& a = found.at("account");
    EXPECT_EQ(a.status, "drift");
    EXPECT_EQ(a.missing_ids, std::vector<std::string>{deleted_account_});
    EXPECT_EQ(a.extra_ids, std::vector<std::string>{foreign_account});
    EXPECT_EQ(a.stale_ids, std::vector<std::string>{stale_account_});
    EXPECT_EQ(a.missing + a.extra + a.stale, 3);
  }

  // Every column of one row, quoted as SQL literals: a repaired row must equal the synced one.
  std::string row_text(std::string const& table, std::string const& id_column, std::string const& id) const {
    auto const columns = query_text(
        db_path_, fmt::format("SELECT group_concat('quote(\"' || name || '\")', ' || '','' || ') FROM pragma_table_info('{}')",
                              table));
    return query_text(db_path_, fmt::format("SELECT {} FROM {} WHERE {} = '{}'", columns, table, id_column, id));
  }

  std::uint64_t row_gets(std::string const& set) {
    return count_requests([&](std::string_view path) { return path.find("/" + set + "(") != std::string_view::npos; }, 0);
  }

  std::string deleted_book_, stale_book_, deleted_account_, stale_account_;
};

TEST_F(verify_test, finds_no_drift_on_a_correct_mirror_and_exactly_the_hand_made_drift) {
  auto no_database = verify();
  EXPECT_EQ(no_database.exit_code, 1);
  EXPECT_TRUE(contains(no_database.err, "does not exist")) << no_database.err;
  EXPECT_FALSE(std::filesystem::exists(db_path_));
  ASSERT_EQ(dvsync({"resync"}).exit_code, 0);  // makes the database, syncs nothing
  auto never = verify();
  EXPECT_EQ(never.exit_code, 0) << never.err;
  EXPECT_TRUE(contains(never.out, "sample_book: not synced yet (never synced): nothing to verify")) << never.out;

  synced_tables();
  auto clean = verify();
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_TRUE(contains(clean.out, "sample_book: no drift: 20 rows in the source, 20 rows in the mirror")) << clean.out;
  EXPECT_TRUE(contains(clean.out, "account: no drift: 30 rows in the source, 30 rows in the mirror")) << clean.out;

  make_drift();
  process_result r;
  auto found = verify_json(r);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  expect_the_hand_made_drift(found);
  EXPECT_EQ(found.at("sample_book").pending, 0);
  EXPECT_EQ(found.at("sample_book").fix, "none");
  // Nothing was written to the mirror without --fix; the outcome is kept for the daemon's metrics.
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM sample_book"), "20");
  EXPECT_EQ(query_text(db_path_, "SELECT missing || ',' || extra || ',' || stale || ',' || fix FROM dvsync_verify "
                                 "WHERE table_name = 'account'"),
            "1,1,1,none");

  auto text = verify({"--table", "sample_book"});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_TRUE(contains(text.out, "sample_book: DRIFT: 1 missing, 1 extra, 1 stale")) << text.out;
  EXPECT_TRUE(contains(text.out, "  missing: " + deleted_book_ + "\n")) << text.out;
  EXPECT_FALSE(contains(text.out, "account")) << text.out;
  auto unknown = verify({"--table", "nope"});
  EXPECT_EQ(unknown.exit_code, 64);
  EXPECT_TRUE(contains(unknown.err, "no table named 'nope'")) << unknown.err;
  auto resync_unknown = dvsync({"resync", "--table", "nope"});
  EXPECT_EQ(resync_unknown.exit_code, 64);
  EXPECT_TRUE(contains(resync_unknown.err, "no table named 'nope'")) << resync_unknown.err;
}

TEST_F(verify_test, fix_repairs_only_the_drifted_rows_and_a_second_verify_finds_none) {
  synced_tables();
  auto const book_rows = std::make_pair(row_text("sample_book", "sample_bookid", id_of("BookCode3")),
                                        row_text("sample_book", "sample_bookid", id_of("BookCode5")));
  auto const account_rows = std::make_pair(row_text("account", "accountid", account_id(2)),
                                           row_text("account", "accountid", account_id(7)));
  make_drift();
  auto const link = stored_delta_link(db_path_, "sample_book");
  auto const gets_before = row_gets("sample_books") + row_gets("accounts");

  process_result r;
  auto fixed = verify_json(r, {"--fix"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // drift was found, and repaired
  expect_the_hand_made_drift(fixed);
  EXPECT_EQ(fixed.at("sample_book").fix, "repaired");
  EXPECT_EQ(fixed.at("account").fix, "repaired");
  // One GET by id per drifted row (the foreign one answers 404 and is deleted), nothing else by id.
  EXPECT_EQ(row_gets("sample_books") + row_gets("accounts") - gets_before, 6u);
  EXPECT_EQ(stored_delta_link(db_path_, "sample_book"), link);
  expect_mirror_equals_source();
  // The rows written by id are those the sync wrote, every column (lookup targets, exact digits).
  EXPECT_EQ(row_text("sample_book", "sample_bookid", deleted_book_), book_rows.first);
  EXPECT_EQ(row_text("sample_book", "sample_bookid", stale_book_), book_rows.second);
  EXPECT_EQ(row_text("account", "accountid", deleted_account_), account_rows.first);
  EXPECT_EQ(row_text("account", "accountid", stale_account_), account_rows.second);
  EXPECT_NE(account_rows.first, "");
  EXPECT_EQ(query_text(db_path_, fmt::format("SELECT count(*) FROM account WHERE accountid = '{}'", foreign_account)), "0");

  auto again = verify();
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_TRUE(contains(again.out, "sample_book: no drift")) << again.out;
  EXPECT_TRUE(contains(again.out, "account: no drift")) << again.out;

  // The next cycle goes on from the same link, and the mirror stays equal to the source.
  create_book(40);
  auto next = once();
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_TRUE(contains(next.out, "sample_book: delta cycle, 1 page, 1 upsert")) << next.out;
  expect_mirror_equals_source();
}

TEST_F(verify_test, values_find_hand_edits_that_keep_the_version_in_every_type_and_fix_restores_them) {
  config_overrides o;
  o.tables = R"([
    { "entity_set": "sample_books", "table": "sample_book", "id": "sample_bookid", "key": "sample_bookcode",
      "columns": ["sample_name", "sample_bookcode", "sample_author"] },
    { "logical_name": "account" }, { "logical_name": "contact" } ])";
  write_config(o);
  create_books(0, 19);
  seed_accounts(30);
  auto seeded = emulator_->control("seed", R"({"entity_set":"contacts","count":12,"seed":3})");
  ASSERT_EQ(seeded.status, 200) << seeded.body;
  ASSERT_EQ(once().exit_code, 0);

  // Every type as the sync stored it (exact digits, dates, lookups and their targets, choices):
  // read whole again, untracked, and compared, nothing differs.
  auto clean = verify({"--values"});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  for (auto const* table : {"sample_book", "account", "contact"})
    EXPECT_TRUE(contains(clean.out, fmt::format("{}: no drift (values compared)", table))) << clean.out;

  auto const book = id_of("BookCode5");
  auto const ledger = query_text(db_path_, "SELECT accountid FROM account WHERE sample_ledgerbalance IS NOT NULL "
                                           "ORDER BY accountid LIMIT 1");
  auto const held = query_text(db_path_, fmt::format("SELECT accountid FROM account WHERE accountid > '{}' "
                                                     "ORDER BY accountid LIMIT 1", ledger));
  auto const contact = query_text(db_path_, "SELECT contactid FROM contact WHERE parentcustomeridtype IS NOT NULL "
                                            "ORDER BY contactid LIMIT 1");
  ASSERT_NE(ledger, "");
  ASSERT_NE(contact, "");
  auto const before = std::vector<std::string>{
      row_text("sample_book", "sample_bookid", book), row_text("account", "accountid", ledger),
      row_text("account", "accountid", held), row_text("contact", "contactid", contact)};
  // Edits that keep dvsync_version, as a person with the sqlite3 shell makes them.
  exec_sql(db_path_, fmt::format("UPDATE sample_book SET sample_author = 'edited by hand' WHERE sample_bookid = '{}';"
                                 "UPDATE account SET sample_ledgerbalance = sample_ledgerbalance + 1, "
                                 "dvsync_exact_sample_ledgerbalance = '1.0000' WHERE accountid = '{}';"
                                 "UPDATE account SET creditonhold = CASE creditonhold WHEN 1 THEN 0 ELSE 1 END WHERE accountid = '{}';"
                                 "UPDATE contact SET parentcustomeridtype = NULL WHERE contactid = '{}';",
                                 book, ledger, held, contact));

  // Versions alone cannot see them.
  EXPECT_EQ(verify().exit_code, 0);
  process_result found;
  auto altered = verify_json(found, {"--values"});
  EXPECT_EQ(found.exit_code, 1) << found.err;
  for (auto const& [table, d] : altered) {
    EXPECT_TRUE(d.values_compared) << table;
    EXPECT_EQ(d.altered, static_cast<std::int64_t>(d.altered_rows.size())) << table;
  }
  EXPECT_EQ(altered["sample_book"].altered_rows, std::vector<std::string>{book + ":sample_author"});
  std::vector<std::string> accounts{ledger + ":sample_ledgerbalance:dvsync_exact_sample_ledgerbalance",
                                    held + ":creditonhold"};
  std::sort(accounts.begin(), accounts.end());
  EXPECT_EQ(altered["account"].altered_rows, accounts);
  EXPECT_EQ(altered["contact"].altered_rows, std::vector<std::string>{contact + ":parentcustomeridtype"});
  EXPECT_EQ(query_text(db_path_, "SELECT altered || ',' || values_compared FROM dvsync_verify WHERE table_name = 'account'"),
            "2,1");

  auto text = verify({"--values", "--table", "account"});
  EXPECT_TRUE(contains(text.out, "account: DRIFT: 0 missing, 0 extra, 0 stale, 2 altered")) << text.out;
  EXPECT_TRUE(contains(text.out, "creditonhold")) << text.out;

  // --fix reads each altered row again by id and writes it as the sync wrote it.
  auto fixed = verify({"--values", "--fix"});
  EXPECT_EQ(fixed.exit_code, 1) << fixed.out << fixed.err;
  EXPECT_TRUE(contains(fixed.out, "fixed:")) << fixed.out;
  EXPECT_EQ((std::vector<std::string>{row_text("sample_book", "sample_bookid", book), row_text("account", "accountid", ledger),
                                      row_text("account", "accountid", held), row_text("contact", "contactid", contact)}),
            before);
  auto again = verify({"--values"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(query_text(db_path_, "SELECT altered || ',' || values_compared FROM dvsync_verify WHERE table_name = 'account'"),
            "0,1");
  expect_mirror_equals_source();
}

TEST_F(verify_test, fix_requests_a_full_resync_when_the_drift_is_large) {
  synced_tables();
  exec_sql(db_path_, "DELETE FROM sample_book WHERE sample_bookcode NOT IN ('BookCode1', 'BookCode2', 'BookCode3', "
                     "'BookCode4', 'BookCode5', 'BookCode6', 'BookCode7', 'BookCode8')");
  auto r = verify({"--fix", "--table", "sample_book"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.out, "12 missing")) << r.out;
  EXPECT_TRUE(contains(r.out, "full resync requested: 12 rows drifted, more than the 10 a repair fetches by id")) << r.out;
  EXPECT_EQ(state("resync_requested"), "1");
  EXPECT_EQ(state("resync_reason"), "verify");
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM sample_book"), "8");

  auto resync = once();
  ASSERT_EQ(resync.exit_code, 0) << resync.err;
  expect_mirror_equals_source();
  EXPECT_EQ(verify().exit_code, 0);
}

TEST_F(verify_test, with_a_daemon_running_verify_reports_exactly_and_fix_leaves_the_repair_to_its_full_resync) {
  config_overrides o;
  o.interval_s = 1;
  o.extra_top_level = metrics_at("127.0.0.1:0");
  configure(o);
  synced_tables();
  auto daemon = start_daemon();
  auto const port = metrics_port();
  ASSERT_NE(port, 0) << log();
  ASSERT_TRUE(wait_for_log("event=cycle.done", 20s, 2)) << log();
  make_drift();

  // The daemon polls every second meanwhile: nothing changes in the source, the drift is exact.
  process_result r;
  expect_the_hand_made_drift(verify_json(r));

  auto fix = verify({"--fix", "--table", "sample_book"});
  EXPECT_EQ(fix.exit_code, 1);
  EXPECT_TRUE(contains(fix.out, "full resync requested: ")) << fix.out;
  EXPECT_TRUE(contains(fix.out, std::to_string(daemon.pid()))) << fix.out;
  EXPECT_TRUE(contains(fix.out, "rows are not written beside a running daemon's cycles")) << fix.out;

  // The daemon's next cycle is the full resync; its metrics show it and the verify's outcome.
  std::map<std::string, std::string> m;
  auto const deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    m = parse_metrics(get(port, "/metrics").body);
    if (m["dvsync_full_resyncs_total{table=\"sample_book\",reason=\"verify\"}"] == "1") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(m["dvsync_full_resyncs_total{table=\"sample_book\",reason=\"verify\"}"], "1") << log();
  EXPECT_EQ(m["dvsync_verify_drift_rows{table=\"sample_book\",kind=\"missing\"}"], "1");
  EXPECT_EQ(m["dvsync_verify_drift_rows{table=\"sample_book\",kind=\"extra\"}"], "1");
  EXPECT_EQ(m["dvsync_verify_drift_rows{table=\"sample_book\",kind=\"stale\"}"], "1");
  EXPECT_EQ(m["dvsync_verify_drift_rows{table=\"account\",kind=\"stale\"}"], "1");
  EXPECT_NE(m["dvsync_verify_last_run_timestamp_seconds{table=\"sample_book\"}"], "");
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(10s), 0);
  expect_mirror_equals_source();
  auto after = verify({"--table", "sample_book"});
  EXPECT_EQ(after.exit_code, 0) << after.out;
}

TEST_F(verify_test, no_false_drift_while_a_daemon_syncs_a_source_that_keeps_changing) {
  config_overrides o;
  o.interval_s = 1;
  o.page_size = 40;  // the verify reads several pages while rows change under it
  o.tables = R"([{ "entity_set": "sample_books", "table": "sample_book", "id": "sample_bookid", "key": "sample_bookcode",
                   "columns": ["sample_name", "sample_bookcode", "sample_author"] }])";
  write_config(o);
  create_books(0, 199);
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_for_log("event=cycle.done", 20s)) << log();

  // Creates, updates and deletes, one every 5 ms, for as long as the verifies run.
  (void)api("GET", "sample_books?$top=1");  // the bearer token, fetched before the thread shares it
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      int const code = 1000 + i;
      (void)api("POST", "sample_books",
          fmt::format(R"({{"sample_name":"n{0}","sample_bookcode":"BookCode{0}","sample_author":"a"}})", code));
      (void)api("PATCH", fmt::format("sample_books(sample_bookcode='BookCode{}')", i % 200), R"({"sample_author":"changed"})");
      if (i % 3 == 0) (void)api("DELETE", fmt::format("sample_books(sample_bookcode='BookCode{}')", code));
      ++writes;
      std::this_thread::sleep_for(5ms);
    }
  });
  // Every page of a collection read answers 150 ms late, so that the daemon commits cycles while the
  // verifies read.
  faults(R"([{"match":{"method":"GET","path":"/sample_books?"},"delay_ms":150,"count":-1}])");
  auto cycles = [this] {
    auto const text = log();
    std::size_t n = 0;
    for (auto at = text.find("event=cycle.done"); at != std::string::npos; at = text.find("event=cycle.done", at + 1)) ++n;
    return n;
  };
  auto const cycles_before = cycles();
  std::int64_t pending = 0;
  for (int run = 0; run < 3; ++run) {
    process_result r;
    auto found = verify_json(r);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    ASSERT_TRUE(found.contains("sample_book")) << r.out;
    auto const& b = found.at("sample_book");
    EXPECT_EQ(b.status, "ok") << r.out;
    EXPECT_EQ(b.missing + b.extra + b.stale, 0) << r.out;
    pending += b.pending;
  }
  auto const cycles_during = cycles() - cycles_before;
  stop = true;
  writer.join();
  // The source did change under the verifies, and the daemon committed meanwhile: those
  // differences were told from drift.
  EXPECT_GT(writes.load(), 10);
  EXPECT_GT(pending, 0);
  EXPECT_GE(cycles_during, 2u) << log();
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(10s), 0);
}

}  // namespace
}  // namespace dvsync::test
