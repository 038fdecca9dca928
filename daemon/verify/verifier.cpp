#include "verify/verifier.hpp"

#include "core/log.hpp"
#include "dataverse/links.hpp"
#include "dataverse/page_parser.hpp"
#include "verify/plan.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <chrono>
#include <numeric>

namespace dvsync::verify {
namespace {

using steady = std::chrono::steady_clock;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::uint64_t answered(dataverse::client_stats const& s) {
  return std::accumulate(s.requests_by_status.begin(), s.requests_by_status.end(), std::uint64_t{0},
                         [](std::uint64_t n, auto const& by_status) { return n + by_status.second; });
}

// The table as the untracked read and the delta see it here: ids and versions only (every other
// member of a row is ignored by the parser), and no key, so no row is rejected.
config::table_spec ids_only(config::table_spec const& spec) {
  return {spec.entity_set, spec.table, spec.id, {}, {}, spec.logical_name};
}

}  // namespace

char const* to_string(table_status s) {
  switch (s) {
    case table_status::no_drift: return "ok";
    case table_status::drift: return "drift";
    case table_status::not_synced: return "not_synced";
    case table_status::failed: return "failed";
  }
  return "unknown";
}

verifier::verifier(dataverse::client& client, store::database& db, config::settings const& settings, std::size_t examples)
    : client_(client), db_(db), store_(db), dataverse_(settings.dataverse), page_size_(settings.sync.page_size),
      examples_(examples) {}

boost::asio::awaitable<core::result<void>> verifier::read_source(config::table_spec const& spec, bool values,
                                                                 bool lookup_targets) {
  auto url = values ? dataverse::initial_url(dataverse_, spec) : dataverse::versions_url(dataverse_, spec);
  dataverse::link_guard guard(dataverse_.url, url);
  auto const ids = ids_only(spec);
  auto const values_per_row = values ? config::values_per_row(spec) : 0;
  for (std::int64_t pages = 1;; ++pages) {
    auto body = co_await client_.get_untracked(url, page_size_, values && lookup_targets, values_per_row);
    if (!body) co_return body.error();
    auto page = dataverse::parse_page(*body, ids);
    if (!page) co_return page.error();
    // The rows as a cycle reads them (their types, exact digits and rejects), for their values;
    // the ids and versions above stay the comparison's, whatever a row's values.
    if (values) {
      auto rows = dataverse::parse_page(*body, spec);
      if (!rows) co_return rows.error();
      if (auto r = store_.add_rows(*rows); !r) co_return r.error();
    }
    std::string().swap(*body);
    if (auto ok = guard.check(*page); !ok) co_return ok.error();
    // An untracked read lists rows only; deleted entries would mean the service read it as a delta.
    if (!page->deletes.empty())
      co_return core::make_error(core::errc::protocol,
                                 fmt::format("page {} of the untracked read of {} has deleted entries", pages,
                                             spec.entity_set));
    if (auto r = store_.add_source(*page); !r) co_return r.error();
    core::log::debug("verify.page", {{"table", spec.table}, {"page", pages}, {"rows", page->upserts.size()}});
    if (!page->next_link) co_return core::result<void>{};
    url = std::move(*page->next_link);
  }
}

boost::asio::awaitable<core::result<std::size_t>> verifier::read_changes(config::table_spec const& spec,
                                                                         std::string delta_link) {
  // Stored links were checked when they arrived; a link put there by hand is checked all the same.
  if (auto ok = dataverse::check_link(delta_link, dataverse_.url); !ok) co_return ok.error();
  dataverse::link_guard guard(dataverse_.url, delta_link);
  auto const ids = ids_only(spec);
  auto const values = config::values_per_row(spec);
  bool const lookups = config::has_lookup_targets(spec);
  auto url = std::move(delta_link);
  std::size_t changes = 0;
  for (;;) {
    auto body = co_await client_.get(url, lookups, values);
    if (!body) co_return body.error();
    auto page = dataverse::parse_page(*body, ids);
    if (!page) co_return page.error();
    std::string().swap(*body);
    if (auto ok = guard.check(*page); !ok) co_return ok.error();
    if (auto r = store_.add_changed(*page); !r) co_return r.error();
    changes += page->upserts.size() + page->deletes.size();
    if (!page->next_link) co_return changes;
    url = std::move(*page->next_link);
  }
}

boost::asio::awaitable<core::result<verifier::recheck_outcome>> verifier::recheck(
    config::table_spec const& spec, std::vector<store::drift_example> candidates, bool lookups) {
  auto const ids = ids_only(spec);
  recheck_outcome out;
  for (auto const& c : candidates) {
    bool const extra = c.kind == store::drift_kind::extra;
    // A row put into the mirror by hand may have any id; only a GUID can be a row of the source.
    if (!dataverse::is_row_id(c.id)) {
      (extra ? out.gone : out.changing).push_back(c.id);
      continue;
    }
    auto body = co_await client_.get_row(dataverse::row_url(dataverse_, spec, c.id), lookups);
    if (!body) {
      if (body.error().http_status != 404) co_return body.error();
      // Gone: an extra row for certain; a row the read returned was deleted since.
      (extra ? out.gone : out.changing).push_back(c.id);
      continue;
    }
    // One entity: checked to be exactly one JSON object, then read as the one element of a page, by
    // the parser that reads every page (its exact digits, types and rejects), and for its version.
    boost::system::error_code ec;
    auto const parsed = boost::json::parse(*body, ec);
    if (ec || !parsed.is_object())
      co_return core::make_error(core::errc::protocol, fmt::format("the answer for row {} is not a JSON object", c.id));
    auto const as_page = "{\"value\":[" + *body + "]}";
    auto row = dataverse::parse_page(as_page, spec);
    if (!row) co_return row.error();
    auto version = dataverse::parse_page(as_page, ids);
    if (!version) co_return version.error();
    if (version->upserts.size() != 1 || version->upserts.front().id != c.id)
      co_return core::make_error(core::errc::protocol, fmt::format("the answer for row {} is another row", c.id));
    if (extra || version->upserts.front().version != c.source_version) {
      out.changing.push_back(c.id);
      continue;
    }
    for (auto& r : row->upserts) out.fetched.upserts.push_back(std::move(r));
    for (auto& r : row->rejects) out.fetched.rejects.push_back(std::move(r));
  }
  co_return out;
}

boost::asio::awaitable<table_report> verifier::verify(config::table_spec spec, fix_options fix, bool values) {
  table_report rep;
  rep.table = spec.table;
  auto const started = steady::now();
  auto const requests_before = answered(client_.stats());
  auto done = [&](table_status s, std::string error = {}) {
    rep.status = s;
    rep.error = std::move(error);
    rep.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started).count();
    rep.requests = answered(client_.stats()) - requests_before;
    (void)store_.end();
  };

  auto base = store_.begin(spec, values);
  if (!base) {
    done(table_status::failed, base.error().message);
    co_return rep;
  }
  rep.values = base->values;
  if (values && !base->values)
    rep.values_note = "values not compared: " +
                      (base->full_resync_pending
                           ? base->full_resync_reason + ", which replaces the table"
                           : std::string("the mirror's columns differ from the configured ones until its next full "
                                         "cycle rebuilds it"));
  else if (values && base->lookup_targets_lost && config::has_lookup_targets(spec))
    rep.values_note = "values compared without the targets of polymorphic lookups (<lookup>type): the table's reads "
                      "no longer ask for them (dvsync status)";
  // As the table's cycles read: without lookup targets once the service lost a link over them.
  bool const lookup_targets = !base->lookup_targets_lost && config::has_lookup_targets(spec);
  if (base->delta_link.empty()) {
    done(table_status::not_synced, base->full_resync_pending ? "its first full read is in progress" : "never synced");
    co_return rep;
  }
  rep.mirror_rows = base->mirror_rows;
  core::log::info("verify.start", {{"table", spec.table}, {"mirror_rows", rep.mirror_rows}});
  if (auto r = co_await read_source(spec, base->values, lookup_targets); !r) {
    done(table_status::failed, "reading the source: " + r.error().message);
    co_return rep;
  }
  auto rows = store_.source_rows();
  auto found = rows ? store_.compare(examples_) : core::result<store::drift>(rows.error());
  if (!found) {
    done(table_status::failed, found.error().message);
    co_return rep;
  }
  rep.source_rows = *rows;
  auto const raw_total = found->counts.total();
  if (raw_total > 0) {
    auto const before = raw_total;
    auto changes = co_await read_changes(spec, base->delta_link);
    if (!changes) {
      auto const hint = changes.error().code == core::errc::token_expired
                            ? " (the delta link has expired: the next cycle is a full resync, which repairs any drift)"
                            : "";
      done(table_status::failed, fmt::format("{} differences found, and the changes since the last cycle that could "
                                             "explain them cannot be read: {}{}",
                                             before, changes.error().message, hint));
      co_return rep;
    }
    // Each comparison reads both working tables whole: none again when nothing changed.
    if (*changes > 0) found = store_.compare(examples_);
    if (!found) {
      done(table_status::failed, found.error().message);
      co_return rep;
    }
  }
  // What the delta link cannot explain, read again by id.
  std::optional<recheck_outcome> checked;
  if (found->counts.total() > 0 && found->counts.total() <= recheck_limit) {
    auto candidates = store_.drifted(static_cast<std::size_t>(recheck_limit));
    if (!candidates) {
      done(table_status::failed, candidates.error().message);
      co_return rep;
    }
    auto outcome = co_await recheck(spec, std::move(*candidates), lookup_targets);
    if (!outcome) {
      done(table_status::failed, "reading the differences again by id: " + outcome.error().message);
      co_return rep;
    }
    if (!outcome->changing.empty()) {
      dataverse::page changing;
      changing.deletes = outcome->changing;
      if (auto r = store_.add_changed(changing); !r) {
        done(table_status::failed, r.error().message);
        co_return rep;
      }
      found = store_.compare(examples_);
      if (!found) {
        done(table_status::failed, found.error().message);
        co_return rep;
      }
    }
    checked = std::move(*outcome);
  } else if (found->counts.total() > recheck_limit) {
    rep.rechecked = false;
  }
  rep.pending = raw_total - found->counts.total();
  rep.found = std::move(*found);
  auto const drifted = rep.found.counts.total();
  auto const working = store_.working_bytes();
  core::log::info("verify.compared", {{"table", spec.table}, {"source_rows", rep.source_rows},
                                      {"missing", rep.found.counts.missing}, {"extra", rep.found.counts.extra},
                                      {"stale", rep.found.counts.stale}, {"altered", rep.found.counts.altered},
                                      {"pending", rep.pending},
                                      {"temp_bytes", working ? *working : -1}});

  if (fix.enabled && drifted > 0) {
    auto const decision = decide_fix({drifted, rep.source_rows, fix.lock_held, fix.lock_problem,
                                      base->full_resync_pending, base->full_resync_reason, base->columns_match});
    rep.fix = decision.action;
    rep.fix_reason = decision.reason;
    if (decision.action == store::fix_action::resync_requested) {
      if (auto marked = db_.request_resync(spec.table, "verify"); !marked) {
        rep.fix = store::fix_action::none;
        rep.fix_reason = "the full resync could not be requested: " + marked.error().message;
      }
    } else if (decision.action == store::fix_action::repaired) {
      // The rows re-read by id are the repair: drift within repair_limit was always re-read.
      auto totals = checked ? store_.repair(spec, checked->fetched, checked->gone, base->delta_link, unix_now())
                            : core::result<store::repair_totals>(core::make_error(core::errc::database, "not re-read"));
      if (totals) {
        rep.repaired = *totals;
      } else {
        rep.fix = store::fix_action::none;
        rep.fix_reason = "the repair failed, and wrote nothing: " + totals.error().message;
      }
    }
    core::log::info("verify.fix", {{"table", spec.table}, {"action", store::to_string(rep.fix)}, {"reason", rep.fix_reason}});
  }
  done(drifted > 0 ? table_status::drift : table_status::no_drift);
  co_return rep;
}

}  // namespace dvsync::verify
