// Hostile datagrams on real sockets. A capture socket on the group records
// what a three-node loopback cluster sends; once the cluster has agreed,
// the test sends those datagrams back replayed, with every bit flipped in
// turn, and truncated, plus forgeries made without the key and with
// another cluster's key, for a couple of seconds. Keyed, nothing of it may
// move the leader or the membership, and every datagram must be dropped
// for the reason its kind calls for. Unkeyed, some mutations are believed;
// once they stop, the cluster must heal (one agreed leader, exact views)
// within max(2 alive_expiration, 2 leader_alive + election).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "group_socket.hpp"
#include "hostile_harness.hpp"
#include "socket_harness.hpp"

using namespace lanlord;
using namespace lanlord::test;

namespace {

enum class Kind { kReplay, kFlip, kTruncation, kUntagged, kOtherKey };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kReplay:
      return "replay";
    case Kind::kFlip:
      return "bit flip";
    case Kind::kTruncation:
      return "truncation";
    case Kind::kUntagged:
      return "untagged forgery";
    case Kind::kOtherKey:
      return "forgery with another key";
  }
  return "?";
}

// The reasons a keyed node may drop each kind for. A replay is older than
// what the node has (or its own); a damaged datagram never gets past the
// codec, which checks the tag before it parses anything.
bool expected(Kind kind, DropReason r) {
  using R = DropReason;
  switch (kind) {
    case Kind::kReplay:
      return r == R::kStale || r == R::kSelf || r == R::kClockSkew;
    case Kind::kFlip:
      return r == R::kBadMagic || r == R::kUnknownLayout || r == R::kMalformed ||
             r == R::kTruncated || r == R::kUnauthenticated || r == R::kForeignKey;
    case Kind::kTruncation:
      return r == R::kTruncated || r == R::kBadMagic;
    case Kind::kUntagged:
      return r == R::kUnauthenticated;
    case Kind::kOtherKey:
      return r == R::kForeignKey;
  }
  return false;
}

// One datagram to inject; forgeries are made when sent, so that their send
// time is fresh (a plant that lets them through must then change things).
struct Injection {
  Kind kind;
  Bytes bytes;
  std::function<Bytes()> make;
  Bytes get() const { return make ? make() : bytes; }
};

// n1 < n2 < n3: n1 must lead throughout. "a0" sorts before all of them.
const std::vector<std::string> kIds = {"n1", "n2", "n3"};

struct Cluster {
  Net net = fresh_net();
  IoThread io;
  Injector injector{net};
  GroupCapture capture{net.group, net.port};  // joined before any node sends
  Nodes nodes{io.io(), net};
  std::optional<Keyring> keys;

  explicit Cluster(bool keyed) {
    if (keyed) keys = *Keyring::from_base64(Keyring::generate_key());
    for (const std::string& id : kIds) {
      NodeConfig c = scaled_fast_config(net, id);
      c.keys = keys;
      // A narrow freshness window, so that early recordings are replayed
      // past it (clock_skew) and later ones within it (stale).
      c.trust.max_clock_skew = scaled(std::chrono::seconds(2));
      nodes.spawn(c);
    }
  }

  // One leader, n1, named by all, and every node sees all three alive
  // (and no one else alive).
  bool settled() const { return agreed() == PeerId("n1") && views_exact(); }

  // One leader among the three, named by all, and exact views: what an
  // unkeyed cluster heals to. Not necessarily n1: a believed forgery can
  // make n1 follow a made-up lower id while n2 and n3 elect without it,
  // and Fabric's leader keeps the lead when a lower id turns up (the
  // simulated adversary's heal property is the same).
  bool healed() const { return agreed().has_value() && views_exact(); }

  std::optional<PeerId> agreed() const { return nodes.agreed_leader("default"); }

  bool views_exact() const {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (!nodes.sees_alive(i, kIds.size())) return false;
    }
    return true;
  }

  // settled() (or healed()) without a break for `span` (times the factor).
  bool holds_settled_for(std::chrono::milliseconds span) {
    return holds_for([this] { return settled(); }, span);
  }
  bool holds_healed_for(std::chrono::milliseconds span) {
    return holds_for([this] { return healed(); }, span);
  }
};

// What the test re-sends of a recording: every datagram once (replays),
// every bit of a few recent ones flipped in turn, and truncations of a
// spread of them at several lengths.
std::vector<Injection> mutations(const std::vector<Bytes>& recorded, const Keyring* keys) {
  std::vector<Injection> plan;
  for (const Bytes& d : recorded) plan.push_back({Kind::kReplay, d, {}});

  // The latest heartbeat, declaration and proposal (the proposals come
  // from the first election, so they are old).
  std::map<int, const Bytes*> sample;
  for (const Bytes& d : recorded) {
    const wire::Decoded m = wire::decode(d, keys);
    if (!m.ok) continue;
    int type = 0;
    if (const auto* ld = std::get_if<Leadership>(&m.message.body)) type = ld->declaration ? 1 : 2;
    sample[type] = &d;
  }
  REQUIRE_MESSAGE(sample.count(0) == 1, "no heartbeat recorded");
  REQUIRE_MESSAGE(sample.count(1) == 1, "no declaration recorded");
  for (const auto& [type, d] : sample) {
    for (std::size_t bit = 0; bit < d->size() * 8; ++bit) {
      Bytes flipped = *d;
      flipped[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      plan.push_back({Kind::kFlip, std::move(flipped), {}});
    }
  }

  const std::size_t step = std::max<std::size_t>(1, recorded.size() / 20);
  for (std::size_t k = 0; k < recorded.size(); k += step) {
    const Bytes& d = recorded[k];
    std::vector<std::size_t> lengths = {0,
                                        3,
                                        7,
                                        wire::kHeaderSize,
                                        d.size() / 2,
                                        d.size() - wire::kMacTrailerSize,
                                        d.size() - wire::kTagSize,
                                        d.size() - 1};
    std::sort(lengths.begin(), lengths.end());
    lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
    for (std::size_t n : lengths) {
      if (n < d.size()) plan.push_back({Kind::kTruncation, Bytes(d.begin(), d.begin() + n), {}});
    }
  }
  return plan;
}

// Forgeries of someone without the key: a member "a0" below every real id
// that heartbeats and declares itself leader, a leave for the leader, a
// restart of n2 and a heartbeat of n3 in no channel, each ahead of the
// victim's PeerTime. Untagged, and tagged (then also encrypted) with
// another cluster's key.
std::vector<Injection> forgeries(Cluster& c, int rounds, const std::vector<Bytes>& recorded) {
  // The victims' lives and their latest sequence numbers, from the recording.
  std::map<std::string, PeerTime> newest;
  for (const Bytes& d : recorded) {
    const wire::Decoded m = wire::decode(d, c.keys ? &*c.keys : nullptr);
    if (m.ok)
      newest[m.message.sender.bytes()] = std::max(newest[m.message.sender.bytes()], m.message.time);
  }
  for (const std::string& id : kIds) REQUIRE_MESSAGE(newest.count(id) == 1, id << " not recorded");

  const auto other = std::make_shared<Keyring>(*Keyring::from_base64(Keyring::generate_key()));
  const std::string cluster = c.net.cluster;
  const std::uint64_t a0_life = wall_now_ns();
  std::vector<Injection> plan;
  for (int r = 0; r < rounds; ++r) {
    const auto seq = static_cast<std::uint64_t>(1000 + r);
    std::vector<std::function<Message()>> made = {
        [=] {
          return forged(cluster, "a0", {a0_life, 2 * seq}, Heartbeat{{"default"}, "", 0});
        },
        [=] {
          return forged(cluster, "a0", {a0_life, 2 * seq + 1}, Leadership{"default", true});
        },
        [=] {
          const PeerTime t = newest.at("n1");
          return forged(cluster, "n1", {t.incarnation, t.seq + seq}, Leave{});
        },
        [=] {
          const PeerTime t = newest.at("n2");
          return forged(cluster, "n2", {t.incarnation + 1, seq}, Heartbeat{{"default"}, "", 0});
        },
        [=] {
          const PeerTime t = newest.at("n3");
          return forged(cluster, "n3", {t.incarnation, t.seq + seq}, Heartbeat{{}, "", 0});
        },
    };
    for (const auto& m : made) {
      plan.push_back({Kind::kUntagged, {}, [m] { return datagram_of(m()); }});
      plan.push_back({Kind::kOtherKey, {}, [m, other] {
                        return datagram_of(m(), wire::Security{other.get(), false});
                      }});
      plan.push_back({Kind::kOtherKey, {}, [m, other] {
                        return datagram_of(m(), wire::Security{other.get(), true});
                      }});
    }
  }
  return plan;
}

// A few hundred datagrams (about 7 s of a 3-node cluster); fewer when the
// timings are stretched, where the same count would take the factor times
// as long.
std::size_t recording_size() {
  return time_scale() == 1 ? 200 : 100;
}

// Records until the cluster has settled and `count` datagrams are in.
std::vector<Bytes> record(Cluster& c, std::size_t count) {
  REQUIRE(wait_until([&] { return c.settled(); }));
  REQUIRE(wait_until([&] { return c.capture.count() >= count; }, std::chrono::seconds(30)));
  return c.capture.stop();
}

// Sends the plan, then replays until `span` has passed since the start;
// returns the kind of every datagram sent, in order.
std::vector<Kind> inject(Cluster& c, const std::vector<Injection>& plan,
                         const std::vector<Bytes>& recorded, std::chrono::milliseconds span) {
  std::vector<Kind> kinds;
  const auto start = std::chrono::steady_clock::now();
  c.injector.begin(c.nodes);
  for (const Injection& i : plan) {
    c.injector.send(i.get());
    kinds.push_back(i.kind);
  }
  for (std::size_t k = 0; std::chrono::steady_clock::now() - start < span; ++k) {
    c.injector.send(recorded[k % recorded.size()]);
    kinds.push_back(Kind::kReplay);
  }
  return kinds;
}

}  // namespace

TEST_CASE(
    "socket: replayed, bit-flipped, truncated and forged datagrams move nothing in a keyed "
    "cluster") {
  Cluster c(true);
  const std::vector<Bytes> recorded = record(c, recording_size());
  const EventMark settled = EventMark::of(c.nodes);
  std::vector<NodeStats> before;
  for (std::size_t i = 0; i < c.nodes.size(); ++i) before.push_back(c.nodes.node(i).stats());

  std::vector<Injection> plan = mutations(recorded, &*c.keys);
  const std::vector<Injection> forged_plan = forgeries(c, 40, recorded);
  // Forgeries spread through the mutations, so they meet a cluster in
  // every state the mutations leave it in.
  const std::size_t every = std::max<std::size_t>(1, plan.size() / forged_plan.size());
  for (std::size_t k = 0; k < forged_plan.size(); ++k) {
    plan.insert(plan.begin() + static_cast<std::ptrdiff_t>(std::min(plan.size(), k * (every + 1))),
                forged_plan[k]);
  }
  const std::vector<Kind> kinds = inject(c, plan, recorded, std::chrono::seconds(2));
  MESSAGE("recorded " << recorded.size() << " datagrams, injected " << kinds.size());

  for (std::size_t i = 0; i < c.nodes.size(); ++i) {
    CAPTURE(kIds[i]);
    // Every injected datagram was received and dropped: none was admitted.
    wait_until([&] { return c.injector.drops(i).size() >= kinds.size(); });
    const std::vector<DropReason> drops = c.injector.drops(i);
    CHECK_MESSAGE(drops.size() == kinds.size(),
                  drops.size() << " of " << kinds.size() << " injected datagrams dropped");
    if (drops.size() != kinds.size()) continue;  // what follows pairs them up
    std::map<Kind, std::size_t> sent, unexpected;
    std::map<DropReason, std::uint64_t> by_reason;
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      ++sent[kinds[k]];
      ++by_reason[drops[k]];
      if (!expected(kinds[k], drops[k])) {
        if (unexpected[kinds[k]]++ == 0) {
          MESSAGE(kind_name(kinds[k]) << " #" << k << " dropped as " << drop_reason_name(drops[k]));
        }
      }
    }
    for (const auto& [kind, n] : sent) {
      CAPTURE(kind_name(kind));
      CHECK(unexpected[kind] == 0);
    }
    // The node's own counters grew by at least as much, reason by reason.
    const NodeStats after = c.nodes.node(i).stats();
    for (const auto& [reason, n] : by_reason) {
      CAPTURE(drop_reason_name(reason));
      CHECK(after.dropped(reason) - before[i].dropped(reason) >= n);
    }
    CHECK(by_reason[DropReason::kUnauthenticated] >= sent[Kind::kUntagged]);
    CHECK(by_reason[DropReason::kForeignKey] >= sent[Kind::kOtherKey]);
    CHECK(by_reason[DropReason::kTruncated] > 0);
    CHECK(by_reason[DropReason::kStale] > 0);
    CHECK(by_reason[DropReason::kClockSkew] > 0);
  }

  // The leader and the membership never moved, and do not now.
  CHECK(c.holds_settled_for(std::chrono::milliseconds(500)));
  for (std::size_t i = 0; i < c.nodes.size(); ++i) {
    CAPTURE(kIds[i]);
    CHECK_MESSAGE(settled.since(c.nodes, i).empty(), settled.since(c.nodes, i));
    CHECK(c.nodes.node(i).members().size() == kIds.size());  // no "a0", dead or alive
  }
}

TEST_CASE("socket: replayed, bit-flipped and truncated datagrams in an unkeyed cluster heal") {
  // Without a key some mutations are believed (a flipped sender id is a
  // new member, a flipped PeerTime a restart); once they stop, the cluster
  // is back to one agreed leader (see healed()) and all three members within the
  // unkeyed bound the simulated adversary checks too: two alive_expiration
  // for the views, 2T + E for the leader (a forged declaration of a real,
  // lower id makes the leader step down, and followers wait out their
  // windows), and stays so.
  Cluster c(false);
  const std::vector<Bytes> recorded = record(c, recording_size());
  const EventMark settled = EventMark::of(c.nodes);
  const std::vector<Kind> kinds =
      inject(c, mutations(recorded, nullptr), recorded, std::chrono::seconds(2));
  const auto stopped = std::chrono::steady_clock::now();
  const Profile profile = c.nodes.node(0).profile();
  const Duration bound = std::max(
      2 * profile.membership.alive_expiration,
      2 * profile.election.leader_alive_threshold + profile.election.leader_election_duration);

  bool healed = false;
  while (!(healed = c.healed()) && std::chrono::steady_clock::now() - stopped < bound) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - stopped);
  for (std::size_t i = 0; i < c.nodes.size(); ++i) {
    MESSAGE(kIds[i] << ": " << kinds.size() - c.injector.drops(i).size() << " of " << kinds.size()
                    << " injected datagrams believed; since then " << settled.count(c.nodes, i));
  }
  MESSAGE("healed: " << healed << " after " << took.count() << " ms (bound "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(bound).count()
                     << " ms)");
  if (!healed) {
    // What each node shows, to tell a stuck leader from a stuck view.
    const auto name = [](const PeerId& id) {
      const bool printable = std::all_of(id.bytes().begin(), id.bytes().end(),
                                         [](char ch) { return ch > ' ' && ch < 127; });
      return printable ? id.bytes() : "0x" + id.hex();
    };
    for (std::size_t i = 0; i < c.nodes.size(); ++i) {
      const LeaderInfo info = c.nodes.node(i).leadership("default");
      std::string members;
      for (const Member& m : c.nodes.node(i).members()) {
        members += " " + name(m.id) + (m.alive ? "(alive)" : "(dead)");
      }
      std::string stale;
      for (const ChannelStats& s : c.nodes.node(i).stats().channels) {
        stale += " stale=" + std::to_string(s.stale_declarations) +
                 " proposals_sent=" + std::to_string(s.proposals_sent) +
                 " declarations_sent=" + std::to_string(s.declarations_sent);
      }
      MESSAGE(kIds[i] << ": leader " << (info.leader ? name(*info.leader) : "none") << " epoch "
                      << info.epoch << " self " << info.is_self << stale << "; members" << members);
    }
  }
  CHECK_MESSAGE(healed, "not healed " << took.count() << " ms after the injection stopped");
  CHECK(c.holds_healed_for(std::chrono::seconds(1)));
}
