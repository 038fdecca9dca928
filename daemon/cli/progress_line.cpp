#include "cli/progress_line.hpp"

#include "store/state.hpp"

#include <fmt/format.h>

namespace dvsync::cli {

std::string progress_lines(std::map<std::string, sync::cycle_progress> const& running,
                           std::chrono::steady_clock::time_point now) {
  std::string out;
  for (auto const& [table, p] : running) {
    if (!out.empty()) out += '\n';
    out += fmt::format("{}: {} read, {} rows", table, store::to_string(p.kind), p.rows_done);
    if (p.rows_expected && *p.rows_expected > 0)
      out += fmt::format(" of about {} ({:.0f}%)", *p.rows_expected,
                         std::min(100.0, 100.0 * static_cast<double>(p.rows_done) / static_cast<double>(*p.rows_expected)));
    out += fmt::format(", {:.0f} rows/s", p.rate(now));
    if (auto eta = p.eta(now)) out += fmt::format(", about {} s left", eta->count());
  }
  return out;
}

}  // namespace dvsync::cli
