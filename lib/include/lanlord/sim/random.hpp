// A small seeded generator whose sequence is the same on every platform
// (xoshiro256** seeded through splitmix64), unlike std:: distributions.
#pragma once

#include <cstdint>

#include "lanlord/time.hpp"

namespace lanlord::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  std::uint64_t next();
  // Uniform in [0, n); n must be positive.
  std::uint64_t below(std::uint64_t n);
  // Uniform in [lo, hi] (inclusive).
  std::int64_t between(std::int64_t lo, std::int64_t hi);
  // Uniform in [0, 1).
  double unit();
  bool chance(double p) { return unit() < p; }
  // Uniform in [lo, hi].
  Duration duration(Duration lo, Duration hi);

 private:
  std::uint64_t s_[4];
};

}  // namespace lanlord::sim
