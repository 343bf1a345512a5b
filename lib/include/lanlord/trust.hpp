// What a node believes, and how much it is willing to hold: the freshness
// window, the plausibility bounds of PeerTime, the member cap and the
// admission rate of new ids. Shared by NodeCore, Node and the CLI.
#pragma once

#include "lanlord/export.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "lanlord/status.hpp"
#include "lanlord/time.hpp"

namespace lanlord {

struct LANLORD_EXPORT TrustConfig {
  // Messages whose send time is further than this from the receiver's wall
  // clock are dropped (kClockSkew): a replay of an old recording, or a peer
  // whose clock is off. Peers further than half of it are warned about.
  Duration max_clock_skew = std::chrono::seconds(30);
  // At most this many peers are held (members and admission state). When
  // full, a never-confirmed entry (heard fewer than twice) makes room for a
  // new id; with none to evict the new id is dropped (kMemberCap).
  std::size_t max_members = 4096;
  // New sender ids admitted per second (a token bucket holding one second's
  // worth); over it, new ids are dropped (kRateLimited). Known ids are never
  // limited. 128 nodes starting at once take a fraction of a second's worth.
  std::uint32_t new_ids_per_second = 2000;
  // Plausibility of a sequence jump within one life: at most
  // max_send_rate messages per second since the sender was last heard,
  // plus seq_slack. Beyond it the message is kImplausible.
  std::uint32_t max_send_rate = 1000;
  std::uint64_t seq_slack = 10000;

  // max_clock_skew positive, max_members and new_ids_per_second at least 1.
  // The message names the first bad field.
  Status validate() const;
};

}  // namespace lanlord
