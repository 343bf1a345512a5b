#include "lanlord/wire.hpp"

#include <arpa/inet.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include "lanlord.capnp.h"

namespace lanlord::wire {

namespace {

namespace s = lanlord::wire::schema;

constexpr std::array<std::uint8_t, 4> kMagic = {'L', 'N', 'L', 'D'};
constexpr std::size_t kMaxPayloadWords = (kMaxDatagramSize - kHeaderSize) / sizeof(capnp::word);
constexpr std::uint8_t kKnownFlags = kFlagAuthenticated | kFlagEncrypted;
// The encoder's first segment: a heartbeat at the limits (under 1,240
// bytes) with kMaxDigest entries of 104 bytes is under 2,100 bytes.
constexpr unsigned kBuildWords = 2 * kMaxPayloadWords;

static_assert(kNonceSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kTagSize == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(kTagSize == crypto_generichash_BYTES_MIN);

// What the AEAD authenticates besides the payload: the header, the key id
// and the nonce, so none of them can be changed without the tag failing.
constexpr std::size_t kAdSize = kHeaderSize + kKeyIdSize + kNonceSize;

// Cap'n Proto reads at most this many words in total and this deep: a
// datagram of kMaxDatagramSize holds 153 words, and our messages nest 3
// levels (Envelope -> Heartbeat -> List(Text)). Twice the words leaves
// room for nothing but honest messages; no amplification beyond that.
constexpr std::uint64_t kTraversalLimitWords = 2 * kMaxPayloadWords;
constexpr int kNestingLimit = 8;

kj::ArrayPtr<const capnp::byte> bytes_of(const std::string& s) {
  return kj::arrayPtr(reinterpret_cast<const capnp::byte*>(s.data()), s.size());
}

// With its size: names are any bytes, a NUL included (std::string's
// conversion to Text stopped at the first NUL and sent another name).
capnp::Text::Reader text_of(const std::string& s) {
  return capnp::Text::Reader(s.data(), s.size());
}

std::string string_of(capnp::Data::Reader d) {
  return std::string(reinterpret_cast<const char*>(d.begin()), d.size());
}

// ---- Unicast addresses (WIRE.md, "Unicast mode") ----
// On the wire: the IPv4 or IPv6 address in network order, then the port,
// big-endian; 6 or 18 bytes instead of up to 47 characters.
constexpr std::size_t kV4AddressSize = 4 + 2;
constexpr std::size_t kV6AddressSize = 16 + 2;

struct PackedAddress {
  std::array<std::uint8_t, kV6AddressSize> bytes{};
  std::size_t size = 0;  // 0 (no address), kV4AddressSize or kV6AddressSize
  kj::ArrayPtr<const capnp::byte> data() const { return kj::arrayPtr(bytes.data(), size); }
};

// Why nobody can send to this IP (4 or 16 bytes), or nullptr: these are
// what a forged or broken address would aim a node at.
const char* unusable_ip(const std::uint8_t* ip, std::size_t n) {
  static constexpr std::array<std::uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0,    0,
                                                                   0, 0, 0, 0, 0xff, 0xff};
  const std::uint8_t* v4 = ip;
  if (n == 16) {
    if (!std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), ip)) {
      if (ip[0] == 0xff) return "a multicast address";
      if (std::all_of(ip, ip + 16, [](std::uint8_t b) { return b == 0; })) {
        return "the unspecified address";
      }
      return nullptr;
    }
    v4 = ip + 12;  // ::ffff:a.b.c.d is a.b.c.d
  }
  if (v4[0] == 0) return "an unspecified address (0.0.0.0/8)";
  if ((v4[0] & 0xf0) == 0xe0) return "a multicast address";
  if (std::all_of(v4, v4 + 4, [](std::uint8_t b) { return b == 0xff; })) {
    return "the broadcast address";
  }
  return nullptr;
}

// The canonical string of a packed address (6 or 18 bytes): what
// transport::format_endpoint makes of the same endpoint.
std::string format_address(const std::uint8_t* p, std::size_t n) {
  const bool v6 = n == kV6AddressSize;
  std::array<char, INET6_ADDRSTRLEN> ip{};
  inet_ntop(v6 ? AF_INET6 : AF_INET, p, ip.data(), ip.size());
  const unsigned port = static_cast<unsigned>(p[n - 2]) << 8 | p[n - 1];
  const std::string host = v6 ? "[" + std::string(ip.data()) + "]" : std::string(ip.data());
  return host + ":" + std::to_string(port);
}

// A received address: "" when absent; false when malformed (a length
// other than 6 or 18, port 0, an address nobody can send to).
bool unpack_address(capnp::Data::Reader d, std::string& out) {
  if (d.size() == 0) {
    out.clear();
    return true;
  }
  if (d.size() != kV4AddressSize && d.size() != kV6AddressSize) return false;
  if (d[d.size() - 2] == 0 && d[d.size() - 1] == 0) return false;  // port 0
  if (unusable_ip(d.begin(), d.size() - 2) != nullptr) return false;
  out = format_address(d.begin(), d.size());
  return true;
}

// The wire form of an address to send; "" packs to nothing.
Status pack_address(std::string_view s, PackedAddress& out) {
  out = PackedAddress{};
  if (s.empty()) return Status::ok();
  const auto bad = [s](const std::string& why) {
    return Status::error("address \"" + std::string(s) + "\": " + why);
  };
  const bool v6 = s.front() == '[';
  const std::size_t colon = v6 ? s.find("]:") : s.rfind(':');
  if (colon == std::string_view::npos) {
    return bad("not numeric \"a.b.c.d:port\" or \"[v6]:port\"");
  }
  const std::string host(v6 ? s.substr(1, colon - 1) : s.substr(0, colon));
  const std::string_view port = s.substr(colon + (v6 ? 2 : 1));
  if (inet_pton(v6 ? AF_INET6 : AF_INET, host.c_str(), out.bytes.data()) != 1) {
    return bad("not a numeric IPv" + std::string(v6 ? "6" : "4") + " address");
  }
  unsigned value = 0;
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad("the port is not a number");
  }
  for (char c : port) value = value * 10 + static_cast<unsigned>(c - '0');
  if (value == 0 || value > 0xffff) return bad("the port is not in 1..65535");
  const std::size_t ip_size = v6 ? 16 : 4;
  out.size = ip_size + 2;
  out.bytes[ip_size] = static_cast<std::uint8_t>(value >> 8);
  out.bytes[ip_size + 1] = static_cast<std::uint8_t>(value & 0xff);
  if (const char* why = unusable_ip(out.bytes.data(), ip_size)) return bad(why);
  // One spelling per address: receivers compare addresses as strings.
  const std::string canonical = format_address(out.bytes.data(), out.size);
  if (canonical != s) return bad("not in canonical form (\"" + canonical + "\")");
  return Status::ok();
}

// A digest entry to send: the core's entry and its address, packed.
struct DigestEntry {
  const PeerAddress* entry = nullptr;
  PackedAddress address;
  // What it adds to the payload: a struct of two pointers in the list,
  // and each pointer's bytes in whole words.
  std::size_t size() const {
    const auto words = [](std::size_t n) { return (n + 7) / 8 * 8; };
    return 2 * sizeof(capnp::word) + words(entry->id.bytes().size()) + words(address.size);
  }
};

Decoded dropped(DropReason reason) {
  Decoded d;
  d.reason = reason;
  return d;
}

// Reads the envelope into `out`; kj::Exception for structural damage.
DropReason read_envelope(s::Envelope::Reader env, Message& out) {
  // The version is read first: a different version may mean anything below.
  out.version = env.getVersion();
  if (out.version != kProtocolVersion) return DropReason::kUnknownVersion;
  const capnp::Text::Reader cluster = env.getCluster();
  out.cluster.assign(cluster.cStr(), cluster.size());
  out.sender = PeerId(string_of(env.getSender()));
  out.time.incarnation = env.getTime().getIncarnation();
  out.time.seq = env.getTime().getSeq();
  out.sent_at = env.getSentAt();
  out.instance = env.getInstance();

  auto body = env.getBody();
  switch (body.which()) {
    case s::Envelope::Body::HEARTBEAT: {
      auto hb = body.getHeartbeat();
      Heartbeat h;
      auto channels = hb.getChannels();
      if (channels.size() > kMaxChannels) return DropReason::kMalformed;
      h.channels.reserve(channels.size());
      for (auto c : channels) h.channels.emplace_back(c.cStr(), c.size());
      h.metadata = string_of(hb.getMetadata());
      h.timings = hb.getTimings();
      h.interval = hb.getInterval();
      if (hb.hasUnicast()) {
        auto u = hb.getUnicast();
        if (!unpack_address(u.getAddress(), h.address)) return DropReason::kMalformed;
        h.observer = u.getObserver();
        auto digest = u.getDigest();
        // Checked before copying, like a Suspect's list.
        if (digest.size() > kMaxDigest) return DropReason::kMalformed;
        h.digest.reserve(digest.size());
        for (auto p : digest) {
          PeerAddress entry;
          entry.id = PeerId(string_of(p.getId()));
          if (!unpack_address(p.getAddress(), entry.address)) return DropReason::kMalformed;
          h.digest.push_back(std::move(entry));
        }
      }
      out.body = std::move(h);
      break;
    }
    case s::Envelope::Body::LEADERSHIP: {
      auto ld = body.getLeadership();
      Leadership l;
      const capnp::Text::Reader channel = ld.getChannel();
      l.channel.assign(channel.cStr(), channel.size());
      l.epoch = ld.getEpoch();
      l.successor = PeerId(string_of(ld.getSuccessor()));
      // One encoding per value: the kind says whether a successor belongs
      // (a handoff's, never empty) or not (check_message refuses a
      // declaration with one; a proposal with one would read as a handoff).
      switch (ld.getKind()) {
        case s::Leadership::Kind::PROPOSAL:
          if (l.is_handoff()) return DropReason::kMalformed;
          l.declaration = false;
          break;
        case s::Leadership::Kind::DECLARATION:
          l.declaration = true;
          break;
        case s::Leadership::Kind::HANDOFF:
          if (!l.is_handoff()) return DropReason::kMalformed;
          l.declaration = false;
          break;
        default:
          return DropReason::kUnknownKind;
      }
      out.body = std::move(l);
      break;
    }
    case s::Envelope::Body::LEAVE:
      out.body = Leave{};
      break;
    case s::Envelope::Body::SUSPECT: {
      auto peers = body.getSuspect().getPeers();
      // Checked before copying: a list longer than the limit is refused
      // without reading it (check_message checks the ids).
      if (peers.size() == 0 || peers.size() > kMaxSuspects) return DropReason::kMalformed;
      Suspect su;
      su.peers.reserve(peers.size());
      for (auto p : peers) su.peers.emplace_back(string_of(p));
      out.body = std::move(su);
      break;
    }
    default:
      return DropReason::kUnknownKind;
  }
  // Limits are enforced on the way in exactly as on the way out.
  if (!check_message(out)) return DropReason::kMalformed;
  return DropReason::kCount;  // no drop
}

std::uint16_t load_u16_le(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

std::uint32_t load_u32_le(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

void store_u32_le(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::size_t trailer_size(std::uint8_t flags) {
  if ((flags & kFlagAuthenticated) == 0) return 0;
  return (flags & kFlagEncrypted) != 0 ? kMaxTrailerSize : kMacTrailerSize;
}

// The MAC-only tag: keyed BLAKE2b-128 of everything before it (header,
// payload, key id).
void mac_tag(const ClusterKey& key, const std::uint8_t* datagram, std::size_t covered,
             std::uint8_t* tag) {
  crypto_generichash(tag, kTagSize, datagram, covered, key.mac_key.data(), key.mac_key.size());
}

// The AEAD's additional data: header, key id, nonce (not contiguous on the
// wire: the payload sits between header and key id).
std::array<std::uint8_t, kAdSize> additional_data(const std::uint8_t* header,
                                                  const std::uint8_t* key_id_and_nonce) {
  std::array<std::uint8_t, kAdSize> ad;
  std::memcpy(ad.data(), header, kHeaderSize);
  std::memcpy(ad.data() + kHeaderSize, key_id_and_nonce, kKeyIdSize + kNonceSize);
  return ad;
}

// The Cap'n Proto message for `m`, a heartbeat's digest replaced by the
// first `digest_count` entries of `digest`; addresses come packed.
kj::Array<capnp::word> build(const Message& m, const PackedAddress& address,
                             const std::vector<DigestEntry>& digest, std::size_t digest_count) {
  // One first segment large enough for any message the limits allow, a
  // heartbeat with a full digest that will not fit included, keeps the
  // message in a single segment (an 8-byte segment table, no far
  // pointers), so the digest's cut is measured in entries alone.
  capnp::MallocMessageBuilder builder(kBuildWords);
  auto env = builder.initRoot<s::Envelope>();
  env.setVersion(m.version);
  env.setCluster(text_of(m.cluster));
  env.setSender(bytes_of(m.sender.bytes()));
  auto time = env.initTime();
  time.setIncarnation(m.time.incarnation);
  time.setSeq(m.time.seq);
  env.setSentAt(m.sent_at);
  env.setInstance(m.instance);
  auto body = env.initBody();
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, Heartbeat>) {
          auto hb = body.initHeartbeat();
          auto channels = hb.initChannels(static_cast<unsigned>(b.channels.size()));
          for (unsigned i = 0; i < b.channels.size(); ++i) channels.set(i, text_of(b.channels[i]));
          hb.setMetadata(bytes_of(b.metadata));
          hb.setTimings(b.timings);
          hb.setInterval(b.interval);
          // Multicast mode: no Unicast struct at all, one null pointer.
          if (address.size == 0 && !b.observer && digest_count == 0) return;
          auto u = hb.initUnicast();
          if (address.size > 0) u.setAddress(address.data());
          u.setObserver(b.observer);
          if (digest_count == 0) return;
          auto list = u.initDigest(static_cast<unsigned>(digest_count));
          for (unsigned i = 0; i < digest_count; ++i) {
            list[i].setId(bytes_of(digest[i].entry->id.bytes()));
            list[i].setAddress(digest[i].address.data());
          }
        } else if constexpr (std::is_same_v<T, Leadership>) {
          auto ld = body.initLeadership();
          ld.setChannel(text_of(b.channel));
          // check_message has refused a handoff that is also a declaration.
          ld.setKind(b.is_handoff()  ? s::Leadership::Kind::HANDOFF
                     : b.declaration ? s::Leadership::Kind::DECLARATION
                                     : s::Leadership::Kind::PROPOSAL);
          ld.setEpoch(b.epoch);
          if (b.is_handoff()) ld.setSuccessor(bytes_of(b.successor.bytes()));
        } else if constexpr (std::is_same_v<T, Suspect>) {
          auto peers = body.initSuspect().initPeers(static_cast<unsigned>(b.peers.size()));
          for (unsigned i = 0; i < b.peers.size(); ++i) peers.set(i, bytes_of(b.peers[i].bytes()));
        } else {
          body.initLeave();
        }
      },
      m.body);
  return capnp::messageToFlatArray(builder);
}

}  // namespace

Status check_address(std::string_view address) {
  if (address.empty()) return Status::error("the address is empty");
  PackedAddress packed;
  return pack_address(address, packed);
}

Encoded encode(const Message& m) {
  return encode(m, Security{});
}

Encoded encode(const Message& m, const Security& security) {
  Encoded out;
  if (security.encrypt && security.keys == nullptr) {
    out.status = Status::error("encryption needs a keyring");
    return out;
  }
  out.status = check_message(m);
  if (!out.status) return out;
  std::uint8_t flags = 0;
  if (security.keys != nullptr) {
    flags = kFlagAuthenticated | (security.encrypt ? kFlagEncrypted : 0);
  }
  const std::size_t trailer = trailer_size(flags);

  // A heartbeat's addresses, packed once (the digest may be built more
  // than once, shorter, to fit).
  const auto* heartbeat = std::get_if<Heartbeat>(&m.body);
  PackedAddress address;
  std::vector<DigestEntry> digest;
  if (heartbeat != nullptr) {
    out.status = pack_address(heartbeat->address, address);
    if (!out.status) return out;
    // The digest is advisory: an entry whose address cannot be sent to
    // (a source address with an IPv6 zone, or one from a message that never
    // went through this codec) is left out rather than silence the
    // sender's heartbeats, which would make it look dead.
    for (const PeerAddress& p : heartbeat->digest) {
      DigestEntry e{&p, {}};
      if (pack_address(p.address, e.address)) digest.push_back(e);
    }
  }

  // The digest is advisory: when the datagram would be too large, entries
  // go from the back (the oldest news) until it fits.
  std::size_t digest_count = digest.size();
  kj::Array<capnp::word> words = build(m, address, digest, digest_count);
  std::size_t size = kHeaderSize + words.asBytes().size() + trailer;
  while (size > kMaxDatagramSize && digest_count > 0) {
    std::size_t excess = size - kMaxDatagramSize;
    while (digest_count > 0 && excess > 0) {
      --digest_count;
      excess -= std::min(excess, digest[digest_count].size());
    }
    words = build(m, address, digest, digest_count);
    size = kHeaderSize + words.asBytes().size() + trailer;
  }
  const kj::ArrayPtr<const capnp::byte> payload = words.asBytes();
  if (size > kMaxDatagramSize) {
    out.status =
        Status::error("the message is " + std::to_string(size) +
                      " bytes; a datagram may carry at most " + std::to_string(kMaxDatagramSize));
    return out;
  }
  out.datagram.resize(size);
  std::uint8_t* p = out.datagram.data();
  std::memcpy(p, kMagic.data(), kMagic.size());
  p[4] = kLayoutVersion;
  p[5] = flags;
  p[6] = static_cast<std::uint8_t>(payload.size() & 0xff);
  p[7] = static_cast<std::uint8_t>(payload.size() >> 8);
  std::memcpy(p + kHeaderSize, payload.begin(), payload.size());
  if (trailer == 0) return out;

  const ClusterKey& key = security.keys->primary();
  std::uint8_t* key_id = p + kHeaderSize + payload.size();
  store_u32_le(key_id, key.id);
  if (!security.encrypt) {
    mac_tag(key, p, kHeaderSize + payload.size() + kKeyIdSize, key_id + kKeyIdSize);
    return out;
  }
  // A random 24-byte nonce: no counter to keep, and no fear of repeating
  // one across restarts or nodes sharing a key.
  std::uint8_t* nonce = key_id + kKeyIdSize;
  randombytes_buf(nonce, kNonceSize);
  const auto ad = additional_data(p, key_id);
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
      p + kHeaderSize, nonce + kNonceSize, nullptr, p + kHeaderSize, payload.size(), ad.data(),
      ad.size(), nullptr, nonce, key.aead_key.data());
  return out;
}

Decoded decode(std::span<const std::uint8_t> d) {
  return decode(d, nullptr);
}

Decoded decode(std::span<const std::uint8_t> d, const Keyring* keys) {
  // Cheap checks first, so junk never reaches the Cap'n Proto reader.
  if (d.size() > kMaxDatagramSize) return dropped(DropReason::kTooLarge);
  if (d.size() >= kMagic.size() && std::memcmp(d.data(), kMagic.data(), kMagic.size()) != 0) {
    return dropped(DropReason::kBadMagic);
  }
  if (d.size() < kHeaderSize) return dropped(DropReason::kTruncated);
  if (d[4] != kLayoutVersion) return dropped(DropReason::kUnknownLayout);
  const std::uint8_t flags = d[5];
  if ((flags & ~kKnownFlags) != 0) return dropped(DropReason::kMalformed);
  if ((flags & kFlagEncrypted) != 0 && (flags & kFlagAuthenticated) == 0) {
    return dropped(DropReason::kMalformed);
  }
  const std::size_t payload_size = load_u16_le(d.data() + 6);
  if (payload_size == 0 || payload_size % sizeof(capnp::word) != 0) {
    return dropped(DropReason::kMalformed);
  }
  // The datagram ends exactly after its trailer: no slack to hide in.
  const std::size_t size = kHeaderSize + payload_size + trailer_size(flags);
  if (size > d.size()) return dropped(DropReason::kTruncated);
  if (size < d.size()) return dropped(DropReason::kMalformed);

  Decoded out;
  // Word-aligned storage for the payload (the datagram buffer need not be
  // aligned), filled with the plaintext once the tag has verified.
  std::array<capnp::word, kMaxPayloadWords> words;
  const std::size_t word_count = payload_size / sizeof(capnp::word);
  auto* plain = reinterpret_cast<std::uint8_t*>(words.data());
  if ((flags & kFlagAuthenticated) == 0) {
    // A keyed node hears only its own cluster's tagged traffic.
    if (keys != nullptr) return dropped(DropReason::kUnauthenticated);
    std::memcpy(plain, d.data() + kHeaderSize, payload_size);
  } else {
    // An unkeyed node cannot tell a keyed cluster's datagram from a
    // forgery; like one tagged with a key it lacks, it is another cluster's.
    if (keys == nullptr) return dropped(DropReason::kForeignKey);
    const std::uint8_t* key_id = d.data() + kHeaderSize + payload_size;
    const ClusterKey* key = keys->find(load_u32_le(key_id));
    if (key == nullptr) return dropped(DropReason::kForeignKey);
    if ((flags & kFlagEncrypted) == 0) {
      std::array<std::uint8_t, kTagSize> expected;
      mac_tag(*key, d.data(), kHeaderSize + payload_size + kKeyIdSize, expected.data());
      if (crypto_verify_16(expected.data(), key_id + kKeyIdSize) != 0) {
        return dropped(DropReason::kUnauthenticated);
      }
      std::memcpy(plain, d.data() + kHeaderSize, payload_size);
    } else {
      const std::uint8_t* nonce = key_id + kKeyIdSize;
      const auto ad = additional_data(d.data(), key_id);
      if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
              plain, nullptr, d.data() + kHeaderSize, payload_size, nonce + kNonceSize, ad.data(),
              ad.size(), nonce, key->aead_key.data()) != 0) {
        return dropped(DropReason::kUnauthenticated);
      }
      out.encrypted = true;
    }
    out.key_id = key->id;
  }

  capnp::ReaderOptions options;
  options.traversalLimitInWords = kTraversalLimitWords;
  options.nestingLimit = kNestingLimit;
  try {
    capnp::FlatArrayMessageReader reader(kj::arrayPtr(words.data(), word_count), options);
    // The stated payload must be exactly one message: no slack to hide in.
    if (reader.getEnd() != words.data() + word_count) return dropped(DropReason::kMalformed);
    const DropReason r = read_envelope(reader.getRoot<s::Envelope>(), out.message);
    if (r != DropReason::kCount) return dropped(r);
  } catch (const kj::Exception&) {
    // Cap'n Proto reports damage (bad pointers, out of bounds, over the
    // limits, text without its NUL) by throwing.
    return dropped(DropReason::kMalformed);
  }
  out.ok = true;
  return out;
}

lanlord::Codec codec() {
  return codec(Security{});
}

lanlord::Codec codec(const Security& security) {
  // The codec's functions may outlive the caller's keyring: they share
  // their own copy.
  std::shared_ptr<const Keyring> keys;
  if (security.keys != nullptr) keys = std::make_shared<const Keyring>(*security.keys);
  const bool encrypt = security.encrypt;
  lanlord::Codec c;
  c.encode = [keys, encrypt](const Message& m, std::vector<std::uint8_t>& out) {
    Encoded e = encode(m, Security{keys.get(), encrypt});
    if (e.status) out = std::move(e.datagram);
    return e.status;
  };
  c.decode = [keys](std::span<const std::uint8_t> datagram,
                    Message& out) -> std::optional<DropReason> {
    Decoded d = decode(datagram, keys.get());
    if (!d.ok) return d.reason;
    out = std::move(d.message);
    return std::nullopt;
  };
  return c;
}

}  // namespace lanlord::wire
