// Writes the seed corpus of the fuzz targets: real datagrams (every body
// kind, the largest heartbeat the limits allow, a few refused ones) for
// fuzz_decode, and short scenarios in node_core_input.hpp's language for
// fuzz_node_core. Usage: lanlord_fuzz_corpus <dir> (writes <dir>/decode/
// and <dir>/node_core/, overwriting files of the same name).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "lanlord/wire.hpp"
#include "node_core_input.hpp"

namespace {

using namespace lanlord;
using fuzz::Op;
using fuzz::OpKind;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
// A peer that started five seconds before the node under test.
const std::uint64_t kPeerLife = fuzz::start_wall_ns() - 5'000'000'000;

Message message(std::string sender, PeerTime time, Body body,
                std::string cluster = fuzz::kCluster) {
  Message m;
  m.cluster = std::move(cluster);
  m.sender = PeerId(std::move(sender));
  m.time = time;
  m.sent_at = fuzz::start_wall_ns();
  m.instance = time.incarnation;
  m.body = std::move(body);
  return m;
}
Message heartbeat(std::string sender, std::uint64_t seq, std::vector<std::string> channels,
                  std::uint32_t interval = 0) {
  return message(std::move(sender), {kPeerLife, seq},
                 Heartbeat{std::move(channels), "", 0, interval});
}
// A unicast heartbeat: `address`, and `digest` entries of ids and addresses.
Message unicast_heartbeat(std::string sender, std::uint64_t seq, std::vector<std::string> channels,
                          std::string address, std::vector<PeerAddress> digest = {},
                          bool observer = false) {
  Heartbeat hb{std::move(channels), "", 0, 0};
  hb.address = std::move(address);
  hb.observer = observer;
  hb.digest = std::move(digest);
  return message(std::move(sender), {kPeerLife, seq}, std::move(hb));
}
// A handoff when `successor` is not empty (and then, with `declaration`
// set, one no codec passes).
Leadership leadership(std::string channel, bool declaration, std::uint64_t epoch = 0,
                      std::string successor = "") {
  Leadership l;
  l.channel = std::move(channel);
  l.declaration = declaration;
  l.epoch = epoch;
  l.successor = PeerId(std::move(successor));
  return l;
}
// The epoch node-a takes when it leads from the start: plausible.
const std::uint64_t kEpochA = next_epoch(0, PeerId("node-a"), sim::VirtualScheduler::kWallEpoch);

Message proposal(std::string sender, std::uint64_t seq, std::string channel = "default") {
  return message(std::move(sender), {kPeerLife, seq}, leadership(std::move(channel), false));
}
Message declaration(std::string sender, std::uint64_t seq, std::string channel = "default",
                    std::uint64_t epoch = kEpochA) {
  return message(std::move(sender), {kPeerLife, seq}, leadership(std::move(channel), true, epoch));
}
Message handoff(std::string sender, std::uint64_t seq, std::string successor,
                std::uint64_t epoch = kEpochA) {
  return message(std::move(sender), {kPeerLife, seq},
                 leadership("default", false, epoch, std::move(successor)));
}
Message leave(std::string sender, std::uint64_t seq) {
  return message(std::move(sender), {kPeerLife, seq}, Leave{});
}
Message suspect(std::string sender, std::uint64_t seq, std::vector<std::string> ids) {
  Suspect su;
  for (std::string& id : ids) su.peers.emplace_back(std::move(id));
  return message(std::move(sender), {kPeerLife, seq}, std::move(su));
}

// Every field at its limit: the largest datagram an honest node sends.
// Should the limits together exceed a datagram, the metadata is cut
// until the heartbeat fits (the encoder refuses it otherwise).
Message largest_heartbeat(std::string cluster) {
  Heartbeat hb;
  for (std::size_t i = 0; i < kMaxChannels; ++i) {
    std::string name = "default";
    if (i > 0) name = "channel-" + std::to_string(i);
    name.resize(kMaxChannelSize, '.');
    hb.channels.push_back(name);
  }
  hb.timings = std::numeric_limits<std::uint32_t>::max();
  hb.interval = std::numeric_limits<std::uint32_t>::max();
  // Unicast mode: the longer (IPv6) address and the observer flag.
  hb.address = "[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535";
  hb.observer = true;
  Message m =
      message(std::string(kMaxIdSize, 'a'), {kMax, kMax}, std::move(hb), std::move(cluster));
  m.sent_at = kMax;
  m.instance = kMax;
  for (std::size_t size = kMaxMetadataSize;; --size) {
    std::get<Heartbeat>(m.body).metadata.assign(size, 'm');
    if (wire::encode(m).status || size == 0) break;
  }
  if (const std::size_t size = std::get<Heartbeat>(m.body).metadata.size();
      size < kMaxMetadataSize) {
    std::fprintf(
        stderr,
        "make_corpus: with every other field at its limit, metadata fits only %zu of %zu bytes\n",
        size, kMaxMetadataSize);
  }
  return m;
}

Bytes encode(const Message& m) {
  wire::Encoded e = wire::encode(m);
  if (!e.status) {
    std::fprintf(stderr, "make_corpus: cannot encode a seed: %s\n", e.status.message().c_str());
    std::exit(1);
  }
  return std::move(e.datagram);
}

void write_file(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "make_corpus: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

Op datagram(Bytes bytes) {
  return Op{.kind = OpKind::kDatagram, .datagram = std::move(bytes)};
}
Op datagram(const Message& m) {
  return datagram(encode(m));
}
Op direct(Message m) {
  return Op{.kind = OpKind::kMessage, .message = std::move(m)};
}
Op advance(std::uint32_t ms) {
  return Op{.kind = OpKind::kAdvance, .advance_ms = ms};
}
Op on_channel(OpKind kind, std::string channel) {
  return Op{.kind = kind, .channel = std::move(channel)};
}
Op stop() {
  return Op{.kind = OpKind::kStop};
}

// The profiles by their index in profile_names().
constexpr std::uint8_t kFabric = 0, kLan = 1, kFast = 2;

fuzz::Setup setup(std::uint8_t profile, std::vector<std::string> channels, bool passive = false,
                  bool unicast = false, bool keyed = false) {
  fuzz::Setup s;
  s.profile = profile;
  s.channels = std::move(channels);
  s.passive = passive;
  s.unicast = unicast;
  s.keyed = keyed;
  return s;
}

// kMaxDigest entries: node-c, node-d, ... at 198.51.100.10, .11, ...
std::vector<PeerAddress> digest(std::size_t n = kMaxDigest) {
  std::vector<PeerAddress> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back({PeerId("node-" + std::string(1, static_cast<char>('c' + i))),
                   "198.51.100." + std::to_string(10 + i) + ":7676"});
  }
  return out;
}

void write_decode_seeds(const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, Bytes>> seeds;
  Message hb =
      message("node-a", {kPeerLife, 1}, Heartbeat{{"default"}, "192.0.2.1:8080", 0x1234abcd});
  seeds.emplace_back("heartbeat", encode(hb));
  seeds.emplace_back("heartbeat-empty", encode(message("n", {}, Heartbeat{}, "")));
  seeds.emplace_back("heartbeat-largest",
                     encode(largest_heartbeat(std::string(kMaxClusterSize, 'c'))));
  seeds.emplace_back("heartbeat-binary-id",
                     encode(message(std::string("\x00\xff\x01\\", 4), {1, kMax},
                                    Heartbeat{{"a", "b"}, std::string("\x00", 1), 0})));
  // Unicast mode: an IPv4 address and a full digest; an IPv6 observer;
  // the largest heartbeat asked to carry a digest (the codec cuts it).
  seeds.emplace_back("heartbeat-unicast", encode(unicast_heartbeat("node-a", 1, {"default"},
                                                                   "198.51.100.1:7676", digest())));
  seeds.emplace_back("heartbeat-observer-v6",
                     encode(unicast_heartbeat("watcher", 1, {}, "[2001:db8::7]:7676", {}, true)));
  Message big_digest = largest_heartbeat(std::string(kMaxClusterSize, 'c'));
  std::get<Heartbeat>(big_digest.body).digest = digest();
  seeds.emplace_back("heartbeat-largest-digest", encode(big_digest));
  seeds.emplace_back("proposal", encode(proposal("node-a", 2)));
  seeds.emplace_back("declaration", encode(declaration("node-a", 3)));
  seeds.emplace_back("leave", encode(leave("node-a", 4)));
  seeds.emplace_back("handoff", encode(handoff("node-a", 5, "node-b")));
  seeds.emplace_back("suspect", encode(suspect("node-a", 6, {"node-b", "node-c"})));
  // kMaxSuspects ids at the id limit: the largest Suspect.
  Message big_suspect =
      message(std::string(kMaxIdSize, 'a'), {kMax, kMax},
              Suspect{std::vector<PeerId>(kMaxSuspects, PeerId(std::string(kMaxIdSize, '\xff')))},
              std::string(kMaxClusterSize, 'c'));
  big_suspect.sent_at = kMax;
  big_suspect.instance = kMax;
  seeds.emplace_back("suspect-largest", encode(big_suspect));
  // A handoff at every limit: the largest leadership message.
  Message big_handoff = message(
      std::string(kMaxIdSize, 'a'), {kMax, kMax},
      leadership(std::string(kMaxChannelSize, 'n'), false, kMax, std::string(kMaxIdSize, '\xff')),
      std::string(kMaxClusterSize, 'c'));
  big_handoff.sent_at = kMax;
  big_handoff.instance = kMax;
  seeds.emplace_back("handoff-largest", encode(big_handoff));
  // Refused, or accepted with something extra: starting points for the
  // decoder's checks.
  Bytes trailer = encode(hb);
  trailer.insert(trailer.end(), 16, 0xaa);  // bytes after an untagged payload: malformed
  seeds.emplace_back("heartbeat-trailer", trailer);
  Bytes layout1 = encode(hb);
  layout1[4] = 1;  // the dropped unkeyed layout
  seeds.emplace_back("layout-1", layout1);
  Bytes magic = encode(hb);
  magic[0] = 'X';
  seeds.emplace_back("bad-magic", magic);
  Bytes truncated = encode(hb);
  truncated.resize(truncated.size() / 2);
  seeds.emplace_back("truncated", truncated);
  Message v2 = proposal("node-a", 2);
  v2.version = kProtocolVersion + 1;
  seeds.emplace_back("version-2", encode(v2));
  for (const auto& [name, bytes] : seeds) write_file(dir / name, bytes);
}

void write_node_core_seeds(const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, fuzz::Input>> seeds;

  // A follower: node-a (a lower id) heartbeats and declares every second, then leaves.
  fuzz::Input follower{setup(kLan, {"default"}), {}};
  std::uint64_t seq = 0;
  for (int i = 0; i < 8; ++i) {
    follower.ops.push_back(datagram(heartbeat("node-a", ++seq, {"default"})));
    follower.ops.push_back(datagram(declaration("node-a", ++seq)));
    follower.ops.push_back(advance(1000));
  }
  follower.ops.push_back(datagram(leave("node-a", ++seq)));
  follower.ops.push_back(advance(3000));
  seeds.emplace_back("follower-lan", follower);

  // Alone, the node leads; a higher id joins; yield, channels come and go, stop.
  seeds.emplace_back(
      "leader-fast",
      fuzz::Input{setup(kFast, {"default", "alpha"}),
                  {advance(1500), datagram(heartbeat("node-c", 1, {"default", "alpha"})),
                   advance(500), on_channel(OpKind::kYield, "default"), advance(500),
                   on_channel(OpKind::kJoin, "beta"), on_channel(OpKind::kLeave, "alpha"),
                   advance(1000), stop(), advance(1000), datagram(heartbeat("node-c", 2, {}))}});

  // A contest: proposals from both sides, then a lower id declares.
  seeds.emplace_back(
      "contest-fast",
      fuzz::Input{setup(kFast, {"default"}),
                  {datagram(heartbeat("node-a", 1, {"default"})),
                   datagram(heartbeat("node-c", 1, {"default"})), advance(1100),
                   datagram(proposal("node-c", 2)), datagram(proposal("node-a", 2)), advance(200),
                   datagram(declaration("node-c", 3)), datagram(declaration("node-a", 3)),
                   advance(200), datagram(leave("node-a", 4)), advance(1500)}});

  // A passive watcher: leaders of channels it only hears of.
  seeds.emplace_back("passive-lan",
                     fuzz::Input{setup(kLan, {}, true),
                                 {datagram(heartbeat("node-a", 1, {"default", "alpha"})),
                                  datagram(declaration("node-a", 2)), advance(1000),
                                  datagram(heartbeat("node-c", 1, {"alpha"})),
                                  datagram(declaration("node-c", 2, "alpha")), advance(10000),
                                  datagram(declaration("node-a", 3, "alpha"))}});

  // Admission at its edges, with messages no codec would pass: the node's
  // own id (its life, another life), another cluster, another version,
  // names over the limits, a channel it does not run, times at UINT64_MAX
  // and then behind them.
  const std::uint64_t self_life = fuzz::start_wall_ns();
  Message over_version = heartbeat("node-a", 1, {"default"});
  over_version.version = kProtocolVersion + 1;
  Message too_many = heartbeat("node-a", 2, {});
  too_many.body = Heartbeat{std::vector<std::string>(kMaxChannels + 1, "default"), "", 0};
  seeds.emplace_back(
      "admission-edges",
      fuzz::Input{
          setup(kLan, {"default"}),
          {direct(message(fuzz::kSelfId, {self_life, 1}, Heartbeat{{"default"}, "", 0})),
           direct(message(fuzz::kSelfId, {self_life + 1, 1}, Heartbeat{{"default"}, "", 0})),
           direct(message("node-a", {kPeerLife, 1}, Leave{}, "other")), direct(over_version),
           direct(message("", {kPeerLife, 1}, Leave{})),
           direct(message(std::string(kMaxIdSize + 1, 'x'), {kPeerLife, 1}, Leave{})),
           direct(too_many),
           direct(heartbeat("node-a", 3, {std::string(kMaxChannelSize + 1, 'n')})),
           direct(proposal("node-a", 4, "beta")),
           direct(message("node-a", {kMax, kMax}, Heartbeat{{"default"}, "", 0})),
           direct(message("node-a", {kMax, kMax}, leadership("default", true))),
           direct(declaration("node-a", 5)), advance(2000),
           direct(message("node-a", {kMax, kMax}, Leave{})), advance(5000)}});

  // The largest heartbeat, from a member of this cluster.
  seeds.emplace_back("largest-heartbeat",
                     fuzz::Input{setup(kLan, {"default"}),
                                 {datagram(largest_heartbeat(fuzz::kCluster)), advance(2000)}});

  // Fabric's timings without fast failover turned around: a peer restarts
  // (a new incarnation) and then falls silent until it is dead.
  Message restarted = heartbeat("node-a", 1, {"default"});
  restarted.time.incarnation = kPeerLife + 1;
  seeds.emplace_back("fabric-restart",
                     fuzz::Input{[] {
                                   fuzz::Setup s = setup(kFabric, {"default"});
                                   s.flip_fast_failover = true;
                                   return s;
                                 }(),
                                 {datagram(heartbeat("node-a", 1, {"default"})), advance(5000),
                                  datagram(restarted), datagram(declaration("node-a", 2)),
                                  advance(30000), advance(30000), advance(30000), stop()}});

  // Datagrams the codec refuses, counted as drops.
  Bytes bad = encode(heartbeat("node-a", 1, {"default"}));
  Bytes bad_magic = bad;
  bad_magic[0] = 'X';
  Bytes layout1 = bad;
  layout1[4] = 1;
  Bytes truncated = bad;
  truncated.resize(12);
  seeds.emplace_back(
      "refused-datagrams",
      fuzz::Input{setup(kLan, {"default"}),
                  {datagram(bad_magic), datagram(layout1), datagram(truncated), datagram(Bytes{}),
                   datagram(Bytes(kMaxDatagramSize + 1, 0)), datagram(bad), advance(1000)}});

  // A handoff: node-a leads, then resigns in favour of the node under
  // test, which should declare at once; then one naming node-c.
  fuzz::Input handoffs{setup(kLan, {"default"}), {}};
  seq = 0;
  for (int i = 0; i < 3; ++i) {
    handoffs.ops.push_back(datagram(heartbeat("node-a", ++seq, {"default"})));
    handoffs.ops.push_back(datagram(declaration("node-a", ++seq)));
    handoffs.ops.push_back(advance(1000));
  }
  handoffs.ops.push_back(datagram(handoff("node-a", ++seq, fuzz::kSelfId)));
  handoffs.ops.push_back(advance(200));
  handoffs.ops.push_back(datagram(heartbeat("node-c", 1, {"default"})));
  handoffs.ops.push_back(datagram(handoff("node-a", ++seq, "node-c", kEpochA + 1)));
  handoffs.ops.push_back(advance(3000));
  seeds.emplace_back("handoff-lan", handoffs);

  // Epochs at the edges of plausibility (none, honest, the last plausible
  // term, the first implausible one, UINT64_MAX), and leadership values no
  // codec passes: a handoff that is also a declaration, a successor over
  // the limit.
  const std::uint64_t edge = fuzz::epoch_edge();
  seeds.emplace_back(
      "epoch-edges",
      fuzz::Input{setup(kLan, {"default"}),
                  {datagram(heartbeat("node-a", 1, {"default"})),
                   datagram(declaration("node-a", 2, "default", 0)),
                   datagram(declaration("node-a", 3, "default", kEpochA)),
                   datagram(declaration("node-a", 4, "default", edge - 1)),
                   datagram(declaration("node-a", 5, "default", edge)),
                   datagram(declaration("node-a", 6, "default", kMax)),
                   direct(message("node-a", {kPeerLife, 7},
                                  leadership("default", true, kEpochA, "node-c"))),
                   direct(handoff("node-a", 8, std::string(kMaxIdSize + 1, 'x'))), advance(2000),
                   datagram(handoff("node-a", 9, "node-c", kMax)), advance(3000)}});

  // Suspicion (fast): node-a goes quiet and is asked for until it dies;
  // node-c asks for this node (answered at once, then rate-limited), names
  // too many, none, or an empty id.
  fuzz::Input suspicion{setup(kFast, {"default"}), {}};
  suspicion.ops.push_back(datagram(heartbeat("node-a", 1, {"default"})));
  suspicion.ops.push_back(datagram(heartbeat("node-c", 1, {"default"})));
  suspicion.ops.push_back(advance(120));
  suspicion.ops.push_back(datagram(heartbeat("node-c", 2, {"default"})));
  suspicion.ops.push_back(datagram(suspect("node-c", 3, {fuzz::kSelfId, "node-a"})));
  suspicion.ops.push_back(datagram(suspect("node-c", 4, {fuzz::kSelfId})));
  suspicion.ops.push_back(advance(60));
  suspicion.ops.push_back(datagram(suspect("node-c", 5, {fuzz::kSelfId})));
  suspicion.ops.push_back(
      direct(suspect("node-c", 6, std::vector<std::string>(kMaxSuspects + 1, "node-a"))));
  suspicion.ops.push_back(direct(suspect("node-c", 7, {})));
  suspicion.ops.push_back(direct(suspect("node-c", 8, {""})));
  suspicion.ops.push_back(datagram(declaration("node-a", 2)));
  suspicion.ops.push_back(advance(400));
  seeds.emplace_back("suspicion-fast", suspicion);

  // Rate classes (fast): node-a leads, this node and node-c go idle; peers
  // announce idle, forged (UINT32_MAX ms), sub-interval and zero intervals;
  // node-a dies, so this node is leaderless (fast) and then the successor.
  fuzz::Input rates{setup(kFast, {"default"}), {}};
  rates.ops.push_back(datagram(heartbeat("node-a", 1, {"default"})));
  rates.ops.push_back(datagram(declaration("node-a", 2)));
  rates.ops.push_back(datagram(heartbeat("node-c", 1, {"default"}, 1000)));
  rates.ops.push_back(advance(90));
  rates.ops.push_back(datagram(heartbeat("node-a", 3, {"default"})));
  rates.ops.push_back(datagram(heartbeat("node-c", 2, {"default"}, 0xffffffffu)));
  rates.ops.push_back(datagram(heartbeat("node-d", 1, {"default"}, 1)));
  rates.ops.push_back(advance(1000));
  rates.ops.push_back(datagram(heartbeat("node-c", 3, {"default"}, 0)));
  rates.ops.push_back(advance(3500));
  seeds.emplace_back("rate-classes-fast", rates);

  // Unicast mode with a key: node-a (a seed, advertising its address)
  // introduces node-c.. through its digest and leads; node-c is then heard
  // from itself, and node-a leaves.
  fuzz::Input unicast{setup(kLan, {"default"}, false, true, true), {}};
  unicast.ops.push_back(advance(100));
  unicast.ops.push_back(
      datagram(unicast_heartbeat("node-a", 1, {"default"}, fuzz::kSeedAddress, digest())));
  unicast.ops.push_back(datagram(declaration("node-a", 2)));
  unicast.ops.push_back(advance(1000));
  unicast.ops.push_back(
      datagram(unicast_heartbeat("node-c", 1, {"default"}, "198.51.100.10:7676", digest(2))));
  unicast.ops.push_back(advance(1000));
  unicast.ops.push_back(datagram(leave("node-a", 3)));
  unicast.ops.push_back(advance(3000));
  seeds.emplace_back("unicast-keyed-lan", unicast);

  // Unicast mode without a key: addresses from the datagram's source only;
  // a digest naming the node itself, an over-long and a refused address.
  fuzz::Input unkeyed{setup(kFast, {"default"}, false, true, false), {}};
  unkeyed.ops.push_back(
      datagram(unicast_heartbeat("node-a", 1, {"default"}, "203.0.113.5:7676", digest(3))));
  unkeyed.ops.push_back(
      direct(unicast_heartbeat("node-c", 1, {"default"}, "0.0.0.0:7676",
                               {{PeerId(fuzz::kSelfId), fuzz::kSelfAddress},
                                {PeerId("node-z"), std::string(kMaxAddressSize + 1, '9')}})));
  unkeyed.ops.push_back(advance(2000));
  seeds.emplace_back("unicast-unkeyed-fast", unkeyed);

  // With a key, a member advertising an address no codec passes (a
  // message that bypassed it): the node names it in its digest, which the
  // codec must leave out rather than refuse the heartbeat (found by this
  // target).
  fuzz::Input refused{setup(kLan, {"default"}, false, true, true), {}};
  refused.ops.push_back(direct(unicast_heartbeat("node-c", 1, {"default"}, "0.0.0.0:7676")));
  refused.ops.push_back(direct(unicast_heartbeat("node-c", 2, {"default"}, "0.0.0.0:7676")));
  refused.ops.push_back(advance(3000));
  seeds.emplace_back("unicast-keyed-refused-address", refused);

  // A passive node in unicast mode: an observer that heartbeats, learns
  // the leader, and says goodbye.
  fuzz::Input observer{setup(kLan, {}, true, true, true), {}};
  observer.ops.push_back(
      datagram(unicast_heartbeat("node-a", 1, {"default"}, fuzz::kSeedAddress, digest(1))));
  observer.ops.push_back(datagram(declaration("node-a", 2)));
  observer.ops.push_back(advance(6000));
  observer.ops.push_back(stop());
  seeds.emplace_back("unicast-observer-lan", observer);

  // The node's own incarnation at UINT64_MAX: its sequence numbers carry on.
  seeds.emplace_back("incarnation-max",
                     fuzz::Input{[] {
                                   fuzz::Setup s = setup(kFast, {"default"});
                                   s.incarnation = kMax;
                                   return s;
                                 }(),
                                 {advance(2000), datagram(heartbeat("node-a", 1, {"default"})),
                                  advance(2000), on_channel(OpKind::kLeave, "default"),
                                  on_channel(OpKind::kJoin, "default"), advance(2000)}});

  for (const auto& [name, input] : seeds) {
    const Bytes bytes = fuzz::write_input(input);
    if (!(fuzz::read_input(bytes.data(), bytes.size()) == input)) {
      std::fprintf(stderr, "make_corpus: %s does not read back as written\n", name.c_str());
      std::exit(1);
    }
    write_file(dir / name, bytes);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1];
  std::filesystem::create_directories(root / "decode");
  std::filesystem::create_directories(root / "node_core");
  write_decode_seeds(root / "decode");
  write_node_core_seeds(root / "node_core");
  std::printf("make_corpus: wrote %s/decode and %s/node_core\n", root.c_str(), root.c_str());
  return 0;
}
