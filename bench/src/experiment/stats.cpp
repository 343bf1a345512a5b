#include "experiment/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace lanlord::bench {

namespace {

// `sorted` ascending and not empty.
double nearest_rank(const std::vector<double>& sorted, double p) {
  if (p <= 0) return sorted.front();
  const double n = static_cast<double>(sorted.size());
  // p * n first keeps whole ranks exact (95% of 20 is 19, not 19.000000000000004);
  // the epsilon absorbs rounding for fractional p.
  auto rank = static_cast<std::size_t>(std::ceil(p * n / 100.0 - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

}  // namespace

std::optional<double> percentile(std::vector<double> values, double p) {
  if (p < 0 || p > 100) throw std::invalid_argument("percentile: p must be in [0, 100]");
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  return nearest_rank(values, p);
}

Summary summarize(std::vector<double> values) {
  Summary s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.count = values.size();
  s.min = values.front();
  s.max = values.back();
  s.p50 = nearest_rank(values, 50);
  s.p95 = nearest_rank(values, 95);
  s.p99 = nearest_rank(values, 99);
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(s.count);
  if (s.count > 1) {
    double sq = 0;
    for (double v : values) sq += (v - s.mean) * (v - s.mean);
    s.stddev = std::sqrt(sq / static_cast<double>(s.count - 1));
  }
  return s;
}

}  // namespace lanlord::bench
