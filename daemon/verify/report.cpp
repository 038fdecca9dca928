#include "verify/report.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace dvsync::verify {
namespace {

std::string rows(std::int64_t n) { return fmt::format("{} row{}", n, n == 1 ? "" : "s"); }

std::string requests(std::uint64_t n) { return fmt::format("{} request{}", n, n == 1 ? "" : "s"); }

std::string examples_line(char const* kind, std::vector<store::drift_example> const& list, std::int64_t count) {
  if (list.empty()) return {};
  std::string out = fmt::format("  {:<8} ", std::string(kind) + ":");
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto const& e = list[i];
    if (i > 0) out += ", ";
    out += e.id;
    if (e.kind == store::drift_kind::altered)
      out += fmt::format(" (version {}: {})", e.mirror_version.value_or(0), fmt::join(e.columns, ", "));
    else if (e.mirror_version && e.source_version)
      out += fmt::format(" (mirror version {}, source {})", *e.mirror_version, *e.source_version);
  }
  if (count > static_cast<std::int64_t>(list.size())) out += fmt::format(", and {} more", count - static_cast<std::int64_t>(list.size()));
  return out + "\n";
}

std::string values_note(table_report const& t) {
  return t.values_note.empty() ? std::string() : fmt::format("  note:    {}\n", t.values_note);
}

std::string fix_text(table_report const& t) {
  using store::fix_action;
  switch (t.fix) {
    case fix_action::repaired:
      return fmt::format("  fixed:   {} written, {} kept as rejects, {} deleted; the mirror has {} ({})\n",
                         rows(t.repaired ? t.repaired->upserted : 0), t.repaired ? t.repaired->rejected : 0,
                         t.repaired ? t.repaired->deleted : 0, rows(t.repaired ? t.repaired->rows : 0), t.fix_reason);
    case fix_action::resync_requested: return fmt::format("  fix:     full resync requested: {}\n", t.fix_reason);
    case fix_action::resync_pending: return fmt::format("  fix:     nothing to do: {}\n", t.fix_reason);
    case fix_action::none:
      return t.fix_reason.empty() ? std::string() : fmt::format("  fix:     none: {}\n", t.fix_reason);
  }
  return {};
}

boost::json::array examples_json(std::vector<store::drift_example> const& list) {
  boost::json::array out;
  for (auto const& e : list) {
    boost::json::object o{{"id", e.id}};
    o["mirror_version"] = e.mirror_version ? boost::json::value(*e.mirror_version) : nullptr;
    o["source_version"] = e.source_version ? boost::json::value(*e.source_version) : nullptr;
    if (e.kind == store::drift_kind::altered) {
      boost::json::array columns;
      for (auto const& c : e.columns) columns.push_back(boost::json::string(c));
      o["columns"] = std::move(columns);
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

std::string report_text(std::vector<table_report> const& tables) {
  std::string out;
  for (auto const& t : tables) {
    auto const& c = t.found.counts;
    std::string const pending =
        t.pending > 0 ? fmt::format("; {} changed in the source since the last cycle, not drift", rows(t.pending)) : "";
    switch (t.status) {
      case table_status::no_drift:
        out += fmt::format("{}: no drift{}: {} in the source, {} in the mirror{} ({}, {:.1f} s)\n", t.table,
                           t.values ? " (values compared)" : "", rows(t.source_rows), rows(t.mirror_rows), pending,
                           requests(t.requests), t.duration_ms / 1000.0);
        out += values_note(t);
        break;
      case table_status::drift:
        out += fmt::format("{}: DRIFT: {} missing, {} extra, {} stale{}; {} in the source, {} in the mirror{} ({}, "
                           "{:.1f} s)\n",
                           t.table, c.missing, c.extra, c.stale,
                           t.values ? fmt::format(", {} altered", c.altered) : std::string(), rows(t.source_rows),
                           rows(t.mirror_rows), pending, requests(t.requests), t.duration_ms / 1000.0);
        out += values_note(t);
        if (!t.rechecked)
          out += fmt::format("  note:    over {} differences: not read again one by one, so rows changing at this "
                             "moment may be among them\n",
                             recheck_limit);
        out += examples_line("missing", t.found.missing, c.missing);
        out += examples_line("extra", t.found.extra, c.extra);
        out += examples_line("stale", t.found.stale, c.stale);
        out += examples_line("altered", t.found.altered, c.altered);
        out += fix_text(t);
        break;
      case table_status::not_synced: out += fmt::format("{}: not synced yet ({}): nothing to verify\n", t.table, t.error); break;
      case table_status::failed: out += fmt::format("{}: verify failed: {}\n", t.table, t.error); break;
    }
  }
  return out;
}

std::string report_json(std::vector<table_report> const& tables, std::int64_t now) {
  boost::json::array out;
  for (auto const& t : tables) {
    auto const& c = t.found.counts;
    boost::json::object o{{"table", t.table},
                          {"status", to_string(t.status)},
                          {"source_rows", t.source_rows},
                          {"mirror_rows", t.mirror_rows},
                          {"missing", c.missing},
                          {"extra", c.extra},
                          {"stale", c.stale},
                          {"values_compared", t.values},
                          {"pending", t.pending},
                          {"rechecked", t.rechecked},
                          {"requests", t.requests},
                          {"duration_ms", t.duration_ms}};
    boost::json::object examples;
    examples["missing"] = examples_json(t.found.missing);
    examples["extra"] = examples_json(t.found.extra);
    examples["stale"] = examples_json(t.found.stale);
    if (t.values) {
      o["altered"] = c.altered;
      examples["altered"] = examples_json(t.found.altered);
    }
    o["examples"] = std::move(examples);
    o["error"] = t.error.empty() ? boost::json::value(nullptr) : boost::json::value(t.error);
    boost::json::object fix{{"action", store::to_string(t.fix)}, {"reason", t.fix_reason}};
    if (t.repaired)
      fix["repaired"] = {{"upserted", t.repaired->upserted}, {"rejected", t.repaired->rejected},
                         {"deleted", t.repaired->deleted}, {"rows", t.repaired->rows}};
    o["fix"] = std::move(fix);
    out.push_back(std::move(o));
  }
  boost::json::object doc{{"now", now}, {"tables", std::move(out)}};
  return boost::json::serialize(doc) + "\n";
}

int exit_code(std::vector<table_report> const& tables) {
  for (auto const& t : tables)
    if (t.status == table_status::drift || t.status == table_status::failed) return 1;
  return 0;
}

}  // namespace dvsync::verify
