#include "store/verify_store.hpp"

#include "store_fixture.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace dvsync::store::test {
namespace {

using V = std::vector<std::string>;
using verify_store_test = store_test;

std::string text(char const* s) { return s; }

// A page of an untracked read of ids and versions: records without values.
dataverse::page versions(std::vector<std::pair<std::string, std::int64_t>> rows) {
  dataverse::page p;
  for (auto& [id, version] : rows) p.upserts.push_back(dataverse::record(id, version, {}));
  return p;
}

std::string describe(drift_example const& e) {
  return e.id + ":" + (e.mirror_version ? std::to_string(*e.mirror_version) : "-") + ":" +
         (e.source_version ? std::to_string(*e.source_version) : "-");
}

V describe(std::vector<drift_example> const& list) {
  V out;
  for (auto const& e : list) out.push_back(describe(e));
  return out;
}

TEST_F(verify_store_test, finds_missing_extra_and_stale_rows_exactly_and_nothing_on_an_equal_mirror) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1), book("b", text("Y"), "b", 2), book("c", text("Z"), "c", 3)});
  verify_store v(db);

  auto base = v.begin(books());
  ASSERT_TRUE(base) << base.error().message;
  EXPECT_EQ(base->delta_link, "link-1");
  EXPECT_EQ(base->mirror_rows, 3);
  EXPECT_TRUE(base->columns_match);
  EXPECT_FALSE(base->full_resync_pending);
  ASSERT_TRUE(v.add_source(versions({{"a", 1}, {"b", 2}})));
  ASSERT_TRUE(v.add_source(versions({{"c", 3}})));
  auto same = v.compare(5);
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->counts, (drift_counts{0, 0, 0}));
  EXPECT_EQ(v.source_rows().value(), 3);

  ASSERT_TRUE(v.begin(books()));
  ASSERT_TRUE(v.add_source(versions({{"a", 1}, {"b", 7}, {"d", 4}})));
  auto found = v.compare(5);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->counts, (drift_counts{1, 1, 1}));
  EXPECT_EQ(describe(found->missing), (V{"d:-:4"}));
  EXPECT_EQ(describe(found->extra), (V{"c:3:-"}));
  EXPECT_EQ(describe(found->stale), (V{"b:2:7"}));
  EXPECT_EQ(describe(v.drifted(10).value()), (V{"d:-:4", "b:2:7", "c:3:-"}));
  EXPECT_EQ(describe(v.drifted(2).value()), (V{"d:-:4", "b:2:7"}));
  ASSERT_TRUE(v.end());
}

// A hand edit of the mirror: a second connection, as `sqlite3 mirror.db` would write.
void edit_by_hand(std::string const& db_path, std::string const& sql) {
  auto c = connection::open(db_path, open_mode::read_write, std::chrono::milliseconds{5000}).value();
  ASSERT_TRUE(c.exec(sql));
}

std::string describe_altered(drift_example const& e) {
  std::string columns;
  for (auto const& c : e.columns) columns += (columns.empty() ? "" : "+") + c;
  return e.id + ":" + std::to_string(e.source_version.value_or(-1)) + ":" + columns;
}

TEST_F(verify_store_test, values_find_rows_edited_by_hand_with_the_columns_that_differ_and_nothing_on_an_equal_mirror) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1), book("b", text("Y"), "b", 2), book("c", text("Z"), "c", 3)});
  verify_store v(db);
  auto base = v.begin(books(), true);
  ASSERT_TRUE(base) << base.error().message;
  EXPECT_TRUE(base->values);
  ASSERT_TRUE(v.add_source(versions({{"a", 1}, {"b", 2}, {"c", 3}})));
  ASSERT_TRUE(v.add_rows(upserts({book("a", text("X"), "a", 1), book("b", text("Y"), "b", 2), book("c", text("Z"), "c", 3)})));
  auto same = v.compare(5);
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->counts, (drift_counts{0, 0, 0, 0}));

  // Two edits keep the version: a name, and a name with the key. A NULL for a value is a difference too.
  edit_by_hand(db_path(), "UPDATE sample_book SET sample_name = 'edited' WHERE sample_bookid = 'b'");
  edit_by_hand(db_path(), "UPDATE sample_book SET sample_bookcode = 'C', sample_author = NULL WHERE sample_bookid = 'c'");
  ASSERT_TRUE(v.begin(books(), true));
  ASSERT_TRUE(v.add_source(versions({{"a", 1}, {"b", 2}, {"c", 3}})));
  ASSERT_TRUE(v.add_rows(upserts({book("a", text("X"), "a", 1), book("b", text("Y"), "b", 2), book("c", text("Z"), "c", 3)})));
  auto found = v.compare(5);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->counts, (drift_counts{0, 0, 0, 2}));
  V altered;
  for (auto const& e : found->altered) altered.push_back(describe_altered(e));
  EXPECT_EQ(altered, (V{"b:2:sample_name", "c:3:sample_bookcode+sample_author"}));
  EXPECT_EQ(describe(v.drifted(10).value()), (V{"b:2:2", "c:3:3"}));

  // Without --values the same mirror has no drift: the versions agree.
  ASSERT_TRUE(v.begin(books()));
  ASSERT_TRUE(v.add_source(versions({{"a", 1}, {"b", 2}, {"c", 3}})));
  EXPECT_EQ(v.compare(5)->counts, (drift_counts{0, 0, 0, 0}));
  ASSERT_TRUE(v.end());
}

TEST_F(verify_store_test, values_are_compared_only_where_the_versions_agree_and_as_the_mirror_stores_them) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1), book("b", text("Y"), "b", 2), book("c", text("Z"), "c", 3)});
  verify_store v(db);
  ASSERT_TRUE(v.begin(books(), true));
  // b is newer in the source (stale, not altered); c changed since the delta link (pending); d is
  // missing. Values are bound as the merge binds them: the same text is equal, whatever its source.
  ASSERT_TRUE(v.add_source(versions({{"a", 1}, {"b", 7}, {"c", 3}, {"d", 1}})));
  ASSERT_TRUE(v.add_rows(upserts({book("a", text("X"), "a", 1), book("b", text("Y"), "other name", 7),
                                  book("c", text("Z"), "changed", 3), book("d", text("W"), "d", 1)})));
  ASSERT_TRUE(v.add_changed(versions({{"c", 4}})));
  auto found = v.compare(5);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->counts, (drift_counts{1, 0, 1, 0}));
  ASSERT_TRUE(v.end());
}

TEST_F(verify_store_test, values_are_not_compared_while_the_mirrors_columns_differ_from_the_configured_ones) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  auto wider = books();
  wider.columns.push_back("sample_pages");
  verify_store v(db);
  auto base = v.begin(wider, true);
  ASSERT_TRUE(base) << base.error().message;
  EXPECT_FALSE(base->columns_match);
  EXPECT_FALSE(base->values);
  EXPECT_FALSE(v.add_rows(upserts({book("a", text("X"), "a", 1)})));
  ASSERT_TRUE(v.end());
}

// Contacts keyed by their GUID with a polymorphic lookup: values name, owner, owner's table.
config::table_spec owned() {
  config::table_spec t{"contacts", "contact", "contactid", "", {}};
  t.logical_name = "contact";
  t.columns = {config::column_spec{"fullname", "fullname", config::column_type::text},
               config::column_spec{"ownerid", "_ownerid_value", config::column_type::lookup, true}};
  return t;
}

dataverse::record contact(std::string id, char const* name, std::optional<std::string> target, std::int64_t version) {
  using dataverse::value;
  return {std::move(id), version,
          {value{std::string(name)}, value{std::string("22cc22cc-dd33-ee44-ff55-66aa66aa66aa")},
           target ? value{*target} : value{}}};
}

std::int64_t altered_after(verify_store& v, config::table_spec const& spec, dataverse::page const& rows) {
  if (!v.begin(spec, true)) return -1;
  if (!v.add_source(rows) || !v.add_rows(rows)) return -1;
  auto found = v.compare(5);
  return found ? found->counts.altered : -1;
}

TEST_F(verify_store_test, once_the_reads_stopped_asking_for_lookup_targets_the_target_columns_are_not_compared) {
  auto db = open_db();
  auto const spec = owned();
  ASSERT_TRUE(db.begin_cycle(spec, cycle_kind::full, "initial"));
  ASSERT_TRUE(db.finish_cycle(spec, upserts({contact("a", "A", "systemuser", 1), contact("b", "B", "team", 2)}), "link-1", 1000));
  // The source read without the annotation: no targets. While the reads ask, that is a difference.
  auto const unannotated = upserts({contact("a", "A", std::nullopt, 1), contact("b", "B", std::nullopt, 2)});
  verify_store v(db);
  EXPECT_EQ(altered_after(v, spec, unannotated), 2);
  ASSERT_TRUE(db.record_lookup_targets_lost("contact", 1500));
  auto base = v.begin(spec, true);
  ASSERT_TRUE(base);
  EXPECT_TRUE(base->lookup_targets_lost);
  EXPECT_EQ(altered_after(v, spec, unannotated), 0);
  // Every other column still is.
  EXPECT_EQ(altered_after(v, spec, upserts({contact("a", "A edited", std::nullopt, 1), contact("b", "B", std::nullopt, 2)})), 1);
  ASSERT_TRUE(v.end());
}

TEST_F(verify_store_test, values_are_not_compared_while_a_full_resync_that_replaces_the_table_is_pending) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  ASSERT_TRUE(db.request_resync("sample_book", "manual"));
  verify_store v(db);
  auto base = v.begin(books(), true);
  ASSERT_TRUE(base) << base.error().message;
  EXPECT_TRUE(base->full_resync_pending);
  EXPECT_FALSE(base->values);
  ASSERT_TRUE(v.end());
}

TEST_F(verify_store_test, a_table_of_1200_columns_is_compared_whole) {
  // SQLite refuses expressions deeper than 1,000: the comparison of every column must not be a chain.
  config::table_spec wide{"wides", "wide", "wideid", "", {}};
  for (int i = 0; i < 1200; ++i) wide.columns.push_back(config::column_spec(fmt::format("c{}", i)));
  auto row = [&](std::string id, int edited) {
    std::vector<dataverse::value> values;
    for (int i = 0; i < 1200; ++i) values.push_back(dataverse::value{fmt::format("{}-{}", i, i == edited ? "x" : "v")});
    return dataverse::record(std::move(id), 1, values);
  };
  auto db = open_db();
  ASSERT_TRUE(db.begin_cycle(wide, cycle_kind::full, "initial"));
  ASSERT_TRUE(db.finish_cycle(wide, upserts({row("a", -1), row("b", -1)}), "link-1", 1000));
  verify_store v(db);
  ASSERT_TRUE(v.begin(wide, true));
  ASSERT_TRUE(v.add_source(upserts({row("a", -1), row("b", 1117)})));
  ASSERT_TRUE(v.add_rows(upserts({row("a", -1), row("b", 1117)})));
  auto found = v.compare(5);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->counts.altered, 1);
  ASSERT_EQ(found->altered.size(), 1u);
  EXPECT_EQ(found->altered[0].columns, (V{"c1117"}));
  ASSERT_TRUE(v.end());
}

TEST_F(verify_store_test, examples_are_the_first_ids_and_counts_stay_exact) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  verify_store v(db);
  ASSERT_TRUE(v.begin(books()));
  ASSERT_TRUE(v.add_source(versions({{"a", 1}, {"m5", 1}, {"m1", 1}, {"m3", 1}, {"m2", 1}, {"m4", 1}})));
  auto found = v.compare(2);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->counts.missing, 5);
  EXPECT_EQ(describe(found->missing), (V{"m1:-:1", "m2:-:1"}));
}

TEST_F(verify_store_test, rejected_rows_count_as_the_mirrors_and_their_version_when_it_is_known) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1), book("r", dataverse::value{}, "no key", 5)});
  auto r = reader();
  ASSERT_EQ(reject_rows(r), (V{"r:key sample_bookcode is null"}));
  verify_store v(db);
  auto base = v.begin(books());
  ASSERT_TRUE(base);
  EXPECT_EQ(base->mirror_rows, 2);
  ASSERT_TRUE(v.add_source(versions({{"a", 1}, {"r", 5}})));
  EXPECT_EQ(v.compare(5)->counts, (drift_counts{0, 0, 0}));
  // A cycle keeps a reject without its version: any version of the row matches it.
  ASSERT_TRUE(v.begin(books()));
  ASSERT_TRUE(v.add_source(versions({{"a", 1}, {"r", 6}})));
  EXPECT_EQ(v.compare(5)->counts, (drift_counts{0, 0, 0}));
  ASSERT_TRUE(v.begin(books()));
  ASSERT_TRUE(v.add_source(versions({{"a", 1}})));
  EXPECT_EQ(v.compare(5)->counts, (drift_counts{0, 1, 0}));
  // A repair keeps the version of the row it fetched.
  ASSERT_TRUE(v.repair(books(), upserts({book("r", dataverse::value{}, "no key", 7)}), {}, "link-1", 3000));
  ASSERT_TRUE(v.begin(books()));
  ASSERT_TRUE(v.add_source(versions({{"a", 1}, {"r", 8}})));
  EXPECT_EQ(v.compare(5)->counts, (drift_counts{0, 0, 1}));
}

TEST_F(verify_store_test, ids_changed_since_the_delta_link_are_not_drift) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1), book("b", text("Y"), "b", 2), book("c", text("Z"), "c", 3)});
  verify_store v(db);
  ASSERT_TRUE(v.begin(books()));
  // b updated, c deleted and d created after the link: the next delta brings all three. e is drift.
  ASSERT_TRUE(v.add_source(versions({{"a", 1}, {"b", 8}, {"d", 9}, {"e", 1}})));
  EXPECT_EQ(v.compare(5)->counts, (drift_counts{2, 1, 1}));
  dataverse::page changes = versions({{"b", 8}, {"d", 9}});
  changes.deletes = {"c"};
  ASSERT_TRUE(v.add_changed(changes));
  auto found = v.compare(5);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->counts, (drift_counts{1, 0, 0}));
  EXPECT_EQ(describe(found->missing), (V{"e:-:1"}));
  EXPECT_EQ(describe(v.drifted(10).value()), (V{"e:-:1"}));
}

TEST_F(verify_store_test, the_copy_is_the_mirror_of_one_commit_whatever_commits_after_it) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  verify_store v(db);
  auto base = v.begin(books());
  ASSERT_TRUE(base);
  // A cycle commits while the source is read: the copy and its link stay as they were.
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.finish_cycle(books(), upserts({book("b", text("Y"), "b", 2)}), "link-2", 2000));
  ASSERT_TRUE(v.add_source(versions({{"a", 1}})));
  EXPECT_EQ(v.compare(5)->counts, (drift_counts{0, 0, 0}));
  EXPECT_EQ(base->delta_link, "link-1");
}

TEST_F(verify_store_test, a_table_never_synced_has_no_baseline_and_a_pending_full_resync_is_reported) {
  auto db = open_db();
  verify_store v(db);
  auto none = v.begin(books());
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->delta_link.empty());

  initial_sync(db, {book("a", text("X"), "a", 1)});
  ASSERT_TRUE(db.request_resync("sample_book", "manual").value());
  auto pending = v.begin(books());
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->full_resync_pending);
  EXPECT_NE(pending->full_resync_reason.find("manual"), std::string::npos) << pending->full_resync_reason;
}

TEST_F(verify_store_test, a_repair_writes_moves_rejects_and_deletes_in_one_commit_and_keeps_the_link) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1), book("b", text("Y"), "b", 1), book("c", text("Z"), "c", 1),
                    book("e", text("E"), "e", 1), book("f", text("F"), "f", 1)});
  verify_store v(db);
  // a and b swap keys, d is new, e has lost its key, c is gone, and a row put in by hand with an id
  // that is not a GUID goes too; f is left alone.
  auto fetched = upserts({book("a", text("Y"), "a", 5), book("b", text("X"), "b", 5), book("d", text("W"), "d", 5),
                          book("e", dataverse::value{}, "e", 5)});
  auto totals = v.repair(books(), fetched, {"c", "hand-made"}, "link-1", 3000);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(totals->upserted, 3);
  EXPECT_EQ(totals->rejected, 1);
  EXPECT_EQ(totals->deleted, 1);
  EXPECT_EQ(totals->rows, 4);

  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"F:f:f:1", "W:d:d:5", "X:b:b:5", "Y:a:a:5"}));
  EXPECT_EQ(reject_rows(r), (V{"e:key sample_bookcode is null"}));
  auto s = db.load_state("sample_book").value();
  EXPECT_EQ(s.delta_link, "link-1");
  EXPECT_EQ(s.delta_link_at, 1000);
  EXPECT_EQ(s.mirror_rows, 4);
  EXPECT_EQ(db.integrity_check().value(), "ok");

  // The row that got its key back leaves the rejects.
  auto back = v.repair(books(), upserts({book("e", text("E"), "e", 6)}), {}, "link-1", 3001);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(reject_rows(r), V{});
  EXPECT_EQ(back->rows, 5);
}

TEST_F(verify_store_test, a_repair_reaches_the_change_feed_and_the_history_like_a_cycle) {
  auto spec = books();
  spec.change_feed = true;
  spec.mode = config::table_mode::history;
  auto db = open_db();
  ASSERT_TRUE(db.begin_cycle(spec, cycle_kind::full, "initial"));
  ASSERT_TRUE(db.finish_cycle(spec, upserts({book("a", text("X"), "a", 1), book("c", text("Z"), "c", 1)}), "link-1", 1000));
  verify_store v(db);
  auto totals = v.repair(spec, upserts({book("a", text("X"), "a fixed", 5), book("d", text("W"), "d", 5)}), {"c"}, "link-1",
                         3000);
  ASSERT_TRUE(totals) << totals.error().message;
  auto r = reader();
  EXPECT_EQ(r.query_int("SELECT count(*) FROM dvsync_feed WHERE committed_at = 3000").value(), 3);
  EXPECT_EQ(first_text(r, "SELECT group_concat(op || ':' || id, ' ') FROM (SELECT op, id FROM dvsync_feed "
                          "WHERE committed_at = 3000 ORDER BY seq)"),
            "upsert:a upsert:d delete:c");
  EXPECT_EQ(r.query_int("SELECT count(*) FROM sample_book_history WHERE dvsync_valid_to IS NULL").value(), 2);
  EXPECT_EQ(first_text(r, "SELECT sample_name FROM sample_book_history WHERE sample_bookid = 'a' AND "
                          "dvsync_valid_to IS NULL"),
            "a fixed");
  // A row edited by hand in the mirror and repaired as it was: no second version of it.
  auto edit = connection::open(db_path(), open_mode::read_write, std::chrono::milliseconds{5000}).value();
  ASSERT_TRUE(edit.exec("UPDATE sample_book SET sample_author = 'edited' WHERE sample_bookid = 'd'"));
  ASSERT_TRUE(v.repair(spec, upserts({book("d", text("W"), "d", 5)}), {}, "link-1", 4000));
  EXPECT_EQ(first_text(r, "SELECT group_concat(sample_author || ':' || dvsync_version || ':' || dvsync_valid_from || ':' "
                          "|| coalesce(dvsync_valid_to, '-'), ' ') FROM sample_book_history WHERE sample_bookid = 'd'"),
            "author:5:3000:-");
  EXPECT_EQ(first_text(r, "SELECT sample_author FROM sample_book WHERE sample_bookid = 'd'"), "author");
}

TEST_F(verify_store_test, a_repair_writes_nothing_when_a_cycle_committed_after_the_verify_read) {
  auto db = open_db();
  initial_sync(db, {book("a", text("X"), "a", 1)});
  ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::delta, "delta"));
  ASSERT_TRUE(db.finish_cycle(books(), upserts({}), "link-2", 2000));
  verify_store v(db);
  auto refused = v.repair(books(), upserts({book("b", text("Y"), "b", 2)}), {"a"}, "link-1", 3000);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("verify again"), std::string::npos) << refused.error().message;
  auto r = reader();
  EXPECT_EQ(mirror_rows(r), (V{"X:a:a:1"}));
}

TEST_F(verify_store_test, outcomes_are_kept_one_per_table) {
  auto db = open_db();
  verify_store v(db);
  EXPECT_TRUE(v.last_outcomes().value().empty());
  verify_outcome o{"sample_book", 1000, 250, 10, 11, {1, 2, 3}, 4, fix_action::repaired};
  ASSERT_TRUE(v.record(o));
  o.finished_at = 2000;
  o.fix = fix_action::resync_requested;
  ASSERT_TRUE(v.record(o));
  ASSERT_TRUE(v.record({"account", 1500, 10, 5, 5, {}, 0, fix_action::none}));
  auto all = v.last_outcomes().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].table, "account");
  EXPECT_EQ(all[1].table, "sample_book");
  EXPECT_EQ(all[1].finished_at, 2000);
  EXPECT_EQ(all[1].drift, (drift_counts{1, 2, 3}));
  EXPECT_EQ(all[1].pending, 4);
  EXPECT_EQ(all[1].fix, fix_action::resync_requested);
  EXPECT_EQ(all[1].source_rows, 10);
  EXPECT_EQ(all[1].mirror_rows, 11);
}

}  // namespace
}  // namespace dvsync::store::test
