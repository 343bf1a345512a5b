// The fuzz targets' assertion: a broken invariant is a crash libFuzzer
// records (with its input), in every build type.
#pragma once

#include <cstdio>
#include <cstdlib>

#define LANLORD_FUZZ_CHECK(cond)                                                        \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (false)
