// The wire codec: every message and field round-trips; anything else a
// socket may deliver (truncated, oversized, random, mutated, another
// version, another cluster, a replay) is dropped with a reason, never a crash.
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
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

// A leadership message with every field named (a handoff when `successor`
// is not empty).
Leadership leadership(std::string channel, bool declaration, std::uint64_t epoch = 0,
                      std::string successor = "") {
  Leadership l;
  l.channel = std::move(channel);
  l.declaration = declaration;
  l.epoch = epoch;
  l.successor = PeerId(std::move(successor));
  return l;
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
Bytes with_header(kj::ArrayPtr<const capnp::byte> payload, std::uint8_t layout = kLayoutVersion,
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
  Message m = message(
      Heartbeat{
          {"billing", "reports", "ünïcode"}, std::string("203.0.113.5:80\0x", 16), 0x1234, 1000},
      std::string("id\0with\xffnul", 11), {~0ull, ~0ull});
  // The interval shares the timings' data word: no bigger datagram.
  Message one_rate = m;
  std::get<Heartbeat>(one_rate.body).interval = 0;
  CHECK(encoded(m).size() == encoded(one_rate).size());
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
       {Body{Heartbeat{{nul_inside, nul_first}, "", 0}}, Body{leadership(nul_inside, true)},
        Body{leadership(nul_first, false)}}) {
    Message m = message(body);
    m.cluster = nul_first;
    Decoded d = decode(encoded(m));
    REQUIRE(d.ok);
    CHECK(d.message == m);
  }
}

TEST_CASE("codec: proposals, declarations and leaves round-trip") {
  for (const Body& body :
       {Body{leadership("billing", false)}, Body{leadership("billing", true)}, Body{Leave{}},
        Body{Heartbeat{}}, Body{Suspect{{PeerId("node-2")}}},
        Body{Suspect{std::vector<PeerId>(kMaxSuspects, PeerId(std::string(kMaxIdSize, 's')))}}}) {
    Message m = message(body, "p", {0, 0});
    Decoded d = decode(encoded(m));
    REQUIRE(d.ok);
    CHECK(d.message == m);
  }
}

TEST_CASE("codec: datagram sizes (measured, for WIRE.md)") {
  // Plain; a keyed datagram adds its trailer: 20 bytes with a MAC, 44
  // encrypted (the round-trip test below checks that). The largest
  // heartbeat is measured with the keyed tests.
  const std::size_t hb = encoded(message(Heartbeat{{"default"}, ""})).size();
  const std::size_t hb_meta = encoded(message(Heartbeat{{"default"}, "203.0.113.5:8080"})).size();
  const std::size_t decl = encoded(message(leadership("default", true, ~0ull))).size();
  const std::size_t handoff =
      encoded(message(leadership("default", false, ~0ull, "node-2"))).size();
  const std::size_t leave = encoded(message(Leave{})).size();
  MESSAGE("heartbeat(1 channel)=" << hb << " B, with 16 B metadata=" << hb_meta
                                  << " B, declaration=" << decl << " B, handoff to 'node-2'="
                                  << handoff << " B, leave=" << leave << " B (id 'node-1')");
  // 152 and 168 before unicast mode: a multicast heartbeat pays one null
  // pointer for the Unicast struct it does not send.
  CHECK(hb == 160);
  CHECK(hb_meta == 176);
  CHECK(decl == 152);
  CHECK(handoff == 160);
  CHECK(leave == 112);
}

TEST_CASE("codec: encode refuses fields over their limits") {
  CHECK_FALSE(encode(message(Leave{}, "")).status.is_ok());
  CHECK_FALSE(encode(message(Leave{}, std::string(kMaxIdSize + 1, 'i'))).status.is_ok());
  CHECK_FALSE(encode(message(leadership("", true))).status.is_ok());
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
  const Bytes good = encoded(message(leadership("c", true)));
  CHECK(drop_reason(Bytes(kMaxDatagramSize + 1, 0)) == DropReason::kTooLarge);
  CHECK(drop_reason(Bytes{}) == DropReason::kTruncated);
  CHECK(drop_reason(Bytes{'L', 'N'}) == DropReason::kTruncated);
  Bytes bad_magic = good;
  bad_magic[0] = 'X';
  CHECK(drop_reason(bad_magic) == DropReason::kBadMagic);
  for (std::uint8_t version : {0, 1, 3, 0xff}) {  // 1: the dropped unkeyed layout
    Bytes layout = good;
    layout[4] = version;
    CHECK(drop_reason(layout) == DropReason::kUnknownLayout);
  }
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

TEST_CASE("codec: unknown flags, and bytes after an untagged payload, are malformed") {
  const Bytes good = encoded(message(leadership("c", false)));
  for (std::uint8_t flags : {0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x05, 0xff}) {
    Bytes d = good;
    d[5] = flags;  // 0x02: encrypted without the tag that must come with it
    CHECK_MESSAGE(drop_reason(d) == DropReason::kMalformed, "flags " << int(flags));
  }
  Bytes slack = good;
  slack.insert(slack.end(), 8, 0);
  CHECK(drop_reason(slack) == DropReason::kMalformed);
  slack.resize(good.size() + 1);
  CHECK(drop_reason(slack) == DropReason::kMalformed);
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
    h.setInterval(1000);
    h.setZone("eu-west");
  });
  Decoded d = decode(hb);
  REQUIRE(d.ok);
  CHECK(d.message.sender == PeerId("future-node"));
  CHECK(d.message.time == PeerTime{5, 6});
  CHECK(std::get<Heartbeat>(d.message.body).channels == std::vector<std::string>{"billing"});
  CHECK(std::get<Heartbeat>(d.message.body).interval == 1000);

  // A later Unicast struct and digest entry, with fields of their own.
  const Bytes unicast = future_datagram([](auto env) {
    auto u = env.getBody().initHeartbeat().initUnicast();
    const std::array<capnp::byte, 6> v4 = {203, 0, 113, 5, 0x1d, 0xf4};
    u.setAddress(kj::arrayPtr(v4.data(), v4.size()));
    u.setObserver(true);
    u.setRelay(true);
    auto entry = u.initDigest(1)[0];
    const std::string id = "node-7";
    entry.setId(kj::arrayPtr(reinterpret_cast<const capnp::byte*>(id.data()), id.size()));
    entry.setAddress(kj::arrayPtr(v4.data(), v4.size()));
    entry.setRtt(12);
  });
  const Decoded u = decode(unicast);
  REQUIRE(u.ok);
  const Heartbeat& uh = std::get<Heartbeat>(u.message.body);
  CHECK(uh.address == "203.0.113.5:7668");
  CHECK(uh.observer);
  CHECK(uh.digest == std::vector<PeerAddress>{{PeerId("node-7"), "203.0.113.5:7668"}});

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

  const Bytes declaration = future_datagram([](auto env) {
    auto l = env.getBody().initLeadership();
    l.setChannel("billing");
    l.setKind(lanlord::test::future::Leadership::Kind::DECLARATION);
    l.setEpoch(77);
    l.setTerm(3);
  });
  const Decoded ld = decode(declaration);
  REQUIRE(ld.ok);
  CHECK(std::get<Leadership>(ld.message.body) == leadership("billing", true, 77));
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
  // A Suspect names 1 to kMaxSuspects ids, none empty or over the limit.
  const auto suspect = [](std::vector<std::string> ids) {
    return future_datagram([&](auto env) {
      auto s = env.getBody().initSuspect();
      s.setSince(3);  // a later field, skipped
      auto peers = s.initPeers(static_cast<unsigned>(ids.size()));
      for (unsigned i = 0; i < ids.size(); ++i) {
        peers.set(i,
                  kj::arrayPtr(reinterpret_cast<const capnp::byte*>(ids[i].data()), ids[i].size()));
      }
    });
  };
  const Decoded valid = decode(suspect({"node-2", "node-3"}));
  REQUIRE(valid.ok);
  CHECK(std::get<Suspect>(valid.message.body) == Suspect{{PeerId("node-2"), PeerId("node-3")}});
  CHECK(decode(suspect(std::vector<std::string>(kMaxSuspects, "n"))).ok);
  CHECK(drop_reason(suspect({})) == DropReason::kMalformed);
  CHECK(drop_reason(suspect(std::vector<std::string>(kMaxSuspects + 1, "n"))) ==
        DropReason::kMalformed);
  CHECK(drop_reason(suspect({"node-2", ""})) == DropReason::kMalformed);
  CHECK(drop_reason(suspect({std::string(kMaxIdSize + 1, 'x')})) == DropReason::kMalformed);
  // And the encoder refuses to send them.
  CHECK_FALSE(encode(message(Suspect{})).status.is_ok());
  CHECK_FALSE(
      encode(message(Suspect{std::vector<PeerId>(kMaxSuspects + 1, PeerId("n"))})).status.is_ok());
  CHECK_FALSE(encode(message(Suspect{{PeerId("")}})).status.is_ok());
}

TEST_CASE(
    "codec: a handoff that is also a declaration, or a successor out of place, is malformed") {
  // Built with the later schema, which has today's fields: the encoder
  // refuses these, so only a forger (or a bug) can send them.
  using Kind = lanlord::test::future::Leadership::Kind;
  const auto leadership_datagram = [](Kind kind, std::string successor) {
    return future_datagram([&](auto env) {
      auto l = env.getBody().initLeadership();
      l.setChannel("billing");
      l.setKind(kind);
      l.setEpoch(42);
      if (!successor.empty()) {
        l.setSuccessor(
            kj::arrayPtr(reinterpret_cast<const capnp::byte*>(successor.data()), successor.size()));
      }
    });
  };
  // The bypass itself is sound: the same builder makes a valid handoff.
  const Decoded valid = decode(leadership_datagram(Kind::HANDOFF, "node-2"));
  REQUIRE(valid.ok);
  CHECK(std::get<Leadership>(valid.message.body) == leadership("billing", false, 42, "node-2"));

  CHECK(drop_reason(leadership_datagram(Kind::DECLARATION, "node-2")) == DropReason::kMalformed);
  CHECK(drop_reason(leadership_datagram(Kind::HANDOFF, "")) == DropReason::kMalformed);
  CHECK(drop_reason(leadership_datagram(Kind::PROPOSAL, "node-2")) == DropReason::kMalformed);
  CHECK(drop_reason(leadership_datagram(Kind::HANDOFF, std::string(kMaxIdSize + 1, 's'))) ==
        DropReason::kMalformed);
  // And the encoder refuses to send them.
  Leadership both = leadership("billing", true, 42, "node-2");
  CHECK_FALSE(encode(message(both)).status.is_ok());
  CHECK_FALSE(encode(message(leadership("billing", false, 42, std::string(kMaxIdSize + 1, 's'))))
                  .status.is_ok());
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
                       kLayoutVersion,
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

// ---- Keyed datagrams: layout 2's tag and encryption (WIRE.md, "Keys") ----

namespace {

// Fixed keys, so every run signs with the same bytes.
const std::string kOldKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const std::string kNewKey = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const std::string kOtherKey = "//////////////////////////////////////////8=";

Keyring ring(const std::string& text) {
  Result<Keyring> r = Keyring::parse(text, "test");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return *r;
}

Bytes sealed(const Message& m, const Keyring& keys, bool encrypt) {
  Encoded e = encode(m, Security{&keys, encrypt});
  REQUIRE_MESSAGE(e.status.is_ok(), e.status.message());
  return e.datagram;
}

DropReason keyed_drop(const Bytes& d, const Keyring* keys) {
  Decoded r = decode(d, keys);
  REQUIRE_FALSE(r.ok);
  return r.reason;
}

bool contains(const Bytes& haystack, const std::string& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

// The largest heartbeat the field limits allow.
Message largest_heartbeat() {
  Heartbeat big;
  for (std::size_t i = 0; i < kMaxChannels; ++i) {
    big.channels.push_back(std::string(kMaxChannelSize - 2, 'c') + std::to_string(i % 10) + "x");
  }
  big.metadata.assign(kMaxMetadataSize, 'm');
  big.timings = ~std::uint32_t{0};
  big.interval = ~std::uint32_t{0};
  // Unicast mode: the longer (IPv6) address, an observer; no digest.
  big.address = "[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535";
  big.observer = true;
  Message m = message(big, std::string(kMaxIdSize, 'i'), {~0ull, ~0ull});
  m.cluster.assign(kMaxClusterSize, 'k');
  m.sent_at = ~0ull;
  m.instance = ~0ull;
  return m;
}

}  // namespace

TEST_CASE("codec: MAC-only and encrypted datagrams round-trip and say which key verified them") {
  const Keyring keys = ring(kNewKey);
  Message m = message(Heartbeat{{"billing", "reports"}, "203.0.113.5:80", 0x1234});
  m.sent_at = 1717171717000000001;
  m.instance = 1717171716000000000;
  for (bool encrypt : {false, true}) {
    CAPTURE(encrypt);
    const Bytes d = sealed(m, keys, encrypt);
    CHECK(d[4] == kLayoutVersion);
    CHECK(d[5] == (encrypt ? kFlagAuthenticated | kFlagEncrypted : kFlagAuthenticated));
    CHECK(d.size() == encoded(m).size() + (encrypt ? kMaxTrailerSize : kMacTrailerSize));
    const Decoded r = decode(d, &keys);
    REQUIRE(r.ok);
    CHECK(r.message == m);
    CHECK(r.key_id == keys.primary().id);
    CHECK(r.encrypted == encrypt);
  }
  // Plain datagrams say neither.
  const Decoded plain = decode(encoded(m));
  REQUIRE(plain.ok);
  CHECK_FALSE(plain.key_id.has_value());
  CHECK_FALSE(plain.encrypted);
  // Encrypting without keys is refused, not sent in clear.
  CHECK_FALSE(encode(m, Security{nullptr, true}).status.is_ok());
}

TEST_CASE("codec: proposals, declarations and handoffs carry epoch and successor, keyed or not") {
  const Keyring keys = ring(kNewKey);
  // 64 bytes, a NUL and 0xff among them: a successor is any peer id.
  std::string successor(kMaxIdSize, 's');
  successor[0] = '\0';
  successor[kMaxIdSize - 1] = '\xff';
  for (std::uint64_t epoch : {std::uint64_t{0}, std::uint64_t{1}, ~std::uint64_t{0}}) {
    for (const Leadership& l :
         {leadership("billing", false, epoch), leadership("billing", true, epoch),
          leadership("billing", false, epoch, successor),
          leadership("billing", false, epoch, "n")}) {
      const Message m = message(l);
      CAPTURE(epoch);
      CAPTURE(l.declaration);
      CAPTURE(l.successor.hex());
      const Decoded plain = decode(encoded(m));
      REQUIRE(plain.ok);
      CHECK(plain.message == m);
      for (bool encrypt : {false, true}) {
        CAPTURE(encrypt);
        const Decoded r = decode(sealed(m, keys, encrypt), &keys);
        REQUIRE(r.ok);
        CHECK(r.message == m);
        CHECK(r.encrypted == encrypt);
      }
    }
  }
}

TEST_CASE("codec: an encrypted payload shows neither cluster, sender nor channel") {
  const Keyring keys = ring(kNewKey);
  const Message m =
      message(Heartbeat{{"billing-channel"}, "endpoint-192.0.2.3"}, "sender-visible-in-clear");
  CHECK(contains(sealed(m, keys, false), "sender-visible-in-clear"));  // the test can see it
  const Bytes d = sealed(m, keys, true);
  for (const char* text : {"lanlord", "sender-visible", "billing-channel", "endpoint-10"}) {
    CHECK_MESSAGE(!contains(d, text), text);
  }
  // A fresh nonce each time: the same message never encrypts the same way.
  CHECK(sealed(m, keys, true) != d);
}

TEST_CASE("codec: keyed and unkeyed nodes drop each other's datagrams") {
  const Keyring keys = ring(kNewKey);
  const Keyring other = ring(kOtherKey);
  const Message m = message(leadership("c", true));
  // Untagged to a keyed node: unauthenticated.
  CHECK(keyed_drop(encoded(m), &keys) == DropReason::kUnauthenticated);
  for (bool encrypt : {false, true}) {
    CAPTURE(encrypt);
    // Tagged to an unkeyed node: another (keyed) cluster's.
    CHECK(keyed_drop(sealed(m, keys, encrypt), nullptr) == DropReason::kForeignKey);
    CHECK(drop_reason(sealed(m, keys, encrypt)) == DropReason::kForeignKey);
    // Tagged with a key this node does not hold: foreign, not a forgery.
    CHECK(keyed_drop(sealed(m, other, encrypt), &keys) == DropReason::kForeignKey);
  }
}

TEST_CASE("codec: a forged tag is unauthenticated, whatever key id it claims") {
  const Keyring keys = ring(kNewKey);
  const Message m = message(Leave{});
  for (bool encrypt : {false, true}) {
    CAPTURE(encrypt);
    Bytes d = sealed(m, keys, encrypt);
    std::fill(d.end() - kTagSize, d.end(), 0);  // a made-up tag
    CHECK(keyed_drop(d, &keys) == DropReason::kUnauthenticated);
  }
  // A plain datagram dressed up as a tagged one with our key id.
  Bytes d = encoded(m);
  d[5] = kFlagAuthenticated;
  const std::uint32_t id = keys.primary().id;
  for (int i = 0; i < 4; ++i) d.push_back(static_cast<std::uint8_t>(id >> (8 * i)));
  d.insert(d.end(), kTagSize, 0x5a);
  CHECK(keyed_drop(d, &keys) == DropReason::kUnauthenticated);
}

TEST_CASE("codec: every single-bit flip in a tagged datagram is dropped") {
  const Keyring keys = ring(kNewKey + "\n" + kOldKey);
  const Message m = message(Heartbeat{{"alpha", "beta"}, "endpoint:1234"});
  for (bool encrypt : {false, true}) {
    CAPTURE(encrypt);
    const Bytes good = sealed(m, keys, encrypt);
    REQUIRE(decode(good, &keys).ok);
    const std::size_t payload_end =
        kHeaderSize + (good.size() - kHeaderSize - (encrypt ? kMaxTrailerSize : kMacTrailerSize));
    std::array<int, kDropReasonCount> seen{};
    for (std::size_t byte = 0; byte < good.size(); ++byte) {
      for (unsigned bit = 0; bit < 8; ++bit) {
        Bytes d = good;
        d[byte] ^= static_cast<std::uint8_t>(1u << bit);
        const Decoded r = decode(d, &keys);
        REQUIRE_MESSAGE(!r.ok, "byte " << byte << " bit " << bit << " accepted");
        ++seen[static_cast<std::size_t>(r.reason)];
        // Damage after the header never reaches Cap'n Proto: a tag does
        // not verify, or the key id names no key of ours.
        if (byte >= kHeaderSize) {
          const DropReason expected = byte >= payload_end && byte < payload_end + kKeyIdSize
                                          ? DropReason::kForeignKey
                                          : DropReason::kUnauthenticated;
          CHECK_MESSAGE(r.reason == expected, "byte " << byte << " bit " << bit << ": "
                                                      << std::string(drop_reason_name(r.reason)));
        }
      }
    }
    for (std::size_t i = 0; i < kDropReasonCount; ++i) {
      if (seen[i] > 0) {
        MESSAGE(std::string(drop_reason_name(static_cast<DropReason>(i))) << ": " << seen[i]);
      }
    }
  }
}

TEST_CASE("codec: every truncation of a tagged datagram is dropped") {
  const Keyring keys = ring(kNewKey);
  for (bool encrypt : {false, true}) {
    CAPTURE(encrypt);
    const Bytes good = sealed(message(Heartbeat{{"a", "b"}, "meta"}), keys, encrypt);
    for (std::size_t n = 0; n < good.size(); ++n) {
      const Decoded d = decode(std::span(good.data(), n), &keys);
      REQUIRE_FALSE(d.ok);
      CHECK((d.reason == DropReason::kTruncated || d.reason == DropReason::kMalformed));
    }
    Bytes longer = good;
    longer.push_back(0);
    CHECK(keyed_drop(longer, &keys) == DropReason::kMalformed);
  }
}

TEST_CASE(
    "codec: key rotation: a ring [new, old] hears both, and once old is removed it is foreign") {
  // Rolling a new key in, nodes move from [old] through [new, old] to
  // [new], not all at once: a node at [new, old] hears every stage.
  const Keyring old_only = ring(kOldKey);
  const Keyring both = ring(kNewKey + "\n" + kOldKey);
  const Keyring new_only = ring(kNewKey);
  const Message m = message(leadership("c", true));
  for (bool encrypt : {false, true}) {
    CAPTURE(encrypt);
    for (const Keyring* sender : {&old_only, &both, &new_only}) {
      const Decoded r = decode(sealed(m, *sender, encrypt), &both);
      REQUIRE(r.ok);
      CHECK(r.message == m);
      CHECK(r.key_id == sender->primary().id);
    }
    // [new, old] signs with new, which [new] hears and [old] does not.
    CHECK(decode(sealed(m, both, encrypt), &new_only).ok);
    CHECK(keyed_drop(sealed(m, both, encrypt), &old_only) == DropReason::kForeignKey);
    // Once old is removed, what it signs is another cluster's.
    CHECK(keyed_drop(sealed(m, old_only, encrypt), &new_only) == DropReason::kForeignKey);
  }
}

TEST_CASE("codec: the keyed codec owns its keyring") {
  lanlord::Codec c;
  Bytes d;
  {
    const Keyring keys = ring(kNewKey);
    c = codec(Security{&keys, true});
  }  // the caller's keyring is gone
  const Message m = message(Leave{});
  REQUIRE(c.encode(m, d).is_ok());
  CHECK(d[5] == (kFlagAuthenticated | kFlagEncrypted));
  Message out;
  CHECK_FALSE(c.decode(d, out).has_value());
  CHECK(out == m);
  CHECK(c.decode(encoded(m), out) == DropReason::kUnauthenticated);
  CHECK(codec().decode(d, out) == DropReason::kForeignKey);
}

TEST_CASE("codec: the largest heartbeat fits with the largest trailer (measured, for WIRE.md)") {
  const Keyring keys = ring(kNewKey);
  const Message m = largest_heartbeat();
  const std::size_t plain = encoded(m).size();
  const std::size_t mac = sealed(m, keys, false).size();
  const std::size_t encrypted = sealed(m, keys, true).size();
  MESSAGE("largest heartbeat: plain " << plain << " B, MAC " << mac << " B, encrypted " << encrypted
                                      << " B (limit " << kMaxDatagramSize << ")");
  // 1184 with metadata of 192 bytes before unicast mode; 1240 with it.
  CHECK(plain == 1176);
  CHECK(mac == plain + kMacTrailerSize);
  CHECK(encrypted == plain + kMaxTrailerSize);
  CHECK(encrypted <= kMaxDatagramSize);
  CHECK(decode(sealed(m, keys, true), &keys).ok);
}

TEST_CASE(
    "codec: the largest leadership message fits with the largest trailer (measured, for WIRE.md)") {
  // A handoff at every limit: sender, cluster, channel and successor, and
  // every number at its largest.
  const Keyring keys = ring(kNewKey);
  Message m = message(
      leadership(std::string(kMaxChannelSize, 'c'), false, ~0ull, std::string(kMaxIdSize, 's')),
      std::string(kMaxIdSize, 'i'), {~0ull, ~0ull});
  m.cluster.assign(kMaxClusterSize, 'k');
  m.sent_at = ~0ull;
  m.instance = ~0ull;
  const std::size_t plain = encoded(m).size();
  const std::size_t mac = sealed(m, keys, false).size();
  const std::size_t encrypted = sealed(m, keys, true).size();
  MESSAGE("largest leadership message: plain " << plain << " B, MAC " << mac << " B, encrypted "
                                               << encrypted << " B (limit " << kMaxDatagramSize
                                               << ")");
  CHECK(plain == 336);
  CHECK(mac == plain + kMacTrailerSize);
  CHECK(encrypted == plain + kMaxTrailerSize);
  CHECK(encrypted <= kMaxDatagramSize);
  const Decoded r = decode(sealed(m, keys, true), &keys);
  REQUIRE(r.ok);
  CHECK(r.message == m);
}

TEST_CASE("codec: recorded keyed datagrams (known answers: pins tag, subkeys and AEAD inputs)") {
  // A leave of node-1 signed with kNewKey. MAC-only datagrams are
  // deterministic; the encrypted one was recorded once (its nonce is
  // random) and must keep decoding. Any change to what the tag or the AEAD
  // covers, or to how subkeys and ids are derived, breaks these.
  const Keyring keys = ring(kNewKey);
  Message m = message(Leave{}, "node-1", {1717171717000000000, 42});
  m.sent_at = 1717171717000000001;
  m.instance = 1717171717000000000;
  const auto hex = [](const Bytes& d) {
    std::string s;
    char b[3];
    for (std::uint8_t c : d) {
      std::snprintf(b, sizeof b, "%02x", c);
      s += b;
    }
    return s;
  };
  const auto bytes = [](const std::string& h) {
    Bytes d;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
      d.push_back(static_cast<std::uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
    }
    return d;
  };
  const std::string mac =
      "4c4e4c4402016800000000000c00000000000000030004000100020000000000"
      "01f22122949ed41700f22122949ed4170d000000420000000d00000032000000"
      "0c00000002000000fcffffff000000006c616e6c6f7264006e6f64652d310000"
      "00f22122949ed4172a000000000000008d720c06391307415059da426e9573c3"
      "bf9a17e3";
  const std::string encrypted =
      "4c4e4c44020368008cf7409a9e13767beddbacab3f8031a607f59a25b2be33c9"
      "42103afada595039639f574af7d4ffdd78c3e5769e5654860abea8c4da4e7305"
      "4a87517f1fbd79b7d91f91a19bdeadfd87a5665ea6b7ea954b4cfe53640990e6"
      "9ed44fb8a118f110fc9fa63d22a6bfdd8d720c06a2eb175bbc19726d66cebb11"
      "0dc7675d15e93f48f9a974905c7f21305b33dcaa61dca2ae47f25c69";
  CHECK(hex(sealed(m, keys, false)) == mac);
  for (const std::string& recorded : {mac, encrypted}) {
    const Decoded r = decode(bytes(recorded), &keys);
    REQUIRE(r.ok);
    CHECK(r.message == m);
  }
}

TEST_CASE("codec: WIRE.md's example heartbeat, byte by byte") {
  // An unkeyed datagram: a keyed one is the same with flags 01 or 03 and
  // the trailer (an encrypted payload is unreadable anyway).
  Message m = message(Heartbeat{{"default"}, ""}, "node-1", {1717171717000000000, 42});
  m.sent_at = 1717171718000000000;
  m.instance = 1717171717000000000;
  const Bytes d = encoded(m);
  std::string hex;
  char b[4];
  for (std::size_t i = 0; i < d.size(); ++i) {
    std::snprintf(b, sizeof b, i % 8 == 7 ? "%02x\n" : "%02x ", d[i]);
    hex += b;
  }
  // The rows of WIRE.md's example, without its annotations.
  CHECK(hex ==
        "4c 4e 4c 44 02 00 98 00\n"
        "00 00 00 00 12 00 00 00\n"
        "00 00 00 00 03 00 04 00\n"
        "01 00 00 00 00 00 00 00\n"
        "00 bc bc 5d 94 9e d4 17\n"
        "00 f2 21 22 94 9e d4 17\n"
        "0d 00 00 00 42 00 00 00\n"
        "0d 00 00 00 32 00 00 00\n"
        "0c 00 00 00 02 00 00 00\n"
        "10 00 00 00 01 00 03 00\n"
        "6c 61 6e 6c 6f 72 64 00\n"
        "6e 6f 64 65 2d 31 00 00\n"
        "00 f2 21 22 94 9e d4 17\n"
        "2a 00 00 00 00 00 00 00\n"
        "00 00 00 00 00 00 00 00\n"
        "09 00 00 00 0e 00 00 00\n"
        "0d 00 00 00 02 00 00 00\n"
        "00 00 00 00 00 00 00 00\n"
        "01 00 00 00 42 00 00 00\n"
        "64 65 66 61 75 6c 74 00\n");
}

TEST_CASE("codec: what a key costs per datagram (measured, no bound)") {
  const Keyring keys = ring(kNewKey);
  const Message m = message(Heartbeat{{"default"}, "203.0.113.5:8080"});
  constexpr int kRounds = 5000;
  for (int mode = 0; mode < 3; ++mode) {
    const Keyring* k = mode == 0 ? nullptr : &keys;
    const Bytes d = mode == 0 ? encoded(m) : sealed(m, keys, mode == 2);
    int ok = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRounds; ++i) ok += decode(d, k).ok ? 1 : 0;
    const auto decode_ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
        kRounds;
    const auto start_encode = std::chrono::steady_clock::now();
    for (int i = 0; i < kRounds; ++i) ok += encode(m, Security{k, mode == 2}).status ? 1 : 0;
    const auto encode_ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start_encode)
            .count() /
        kRounds;
    CHECK(ok == 2 * kRounds);
    MESSAGE(std::string(mode == 0   ? "plain"
                        : mode == 1 ? "MAC"
                                    : "encrypted")
            << " heartbeat (" << d.size() << " B): decode " << decode_ns << " ns, encode "
            << encode_ns << " ns");
  }
}

// ---- Unicast mode: a heartbeat's address, observer flag and digest ----

namespace {

// A unicast heartbeat: one channel, `address`, and `digest`.
Message unicast_heartbeat(std::string address, std::vector<PeerAddress> digest = {},
                          bool observer = false, std::string sender = "node-1") {
  Heartbeat hb;
  hb.channels = {"default"};
  hb.address = std::move(address);
  hb.observer = observer;
  hb.digest = std::move(digest);
  return message(std::move(hb), std::move(sender));
}

// `n` digest entries: ids of `id_size` bytes (distinct), IPv4 or IPv6.
std::vector<PeerAddress> digest_of(std::size_t n, std::size_t id_size, bool v6) {
  std::vector<PeerAddress> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string id = "peer-" + std::to_string(i);
    id.resize(id_size, 'p');
    out.push_back({PeerId(id), v6 ? "[2001:db8::" + std::to_string(i + 1) + "]:7676"
                                  : "198.51.100." + std::to_string(i + 1) + ":7676"});
  }
  return out;
}

Bytes packed(std::initializer_list<std::uint8_t> bytes) {
  return Bytes(bytes);
}

// A heartbeat of the later schema whose Unicast struct is written by
// hand: `address` and, if `entry_address` is given, one digest entry.
Bytes hand_made(const Bytes& address, std::optional<Bytes> entry_address = std::nullopt,
                std::string entry_id = "node-7") {
  return future_datagram([&](auto env) {
    auto hb = env.getBody().initHeartbeat();
    hb.initChannels(1).set(0, "default");
    auto u = hb.initUnicast();
    if (!address.empty()) u.setAddress(kj::arrayPtr(address.data(), address.size()));
    if (entry_address) {
      auto e = u.initDigest(1)[0];
      e.setId(kj::arrayPtr(reinterpret_cast<const capnp::byte*>(entry_id.data()), entry_id.size()));
      if (!entry_address->empty()) {
        e.setAddress(kj::arrayPtr(entry_address->data(), entry_address->size()));
      }
    }
  });
}

}  // namespace

TEST_CASE("codec: a heartbeat's unicast address, observer flag and digest round-trip") {
  const Keyring keys = ring(kNewKey);
  for (const Message& m : {
           unicast_heartbeat("203.0.113.5:7676"),
           unicast_heartbeat("[2001:db8::5]:7676"),
           unicast_heartbeat("[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535"),
           unicast_heartbeat("127.0.0.2:1"),
           unicast_heartbeat("[::1]:7676"),
           unicast_heartbeat("[::ffff:203.0.113.5]:7676"),  // as a dual-stack socket sees IPv4
           unicast_heartbeat("203.0.113.5:7676", {}, true),
           unicast_heartbeat("", {}, true),  // an observer that advertises nothing
           unicast_heartbeat("203.0.113.5:7676", digest_of(kMaxDigest, 10, false)),
           unicast_heartbeat("[2001:db8::5]:7676", digest_of(kMaxDigest, 10, true), true),
           unicast_heartbeat("", digest_of(3, kMaxIdSize, true)),
       }) {
    const Heartbeat& hb = std::get<Heartbeat>(m.body);
    CAPTURE(hb.address);
    CAPTURE(hb.digest.size());
    const Decoded plain = decode(encoded(m));
    REQUIRE(plain.ok);
    CHECK(plain.message == m);
    for (bool encrypt : {false, true}) {
      const Decoded r = decode(sealed(m, keys, encrypt), &keys);
      REQUIRE(r.ok);
      CHECK(r.message == m);
    }
  }
  // Binary: 6 or 18 bytes on the wire, not the text.
  const Bytes v4 = encoded(unicast_heartbeat("203.0.113.5:7676"));
  const Bytes wire_form = {203, 0, 113, 5, 0x1d, 0xfc};  // address, port 7676 big-endian
  CHECK(std::search(v4.begin(), v4.end(), wire_form.begin(), wire_form.end()) != v4.end());
  CHECK_FALSE(contains(v4, "203.0.113.5"));
}

TEST_CASE(
    "codec: encode refuses an address a heartbeat cannot carry, and skips such a digest entry") {
  for (const char* bad : {
           "203.0.113.5",                    // no port
           "203.0.113.5:",                   // empty port
           "203.0.113.5:0",                  // port 0
           "203.0.113.5:65536",              // over 16 bits
           "203.0.113.5:07676",              // not canonical
           "203.0.113.5:+767",               // not a number
           "203.0.113.05:7676",              // not canonical
           "host.example:7676",              // a name, not numeric
           "2001:db8::5:7676",               // IPv6 without brackets
           "[2001:db8::5]",                  // no port
           "[2001:DB8::5]:7676",             // not canonical (upper case)
           "[2001:db8:0:0::5]:7676",         // not canonical (not the shortest form)
           "[fe80::1%eth0]:7676",            // a zone: meaningless to another host
           "[203.0.113.5]:7676",             // IPv4 in brackets
           "0.0.0.0:7676",                   // unspecified
           "0.1.2.3:7676",                   // 0.0.0.0/8
           "[::]:7676",                      // unspecified
           "224.0.0.1:7676",                 // multicast
           "239.255.76.76:7676",             // multicast: the default group
           "[ff02::1]:7676",                 // multicast
           "255.255.255.255:7676",           // broadcast
           "[::ffff:239.255.76.76]:7676",    // mapped multicast
           "[::ffff:0.0.0.0]:7676",          // mapped unspecified
           "[::ffff:255.255.255.255]:7676",  // mapped broadcast
       }) {
    CAPTURE(bad);
    CHECK_FALSE(check_address(bad).is_ok());
    const Status s = encode(unicast_heartbeat(bad)).status;
    CHECK_FALSE(s.is_ok());
    CHECK(s.message().find("address") != std::string::npos);
    // In a digest entry, which is advisory, the entry is left out (found
    // by fuzz_node_core: one such entry in a member's address book used to
    // stop all its heartbeats), and the others go.
    const Message with_bad_entry =
        unicast_heartbeat("203.0.113.5:7676", {{PeerId("node-2"), "192.0.2.2:7676"},
                                               {PeerId("node-3"), bad},
                                               {PeerId("node-4"), "[2001:db8::4]:7676"}});
    const Decoded r = decode(encoded(with_bad_entry));
    REQUIRE(r.ok);
    CHECK(std::get<Heartbeat>(r.message.body).digest ==
          std::vector<PeerAddress>{{PeerId("node-2"), "192.0.2.2:7676"},
                                   {PeerId("node-4"), "[2001:db8::4]:7676"}});
  }
  CHECK(check_address("203.0.113.5:7676").is_ok());
  CHECK(check_address("[2001:db8::5]:7676").is_ok());
  CHECK_FALSE(check_address("").is_ok());  // nothing to send to
}

TEST_CASE("codec: a heartbeat with a malformed address or digest is malformed") {
  // The hand-made builder is sound: valid addresses decode.
  const Decoded v4 = decode(hand_made(packed({203, 0, 113, 5, 0x1d, 0xf4})));
  REQUIRE(v4.ok);
  CHECK(std::get<Heartbeat>(v4.message.body).address == "203.0.113.5:7668");
  const Bytes v6 = packed({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0x1d, 0xf4});
  const Decoded d6 = decode(hand_made(v6, v6));
  REQUIRE(d6.ok);
  CHECK(std::get<Heartbeat>(d6.message.body).address == "[2001:db8::5]:7668");
  CHECK(std::get<Heartbeat>(d6.message.body).digest ==
        std::vector<PeerAddress>{{PeerId("node-7"), "[2001:db8::5]:7668"}});
  const Decoded none = decode(hand_made({}));  // an empty address is none
  REQUIRE(none.ok);
  CHECK(std::get<Heartbeat>(none.message.body).address.empty());

  const std::vector<Bytes> malformed = {
      packed({203}),                             // lengths other than 6 and 18
      packed({203, 0, 113, 5}),                  // an IPv4 address, no port
      packed({203, 0, 113, 5, 0x1d}),            //
      packed({203, 0, 113, 5, 0x1d, 0xf4, 0}),   //
      Bytes(16, 1),                              // an IPv6 address, no port
      Bytes(17, 1),                              //
      Bytes(19, 1),                              //
      Bytes(64, 1),                              //
      packed({203, 0, 113, 5, 0, 0}),            // port 0
      packed({0, 0, 0, 0, 0x1d, 0xf4}),          // unspecified
      packed({0, 1, 2, 3, 0x1d, 0xf4}),          // 0.0.0.0/8
      packed({224, 0, 0, 1, 0x1d, 0xf4}),        // multicast
      packed({239, 255, 76, 76, 0x1d, 0xf4}),    //
      packed({255, 255, 255, 255, 0x1d, 0xf4}),  // broadcast
      packed({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1d, 0xf4}),          // ::
      packed({0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1d, 0xf4}),       // ff02::1
      packed({0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0}),       // port 0
      packed({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 224, 0, 0, 1, 0x1d, 0xf4}),  // mapped
      packed({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0x1d, 0xf4}),
      packed({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 255, 255, 255, 255, 0x1d, 0xf4}),
  };
  for (std::size_t i = 0; i < malformed.size(); ++i) {
    CAPTURE(i);
    CHECK(drop_reason(hand_made(malformed[i])) == DropReason::kMalformed);
    // The same in a digest entry, behind a valid address of the sender's.
    CHECK(drop_reason(hand_made(v6, malformed[i])) == DropReason::kMalformed);
  }
  // A digest entry without an address, or without an id.
  CHECK(drop_reason(hand_made(v6, Bytes{})) == DropReason::kMalformed);
  CHECK(drop_reason(hand_made(v6, v6, "")) == DropReason::kMalformed);
  CHECK(drop_reason(hand_made(v6, v6, std::string(kMaxIdSize + 1, 'i'))) == DropReason::kMalformed);
  // More than kMaxDigest entries.
  const auto digest_of_size = [&](unsigned n) {
    return future_datagram([&](auto env) {
      auto list = env.getBody().initHeartbeat().initUnicast().initDigest(n);
      for (unsigned i = 0; i < n; ++i) {
        const std::string id = "n" + std::to_string(i);
        list[i].setId(kj::arrayPtr(reinterpret_cast<const capnp::byte*>(id.data()), id.size()));
        list[i].setAddress(kj::arrayPtr(v6.data(), v6.size()));
      }
    });
  };
  CHECK(decode(digest_of_size(kMaxDigest)).ok);
  CHECK(drop_reason(digest_of_size(kMaxDigest + 1)) == DropReason::kMalformed);
}

TEST_CASE("codec: a datagram from before unicast mode still decodes") {
  // Recorded before the Unicast struct existed (WIRE.md's example
  // heartbeat then): the Heartbeat struct has 2 pointers, not 3.
  Message m = message(Heartbeat{{"default"}, ""}, "node-1", {1717171717000000000, 42});
  m.sent_at = 1717171718000000000;
  m.instance = 1717171717000000000;
  const Bytes old = {0x4c, 0x4e, 0x4c, 0x44, 0x02, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11,
                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00, 0x01, 0x00,
                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xbc, 0xbc, 0x5d, 0x94, 0x9e, 0xd4,
                     0x17, 0x00, 0xf2, 0x21, 0x22, 0x94, 0x9e, 0xd4, 0x17, 0x0d, 0x00, 0x00, 0x00,
                     0x42, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x00, 0x00, 0x32, 0x00, 0x00, 0x00, 0x0c,
                     0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00,
                     0x02, 0x00, 0x6c, 0x61, 0x6e, 0x6c, 0x6f, 0x72, 0x64, 0x00, 0x6e, 0x6f, 0x64,
                     0x65, 0x2d, 0x31, 0x00, 0x00, 0x00, 0xf2, 0x21, 0x22, 0x94, 0x9e, 0xd4, 0x17,
                     0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                     0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x09, 0x00,
                     0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x42, 0x00, 0x00,
                     0x00, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x00};
  const Decoded d = decode(old);
  REQUIRE(d.ok);
  CHECK(d.message == m);
  // And today's encoding of the same heartbeat is one null pointer longer.
  CHECK(encoded(m).size() == old.size() + 8);
}

TEST_CASE("codec: at the limits a heartbeat fits, and its digest is cut to fit (measured)") {
  // WIRE.md's figures: a heartbeat at every limit (IPv6 address, observer)
  // with no digest, then asked to carry kMaxDigest entries: entries go
  // from the back until the datagram fits, never an error.
  const Keyring keys = ring(kNewKey);
  const Message limits = largest_heartbeat();
  for (int mode = 0; mode < 3; ++mode) {
    CAPTURE(mode);
    const auto encode_in_mode = [&](const Message& m) {
      return mode == 0 ? encoded(m) : sealed(m, keys, mode == 2);
    };
    const std::size_t empty = encode_in_mode(limits).size();
    CHECK(empty <= kMaxDatagramSize);
    CHECK(empty == 1176 + (mode == 0 ? 0 : mode == 1 ? kMacTrailerSize : kMaxTrailerSize));
    // 10-byte ids with IPv4 addresses (40 bytes an entry, plus 8 for the
    // list), then ids and addresses at their limits (104 bytes an entry).
    for (const auto& [id_size, v6, fits] :
         {std::tuple{std::size_t{10}, false, std::array<std::size_t, 3>{1, 0, 0}},
          std::tuple{kMaxIdSize, true, std::array<std::size_t, 3>{0, 0, 0}}}) {
      Message m = limits;
      std::get<Heartbeat>(m.body).digest = digest_of(kMaxDigest, id_size, v6);
      const Bytes d = encode_in_mode(m);
      CHECK(d.size() <= kMaxDatagramSize);
      const Decoded r = decode(d, mode == 0 ? nullptr : &keys);
      REQUIRE(r.ok);
      const std::vector<PeerAddress>& got = std::get<Heartbeat>(r.message.body).digest;
      const std::vector<PeerAddress>& sent = std::get<Heartbeat>(m.body).digest;
      MESSAGE("at the limits, " << std::string(mode == 0   ? "plain"
                                               : mode == 1 ? "MAC"
                                                           : "encrypted")
                                << ": " << empty << " B without a digest; " << got.size() << " of "
                                << sent.size() << " entries of " << id_size << "-byte ids ("
                                << (v6 ? "IPv6" : "IPv4") << ") fit: " << d.size() << " B");
      CHECK(got.size() == fits[static_cast<std::size_t>(mode)]);
      // The first entries, in order (the newest news).
      CHECK(std::equal(got.begin(), got.end(), sent.begin()));
      // Everything else intact.
      Message rest = m;
      std::get<Heartbeat>(rest.body).digest = got;
      CHECK(r.message == rest);
    }
  }
}

TEST_CASE("codec: the digest is cut only as far as needed, whatever the entry sizes") {
  // From a heartbeat with room for some entries: each cut keeps the most
  // entries that fit (one more would not), and a digest that fits is whole.
  const Keyring keys = ring(kNewKey);
  for (std::size_t metadata : {std::size_t{0}, std::size_t{64}, kMaxMetadataSize}) {
    for (std::size_t channels : {std::size_t{1}, std::size_t{6}, std::size_t{10}, kMaxChannels}) {
      for (bool encrypt : {false, true}) {
        Message m = largest_heartbeat();
        auto& hb = std::get<Heartbeat>(m.body);
        hb.metadata.assign(metadata, 'm');
        hb.channels.resize(channels);
        hb.digest = digest_of(kMaxDigest, kMaxIdSize, true);
        // Mixed sizes: short ids and IPv4 addresses among long ones.
        for (std::size_t i = 1; i < hb.digest.size(); i += 2) {
          hb.digest[i] = {PeerId("s" + std::to_string(i)), "192.0.2." + std::to_string(i) + ":1"};
        }
        const Bytes d = sealed(m, keys, encrypt);
        CHECK(d.size() <= kMaxDatagramSize);
        const Decoded r = decode(d, &keys);
        REQUIRE(r.ok);
        const std::size_t kept = std::get<Heartbeat>(r.message.body).digest.size();
        CAPTURE(metadata);
        CAPTURE(channels);
        CAPTURE(kept);
        // One entry more would not fit: its datagram, too, keeps `kept`
        // (and one more is over the limit, by the entry sizes).
        if (kept < kMaxDigest) {
          Message one_more = m;
          std::get<Heartbeat>(one_more.body).digest.resize(kept + 1);
          const Decoded again = decode(sealed(one_more, keys, encrypt), &keys);
          REQUIRE(again.ok);
          CHECK(std::get<Heartbeat>(again.message.body).digest.size() == kept);
          const PeerAddress& next = hb.digest[kept];
          const std::size_t entry = 16 + (next.id.bytes().size() + 7) / 8 * 8 +
                                    (next.address.front() == '[' ? 24 : 8) + (kept == 0 ? 8 : 0);
          CHECK(d.size() + entry > kMaxDatagramSize);
        }
      }
    }
  }
}

TEST_CASE("codec: a typical unicast heartbeat (measured, for WIRE.md)") {
  // One channel, id node-1, an IPv4 address, 8 digest entries of 10-byte ids.
  const Keyring keys = ring(kNewKey);
  const Message m = unicast_heartbeat("203.0.113.5:7676", digest_of(kMaxDigest, 10, false));
  const std::size_t plain = encoded(m).size();
  const std::size_t mac = sealed(m, keys, false).size();
  const std::size_t encrypted = sealed(m, keys, true).size();
  const std::size_t no_digest = encoded(unicast_heartbeat("203.0.113.5:7676")).size();
  const std::size_t v6 = encoded(unicast_heartbeat("[2001:db8::5]:7676")).size();
  const std::size_t observer = encoded(unicast_heartbeat("203.0.113.5:7676", {}, true)).size();
  MESSAGE("unicast heartbeat, 1 channel, IPv4, 8 digest entries of 10-byte ids: plain "
          << plain << " B, MAC " << mac << " B, encrypted " << encrypted << " B; without a digest "
          << no_digest << " B (IPv6 " << v6 << " B, observer " << observer << " B)");
  CHECK(plain == 520);
  CHECK(mac == plain + kMacTrailerSize);
  CHECK(encrypted == plain + kMaxTrailerSize);
  CHECK(no_digest == 192);
  CHECK(v6 == no_digest + 16);
  CHECK(observer == no_digest);  // the flag shares the struct's data word
  // Entries at their limits (64-byte ids, IPv6): all 8 fit, encrypted.
  const Message full =
      unicast_heartbeat("203.0.113.5:7676", digest_of(kMaxDigest, kMaxIdSize, true));
  const Bytes d = sealed(full, keys, true);
  MESSAGE("the same with 8 entries at their limits, encrypted: " << d.size() << " B");
  const Decoded r = decode(d, &keys);
  REQUIRE(r.ok);
  CHECK(r.message == full);
  CHECK(d.size() == no_digest + kMaxTrailerSize + 8 + kMaxDigest * 104);
}
