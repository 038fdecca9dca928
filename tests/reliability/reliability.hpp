#pragma once
// What every reliability test shares: the daemon fixture of the integration tests (emulator,
// config, real dvsync binary, oracle), the short/long switch, figures for docs/RELIABILITY.md,
// and the full convergence oracle.
#include "fixture.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dvsync::test {

// DVSYNC_RELIABILITY=long selects the long form (tests/reliability/run.sh); ctest runs the short one.
bool long_form();
// The short or the long figure, by form.
int scaled(int short_value, int long_value);

// One machine-readable figure: `FIGURE <test> <name> <value> <note>` on stdout, and the same line
// appended to $DVSYNC_FIGURES_FILE when set. Names and values contain no spaces.
void report_figure(std::string const& test, std::string const& name, std::string const& value, std::string const& note = "");

// True when dvsync was built with DVSYNC_CRASH_POINTS (DVSYNC_CRASH_AT works).
bool crash_points_available();

// The named crash points of daemon/core/crash_point.hpp, in cycle order.
std::vector<std::string> const& crash_point_names();

// One `dvsync once` summary line ("sample_book: delta cycle, 3 pages, 10 upserts, ...").
struct cycle_summary {
  bool full = false;
  bool resumed = false;
  std::int64_t pages = 0;
  std::int64_t upserts = 0;
  std::int64_t deletes = 0;
  std::int64_t rows = 0;
};
std::optional<cycle_summary> parse_summary(std::string const& once_output);

double seconds_since(std::chrono::steady_clock::time_point t);
// "1.234" (seconds, three decimals).
std::string format_seconds(double s);
// The q-quantile (0..1) of values, nearest rank; 0 when empty.
double quantile(std::vector<double> values, double q);

class reliability_test : public daemon_test {
 protected:
  // GETs that the emulator answered for the table's collection and its links (any status,
  // resets included).
  std::uint64_t table_gets() { return requests("/sample_books"); }

  // The first URL of a full read, as the daemon builds it.
  std::string initial_url() const;
  // Pages of a read from `url` (the initial query, or a stored delta link) with this page size,
  // following nextLinks as the daemon would. Reads are stateless on the emulator, so looking first
  // changes nothing; these GETs do count in its statistics.
  int count_pages(std::string url, int page_size);

  // Points the configuration at a new, empty database (a new directory), with these settings.
  void use_fresh_database(std::string const& name, config_overrides const& o);

  // `dvsync once` as a child process, its output in <dir>/<log_name>.
  child start_once(std::string const& log_name, environment env = {});

  // The oracle after faults have stopped: one clean `once` succeeds, then the mirror equals the
  // source as a set of (id, key, columns, version), keyless source rows are exactly the rejects,
  // no cycle is left in progress, integrity_check is ok, and one more `once` (the stored delta
  // link) brings 0 upserts and 0 deletes. Returns what was wrong; empty when all holds.
  std::string converge_and_check();
  // The same checks without the first clean `once` (the caller just ran one).
  std::string check_converged();
  // Mirror and source, compared; empty when equal.
  std::string compare_with_source();
};

}  // namespace dvsync::test
