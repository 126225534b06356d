// What every fuzz target uses: an invariant check that stops the run (libFuzzer
// takes the abort as a crash and saves the input), and LLVM's FuzzedDataProvider
// for splitting one input into typed fields.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>

#define HEARTH_FUZZ_CHECK(cond)                                                               \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);       \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)
