// Nearest-rank percentiles: always a measured value, rank ceil(p/100*n).
#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "experiment/stats.hpp"

using lanlord::bench::percentile;
using lanlord::bench::summarize;

TEST_CASE("nearest rank: the textbook example") {
  // 15 20 35 40 50: p30 is rank ceil(1.5) = 2 -> 20; p40 rank 2 -> 20;
  // p50 rank ceil(2.5) = 3 -> 35; p100 -> 50.
  const std::vector<double> v = {15, 50, 35, 40, 20};
  CHECK(*percentile(v, 30) == 20);
  CHECK(*percentile(v, 40) == 20);
  CHECK(*percentile(v, 50) == 35);
  CHECK(*percentile(v, 100) == 50);
  CHECK(*percentile(v, 0) == 15);
}

TEST_CASE("whole ranks are exact: p95 of 20 values is the 19th, p99 of 100 the 99th") {
  std::vector<double> twenty, hundred;
  for (int i = 1; i <= 20; ++i) twenty.push_back(i);
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  CHECK(*percentile(twenty, 95) == 19);
  CHECK(*percentile(twenty, 50) == 10);
  CHECK(*percentile(hundred, 99) == 99);
  CHECK(*percentile(hundred, 99.5) == 100);
}

TEST_CASE("small samples: p99 of fewer than 100 values is the maximum") {
  CHECK(*percentile({3, 1, 2}, 99) == 3);
  CHECK(*percentile({7}, 50) == 7);
  CHECK(*percentile({7}, 99) == 7);
}

TEST_CASE("an empty sample has no percentile and a zero summary") {
  CHECK_FALSE(percentile({}, 50).has_value());
  const auto s = summarize({});
  CHECK(s.count == 0);
  CHECK(s.max == 0);
}

TEST_CASE("summary: min, percentiles, max, mean and sample standard deviation") {
  const auto s = summarize({2, 4, 4, 4, 5, 5, 7, 9});
  CHECK(s.count == 8);
  CHECK(s.min == 2);
  CHECK(s.p50 == 4);  // rank 4
  CHECK(s.p95 == 9);  // rank ceil(7.6) = 8
  CHECK(s.p99 == 9);
  CHECK(s.max == 9);
  CHECK(s.mean == doctest::Approx(5.0));
  CHECK(s.stddev == doctest::Approx(2.138).epsilon(0.001));
}

TEST_CASE("percentile rejects p outside [0, 100]") {
  CHECK_THROWS_AS(percentile({1}, 101), std::invalid_argument);
  CHECK_THROWS_AS(percentile({1}, -1), std::invalid_argument);
}
