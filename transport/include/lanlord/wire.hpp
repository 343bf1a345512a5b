// lanlord's wire format as plain C++ values: the messages one node
// multicasts to the others, the codec that turns them into datagrams and
// back, and the reasons a received datagram is dropped. The Cap'n Proto
// schema (transport/schema/lanlord.capnp) and the datagram layout
// (transport/WIRE.md) stay behind this header.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "lanlord/peer_id.hpp"
#include "lanlord/status.hpp"
#include "lanlord/time.hpp"

namespace lanlord::wire {

// The envelope's protocol version. Bumped only for changes older nodes
// cannot understand; additive changes follow Cap'n Proto's evolution rules
// and keep the version.
inline constexpr std::uint16_t kProtocolVersion = 1;

// The fixed datagram header (see WIRE.md): magic "LNLD", layout version,
// flags, payload length.
inline constexpr std::uint8_t kLayoutVersion = 1;
inline constexpr std::size_t kHeaderSize = 8;

// The largest datagram sent or accepted: the IPv6 minimum MTU (1280) less
// the IPv6 and UDP headers, so no datagram is ever fragmented.
inline constexpr std::size_t kMaxDatagramSize = 1232;

// Limits on fields, checked when encoding and when decoding.
inline constexpr std::size_t kMaxIdSize = 64;
inline constexpr std::size_t kMaxClusterSize = 32;
inline constexpr std::size_t kMaxChannelSize = 32;
inline constexpr std::size_t kMaxChannels = 16;
inline constexpr std::size_t kMaxMetadataSize = 256;

// Fabric's PeerTime: the sender's incarnation (its start time, in
// nanoseconds since the Unix epoch) and a sequence number that grows with
// every message of that incarnation. Ordered lexicographically, which is
// Fabric's rule: a higher incarnation wins; within one, a higher sequence.
struct PeerTime {
  std::uint64_t incarnation = 0;
  std::uint64_t seq = 0;
  friend auto operator<=>(const PeerTime&, const PeerTime&) = default;
};

// "I am alive, in these channels." Sent every heartbeat interval.
struct Heartbeat {
  std::vector<std::string> channels;
  std::string metadata;  // application data, e.g. a service endpoint; any bytes
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

// A leadership proposal or declaration for one channel.
struct Leadership {
  std::string channel;
  bool declaration = false;
  friend bool operator==(const Leadership&, const Leadership&) = default;
};

// Graceful departure: the sender stops now.
struct Leave {
  friend bool operator==(const Leave&, const Leave&) = default;
};

using Body = std::variant<Heartbeat, Leadership, Leave>;

// One datagram's content.
struct Message {
  std::uint16_t version = kProtocolVersion;
  std::string cluster;
  PeerId sender;
  PeerTime time;
  Body body;
  friend bool operator==(const Message&, const Message&) = default;
};

// Why a received datagram was dropped. Append new reasons before kCount.
enum class DropReason : std::uint8_t {
  kTooLarge,        // longer than kMaxDatagramSize
  kTruncated,       // shorter than its header or its stated payload
  kBadMagic,        // not a lanlord datagram
  kUnknownLayout,   // a datagram layout version this node does not know
  kMalformed,       // the Cap'n Proto message or a field is invalid
  kUnknownVersion,  // a protocol version this node does not speak
  kUnknownKind,     // a message body added by a newer protocol
  kForeignCluster,  // another cluster sharing the group and port
  kSelf,            // this node's own datagram, looped back
  kIdConflict,      // another live node uses this node's id
  kStale,           // not newer than the last message from that sender
  kUnknownChannel,  // leadership for a channel this node does not run
  kCount
};
inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::kCount);

// "too_large", "truncated", ... (snake case, stable: used in logs and metrics).
const char* drop_reason_name(DropReason reason);

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

// The admission rules after decoding: one cluster, not from this node,
// and newer than anything heard from that sender (Fabric's PeerTime rule).
// A sender's higher incarnation is a new life of the same id and is
// admitted. Not thread-safe; one per node, on its strand.
class Inbox {
 public:
  // `self` may be empty (a passive listener has no id of its own).
  Inbox(std::string cluster, PeerId self, std::uint64_t self_incarnation);

  struct Result {
    bool ok = false;
    DropReason reason = DropReason::kMalformed;  // when !ok
    Message message;                             // when ok
  };
  // Decodes `datagram` and applies the rules; `now` stamps the sender's entry.
  Result admit(std::span<const std::uint8_t> datagram, TimePoint now);

  // Forgets senders not heard from since `horizon`, so ids that are gone
  // do not accumulate. A message replayed from before a forgotten entry is
  // admitted again; without authentication a forger can do worse anyway.
  void forget_older_than(TimePoint horizon);

  std::size_t senders() const { return last_.size(); }

 private:
  struct Entry {
    PeerTime time;
    TimePoint heard;
  };
  std::string cluster_;
  PeerId self_;
  std::uint64_t self_incarnation_;
  std::map<PeerId, Entry> last_;
};

}  // namespace lanlord::wire
