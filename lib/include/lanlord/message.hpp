// The messages nodes exchange, as plain C++ values: what NodeCore takes in
// and hands out. No wire format here: transport/ turns these into datagrams
// and back (the Cap'n Proto codec, transport/WIRE.md), and the simulator
// passes them by value or through an injected Codec.
#pragma once

#include "lanlord/export.hpp"

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "lanlord/peer_id.hpp"
#include "lanlord/status.hpp"

namespace lanlord {

// The protocol version every message carries. Bumped only for changes older
// nodes cannot understand.
inline constexpr std::uint16_t kProtocolVersion = 1;

// The largest datagram sent or accepted: the IPv6 minimum MTU (1280) less
// the IPv6 and UDP headers, so no datagram is ever fragmented.
inline constexpr std::size_t kMaxDatagramSize = 1232;

// Limits on fields, checked when encoding and when decoding (check_message).
inline constexpr std::size_t kMaxIdSize = 64;
inline constexpr std::size_t kMaxClusterSize = 32;
inline constexpr std::size_t kMaxChannelSize = 32;
inline constexpr std::size_t kMaxChannels = 16;
// The most peers one Suspect names: 8 ids of kMaxIdSize bytes, with the
// envelope and a keyed datagram's trailer, stay far below kMaxDatagramSize.
inline constexpr std::size_t kMaxSuspects = 8;
// 128 (192 until unicast mode): the largest heartbeat these limits allow
// with an IPv6 address, observer and empty digest (1176 bytes) plus the
// largest trailer of a keyed datagram (44 bytes, transport/WIRE.md) fits
// kMaxDatagramSize with one 8-byte word to spare; 136 is the most that would
// (metadata takes whole words), 192 would exceed it by 52 bytes.
inline constexpr std::size_t kMaxMetadataSize = 128;
// Unicast mode: the longest address a heartbeat carries, "[v6]:port" (an
// IPv6 address in full, brackets, a colon and a 5-digit port).
inline constexpr std::size_t kMaxAddressSize = 47;
// Unicast mode: the most members one heartbeat's digest names (the codec may
// send fewer to stay within kMaxDatagramSize, transport/WIRE.md).
inline constexpr std::size_t kMaxDigest = 8;

// Fabric's PeerTime: the sender's incarnation (its start time, in
// nanoseconds since the Unix epoch) and a sequence number that grows with
// every message of that incarnation. Ordered lexicographically, which is
// Fabric's rule: a higher incarnation wins; within one, a higher sequence.
struct LANLORD_EXPORT PeerTime {
  std::uint64_t incarnation = 0;
  std::uint64_t seq = 0;
  friend auto operator<=>(const PeerTime&, const PeerTime&) = default;
};

// A member and the address it takes unicast datagrams on, as one heartbeat's
// digest names it (unicast mode).
struct LANLORD_EXPORT PeerAddress {
  PeerId id;
  std::string address;  // "203.0.113.5:7676", "[2001:db8::5]:7676"
  friend bool operator==(const PeerAddress&, const PeerAddress&) = default;
};

// "I am alive, in these channels." Sent every heartbeat interval.
struct LANLORD_EXPORT Heartbeat {
  std::vector<std::string> channels;
  std::string metadata;  // application data, e.g. a service endpoint; any bytes
  // A fingerprint of the sender's timings (timings_fingerprint() in
  // profile.hpp); 0 when unknown. Nodes warn once about a peer whose
  // timings differ from theirs: mixed profiles make members flap.
  std::uint32_t timings = 0;
  // The sender's heartbeat interval in milliseconds: its next heartbeat
  // comes within this long (rate classes, MembershipConfig::
  // idle_heartbeat_interval). 0: the receiver's own heartbeat_interval,
  // which is what a sender with one rate announces. Receivers clamp it.
  std::uint32_t interval = 0;
  // Unicast mode (NodeCoreConfig::unicast): the address the sender takes
  // datagrams on, as it advertises it; "" in multicast mode. Believed only
  // with a key (authenticated); without one, receivers use the datagram's
  // source address.
  std::string address{};
  // Unicast mode: the sender is a passive member (an observer such as
  // `lanlord watch`): it heartbeats so that members send to it, and takes
  // part in no election (it announces no channel).
  bool observer = false;
  // Unicast mode with a key: members the sender knows, with their
  // addresses (at most kMaxDigest: the newest first, then in turn), so that
  // a node that knows one seed learns the whole cluster. Receivers ignore
  // it without a key.
  std::vector<PeerAddress> digest{};
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

// A leadership message for one channel: a proposal, a declaration, or a
// handoff (a leader resigning in favour of a named successor).
struct LANLORD_EXPORT Leadership {
  std::string channel;
  bool declaration = false;
  // A declaration's: the leadership's fencing epoch (lanlord/epoch.hpp).
  // A proposal's: the highest epoch the sender has heard (0: none). A
  // handoff's: the epoch that ends.
  std::uint64_t epoch = 0;
  // Set only in a handoff (then `declaration` is false): the sender led
  // `channel` with `epoch` and resigns; `successor` should declare at once
  // with a higher epoch, and the others wait for it instead of electing.
  PeerId successor{};

  bool is_handoff() const { return !successor.empty(); }
  friend bool operator==(const Leadership&, const Leadership&) = default;
};

// Graceful departure: the sender stops now.
struct LANLORD_EXPORT Leave {
  friend bool operator==(const Leave&, const Leave&) = default;
};

// "I have not heard these peers lately" (suspicion, profiles with
// MembershipConfig::suspicion): each named peer that hears it answers at
// once with a heartbeat, which every member hears. Not evidence of death:
// a receiver that hears a peer named here keeps it.
struct LANLORD_EXPORT Suspect {
  std::vector<PeerId> peers;  // 1 to kMaxSuspects ids, none empty
  friend bool operator==(const Suspect&, const Suspect&) = default;
};

using Body = std::variant<Heartbeat, Leadership, Leave, Suspect>;

// One datagram's content.
struct LANLORD_EXPORT Message {
  std::uint16_t version = kProtocolVersion;
  std::string cluster;
  PeerId sender;
  PeerTime time;
  // The sender's wall clock when it sent the message, ns since the Unix
  // epoch. Receivers drop messages outside their clock-skew window
  // (kClockSkew): with a key this defeats replays of old recordings.
  std::uint64_t sent_at = 0;
  // The sender process's start time, ns since the Unix epoch. Unlike the
  // incarnation it never changes during the process's life (refutation may
  // raise the incarnation), so it tells a node's own looped-back messages
  // from another process using the same id, and which of two is newer.
  std::uint64_t instance = 0;
  Body body;
  friend bool operator==(const Message&, const Message&) = default;
};

// The sender id, cluster name, channels and metadata within the limits
// above, nothing empty that must not be. The message names the field.
LANLORD_EXPORT Status check_message(const Message& message);

// Why a received datagram was dropped. Append new reasons before kCount.
enum class DropReason : std::uint8_t {
  kTooLarge,         // longer than kMaxDatagramSize
  kTruncated,        // shorter than its header or its stated payload
  kBadMagic,         // not a lanlord datagram
  kUnknownLayout,    // a datagram layout version this node does not know
  kMalformed,        // the encoded message or a field is invalid
  kUnknownVersion,   // a protocol version this node does not speak
  kUnknownKind,      // a message body added by a newer protocol
  kForeignCluster,   // another cluster sharing the group and port
  kSelf,             // this node's own datagram, looped back
  kIdConflict,       // another live node uses this node's id
  kStale,            // not newer than the last message from that sender
  kUnknownChannel,   // leadership for a channel this node does not run
  kUnauthenticated,  // keyed node: no valid tag from a key of its keyring (a forgery or damage)
  kForeignKey,       // tagged with a key this node does not hold (another keyed cluster)
  kClockSkew,        // send time outside the clock-skew window: a replay, or a clock that is off
  kImplausible,      // a PeerTime no honest sender can have (too far ahead, a jump too far)
  kRateLimited,      // a new sender id over the admission rate (a flood of made-up ids)
  kMemberCap,        // a new sender id while the member table is full of confirmed members
  kCount
};
inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::kCount);

// "too_large", "truncated", ... (snake case, stable: used in logs and metrics).
LANLORD_EXPORT const char* drop_reason_name(DropReason reason);

// Bytes <-> messages, injected where the core or the simulator needs a
// serialiser without knowing the format (transport/ provides the real one).
struct LANLORD_EXPORT Codec {
  // The datagram for a message, or why it cannot be sent.
  std::function<Status(const Message&, std::vector<std::uint8_t>& out)> encode;
  // The message in a datagram, or why it was dropped.
  std::function<std::optional<DropReason>(std::span<const std::uint8_t>, Message& out)> decode;
};

}  // namespace lanlord
