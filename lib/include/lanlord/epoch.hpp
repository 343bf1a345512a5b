// Fencing epochs: a 64-bit number per leadership of a channel.
//
//   epoch = term << kEpochTagBits | tag
//
// The tag is derived from the leader's id (tag_of), so two leaders elected
// with the same term on two sides of a partition still hold different
// epochs. A node that becomes leader takes the term
//
//   max(term of the highest epoch it has heard in the channel + 1,
//       clock_term(its wall clock))
//
// so a new leader's epoch is above every epoch it has heard, and terms keep
// growing across a restart of the whole cluster as long as the new
// leader's clock reads later than the clocks of the leaders before it did
// when they were elected (clock_term counts milliseconds since
// 2020-01-01 UTC; NTP-synchronised hosts and a restart that takes longer
// than the clocks' offsets are enough). No state is written to disk.
//
// Downstream systems use the epoch as a fencing token: they remember the
// highest epoch they have accepted and refuse work carrying a lower one.
#pragma once

#include "lanlord/export.hpp"

#include <cstdint>

#include "lanlord/peer_id.hpp"
#include "lanlord/time.hpp"

namespace lanlord {

inline constexpr int kEpochTagBits = 20;
inline constexpr std::uint64_t kEpochTagMask = (std::uint64_t{1} << kEpochTagBits) - 1;
// How far (in terms) an honest term can run ahead of a receiver's
// clock_term plus its clock-skew window: terms grow by one per leadership
// change beyond the clock, and nothing changes leaders 100,000 times
// faster than once a millisecond for long.
inline constexpr std::uint64_t kEpochTermSlack = 100'000;

// The tag of `id`'s epochs: FNV-1a of the id, folded to kEpochTagBits bits.
LANLORD_EXPORT std::uint32_t epoch_tag_of(const PeerId& id);
// Milliseconds since 2020-01-01 UTC at `wall` (0 before that).
LANLORD_EXPORT std::uint64_t clock_term(WallTime wall);

constexpr std::uint64_t epoch_term(std::uint64_t epoch) {
  return epoch >> kEpochTagBits;
}
constexpr std::uint32_t epoch_tag(std::uint64_t epoch) {
  return static_cast<std::uint32_t>(epoch & kEpochTagMask);
}
constexpr std::uint64_t make_epoch(std::uint64_t term, std::uint32_t tag) {
  return term << kEpochTagBits | (tag & kEpochTagMask);
}

// The epoch `id` takes when it becomes leader, having heard `highest` at
// most, at wall-clock time `wall`.
LANLORD_EXPORT std::uint64_t next_epoch(std::uint64_t highest, const PeerId& id, WallTime wall);

// Whether an epoch heard at wall-clock time `wall` could be honest: its
// term at most clock_term(wall + max_skew) + kEpochTermSlack.
LANLORD_EXPORT bool epoch_plausible(std::uint64_t epoch, WallTime wall, Duration max_skew);

}  // namespace lanlord
