// lanlord's wire format: the codec that turns the message values of
// lanlord/message.hpp into datagrams and back. The Cap'n Proto schema
// (transport/schema/lanlord.capnp) and the datagram layout
// (transport/WIRE.md) stay behind this header.
#pragma once

#include "lanlord/export.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "lanlord/keyring.hpp"
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
using lanlord::kMaxAddressSize;
using lanlord::kMaxChannels;
using lanlord::kMaxChannelSize;
using lanlord::kMaxClusterSize;
using lanlord::kMaxDatagramSize;
using lanlord::kMaxDigest;
using lanlord::kMaxIdSize;
using lanlord::kMaxMetadataSize;
using lanlord::kProtocolVersion;
using lanlord::Leadership;
using lanlord::Leave;
using lanlord::Message;
using lanlord::PeerAddress;
using lanlord::PeerTime;

// The fixed datagram header (see WIRE.md): magic "LNLD", layout version,
// flags, payload length.
inline constexpr std::uint8_t kLayoutVersion = 2;
inline constexpr std::size_t kHeaderSize = 8;

// Flags (header byte 5). Any other bit set makes a datagram malformed.
inline constexpr std::uint8_t kFlagAuthenticated = 0x01;  // a trailer follows the payload
inline constexpr std::uint8_t kFlagEncrypted = 0x02;      // the payload is ciphertext; needs 0x01

// The trailer of an authenticated datagram: key id, the nonce when
// encrypted, the tag. Field limits keep the largest message within
// kMaxDatagramSize with the largest trailer.
inline constexpr std::size_t kKeyIdSize = 4;
inline constexpr std::size_t kNonceSize = 24;
inline constexpr std::size_t kTagSize = 16;
inline constexpr std::size_t kMacTrailerSize = kKeyIdSize + kTagSize;
inline constexpr std::size_t kMaxTrailerSize = kKeyIdSize + kNonceSize + kTagSize;

// How to protect what is sent, and what to demand of what is received.
// `keys` is borrowed: it must outlive the call. Without keys datagrams go
// out plain; with keys they carry a tag from keys->primary(), and with
// `encrypt` their payload is encrypted as well.
struct LANLORD_EXPORT Security {
  const Keyring* keys = nullptr;
  bool encrypt = false;
};

// The datagram for `message` (header + Cap'n Proto message [+ trailer]).
// Fails, with a message naming the field, when a field breaks a limit
// above or the datagram would exceed kMaxDatagramSize, or when a
// heartbeat's address is not one check_address() accepts; fails when
// `security` asks to encrypt without keys. A heartbeat's digest is
// advisory: an entry whose address check_address() refuses is left out,
// and when the datagram would exceed kMaxDatagramSize, entries are left
// out from the back until it fits (never a failure for either). Any
// thread; the keyring is only read.
struct LANLORD_EXPORT Encoded {
  Status status;
  std::vector<std::uint8_t> datagram;
};
LANLORD_EXPORT Encoded encode(const Message& message);
LANLORD_EXPORT Encoded encode(const Message& message, const Security& security);

// Parses a datagram defensively: size and header checks, then the tag (with
// `keys`), and only then Cap'n Proto, with tight traversal and nesting
// limits and every field checked against the limits above. Never throws
// for bad input. Without keys (nullptr) a tagged datagram is dropped as
// kForeignKey; with keys an untagged one is kUnauthenticated, one tagged
// with a key not in `keys` kForeignKey, and one whose tag does not verify
// kUnauthenticated. `keys` is borrowed for the call.
struct LANLORD_EXPORT Decoded {
  bool ok = false;
  DropReason reason = DropReason::kMalformed;  // when !ok
  Message message;                             // when ok
  std::optional<std::uint32_t> key_id;         // when ok: the key that verified it, if any
  bool encrypted = false;                      // when ok: the payload was encrypted
};
LANLORD_EXPORT Decoded decode(std::span<const std::uint8_t> datagram);
LANLORD_EXPORT Decoded decode(std::span<const std::uint8_t> datagram, const Keyring* keys);

// Whether a heartbeat can carry `address` (Heartbeat::address, a digest
// entry's): numeric and canonical, as a received datagram's source is
// formatted: "203.0.113.5:7676" or "[2001:db8::5]:7676" (lower case, the
// shortest IPv6 form, no zone, no leading zeros), with a port from 1 and
// an address that can be sent to (not unspecified, in 0.0.0.0/8,
// multicast or 255.255.255.255; IPv4-mapped IPv6 addresses alike). The
// message says what is wrong. Any thread.
LANLORD_EXPORT Status check_address(std::string_view address);

// encode() and decode() as the core's injectable Codec (for the simulator
// and tests that want real bytes on the simulated wire).
LANLORD_EXPORT lanlord::Codec codec();
// The same, keyed: encode tags (and, with security.encrypt, encrypts) with
// the primary key, decode verifies against the whole keyring. The codec
// keeps its own copy of *security.keys, so the caller's may go.
LANLORD_EXPORT lanlord::Codec codec(const Security& security);

}  // namespace lanlord::wire
