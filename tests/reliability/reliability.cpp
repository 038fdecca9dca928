#include "reliability.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

namespace dvsync::test {

bool long_form() {
  char const* form = std::getenv("DVSYNC_RELIABILITY");
  return form != nullptr && std::string_view(form) == "long";
}

int scaled(int short_value, int long_value) { return long_form() ? long_value : short_value; }

void report_figure(std::string const& test, std::string const& name, std::string const& value, std::string const& note) {
  auto line = fmt::format("FIGURE {} {} {}{}{}", test, name, value, note.empty() ? "" : " ", note);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  if (char const* file = std::getenv("DVSYNC_FIGURES_FILE"); file != nullptr && *file != '\0') {
    std::ofstream out(file, std::ios::app);
    out << line << '\n';
  }
}

bool crash_points_available() { return DVSYNC_CRASH_POINTS_BUILT != 0; }

std::vector<std::string> const& crash_point_names() {
  static std::vector<std::string> const names{"after_fetch", "mid_apply", "before_commit", "after_commit", "final_merge"};
  return names;
}

std::optional<cycle_summary> parse_summary(std::string const& once_output) {
  static std::regex const line(
      R"(sample_book: (initial sync|full resync \([a-z_]+\)|delta cycle)(, resumed)?, (\d+) pages?, (\d+) upserts?, )"
      R"((\d+) deletes?, \d+ rejects?, (\d+) rows?)");
  std::smatch m;
  if (!std::regex_search(once_output, m, line)) return std::nullopt;
  cycle_summary s;
  s.full = m[1].str() != "delta cycle";
  s.resumed = m[2].matched;
  s.pages = std::stoll(m[3].str());
  s.upserts = std::stoll(m[4].str());
  s.deletes = std::stoll(m[5].str());
  s.rows = std::stoll(m[6].str());
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string format_seconds(double s) { return fmt::format("{:.3f}", s); }

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

std::string reliability_test::initial_url() const {
  return emulator_->api_url("sample_books?$select=sample_name,sample_bookcode,sample_author");
}

int reliability_test::count_pages(std::string url, int page_size) {
  auto headers = web_api_headers(emulator_->token());
  headers.emplace_back("Prefer", fmt::format("odata.track-changes,odata.maxpagesize={}", page_size));
  int pages = 0;
  while (!url.empty()) {
    auto r = http_call("GET", url, {}, headers, {std::chrono::seconds(60), {}});
    if (r.status != 200) throw std::runtime_error(fmt::format("GET page {}: HTTP {}: {}", pages + 1, r.status, r.body));
    ++pages;
    auto const doc = boost::json::parse(r.body);
    auto const* next = doc.as_object().if_contains("@odata.nextLink");
    url = next ? std::string(next->as_string()) : std::string();
  }
  return pages;
}

void reliability_test::use_fresh_database(std::string const& name, config_overrides const& o) {
  db_path_ = (dir_ / name / "mirror.db").string();
  write_config(o);
}

child reliability_test::start_once(std::string const& log_name, environment env) {
  for (auto const& [k, v] : secret_env()) env.try_emplace(k, v);
  return child({dvsync_binary(), "once", "--config", config_path_}, env, (dir_ / log_name).string());
}

std::string reliability_test::compare_with_source() {
  auto dump = emulator_->control_get("rows?entity_set=sample_books").body;
  auto d = compare(rows_from_dump(dump, shape_), mirror());
  std::string problems;
  if (!d.empty()) problems += "mirror differs from the source: " + d.describe() + "; ";

  // Rows without a key are not in the mirror: they must be exactly the rejects.
  std::vector<std::string> keyless;
  auto const rows = boost::json::parse(dump);
  for (auto const& item : rows.as_array()) {
    auto const& o = item.as_object();
    auto const* key = o.if_contains(shape_.key);
    if (key == nullptr || key->is_null() || (key->is_string() && key->get_string().empty()))
      keyless.emplace_back(o.at("id").as_string());
  }
  std::sort(keyless.begin(), keyless.end());
  std::string expected;
  for (auto const& id : keyless) expected += (expected.empty() ? "" : ",") + id;
  auto rejects = query_text(db_path_,
                            "SELECT group_concat(id, ',') FROM (SELECT id FROM dvsync_rejects "
                            "WHERE table_name = 'sample_book' ORDER BY id)");
  if (rejects != expected) problems += fmt::format("rejects [{}] but keyless source rows [{}]; ", rejects, expected);
  return problems;
}

std::string reliability_test::check_converged() {
  std::string problems = compare_with_source();
  if (auto kind = state("cycle_kind"); !kind.empty()) problems += "a " + kind + " cycle is still in progress; ";
  if (auto ic = integrity_check(db_path_); ic != "ok") problems += "integrity_check: " + ic + "; ";
  // The stored delta link must describe exactly the mirror's state: following it brings nothing.
  auto again = once();
  auto s = parse_summary(again.out);
  if (again.exit_code != 0 || !s)
    problems += "the check cycle failed: " + again.err + again.out + "; ";
  else if (s->full || s->upserts != 0 || s->deletes != 0)
    problems += "the stored delta link is not the mirror's: the next cycle brought: " + again.out + "; ";
  return problems;
}

std::string reliability_test::converge_and_check() {
  auto r = once();
  if (r.exit_code != 0) return fmt::format("the clean cycle failed (exit {}, signal {}): {}{}", r.exit_code, r.signal, r.err, r.out);
  return check_converged();
}

}  // namespace dvsync::test
