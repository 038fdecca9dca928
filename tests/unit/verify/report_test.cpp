#include "verify/report.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace dvsync::verify {
namespace {

bool contains(std::string const& s, std::string const& part) { return s.find(part) != std::string::npos; }

table_report drifted() {
  table_report t;
  t.table = "sample_book";
  t.status = table_status::drift;
  t.source_rows = 20;
  t.mirror_rows = 20;
  t.pending = 2;
  t.requests = 3;
  t.duration_ms = 1500;
  t.found.counts = {1, 1, 7};
  t.found.missing = {{store::drift_kind::missing, "m", std::nullopt, 4, {}}};
  t.found.extra = {{store::drift_kind::extra, "x", 3, std::nullopt, {}}};
  t.found.stale = {{store::drift_kind::stale, "s", 2, 7, {}}};
  t.fix = store::fix_action::repaired;
  t.fix_reason = "9 rows fetched by id and written in one transaction";
  t.repaired = store::repair_totals{8, 0, 1, 19};
  return t;
}

TEST(report_text, names_counts_examples_and_the_fix) {
  table_report ok;
  ok.table = "account";
  ok.status = table_status::no_drift;
  ok.source_rows = ok.mirror_rows = 1;
  auto text = report_text({drifted(), ok});
  EXPECT_TRUE(contains(text, "sample_book: DRIFT: 1 missing, 1 extra, 7 stale; 20 rows in the source, 20 rows in the "
                             "mirror; 2 rows changed in the source since the last cycle, not drift"))
      << text;
  EXPECT_TRUE(contains(text, "  missing: m\n")) << text;
  EXPECT_TRUE(contains(text, "  extra:   x\n")) << text;
  EXPECT_TRUE(contains(text, "  stale:   s (mirror version 2, source 7), and 6 more\n")) << text;
  EXPECT_TRUE(contains(text, "  fixed:   8 rows written, 0 kept as rejects, 1 deleted; the mirror has 19 rows")) << text;
  EXPECT_TRUE(contains(text, "account: no drift: 1 row in the source, 1 row in the mirror (")) << text;
}

TEST(report_json, is_one_document_with_every_table) {
  table_report failed;
  failed.table = "contact";
  failed.error = "reading the source: HTTP 500";
  auto doc = boost::json::parse(report_json({drifted(), failed}, 1234)).as_object();
  EXPECT_EQ(doc.at("now").as_int64(), 1234);
  auto const& t = doc.at("tables").as_array();
  ASSERT_EQ(t.size(), 2u);
  auto const& d = t[0].as_object();
  EXPECT_EQ(d.at("status").as_string(), "drift");
  EXPECT_EQ(d.at("stale").as_int64(), 7);
  EXPECT_EQ(d.at("pending").as_int64(), 2);
  auto const& examples = d.at("examples").as_object();
  EXPECT_EQ(examples.at("stale").as_array().at(0).as_object().at("source_version").as_int64(), 7);
  EXPECT_TRUE(examples.at("missing").as_array().at(0).as_object().at("mirror_version").is_null());
  auto const& fix = d.at("fix").as_object();
  EXPECT_EQ(fix.at("action").as_string(), "repaired");
  EXPECT_EQ(fix.at("repaired").as_object().at("deleted").as_int64(), 1);
  EXPECT_EQ(t[1].as_object().at("status").as_string(), "failed");
  EXPECT_EQ(t[1].as_object().at("error").as_string(), "reading the source: HTTP 500");
}

TEST(report, altered_rows_name_the_columns_that_differ_and_appear_only_when_values_were_compared) {
  auto t = drifted();
  EXPECT_FALSE(contains(report_text({t}), "altered")) << report_text({t});
  EXPECT_FALSE(boost::json::parse(report_json({t}, 1)).as_object().at("tables").as_array()[0].as_object().contains("altered"));
  t.values = true;
  t.found.counts.altered = 2;
  t.found.altered = {{store::drift_kind::altered, "a", 5, 5, {"sample_author", "sample_name"}}};
  auto text = report_text({t});
  EXPECT_TRUE(contains(text, "1 missing, 1 extra, 7 stale, 2 altered;")) << text;
  EXPECT_TRUE(contains(text, "  altered: a (version 5: sample_author, sample_name), and 1 more\n")) << text;
  auto doc = boost::json::parse(report_json({t}, 1)).as_object().at("tables").as_array()[0].as_object();
  EXPECT_EQ(doc.at("altered").as_int64(), 2);
  EXPECT_TRUE(doc.at("values_compared").as_bool());
  auto const& example = doc.at("examples").as_object().at("altered").as_array().at(0).as_object();
  EXPECT_EQ(example.at("columns").as_array().size(), 2u);

  table_report unmatched;
  unmatched.table = "account";
  unmatched.status = table_status::no_drift;
  unmatched.values_note = "values not compared: the mirror's columns differ";
  EXPECT_TRUE(contains(report_text({unmatched}), "  note:    values not compared: the mirror's columns differ\n"));
}

TEST(exit_code, is_1_for_drift_or_failure_and_0_otherwise) {
  table_report ok, not_synced, failed;
  ok.status = table_status::no_drift;
  not_synced.status = table_status::not_synced;
  failed.status = table_status::failed;
  EXPECT_EQ(exit_code({ok, not_synced}), 0);
  EXPECT_EQ(exit_code({}), 0);
  EXPECT_EQ(exit_code({ok, drifted()}), 1);
  EXPECT_EQ(exit_code({failed, ok}), 1);
}

}  // namespace
}  // namespace dvsync::verify
