// dataverse::parse_page on one 5000-row page, as the emulator and Dataverse send it.
#include "dataverse/page_parser.hpp"
#include "pages.hpp"

#include <benchmark/benchmark.h>

namespace dvsync::bench {
namespace {

void parse_page(benchmark::State& state) {
  auto const spec = books();
  auto const rows = static_cast<std::size_t>(state.range(0));
  auto const body = page_body(0, rows, key_order::random);
  for (auto _ : state) {
    auto page = dataverse::parse_page(body, spec);
    if (!page || page->upserts.size() != rows) state.SkipWithError("the page did not parse");
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(parse_page)->Arg(5000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dvsync::bench
