// The micro-benchmarks' main: Google Benchmark's, with the store's info lines (one per database
// opened) turned off so that the table stays readable.
#include "core/log.hpp"

#include <benchmark/benchmark.h>

int main(int argc, char** argv) {
  auto o = dvsync::core::log::default_options();
  o.min_level = dvsync::core::log::level::warn;
  dvsync::core::log::configure(o);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
