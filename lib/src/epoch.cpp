#include "lanlord/epoch.hpp"

#include <algorithm>
#include <chrono>

namespace lanlord {

namespace {

// 2020-01-01T00:00:00Z in seconds since the Unix epoch.
constexpr std::int64_t kTermOrigin = 1'577'836'800;

}  // namespace

std::uint32_t epoch_tag_of(const PeerId& id) {
  std::uint32_t h = 2166136261u;
  for (const char c : id.bytes()) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  // Fold the high bits in, so ids differing only in their last byte differ.
  return (h ^ (h >> kEpochTagBits)) & static_cast<std::uint32_t>(kEpochTagMask);
}

std::uint64_t clock_term(WallTime wall) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count() -
      kTermOrigin * 1000;
  return ms < 0 ? 0 : static_cast<std::uint64_t>(ms);
}

std::uint64_t next_epoch(std::uint64_t highest, const PeerId& id, WallTime wall) {
  return make_epoch(std::max(epoch_term(highest) + 1, clock_term(wall)), epoch_tag_of(id));
}

bool epoch_plausible(std::uint64_t epoch, WallTime wall, Duration max_skew) {
  return epoch_term(epoch) <= clock_term(wall + max_skew) + kEpochTermSlack;
}

}  // namespace lanlord
