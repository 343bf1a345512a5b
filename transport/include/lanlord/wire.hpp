// lanlord's wire format: the codec that turns the message values of
// lanlord/message.hpp into datagrams and back. The Cap'n Proto schema
// (transport/schema/lanlord.capnp) and the datagram layout
// (transport/WIRE.md) stay behind this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "lanlord/message.hpp"
#include "lanlord/status.hpp"

namespace lanlord::wire {

// The message values and limits live in the core; these names keep the
// codec's vocabulary in one place.
using lanlord::Body;
using lanlord::drop_reason_name;
using lanlord::DropReason;
using lanlord::Heartbeat;
using lanlord::kDropReasonCount;
using lanlord::kMaxChannels;
using lanlord::kMaxChannelSize;
using lanlord::kMaxClusterSize;
using lanlord::kMaxDatagramSize;
using lanlord::kMaxIdSize;
using lanlord::kMaxMetadataSize;
using lanlord::kProtocolVersion;
using lanlord::Leadership;
using lanlord::Leave;
using lanlord::Message;
using lanlord::PeerTime;

// The fixed datagram header (see WIRE.md): magic "LNLD", layout version,
// flags, payload length.
inline constexpr std::uint8_t kLayoutVersion = 1;
inline constexpr std::size_t kHeaderSize = 8;

// The datagram for `message` (header + Cap'n Proto message). Fails, with a
// message naming the field, when a field breaks a limit above or the
// datagram would exceed kMaxDatagramSize.
struct Encoded {
  Status status;
  std::vector<std::uint8_t> datagram;
};
Encoded encode(const Message& message);

// Parses a datagram defensively: size and header checks before Cap'n Proto
// sees the bytes, tight traversal and nesting limits, every field checked
// against the limits above. Never throws for bad input.
struct Decoded {
  bool ok = false;
  DropReason reason = DropReason::kMalformed;  // when !ok
  Message message;                             // when ok
};
Decoded decode(std::span<const std::uint8_t> datagram);

// encode() and decode() as the core's injectable Codec (for the simulator
// and tests that want real bytes on the simulated wire).
lanlord::Codec codec();

}  // namespace lanlord::wire
