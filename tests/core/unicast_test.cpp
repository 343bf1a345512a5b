// Unicast mode (NodeCoreConfig::unicast): where multicast is blocked, each
// message goes to every member's address. The address book (what is
// learned from whom, with and without a key), the target list (order, cap,
// never this node), observers, and whole clusters on the simulator's
// unicast link that know one seed each. Simulated time throughout.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "lanlord/node_core.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/sim/cluster.hpp"
#include "lanlord/sim/virtual_scheduler.hpp"
#include "scenario.hpp"

using namespace std::chrono_literals;
using namespace lanlord;
using lanlord::sim::SimCluster;
using lanlord::sim::SimClusterOptions;
using lanlord::test::agreed_leader;

namespace {

constexpr const char* kSelf = "198.51.100.1:7676";

NodeCoreConfig unicast_config(bool keyed, bool passive = false) {
  NodeCoreConfig c;
  c.id = PeerId(passive ? "watcher" : "me");
  c.channels = {"default"};
  c.profile = *find_profile("fast");
  c.incarnation = 100;
  c.passive = passive;
  c.authenticated = keyed;
  c.unicast.enabled = true;
  c.unicast.address = kSelf;
  return c;
}

// One core driven by hand: messages from made-up peers, with the origin a
// socket would report.
struct Book {
  sim::VirtualScheduler sched;
  NodeCore core;
  std::uint64_t seq = 0;

  explicit Book(NodeCoreConfig c) : core(sched, std::move(c)) { core.start(); }

  void heartbeat(const std::string& from, const std::string& origin, std::string advertised = {},
                 std::vector<PeerAddress> digest = {}) {
    Heartbeat hb;
    hb.channels = {"default"};
    hb.address = std::move(advertised);
    hb.digest = std::move(digest);
    step(from, origin, hb);
  }
  void step(const std::string& from, const std::string& origin, Body body) {
    Message m;
    m.cluster = "lanlord";
    m.sender = PeerId(from);
    m.time = {50, ++seq};
    m.sent_at = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(sched.wall_now().time_since_epoch())
            .count());
    m.instance = 50;
    m.body = std::move(body);
    REQUIRE(core.step(m, origin));
  }
  bool targets(const std::string& address) const {
    const auto& t = core.unicast_targets();
    return std::find(t.begin(), t.end(), address) != t.end();
  }
  // The heartbeats the core queued since the last call.
  std::vector<Heartbeat> sent() {
    std::vector<Heartbeat> out;
    for (Message& m : core.ready().messages) {
      if (auto* hb = std::get_if<Heartbeat>(&m.body)) out.push_back(std::move(*hb));
    }
    return out;
  }
};

SimClusterOptions cluster_options(const std::string& profile, std::uint64_t seed, bool keyed) {
  SimClusterOptions o;
  o.profile = *find_profile(profile);
  o.faults.jitter = 1ms;
  o.seed = seed;
  o.unicast = true;
  o.authenticated = keyed;
  return o;
}

// Every running node's alive view holds every other running node.
bool complete_views(const SimCluster& c) {
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (!c.running(i)) continue;
    for (std::size_t j = 0; j < c.size(); ++j) {
      if (j != i && c.running(j) && !c.core(i).membership().is_alive(c.id(j))) return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("unicast: without a key, a member's address is where its datagrams come from") {
  Book b(unicast_config(false));
  b.heartbeat("p1", "203.0.113.7:7676", "192.0.2.99:7676",
              {PeerAddress{PeerId("p2"), "192.0.2.2:7676"}});
  CHECK(b.targets("203.0.113.7:7676"));
  // Neither the advertised address nor a digest is believed without a key:
  // a forger could point this node at anyone.
  CHECK_FALSE(b.targets("192.0.2.99:7676"));
  CHECK_FALSE(b.targets("192.0.2.2:7676"));
  CHECK(b.core.stats().introductions == 0);
  // The heartbeats this node sends carry its address and no digest.
  b.core.ready();
  b.sched.run_for(200ms);
  const std::vector<Heartbeat> sent = b.sent();
  REQUIRE_FALSE(sent.empty());
  CHECK(sent.back().address == kSelf);
  CHECK(sent.back().digest.empty());
  CHECK_FALSE(sent.back().observer);
}

TEST_CASE("unicast: with a key, the advertised address wins and digests introduce members") {
  Book b(unicast_config(true));
  b.heartbeat("p1", "203.0.113.7:7676", "192.0.2.1:7676",
              {PeerAddress{PeerId("p2"), "192.0.2.2:7676"}, PeerAddress{PeerId("me"), kSelf},
               PeerAddress{PeerId("p3"), kSelf}});
  CHECK(b.targets("192.0.2.1:7676"));  // behind one-to-one NAT: what it advertises
  CHECK_FALSE(b.targets("203.0.113.7:7676"));
  CHECK(b.targets("192.0.2.2:7676"));        // introduced by p1's digest
  CHECK(b.core.stats().introductions == 1);  // not this node, not its own address
  // p2's own word moves it; a later digest cannot.
  b.sched.run_for(10ms);
  b.heartbeat("p2", "192.0.2.20:7676", "192.0.2.22:7676");
  b.heartbeat("p1", "192.0.2.1:7676", "192.0.2.1:7676",
              {PeerAddress{PeerId("p2"), "192.0.2.66:7676"}});
  CHECK(b.targets("192.0.2.22:7676"));
  CHECK_FALSE(b.targets("192.0.2.2:7676"));
  CHECK_FALSE(b.targets("192.0.2.66:7676"));
  // The heartbeats this node sends name both members, the newest first.
  b.core.ready();
  b.sched.run_for(100ms);
  const std::vector<Heartbeat> sent = b.sent();
  REQUIRE_FALSE(sent.empty());
  REQUIRE(sent.back().digest.size() == 2);
  CHECK(sent.back().digest[0] == PeerAddress{PeerId("p2"), "192.0.2.22:7676"});
  CHECK(sent.back().digest[1] == PeerAddress{PeerId("p1"), "192.0.2.1:7676"});
}

TEST_CASE("unicast: targets are the seeds and every member, never this node, at most the cap") {
  NodeCoreConfig c = unicast_config(true);
  c.unicast.seeds = {"192.0.2.1:7676", kSelf, "192.0.2.50:7676"};
  c.unicast.max_targets = 4;
  Book b(std::move(c));
  CHECK(b.core.unicast_targets() == std::vector<std::string>{"192.0.2.1:7676", "192.0.2.50:7676"});
  for (int i = 1; i <= 5; ++i) {
    const std::string a = "192.0.2." + std::to_string(i) + ":7676";
    b.heartbeat("p" + std::to_string(i), a, a);
  }
  // Alive members first (the seed 192.0.2.1 is one of them: sent to once),
  // then the seeds; the cap leaves out the rest and says how many.
  CHECK(b.core.unicast_targets() == std::vector<std::string>{"192.0.2.1:7676", "192.0.2.2:7676",
                                                             "192.0.2.3:7676", "192.0.2.4:7676"});
  CHECK(b.core.stats().targets_capped == 2);
  CHECK(b.core.stats().unicast_targets == 4);
  b.core.set_seeds({"192.0.2.9:7676"});
  CHECK(b.core.stats().targets_capped == 2);  // p5 and the new seed
}

TEST_CASE("unicast: without a key, a member that stops is no longer a target") {
  Book b(unicast_config(false));
  b.heartbeat("p1", "192.0.2.1:7676");  // a spoofed source, perhaps
  CHECK(b.targets("192.0.2.1:7676"));
  const Profile& p = b.core.config().profile;
  b.sched.run_for(p.membership.expiration_for(p.membership.max_interval()) + 10ms);
  CHECK_FALSE(b.core.membership().is_alive(PeerId("p1")));
  CHECK(b.core.unicast_targets().empty());
  b.sched.run_for(p.membership.forget_after * 2);
  CHECK(b.core.stats().lost_addresses == 0);
  CHECK(b.core.stats().reconnects == 0);
}

TEST_CASE(
    "unicast: the dead stay targets until forgotten, a leave and an unheard introduction go") {
  Book b(unicast_config(true));
  b.heartbeat("p1", "192.0.2.1:7676", "192.0.2.1:7676",
              {PeerAddress{PeerId("ghost"), "192.0.2.9:7676"}});
  b.heartbeat("p2", "192.0.2.2:7676", "192.0.2.2:7676");
  b.step("p2", "192.0.2.2:7676", Leave{});
  CHECK_FALSE(b.targets("192.0.2.2:7676"));
  CHECK(b.targets("192.0.2.9:7676"));
  // p1 falls silent and dies; the ghost never shows up.
  const Profile& p = b.core.config().profile;
  b.sched.run_for(p.membership.expiration_for(p.membership.max_interval()) * 3);
  CHECK_FALSE(b.core.membership().is_alive(PeerId("p1")));
  CHECK(b.targets("192.0.2.1:7676"));  // a healed partition finds it again
  CHECK_FALSE(b.targets("192.0.2.9:7676"));
  b.sched.run_for(p.membership.forget_after + 1s);
  CHECK(b.core.unicast_targets().empty());
}

TEST_CASE(
    "unicast: a passive node heartbeats as an observer, and in multicast mode it stays silent") {
  Book observer(unicast_config(true, true));
  observer.sched.run_for(3s);
  const std::vector<Heartbeat> sent = observer.sent();
  REQUIRE_FALSE(sent.empty());
  CHECK(sent.front().observer);
  CHECK(sent.front().channels.empty());
  CHECK(sent.front().address == kSelf);
  // At the idle rate (fast: 1 s) after its first announcements.
  CHECK(sent.size() <= 8);
  NodeCoreConfig silent = unicast_config(true, true);
  silent.unicast = UnicastConfig{};
  Book multicast(std::move(silent));
  multicast.sched.run_for(3s);
  CHECK(multicast.sent().empty());
}

TEST_CASE("unicast cluster: 16 nodes that know one seed each find each other and agree") {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    CAPTURE(seed);
    SimCluster c(cluster_options("fast", seed, true));
    for (int i = 0; i < 16; ++i) {
      c.spawn("n" + std::to_string(10 + i));
      c.run_for(std::chrono::milliseconds(c.rng().below(20)));
    }
    const TimePoint last = c.now();
    REQUIRE(c.run_until([&] { return complete_views(c) && agreed_leader(c) == "n10"; }, 5s));
    // Discovery through one seed costs a few round trips, not heartbeats.
    CHECK(c.now() - last < 400ms);
    CHECK(c.leaders().size() == 1);
    CHECK(c.violations().empty());
    CHECK(c.unroutable() <= 1);  // n10's first heartbeat, to a seed not started yet
  }
}

TEST_CASE(
    "unicast cluster: without a key a node knows only who sends to it, and full lists agree") {
  SimCluster partial(cluster_options("fast", 7, false));
  for (int i = 0; i < 3; ++i) partial.spawn("n" + std::to_string(i));
  partial.run_for(3s);
  // n1 and n2 know only the seed n0: no one tells them of each other.
  CHECK(partial.core(0).membership().is_alive(PeerId("n1")));
  CHECK(partial.core(0).membership().is_alive(PeerId("n2")));
  CHECK_FALSE(partial.core(1).membership().is_alive(PeerId("n2")));
  CHECK_FALSE(partial.core(2).membership().is_alive(PeerId("n1")));

  SimClusterOptions o = cluster_options("fast", 7, false);
  o.unicast_seeds = 4;  // everyone names everyone
  SimCluster full(o);
  for (int i = 0; i < 5; ++i) full.spawn("n" + std::to_string(i));
  REQUIRE(full.run_until([&] { return complete_views(full) && agreed_leader(full) == "n0"; }, 5s));
}

TEST_CASE("unicast cluster: a crashed leader fails over within the profile's bound") {
  const Profile p = *find_profile("fast");
  SimCluster c(cluster_options("fast", 11, true));
  for (int i = 0; i < 5; ++i) c.spawn("n" + std::to_string(i));
  REQUIRE(c.run_until([&] { return complete_views(c) && agreed_leader(c) == "n0"; }, 5s));
  c.run_for(2s);
  c.crash(0);
  const TimePoint crash = c.now();
  REQUIRE(c.run_until([&] { return agreed_leader(c) == "n1"; }, 5s));
  // alive_expiration, then n1 (the likely successor) declares at once.
  CHECK(c.now() - crash <= p.membership.alive_expiration + p.membership.heartbeat_interval + 20ms);
  CHECK(c.violations().empty());
}

TEST_CASE("unicast cluster: a partition into halves heals into one leader, a restart rejoins") {
  SimCluster c(cluster_options("fast", 13, true));
  for (int i = 0; i < 6; ++i) c.spawn("n" + std::to_string(i));
  REQUIRE(c.run_until([&] { return complete_views(c) && agreed_leader(c) == "n0"; }, 5s));
  // Every node's seed (n0, or n1 for n0) is on the first side.
  c.partition({{0, 1, 2}, {3, 4, 5}});
  REQUIRE(c.run_until([&] { return c.leader_ids() == std::vector<std::string>{"n0", "n3"}; }, 5s));
  c.run_for(5s);
  c.heal();
  REQUIRE(c.run_until([&] { return complete_views(c) && agreed_leader(c) == "n0"; }, 5s));
  // A non-seed restarts: a new life that knows only its seed.
  c.crash(4);
  c.run_for(1s);
  c.restart(4);
  REQUIRE(c.run_until([&] { return complete_views(c) && agreed_leader(c) == "n0"; }, 5s));
  CHECK(c.violations().empty());
}

TEST_CASE("unicast cluster: a passive observer that knows one seed learns the leader") {
  SimCluster c(cluster_options("fast", 17, true));
  for (int i = 0; i < 4; ++i) c.spawn("n" + std::to_string(i));
  REQUIRE(c.run_until([&] { return agreed_leader(c) == "n0"; }, 5s));
  const std::size_t w = c.spawn_passive("watcher");  // its seed is n0
  // Members learn it from its heartbeats (the seed's digest names it to the
  // others) and send to it; it never takes part in an election.
  REQUIRE(c.run_until([&] { return complete_views(c) && c.core(w).leader("default"); }, 5s));
  CHECK(*c.core(w).leader("default") == PeerId("n0"));
  CHECK_FALSE(c.core(w).is_leader("default"));
  CHECK(c.core(0).membership().find(PeerId("watcher"))->channels.empty());
  // The leader's crash reaches it too.
  c.crash(0);
  REQUIRE(c.run_until([&] { return c.core(w).leader("default") == PeerId("n1"); }, 5s));
}

TEST_CASE("unicast cluster: members that forgot each other meet again without their seed") {
  const Profile p = *find_profile("fast");
  SimCluster c(cluster_options("fast", 19, true));
  for (int i = 0; i < 3; ++i) c.spawn("n" + std::to_string(i));
  REQUIRE(c.run_until([&] { return complete_views(c) && agreed_leader(c) == "n0"; }, 5s));
  // n2 is cut off long enough for everyone to forget it, and it them.
  c.partition({{0, 1}, {2}});
  c.run_for(p.membership.expiration_for(p.membership.max_interval()) + p.membership.forget_after +
            p.election.declaration_interval() * 2);
  CHECK_FALSE(c.core(1).membership().find(PeerId("n2")).has_value());
  CHECK(c.core(1).stats().lost_addresses == 1);
  // Now the seed n0 is the one cut off: n1 and n2 can reach only each other,
  // and neither knows the other any more. Their reconnect heartbeats (one
  // per idle interval to each lost member) bring them together.
  c.partition({{0}, {1, 2}});
  const TimePoint moved = c.now();
  REQUIRE(c.run_until(
      [&] {
        return c.core(1).membership().is_alive(PeerId("n2")) &&
               c.core(2).membership().is_alive(PeerId("n1"));
      },
      5s));
  CHECK(c.now() - moved <= p.membership.max_interval() + 50ms);
  REQUIRE(c.run_until([&] { return c.core(2).leader("default") == PeerId("n1"); }, 5s));
  CHECK(c.core(1).stats().reconnects > 0);
}
