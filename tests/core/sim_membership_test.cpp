// SimCluster of production NodeCores: failure detection through missing
// heartbeats, fast failover through peer_down(), graceful leaves, and the
// membership's behaviour under duplicated and reordered datagrams.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "lanlord/profile.hpp"
#include "lanlord/sim/cluster.hpp"
#include "scenario.hpp"

using namespace std::chrono_literals;
using lanlord::Duration;
using lanlord::PeerId;
using lanlord::Profile;
using lanlord::TimePoint;
using lanlord::sim::LinkFaults;
using lanlord::sim::SimCluster;
using lanlord::sim::SimClusterOptions;
using lanlord::test::agreed_leader;

namespace {

Profile fast_profile() {
  return *lanlord::find_profile("fast");
}

SimClusterOptions options(const Profile& p, LinkFaults faults = {}, std::uint64_t seed = 1) {
  SimClusterOptions o;
  o.profile = p;
  o.faults = faults;
  o.seed = seed;
  return o;
}

void spawn(SimCluster& c, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) c.spawn("p" + std::to_string(i));
}

// Runs until the cluster agrees on a leader; returns it and how long it took.
std::pair<std::string, Duration> settle(SimCluster& c, Duration limit) {
  const TimePoint start = c.now();
  const bool ok = c.run_until([&] { return agreed_leader(c).has_value(); }, limit);
  REQUIRE_MESSAGE(ok, "no agreed leader within the limit");
  return {*agreed_leader(c), c.now() - start};
}

// The index of the node called `id`.
std::size_t index_of(const SimCluster& c, const std::string& id) {
  const auto i = c.index_of(id);
  REQUIRE_MESSAGE(i.has_value(), "unknown id " << id);
  return *i;
}

const lanlord::Membership* membership(const SimCluster& c, std::size_t i) {
  return &c.core(i).membership();
}

std::vector<std::string> view(const SimCluster& c, std::size_t i) {
  std::vector<std::string> out;
  for (const auto& p : membership(c, i)->alive_peers()) out.push_back(p.bytes());
  return out;
}

}  // namespace

TEST_CASE("sim membership: heartbeats give every node the others in its view") {
  for (const bool fast_startup : {false, true}) {
    CAPTURE(fast_startup);
    Profile p = fast_profile();
    p.election.fast_startup = fast_startup;
    SimCluster c(options(p));
    spawn(c, 5);
    // Spawned one after the other at t=0: p0 heard the first heartbeat of
    // every later node, while its own first one went out when it was alone.
    // Without fast startup p4 hears of the others only at the next tick;
    // with it, they answer its first heartbeat at once (welcome heartbeats).
    c.run_for(50ms);
    CHECK(membership(c, 0)->alive_count() == 4);
    CHECK(membership(c, 4)->alive_count() == (fast_startup ? 4u : 0u));
  }
  SimCluster c(options(fast_profile()));
  spawn(c, 5);
  c.run_for(150ms);
  for (std::size_t i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(membership(c, i)->alive_count() == 4);
    CHECK(c.record(i).peers_joined == 4);
    CHECK_FALSE(membership(c, i)->is_alive(c.id(i)));
  }
  CHECK(view(c, 2) == std::vector<std::string>{"p0", "p1", "p3", "p4"});
}

TEST_CASE("sim membership: five nodes on the fast profile elect one leader") {
  SimCluster c(options(fast_profile()));
  spawn(c, 5);
  const auto [leader, took] = settle(c, 5s);
  CHECK(leader == "p0");  // the lowest id
  c.run_for(5s);
  CHECK(agreed_leader(c) == std::optional<std::string>("p0"));
  CHECK(c.violations().empty());
}

TEST_CASE(
    "sim membership: after the leader crashes the survivors agree on a new one within "
    "alive_expiration + election_duration") {
  // Failure is noticed only through missing heartbeats: never sooner than
  // alive_expiration - heartbeat_interval, never later than
  // alive_expiration + delivery; the election then takes election_duration.
  const Profile p = fast_profile();
  const Duration bound = p.membership.alive_expiration + p.election.leader_election_duration + 20ms;
  // Crash at points spread over the heartbeat (and declaration) cycle.
  for (Duration offset = 1s; offset < 1s + 110ms; offset += 11ms) {
    CAPTURE(offset.count());
    SimCluster c(options(p));
    spawn(c, 5);
    const auto [old_leader, took] = settle(c, 5s);
    c.run_for(offset);

    c.crash(index_of(c, old_leader));
    const auto [leader, failover] = settle(c, 5s);
    CHECK(leader == "p1");
    CHECK(failover <= bound);
    CHECK(failover >= p.membership.alive_expiration - p.membership.heartbeat_interval);
    for (std::size_t i = 1; i < 5; ++i) {
      CHECK(c.record(i).peers_dead == 1);
      CHECK_FALSE(membership(c, i)->is_alive(PeerId(old_leader)));
    }
    c.run_for(3s);
    CHECK(agreed_leader(c) == std::optional<std::string>(leader));
    CHECK(c.violations().empty());
  }
}

TEST_CASE("sim membership: without fast failover a crash waits for leader_alive_threshold") {
  // Same cluster, same crash; only fast_failover differs. Membership still
  // notices the death, but the followers keep waiting for the election's own
  // timeout, so failover takes longer than the fast bound.
  Profile p = fast_profile();
  p.fast_failover = false;
  SimCluster c(options(p));
  spawn(c, 5);
  const auto [old_leader, took] = settle(c, 5s);
  c.run_for(1234ms);
  c.crash(index_of(c, old_leader));
  const auto [leader, failover] = settle(c, 10s);
  CHECK(leader == "p1");
  CHECK(failover > p.membership.alive_expiration + p.election.leader_election_duration + 20ms);
  CHECK(failover <= p.crash_failover_bound(1ms));
}

TEST_CASE("sim membership: a graceful leave hands over within election_duration") {
  const Profile p = fast_profile();
  for (Duration offset = 1s; offset < 1s + 110ms; offset += 11ms) {
    CAPTURE(offset.count());
    SimCluster c(options(p));
    spawn(c, 5);
    const auto [old_leader, took] = settle(c, 5s);
    c.run_for(offset);
    const std::size_t l = index_of(c, old_leader);

    c.leave(l);
    CHECK_FALSE(c.running(l));
    const auto [leader, handover] = settle(c, 5s);
    CHECK(leader == "p1");
    CHECK(handover <= p.election.leader_election_duration + 10ms);
    for (std::size_t i = 0; i < 5; ++i) {
      if (i == l) continue;
      CHECK(c.record(i).peers_left == 1);
      CHECK(c.record(i).peers_dead == 0);
    }
    // The node that left falls silent: nobody brings it back.
    c.run_for(2s);
    for (std::size_t i = 0; i < 5; ++i) {
      if (i != l) CHECK_FALSE(membership(c, i)->is_alive(PeerId(old_leader)));
    }
    CHECK(agreed_leader(c) == std::optional<std::string>(leader));
  }
}

TEST_CASE("sim membership: a restarted node comes back with a higher incarnation") {
  // The incarnation is the node's wall-clock start time, as in production.
  SimCluster c(options(fast_profile()));
  spawn(c, 3);
  c.run_for(2s);
  const std::uint64_t first_life = c.core(2).incarnation();
  c.crash(2);
  c.run_for(50ms);  // back before anyone declares it dead
  c.restart(2);
  const std::uint64_t second_life = c.core(2).incarnation();
  CHECK(second_life > first_life);
  c.run_for(500ms);
  for (std::size_t i = 0; i < 2; ++i) {
    CAPTURE(i);
    CHECK(c.record(i).peers_restarted == 1);
    CHECK(c.record(i).peers_dead == 0);
    const auto m = membership(c, i)->find(PeerId("p2"));
    REQUIRE(m);
    CHECK(m->alive);
    CHECK(m->incarnation == second_life);
  }
  CHECK(membership(c, 2)->self().incarnation == second_life);
  CHECK(membership(c, 2)->alive_count() == 2);

  // A restart after the node was declared dead is a plain rejoin. p2 (not
  // the leader, nor the likely successor) heartbeats at the idle rate, so
  // it is dead after the idle expiration (rate classes).
  REQUIRE(c.core(2).membership().idle());
  c.crash(2);
  const lanlord::MembershipConfig& mc = c.profile().membership;
  c.run_for(mc.expiration_for(mc.idle_heartbeat_interval) + 100ms);
  c.restart(2);
  c.run_for(200ms);
  CHECK(c.record(0).peers_dead == 1);
  CHECK(c.record(0).peers_restarted == 1);
  CHECK(membership(c, 0)->find(PeerId("p2"))->incarnation == c.core(2).incarnation());
  CHECK(c.core(2).incarnation() > second_life);
  CHECK(membership(c, 0)->is_alive(PeerId("p2")));
}

TEST_CASE("sim membership: duplicated and reordered datagrams cause no spurious events") {
  // Every copy may be duplicated and is delayed by 1..121ms, so heartbeats
  // 100ms apart overtake each other; the worst gap between two arrivals,
  // 220ms, stays under the 250ms expiration, so nobody may be declared dead.
  // Old heartbeats that arrive after a leave or after a restart's first
  // heartbeat must be dropped as stale, not bring back the old life.
  const LinkFaults faults{0.0, 0.5, 1ms, 120ms};
  SimCluster c(options(fast_profile(), faults, 7));
  spawn(c, 5);
  c.run_for(3s);
  for (std::size_t i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(membership(c, i)->alive_count() == 4);
    CHECK(c.record(i).peers_joined == 4);
    CHECK(c.record(i).peers_dead == 0);
  }
  CHECK(c.network().stats().duplicated > 100);

  // p3 restarts a millisecond later: its old life's heartbeats are still
  // in flight.
  c.crash(3);
  c.run_for(1ms);
  c.restart(3);
  // p4 leaves: its last heartbeats may land after the goodbye.
  c.leave(4);
  c.run_for(2s);

  std::uint64_t stale = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    const auto& r = c.record(i);
    CHECK(r.peers_joined == 4);     // nobody joined twice
    CHECK(r.peers_restarted == 1);  // p3, once
    CHECK(r.peers_left == 1);       // p4
    CHECK(r.peers_dead == 0);
    CHECK(view(c, i).size() == 3);
    CHECK_FALSE(membership(c, i)->is_alive(PeerId("p4")));
    CHECK(membership(c, i)->find(PeerId("p3"))->incarnation == c.core(3).incarnation());
    stale += c.core(i).stats().dropped(lanlord::DropReason::kStale);
  }
  CHECK(stale > 0);  // the reordering did happen, and admission dropped the old copies
  const auto [leader, took] = settle(c, 5s);
  CHECK(leader == "p0");
  CHECK(c.violations().empty());
}
