// A flood of made-up member ids on real sockets: 10,000 valid, unkeyed
// heartbeats, each from a new id, against two nodes that hold at most 128
// peers and admit 500 new ids a second (divided by the test factor). The member cap must hold at
// every moment, new ids beyond the rate must be refused and the rest evicted oldest-first, and the
// two real members must neither die nor lose their leader. (scripts/flood.sh runs the full
// figure: 1.2 M ids in 60 s against a separate process.)
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "group_socket.hpp"
#include "hostile_harness.hpp"
#include "socket_harness.hpp"

using namespace lanlord;
using namespace lanlord::test;

TEST_CASE(
    "socket: 10,000 made-up ids are capped, rate limited and evicted, the real members stay") {
  constexpr std::size_t kCap = 128;
  constexpr std::size_t kFakes = 10000;
  const Net net = fresh_net();
  IoThread io;
  Injector flood(net, 64);
  Nodes nodes(io.io(), net);
  for (const char* id : {"node-0", "node-1"}) {
    NodeConfig c = scaled_fast_config(net, id);
    c.trust.max_members = kCap;
    // Well below the rate the flood reaches (about 10,000/s, 500/s in a
    // sanitized build), and above what fills the cap in the time it takes.
    c.trust.new_ids_per_second = static_cast<std::uint32_t>(500 / time_scale());
    nodes.spawn(c);
  }
  const auto settled = [&] {
    return nodes.agreed_leader("default") == PeerId("node-0") && nodes.sees_alive(0, 2) &&
           nodes.sees_alive(1, 2);
  };
  REQUIRE(wait_until(settled));
  const EventMark mark = EventMark::of(nodes);

  // Valid heartbeats in the real channel from ids that sort before the
  // real ones, each sent once, a life that began now.
  flood.begin(nodes);
  const std::uint64_t life = wall_now_ns();
  std::uint64_t most_peers = 0;
  for (std::size_t k = 0; k < kFakes; ++k) {
    char id[16];
    std::snprintf(id, sizeof id, "fake-%05zu", k);
    flood.send(datagram_of(forged(net.cluster, id, {life, 1}, Heartbeat{{"default"}, "", 0})));
    if (k % 256 == 0) {
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        most_peers = std::max(most_peers, nodes.node(i).stats().peers);
      }
    }
  }

  for (std::size_t i = 0; i < nodes.size(); ++i) {
    CAPTURE(i);
    // Every fake was admitted (and is held or was evicted) or refused.
    const auto accounted = [&] {
      const NodeStats s = nodes.node(i).stats();
      return flood.drops(i).size() + s.evictions + (s.peers - 1) >= kFakes;
    };
    CHECK(wait_until(accounted));
    const NodeStats s = nodes.node(i).stats();
    const std::vector<DropReason> drops = flood.drops(i);
    CHECK(drops.size() + s.evictions + (s.peers - 1) == kFakes);
    MESSAGE("node-" << i << ": peers " << s.peers << ", evictions " << s.evictions
                    << ", rate_limited " << s.dropped(DropReason::kRateLimited) << ", member_cap "
                    << s.dropped(DropReason::kMemberCap));
    most_peers = std::max(most_peers, s.peers);
    CHECK(s.peers <= kCap);
    CHECK(s.evictions > 0);
    CHECK(s.dropped(DropReason::kRateLimited) > 0);
    CHECK(std::count(drops.begin(), drops.end(), DropReason::kRateLimited) ==
          static_cast<std::ptrdiff_t>(drops.size()));
  }
  CHECK(most_peers <= kCap);

  // The real members were never dead, evicted or restarted, and the
  // leader never changed; the cluster still agrees.
  CHECK(holds_for(settled, std::chrono::milliseconds(500)));
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    Recorder& r = nodes.recorder(i);
    std::lock_guard lock(r.mutex);
    CHECK(r.leaders.size() == mark.leaders[i]);
    for (std::size_t k = mark.membership[i]; k < r.membership.size(); ++k) {
      const auto& [event, member] = r.membership[k];
      if (member.id.bytes().starts_with("node-")) {
        FAIL_CHECK("node-" << i << " saw " << to_string(event) << " of " << member.id.bytes());
      }
    }
  }
}
