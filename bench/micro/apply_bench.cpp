// The apply step: database::stage_page of 5000-row pages into a full cycle (one commit per page,
// synchronous=FULL, a real file), and an idle delta cycle on a populated mirror.
#include "pages.hpp"
#include "store/database.hpp"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dvsync::bench {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t page_rows = 5000;

class scratch_database {
 public:
  scratch_database() {
    std::string tmpl = (fs::temp_directory_path() / "dvsync-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    config::database_settings settings;
    settings.path = (dir_ / "mirror.db").string();
    auto db = store::database::open(settings);
    if (!db) throw std::runtime_error(db.error().message);
    db_.emplace(std::move(*db));
  }
  ~scratch_database() {
    db_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  scratch_database(scratch_database const&) = delete;
  scratch_database& operator=(scratch_database const&) = delete;
  store::database& db() { return *db_; }

 private:
  fs::path dir_;
  std::optional<store::database> db_;
};

void check(core::result<void> const& r) {
  if (!r) throw std::runtime_error(r.error().message);
}

// Pages 0..N-1 of a full read of N pages; the figure is the time per page.
void stage_full_pages(benchmark::State& state, key_order order) {
  auto const spec = books();
  auto const pages = static_cast<std::size_t>(state.range(0));
  std::vector<dataverse::page> input;
  for (std::size_t p = 0; p < pages; ++p) input.push_back(page_records(p * page_rows, page_rows, order));
  std::unique_ptr<scratch_database> scratch;
  for (auto _ : state) {
    state.PauseTiming();
    scratch.reset();
    scratch = std::make_unique<scratch_database>();
    auto& db = scratch->db();
    check(db.begin_cycle(spec, store::cycle_kind::full, "initial"));
    state.ResumeTiming();
    for (std::size_t p = 0; p + 1 < pages; ++p) check(db.stage_page(spec, input[p], "next"));
    auto totals = db.finish_cycle(spec, input.back(), "delta-link", 0);
    if (!totals || totals->rows != static_cast<std::int64_t>(pages * page_rows)) state.SkipWithError("wrong row count");
  }
  scratch.reset();
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(pages * page_rows));
}
BENCHMARK_CAPTURE(stage_full_pages, ascending_keys, key_order::ascending)->Arg(20)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(stage_full_pages, random_keys, key_order::random)->Arg(20)->Unit(benchmark::kMillisecond)->Iterations(3);

// A delta cycle that receives nothing, on a mirror of N rows: its cost must not grow with N.
void idle_delta_cycle(benchmark::State& state) {
  auto const spec = books();
  auto const rows = static_cast<std::size_t>(state.range(0));
  scratch_database scratch;
  auto& db = scratch.db();
  check(db.begin_cycle(spec, store::cycle_kind::full, "initial"));
  for (std::size_t first = 0; first < rows; first += page_rows) check(db.stage_page(spec, page_records(first, page_rows, key_order::random), "next"));
  if (!db.finish_cycle(spec, {}, "delta-link", 0)) throw std::runtime_error("initial sync failed");
  for (auto _ : state) {
    check(db.begin_cycle(spec, store::cycle_kind::delta, "delta"));
    auto totals = db.finish_cycle(spec, {}, "delta-link", 0);
    if (!totals || totals->rows != static_cast<std::int64_t>(rows)) state.SkipWithError("wrong row count");
  }
}
BENCHMARK(idle_delta_cycle)->Arg(10000)->Arg(200000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace dvsync::bench
