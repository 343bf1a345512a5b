// Summaries of a sample of measurements: nearest-rank percentiles.
//
// Method (nearest rank): sort the n values ascending; the p-th percentile
// (0 < p <= 100) is the value at rank ceil(p / 100 * n), counting from 1.
// It is always one of the measured values, never an interpolation, so
// "p99 = 412 ms" means some run really took 412 ms. With fewer than 100
// values p99 is the maximum, which is the honest answer for a small sample.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace lanlord::bench {

// The nearest-rank percentile of `values` (any order). Empty when `values`
// is empty. Requires 0 < p <= 100; p = 0 is accepted and means the minimum.
std::optional<double> percentile(std::vector<double> values, double p);

struct Summary {
  std::size_t count = 0;  // measured values (successful runs)
  double min = 0, p50 = 0, p95 = 0, p99 = 0, max = 0, mean = 0;
  // Sample standard deviation (n - 1); 0 for fewer than two values.
  double stddev = 0;
};

// Every field of Summary at once; a zero Summary (count 0) when empty.
Summary summarize(std::vector<double> values);

}  // namespace lanlord::bench
