#include "lanlord/wire.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>
#include <sodium.h>

#include <array>
#include <cstring>
#include <memory>
#include <type_traits>
#include <utility>

#include "lanlord.capnp.h"

namespace lanlord::wire {

namespace {

namespace s = lanlord::wire::schema;

constexpr std::array<std::uint8_t, 4> kMagic = {'L', 'N', 'L', 'D'};
constexpr std::size_t kMaxPayloadWords = (kMaxDatagramSize - kHeaderSize) / sizeof(capnp::word);
constexpr std::uint8_t kKnownFlags = kFlagAuthenticated | kFlagEncrypted;

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

}  // namespace

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

  // One first segment large enough for any datagram we may send keeps the
  // message in a single segment (an 8-byte segment table).
  capnp::MallocMessageBuilder builder(kMaxPayloadWords + 1);
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
      [&body](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, Heartbeat>) {
          auto hb = body.initHeartbeat();
          auto channels = hb.initChannels(static_cast<unsigned>(b.channels.size()));
          for (unsigned i = 0; i < b.channels.size(); ++i) channels.set(i, text_of(b.channels[i]));
          hb.setMetadata(bytes_of(b.metadata));
          hb.setTimings(b.timings);
          hb.setInterval(b.interval);
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

  const kj::Array<capnp::word> words = capnp::messageToFlatArray(builder);
  const kj::ArrayPtr<const capnp::byte> payload = words.asBytes();
  const std::size_t size = kHeaderSize + payload.size() + trailer;
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
