// The suspicion failure detector (MembershipConfig::suspicion, on in `lan`
// and `fast`), in simulated time on production NodeCores: a quiet member is
// asked for and answers with a heartbeat everyone hears, so lost datagrams
// no longer kill live members; a crashed member still dies within
// alive_expiration; Suspects are bounded on both sides.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lanlord/profile.hpp"
#include "lanlord/sim/cluster.hpp"
#include "scenario.hpp"

using namespace std::chrono_literals;
using namespace lanlord;
using lanlord::sim::LinkFaults;
using lanlord::sim::SimCluster;
using lanlord::sim::SimClusterOptions;
using lanlord::test::agreed_leader;
using lanlord::test::leader_set_changes;

namespace {

Profile fast(bool suspicion = true) {
  Profile p = *find_profile("fast");
  p.membership.suspicion = suspicion;
  // Without suspicion: the detector as it was before it, with one rate
  // (with rate classes, idle members heartbeat every second and die after
  // 2.5 s of silence, so loss rarely kills them at all).
  if (!suspicion) p.membership.idle_heartbeat_interval = Duration::zero();
  p.election.repeat_declaration = suspicion;
  p.election.confirm_leader = suspicion;
  return p;
}

SimClusterOptions options(const Profile& p, double loss, std::uint64_t seed) {
  SimClusterOptions o;
  o.profile = p;
  o.faults.loss = loss;
  o.faults.jitter = 1ms;
  o.seed = seed;
  return o;
}

void spawn(SimCluster& c, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) c.spawn("n" + std::to_string(10 + i));
}

std::uint64_t deaths(const SimCluster& c) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < c.size(); ++i) n += c.record(i).peers_dead;
  return n;
}

void settle(SimCluster& c) {
  REQUIRE(c.run_until([&] { return agreed_leader(c).has_value(); }, 10s));
  c.run_for(1s);  // every view complete
}

// Deaths of live members at `loss` over `d` in an 8-node fast cluster.
std::uint64_t false_deaths(bool suspicion, double loss, std::uint64_t seed, Duration d,
                           bool* leaders_held = nullptr) {
  SimCluster c(options(fast(suspicion), loss, seed));
  spawn(c, 8);
  settle(c);
  const std::uint64_t before = deaths(c);
  const std::optional<TimePoint> changed = leader_set_changes(c, d);
  if (leaders_held != nullptr) *leaders_held = !changed;
  return deaths(c) - before;
}

std::uint64_t wall_ns(SimCluster& c) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        c.scheduler().wall_now().time_since_epoch())
                                        .count());
}

}  // namespace

TEST_CASE(
    "suspicion: lost heartbeats kill no live member and the leader holds, where the plain detector "
    "kills many") {
  // 8 fast nodes, 10 % loss on every copy, 20 s of simulated time, 3 seeds.
  // Without suspicion a member dies when two or three heartbeats in a row
  // are lost to one observer (29 deaths over these seeds); with it, a
  // quiet member is asked for up to six times and answers each time to
  // everyone.
  std::uint64_t plain = 0;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    CAPTURE(seed);
    bool held = false;
    CHECK(false_deaths(true, 0.10, seed, 20s, &held) == 0);
    CHECK(held);
    plain += false_deaths(false, 0.10, seed, 20s);
  }
  CHECK(plain >= 20);
}

TEST_CASE("suspicion: at 5 % loss no member dies over a simulated minute") {
  for (std::uint64_t seed = 11; seed <= 12; ++seed) {
    CAPTURE(seed);
    bool held = false;
    CHECK(false_deaths(true, 0.05, seed, 60s, &held) == 0);
    CHECK(held);
  }
}

TEST_CASE("suspicion: a crashed member is still dead within its expiration of its last heartbeat") {
  // Lossless, 5 fast nodes: suspicion asks for the crashed member (no
  // answer comes) and every survivor declares it dead no later than the
  // plain detector would: its expiration after its last heartbeat. (n12
  // is neither leader nor likely successor: with rate classes it
  // heartbeats every idle interval, and its expiration is that scaled.)
  const Profile p = fast();
  SimCluster c(options(p, 0.0, 3));
  spawn(c, 5);
  settle(c);
  std::vector<std::optional<TimePoint>> dead_at(c.size());
  SimCluster* cp = &c;
  c.set_observers({.sent = {},
                   .event =
                       [&dead_at, cp](std::size_t node, const NodeEvent& e) {
                         const auto* m = std::get_if<MemberChanged>(&e);
                         if (m && m->event == MembershipEvent::kDead &&
                             m->member.id.bytes() == "n12" && !dead_at[node]) {
                           dead_at[node] = cp->now();
                         }
                       },
                   .received = {}});
  const std::size_t victim = *c.index_of("n12");
  const TimePoint last_heard = c.core(0).membership().find(PeerId("n12"))->last_seen;
  const std::uint64_t probes_before = c.core(0).membership().stats().probes;
  const Duration interval = c.core(0).membership().interval_of_peer(PeerId("n12"));
  CHECK(interval == p.membership.idle_heartbeat_interval);
  const Duration expiration = p.membership.expiration_for(interval);
  c.crash(victim);
  c.run_for(2 * expiration);
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (i == victim) continue;
    CAPTURE(i);
    REQUIRE(dead_at[i].has_value());
    // Its last heartbeat reached node i at most one interval (and the
    // jitter) after it reached node 0.
    CHECK(*dead_at[i] <= last_heard + interval + 2ms + expiration);
  }
  // It was asked for before it died: at least (expiration - suspect_after)
  // / (a quarter of its interval, at least probe_interval) times, and not
  // at the fast probe rate (an idle member's crash would cost ten times
  // the Suspects).
  const std::uint64_t probes = c.core(0).membership().stats().probes - probes_before;
  const Duration every = std::max(p.membership.probe_interval(), interval / 4);
  const auto asks = static_cast<std::uint64_t>(
      (expiration - MembershipConfig::suspect_after_for(interval)) / every);
  CHECK(probes >= asks);
  CHECK(probes <= asks + 1);
}

TEST_CASE("suspicion: a flood of forged Suspects gets at most one heartbeat per probe interval") {
  // 3 lossless fast nodes; n10 receives 2,000 Suspects naming it, one every
  // half millisecond, from an id that is no member. It answers at most
  // once per 3/4 probe interval; nobody starts suspecting anybody.
  const Profile p = fast();
  SimCluster c(options(p, 0.0, 5));
  spawn(c, 3);
  settle(c);
  const std::size_t target = *c.index_of("n10");
  const NodeStats before = c.core(target).stats();
  const std::uint64_t heartbeats_before = c.record(target).heartbeats;
  const std::uint64_t life = wall_ns(c);
  for (std::uint64_t k = 1; k <= 2000; ++k) {
    Message m;
    m.cluster = c.options().cluster;
    m.sender = PeerId("forger");
    m.time = {life, k};
    m.sent_at = wall_ns(c);
    m.instance = life;
    m.body = Suspect{{PeerId("n10"), PeerId("n11")}};
    c.inject(target, m);
    c.run_for(500us);
  }
  const NodeStats after = c.core(target).stats();
  const Duration window = 1s;
  const auto bound =
      static_cast<std::uint64_t>(window / (p.membership.probe_interval() * 3 / 4)) + 1;
  CHECK(after.suspects_received - before.suspects_received == 2000);
  CHECK(after.suspicions_answered - before.suspicions_answered <= bound);
  CHECK(after.suspicions_answered - before.suspicions_answered >= bound / 2);
  CHECK(after.suspicions_limited > before.suspicions_limited);
  // Its own heartbeats plus the answers, nothing more.
  CHECK(c.record(target).heartbeats - heartbeats_before <=
        bound + static_cast<std::uint64_t>(window / p.membership.heartbeat_interval) + 1);
  // A Suspect is no evidence: no member died or was asked for.
  for (std::size_t i = 0; i < c.size(); ++i) {
    CHECK(c.record(i).peers_dead == 0);
    CHECK(c.core(i).stats().suspects_sent == 0);
  }
}

TEST_CASE(
    "suspicion: a node cut off from everyone sends at most one bounded Suspect per probe "
    "interval") {
  // 20 fast nodes; n10 stops hearing the 19 others (they still hear it).
  // It suspects all 19 but sends one Suspect per probe interval, each
  // naming at most kMaxSuspects peers, until they die at their expiration
  // (the idle members' with rate classes: 17 of the 19).
  const Profile p = fast();
  SimCluster c(options(p, 0.0, 7));
  spawn(c, 20);
  settle(c);
  std::uint64_t suspects = 0;
  std::size_t most = 0;
  c.set_observers({.sent =
                       [&](std::size_t node, const Message& m, const std::vector<std::uint8_t>*) {
                         const auto* su = std::get_if<Suspect>(&m.body);
                         if (node == 0 && su != nullptr) {
                           ++suspects;
                           most = std::max(most, su->peers.size());
                         }
                       },
                   .event = {},
                   .received = {}});
  LinkFaults cut;
  cut.loss = 1.0;
  for (std::size_t from = 1; from < c.size(); ++from) c.network().set_link_faults(from, 0, cut);
  const Duration slowest = p.membership.expiration_for(p.membership.max_interval());
  c.run_for(slowest + p.membership.max_interval());
  CHECK(c.core(0).membership().alive_count() == 0);
  CHECK(most <= kMaxSuspects);
  CHECK(suspects >= 2);
  CHECK(suspects <= static_cast<std::uint64_t>((slowest - p.membership.suspect_after()) /
                                               p.membership.probe_interval()) +
                        2);
}

TEST_CASE(
    "suspicion: under 10 % loss a crashed leader is replaced and agreed on within alive_expiration "
    "plus one heartbeat") {
  // 8 fast nodes, 10 % loss, 10 seeds: the leader crashes. Its death is
  // seen alive_expiration after its last heartbeat (one interval earlier by
  // a follower that lost it); the lowest survivor declares at once, and
  // its declaration is repeated twice, so no follower waits for the next
  // declaration interval (500 ms) to hear it.
  const Profile p = fast();
  Duration worst{};
  for (std::uint64_t seed = 21; seed <= 30; ++seed) {
    CAPTURE(seed);
    SimCluster c(options(p, 0.10, seed));
    spawn(c, 8);
    settle(c);
    const std::optional<std::string> old = agreed_leader(c);
    REQUIRE(old.has_value());
    const TimePoint crashed = c.now();
    c.crash(*c.index_of(*old));
    REQUIRE(c.run_until(
        [&] {
          const auto now = agreed_leader(c);
          return now.has_value() && *now != *old;
        },
        5s));
    worst = std::max(worst, c.now() - crashed);
  }
  CHECK(worst <= p.membership.alive_expiration + p.membership.heartbeat_interval + 50ms);
}

TEST_CASE("suspicion: the fabric profile has none") {
  const Profile f = *find_profile("fabric");
  CHECK_FALSE(f.membership.suspicion);
  CHECK_FALSE(f.election.repeat_declaration);
  CHECK_FALSE(f.election.confirm_leader);
  CHECK(find_profile("lan")->membership.suspicion);
  CHECK(find_profile("fast")->membership.suspicion);
}
