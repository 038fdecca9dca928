#pragma once
// A broken invariant in a fuzz target: print which one, then abort so that libFuzzer saves the
// input as a crash artifact.
#include <cstdio>
#include <cstdlib>

namespace dvsync::fuzz {

inline void require(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

}  // namespace dvsync::fuzz
