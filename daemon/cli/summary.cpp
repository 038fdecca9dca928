#include "cli/summary.hpp"

#include <fmt/format.h>

namespace dvsync::cli {
namespace {

std::string count(std::int64_t n, const char* one, const char* many) { return fmt::format("{} {}", n, n == 1 ? one : many); }

}  // namespace

std::string summarize(std::string const& table, core::result<sync::cycle_report> const& r) {
  if (!r) return fmt::format("{}: failed: {}", table, r.error().message);
  auto const& c = *r;
  std::string kind = c.kind == sync::cycle_kind::full ? (c.reason == "initial" ? "initial sync" : "full resync (" + c.reason + ")")
                                                      : std::string("delta cycle");
  if (c.resumed) kind += ", resumed";
  return fmt::format("{}: {}, {}, {}, {}, {}, {} ({} ms)", table, kind, count(c.pages, "page", "pages"),
                     count(c.upserts, "upsert", "upserts"), count(c.deletes, "delete", "deletes"),
                     count(c.rejects, "reject", "rejects"), count(c.rows, "row", "rows"), c.duration.count());
}

}  // namespace dvsync::cli
