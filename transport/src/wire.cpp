#include "lanlord/wire.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <array>
#include <cstring>
#include <type_traits>
#include <utility>

#include "lanlord.capnp.h"

namespace lanlord::wire {

namespace {

namespace s = lanlord::wire::schema;

constexpr std::array<std::uint8_t, 4> kMagic = {'L', 'N', 'L', 'D'};
constexpr std::size_t kMaxPayloadWords = (kMaxDatagramSize - kHeaderSize) / sizeof(capnp::word);

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
      out.body = std::move(h);
      break;
    }
    case s::Envelope::Body::LEADERSHIP: {
      auto ld = body.getLeadership();
      Leadership l;
      const capnp::Text::Reader channel = ld.getChannel();
      l.channel.assign(channel.cStr(), channel.size());
      switch (ld.getKind()) {
        case s::Leadership::Kind::PROPOSAL:
          l.declaration = false;
          break;
        case s::Leadership::Kind::DECLARATION:
          l.declaration = true;
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

}  // namespace

Encoded encode(const Message& m) {
  Encoded out;
  out.status = check_message(m);
  if (!out.status) return out;

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
        } else if constexpr (std::is_same_v<T, Leadership>) {
          auto ld = body.initLeadership();
          ld.setChannel(text_of(b.channel));
          ld.setKind(b.declaration ? s::Leadership::Kind::DECLARATION
                                   : s::Leadership::Kind::PROPOSAL);
        } else {
          body.initLeave();
        }
      },
      m.body);

  const kj::Array<capnp::word> words = capnp::messageToFlatArray(builder);
  const kj::ArrayPtr<const capnp::byte> payload = words.asBytes();
  if (kHeaderSize + payload.size() > kMaxDatagramSize) {
    out.status =
        Status::error("the message is " + std::to_string(kHeaderSize + payload.size()) +
                      " bytes; a datagram may carry at most " + std::to_string(kMaxDatagramSize));
    return out;
  }
  out.datagram.resize(kHeaderSize + payload.size());
  std::uint8_t* p = out.datagram.data();
  std::memcpy(p, kMagic.data(), kMagic.size());
  p[4] = kLayoutVersion;
  p[5] = 0;  // flags: none defined in layout 1
  p[6] = static_cast<std::uint8_t>(payload.size() & 0xff);
  p[7] = static_cast<std::uint8_t>(payload.size() >> 8);
  std::memcpy(p + kHeaderSize, payload.begin(), payload.size());
  return out;
}

Decoded decode(std::span<const std::uint8_t> d) {
  // Cheap checks first, so junk never reaches the Cap'n Proto reader.
  if (d.size() > kMaxDatagramSize) return dropped(DropReason::kTooLarge);
  if (d.size() >= kMagic.size() && std::memcmp(d.data(), kMagic.data(), kMagic.size()) != 0) {
    return dropped(DropReason::kBadMagic);
  }
  if (d.size() < kHeaderSize) return dropped(DropReason::kTruncated);
  if (d[4] != kLayoutVersion) return dropped(DropReason::kUnknownLayout);
  // d[5], flags: layout 1 defines none and ignores them, so a later flag
  // (e.g. "an authentication tag follows") does not break older nodes.
  const std::size_t payload_size = load_u16_le(d.data() + 6);
  if (payload_size == 0 || payload_size % sizeof(capnp::word) != 0) {
    return dropped(DropReason::kMalformed);
  }
  if (kHeaderSize + payload_size > d.size()) return dropped(DropReason::kTruncated);
  // Bytes after the payload are a trailer reserved for an authentication
  // tag; layout 1 ignores them.

  // Copy into word-aligned storage: the datagram buffer need not be aligned.
  std::array<capnp::word, kMaxPayloadWords> words;
  const std::size_t word_count = payload_size / sizeof(capnp::word);
  std::memcpy(words.data(), d.data() + kHeaderSize, payload_size);

  capnp::ReaderOptions options;
  options.traversalLimitInWords = kTraversalLimitWords;
  options.nestingLimit = kNestingLimit;
  Decoded out;
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
  lanlord::Codec c;
  c.encode = [](const Message& m, std::vector<std::uint8_t>& out) {
    Encoded e = encode(m);
    if (e.status) out = std::move(e.datagram);
    return e.status;
  };
  c.decode = [](std::span<const std::uint8_t> datagram, Message& out) -> std::optional<DropReason> {
    Decoded d = decode(datagram);
    if (!d.ok) return d.reason;
    out = std::move(d.message);
    return std::nullopt;
  };
  return c;
}

}  // namespace lanlord::wire
