// The wire codec: every message and field round-trips; anything else a
// socket may deliver (truncated, oversized, random, mutated, another
// version, another cluster, a replay) is dropped with a reason, never a crash.
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "future.capnp.h"
#include "lanlord/wire.hpp"

using namespace lanlord;
using namespace lanlord::wire;

namespace {

using Bytes = std::vector<std::uint8_t>;

Message message(Body body, std::string sender = "node-1",
                PeerTime time = {1700000000000000000, 7}) {
  Message m;
  m.cluster = "lanlord";
  m.sender = PeerId(std::move(sender));
  m.time = time;
  m.body = std::move(body);
  return m;
}

Bytes encoded(const Message& m) {
  Encoded e = encode(m);
  REQUIRE_MESSAGE(e.status.is_ok(), e.status.message());
  return e.datagram;
}

DropReason drop_reason(const Bytes& d) {
  Decoded r = decode(d);
  REQUIRE_FALSE(r.ok);
  return r.reason;
}

// The fixed header of WIRE.md, written by hand: magic, layout, flags, length.
Bytes with_header(kj::ArrayPtr<const capnp::byte> payload, std::uint8_t layout = 1,
                  std::uint8_t flags = 0) {
  Bytes d(kHeaderSize + payload.size());
  const std::uint8_t header[kHeaderSize] = {'L',
                                            'N',
                                            'L',
                                            'D',
                                            layout,
                                            flags,
                                            static_cast<std::uint8_t>(payload.size() & 0xff),
                                            static_cast<std::uint8_t>(payload.size() >> 8)};
  std::memcpy(d.data(), header, kHeaderSize);
  if (payload.size() > 0) std::memcpy(d.data() + kHeaderSize, payload.begin(), payload.size());
  return d;
}

// A datagram of the "future" schema (tests/transport/future.capnp).
template <typename Fill>
Bytes future_datagram(Fill fill) {
  capnp::MallocMessageBuilder builder;
  auto env = builder.initRoot<lanlord::test::future::Envelope>();
  env.setVersion(kProtocolVersion);
  env.setCluster("lanlord");
  const std::string sender = "future-node";
  env.setSender(kj::arrayPtr(reinterpret_cast<const capnp::byte*>(sender.data()), sender.size()));
  env.initTime().setIncarnation(5);
  env.getTime().setSeq(6);
  fill(env);
  kj::Array<capnp::word> words = capnp::messageToFlatArray(builder);
  return with_header(words.asBytes());
}

}  // namespace

TEST_CASE("codec: a heartbeat round-trips with every field") {
  Message m =
      message(Heartbeat{{"billing", "reports", "ünïcode"}, std::string("203.0.113.5:80\0x", 16)},
              std::string("id\0with\xffnul", 11), {~0ull, ~0ull});
  Decoded d = decode(encoded(m));
  REQUIRE(d.ok);
  CHECK(d.message == m);
  CHECK(d.message.version == kProtocolVersion);
}

// Found by tests/fuzz (fuzz_decode, fuzz_node_core): names are any bytes
// within their limits, a NUL included; the encoder used to cut text at the
// first NUL, so a node in channel "a\0b" sent heartbeats for "a", and one
// in "\0b" sent heartbeats every peer dropped as malformed.
TEST_CASE("codec: names with a NUL byte round-trip whole") {
  const std::string nul_inside("a\0b", 3);
  const std::string nul_first("\0b", 2);
  for (const Body& body :
       {Body{Heartbeat{{nul_inside, nul_first}, "", 0}}, Body{Leadership{nul_inside, true}},
        Body{Leadership{nul_first, false}}}) {
    Message m = message(body);
    m.cluster = nul_first;
    Decoded d = decode(encoded(m));
    REQUIRE(d.ok);
    CHECK(d.message == m);
  }
}

TEST_CASE("codec: proposals, declarations and leaves round-trip") {
  for (const Body& body : {Body{Leadership{"billing", false}}, Body{Leadership{"billing", true}},
                           Body{Leave{}}, Body{Heartbeat{}}}) {
    Message m = message(body, "p", {0, 0});
    Decoded d = decode(encoded(m));
    REQUIRE(d.ok);
    CHECK(d.message == m);
  }
}

TEST_CASE("codec: datagram sizes (measured, for WIRE.md)") {
  const std::size_t hb = encoded(message(Heartbeat{{"default"}, ""})).size();
  const std::size_t hb_meta = encoded(message(Heartbeat{{"default"}, "203.0.113.5:8080"})).size();
  const std::size_t decl = encoded(message(Leadership{"default", true})).size();
  const std::size_t leave = encoded(message(Leave{})).size();
  MESSAGE("heartbeat(1 channel)=" << hb << " B, with 16 B metadata=" << hb_meta
                                  << " B, declaration=" << decl << " B, leave=" << leave
                                  << " B (id 'node-1')");
  CHECK(hb <= 160);
  CHECK(decl <= 160);
  // The largest heartbeat the limits allow still fits a datagram.
  Heartbeat big;
  for (std::size_t i = 0; i < kMaxChannels; ++i) {
    big.channels.push_back(std::string(kMaxChannelSize - 2, 'c') + std::to_string(i % 10) + "x");
  }
  big.metadata.assign(kMaxMetadataSize, 'm');
  Message m = message(big, std::string(kMaxIdSize, 'i'));
  m.cluster.assign(kMaxClusterSize, 'k');
  const Bytes d = encoded(m);
  MESSAGE("largest heartbeat=" << d.size() << " B (limit " << kMaxDatagramSize << ")");
  CHECK(decode(d).ok);
}

TEST_CASE("codec: encode refuses fields over their limits") {
  CHECK_FALSE(encode(message(Leave{}, "")).status.is_ok());
  CHECK_FALSE(encode(message(Leave{}, std::string(kMaxIdSize + 1, 'i'))).status.is_ok());
  CHECK_FALSE(encode(message(Leadership{"", true})).status.is_ok());
  CHECK_FALSE(
      encode(message(Heartbeat{{std::string(kMaxChannelSize + 1, 'c')}, ""})).status.is_ok());
  CHECK_FALSE(encode(message(Heartbeat{std::vector<std::string>(kMaxChannels + 1, "c"), ""}))
                  .status.is_ok());
  CHECK_FALSE(
      encode(message(Heartbeat{{"c"}, std::string(kMaxMetadataSize + 1, 'm')})).status.is_ok());
  Message m = message(Leave{});
  m.cluster.assign(kMaxClusterSize + 1, 'k');
  const Status s = encode(m).status;
  CHECK_FALSE(s.is_ok());
  CHECK(s.message().find("cluster") != std::string::npos);
}

TEST_CASE("codec: the header is checked before Cap'n Proto sees anything") {
  const Bytes good = encoded(message(Leadership{"c", true}));
  CHECK(drop_reason(Bytes(kMaxDatagramSize + 1, 0)) == DropReason::kTooLarge);
  CHECK(drop_reason(Bytes{}) == DropReason::kTruncated);
  CHECK(drop_reason(Bytes{'L', 'N'}) == DropReason::kTruncated);
  Bytes bad_magic = good;
  bad_magic[0] = 'X';
  CHECK(drop_reason(bad_magic) == DropReason::kBadMagic);
  Bytes layout = good;
  layout[4] = 2;
  CHECK(drop_reason(layout) == DropReason::kUnknownLayout);
  Bytes odd_length = good;
  odd_length[6] = static_cast<std::uint8_t>(odd_length[6] - 1);
  CHECK(drop_reason(odd_length) == DropReason::kMalformed);
  Bytes longer_than_sent = good;
  longer_than_sent[6] = static_cast<std::uint8_t>(longer_than_sent[6] + 8);
  CHECK(drop_reason(longer_than_sent) == DropReason::kTruncated);
  Bytes zero_length = good;
  zero_length[6] = zero_length[7] = 0;
  CHECK(drop_reason(zero_length) == DropReason::kMalformed);
}

TEST_CASE("codec: every truncation of a valid datagram is dropped") {
  const Bytes good = encoded(message(Heartbeat{{"a", "b"}, "meta"}));
  for (std::size_t n = 0; n < good.size(); ++n) {
    const Decoded d = decode(std::span(good.data(), n));
    CHECK_FALSE(d.ok);
    CHECK((d.reason == DropReason::kTruncated || d.reason == DropReason::kMalformed));
  }
}

TEST_CASE("codec: flags and a trailer are ignored, leaving room for an authentication tag") {
  Bytes d = encoded(message(Leadership{"c", false}));
  d[5] = 0x01;                  // a future "tag follows" flag
  d.insert(d.end(), 32, 0xAB);  // the tag
  const Decoded r = decode(d);
  REQUIRE(r.ok);
  CHECK(r.message == message(Leadership{"c", false}));
}

TEST_CASE("codec: a payload with slack after the message is malformed") {
  capnp::MallocMessageBuilder builder;
  builder.initRoot<lanlord::test::future::Envelope>().setVersion(kProtocolVersion);
  kj::Array<capnp::word> words = capnp::messageToFlatArray(builder);
  Bytes payload(words.asBytes().begin(), words.asBytes().end());
  payload.resize(payload.size() + 8, 0);
  CHECK(drop_reason(with_header(kj::arrayPtr(payload.data(), payload.size()))) ==
        DropReason::kMalformed);
}

TEST_CASE("codec: another protocol version is dropped") {
  for (std::uint16_t v : {0, 2, 0xffff}) {
    Message m = message(Leave{});
    m.version = v;
    CHECK(drop_reason(encoded(m)) == DropReason::kUnknownVersion);
  }
}

TEST_CASE("codec: a newer schema's extra fields are skipped, its new kinds dropped") {
  // Forward compatibility: fields added later are invisible to this decoder.
  const Bytes hb = future_datagram([](auto env) {
    env.setPriority(9);
    auto h = env.getBody().initHeartbeat();
    h.initChannels(1).set(0, "billing");
    h.setZone("eu-west");
  });
  Decoded d = decode(hb);
  REQUIRE(d.ok);
  CHECK(d.message.sender == PeerId("future-node"));
  CHECK(d.message.time == PeerTime{5, 6});
  CHECK(std::get<Heartbeat>(d.message.body).channels == std::vector<std::string>{"billing"});

  const Bytes leave = future_datagram([](auto env) { env.getBody().initLeave().setReason("bye"); });
  REQUIRE(decode(leave).ok);
  CHECK(std::holds_alternative<Leave>(decode(leave).message.body));

  const Bytes ping = future_datagram([](auto env) { env.getBody().setPing(); });
  CHECK(drop_reason(ping) == DropReason::kUnknownKind);

  const Bytes abdication = future_datagram([](auto env) {
    auto l = env.getBody().initLeadership();
    l.setChannel("billing");
    l.setKind(lanlord::test::future::Leadership::Kind::ABDICATION);
    l.setTerm(3);
  });
  CHECK(drop_reason(abdication) == DropReason::kUnknownKind);
}

TEST_CASE("codec: invalid fields inside a well-formed message are malformed") {
  CHECK(drop_reason(future_datagram([](auto env) {
          env.setSender(kj::ArrayPtr<const capnp::byte>());  // empty sender
          env.getBody().initLeave();
        })) == DropReason::kMalformed);
  CHECK(drop_reason(future_datagram([](auto env) {
          auto channels = env.getBody().initHeartbeat().initChannels(kMaxChannels + 1);
          for (unsigned i = 0; i < kMaxChannels + 1; ++i) channels.set(i, "c");
        })) == DropReason::kMalformed);
  CHECK(drop_reason(future_datagram([](auto env) {
          env.getBody().initLeadership().setChannel("");
        })) == DropReason::kMalformed);
}

TEST_CASE("codec: random datagrams never crash and are never accepted") {
  std::mt19937_64 rng(20240601);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, kMaxDatagramSize + 16);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes d(length(rng));
    for (auto& b : d) b = static_cast<std::uint8_t>(byte(rng));
    if (i % 2 == 0 && d.size() >= kHeaderSize) {
      // Half get a valid header, so the Cap'n Proto reader is exercised.
      const std::size_t payload = (d.size() - kHeaderSize) & ~std::size_t{7};
      const Bytes h = {'L',
                       'N',
                       'L',
                       'D',
                       1,
                       0,
                       static_cast<std::uint8_t>(payload & 0xff),
                       static_cast<std::uint8_t>(payload >> 8)};
      std::copy(h.begin(), h.end(), d.begin());
    }
    accepted += decode(d).ok ? 1 : 0;
  }
  // Random bytes could in principle form a valid message; in practice the
  // version and sender checks reject them all.
  CHECK(accepted == 0);
}

TEST_CASE("codec: mutated valid datagrams never crash") {
  const Bytes good = encoded(message(Heartbeat{{"alpha", "beta", "gamma"}, "endpoint:1234"}));
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::size_t> pos(0, good.size() - 1);
  std::uniform_int_distribution<int> bit(0, 7);
  int dropped = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes d = good;
    for (int flips = 1 + i % 4; flips > 0; --flips)
      d[pos(rng)] ^= static_cast<std::uint8_t>(1 << bit(rng));
    Decoded r = decode(d);
    if (!r.ok) {
      ++dropped;
      CHECK(r.reason < DropReason::kCount);
    }
  }
  CHECK(dropped > 0);
}

TEST_CASE("codec: drop reasons have stable snake_case names") {
  CHECK(std::string(drop_reason_name(DropReason::kTooLarge)) == "too_large");
  CHECK(std::string(drop_reason_name(DropReason::kForeignCluster)) == "foreign_cluster");
  CHECK(std::string(drop_reason_name(DropReason::kStale)) == "stale");
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    CHECK(std::string(drop_reason_name(static_cast<DropReason>(i))) != "unknown");
  }
}
