// Forged PeerTimes without a key, in simulated time on production
// NodeCores. Before the trust work one corrupted heartbeat carrying the
// live leader's id with a raised PeerTime was believed: the leader
// "restarted" in everyone's view, its real heartbeats became stale, and
// the cluster ran two leaders until the forgery was forgotten (10.5 s with
// `fast`). Now:
//   * a claim no honest sender can make (an incarnation in the future, a
//     sequence beyond what its life allows) is dropped as implausible;
//   * a plausible claim the victim hears is refuted at once (it announces
//     a newer PeerTime), so nothing changes for longer than a heartbeat;
//   * a plausible claim the victim never hears is void once it has gone
//     unconfirmed for alive_expiration: at most about two
//     alive_expiration periods of disturbance.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "lanlord/profile.hpp"
#include "lanlord/sim/cluster.hpp"

using namespace lanlord;
using namespace std::chrono_literals;

namespace {

std::uint64_t wall_ns(sim::SimCluster& c, std::size_t i) {
  (void)i;
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        c.scheduler().wall_now().time_since_epoch())
                                        .count());
}

Message forged_heartbeat(sim::SimCluster& c, std::size_t victim, PeerTime t) {
  Message m;
  m.cluster = c.options().cluster;
  m.sender = c.id(victim);
  m.time = t;
  m.sent_at = wall_ns(c, victim);
  m.instance = c.core(victim).instance();
  m.body = Heartbeat{{c.channel()}, ""};
  return m;
}

struct Run {
  sim::SimCluster c;
  explicit Run(std::uint64_t seed = 1) : c(options(seed)) {
    for (const char* id : {"p0", "p1", "p2"}) c.spawn(id);
    REQUIRE(c.run_until([&] { return c.leader_ids() == std::vector<std::string>{"p0"}; }, 5s));
    c.run_for(1s);
    REQUIRE(c.leader_ids() == std::vector<std::string>{"p0"});
  }
  static sim::SimClusterOptions options(std::uint64_t seed) {
    sim::SimClusterOptions o;
    o.profile = *find_profile("fast");
    o.seed = seed;
    return o;
  }
  // How long the leader set differed from {p0} in the next `span`, and
  // when it was last wrong (relative to now).
  Duration wrong_for(Duration span, Duration* last_wrong = nullptr) {
    const TimePoint start = c.now();
    TimePoint wrong_since{}, last{};
    Duration total{};
    bool wrong = false;
    c.run_until(
        [&] {
          const bool now_wrong = c.leader_ids() != std::vector<std::string>{"p0"};
          if (now_wrong && !wrong) wrong_since = c.now();
          if (!now_wrong && wrong) total += c.now() - wrong_since;
          if (now_wrong) last = c.now();
          wrong = now_wrong;
          return false;
        },
        span);
    if (wrong) total += c.now() - wrong_since;
    if (last_wrong) *last_wrong = last == TimePoint{} ? Duration{} : last - start;
    return total;
  }
};

}  // namespace

TEST_CASE("forged PeerTime: an incarnation in the future is implausible and changes nothing") {
  Run r;
  const PeerTime real{r.c.core(0).incarnation(), 1};
  for (std::size_t to : {0u, 1u, 2u}) {
    // Bit 40 of the incarnation flipped: about 18 minutes in the future.
    r.c.inject(to, forged_heartbeat(r.c, 0, {real.incarnation | (std::uint64_t{1} << 40), 1}));
    // A sequence far beyond what a life of this age can have sent.
    r.c.inject(to, forged_heartbeat(r.c, 0, {real.incarnation, std::uint64_t{1} << 40}));
  }
  CHECK(r.c.core(1).stats().dropped(DropReason::kImplausible) == 2);
  CHECK(r.c.core(0).stats().refutations == 0);  // nothing to answer
  CHECK(r.wrong_for(15s) == Duration::zero());
  CHECK(r.c.record(1).peers_restarted == 0);
}

TEST_CASE("forged PeerTime: a plausible claim the victim hears is refuted within a heartbeat") {
  Run r;
  const std::uint64_t inc = r.c.core(0).incarnation();
  for (std::size_t to : {1u, 2u, 0u}) r.c.inject(to, forged_heartbeat(r.c, 0, {inc + 1, 1000}));
  CHECK(r.c.core(0).stats().refutations == 1);
  CHECK(r.c.core(0).incarnation() == inc + 1);  // adopted, so peers see no new life
  // The peers heard the claim before the refutation reached them: they
  // saw p0 restart, and one elected itself until p0's next declaration.
  Duration last_wrong{};
  r.wrong_for(15s, &last_wrong);
  CHECK(last_wrong <= r.c.profile().membership.heartbeat_interval);
  for (std::size_t i : {1u, 2u}) {
    CHECK(r.c.record(i).peers_dead == 0);
    CHECK(r.c.core(i).membership().is_alive(PeerId("p0")));
  }
}

TEST_CASE(
    "forged PeerTime: a plausible claim the victim never hears is void after two heartbeat "
    "intervals") {
  Duration worst{};
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    Run r(seed);
    const std::uint64_t inc = r.c.core(0).incarnation();
    for (std::size_t to : {1u, 2u}) r.c.inject(to, forged_heartbeat(r.c, 0, {inc + 1, 1}));
    Duration last_wrong{};
    r.wrong_for(15s, &last_wrong);
    // The peers void the claim after two heartbeat intervals of stale
    // messages; the successor they elected meanwhile steps down at p0's
    // next declaration (every leader_alive / 2).
    const Duration bound = r.c.profile().membership.heartbeat_interval * 3 / 2 +
                           r.c.profile().election.declaration_interval() +
                           r.c.profile().membership.heartbeat_interval;
    CHECK(last_wrong <= bound);
    // The target: within two alive_expiration periods.
    CHECK(last_wrong <= 2 * r.c.profile().membership.alive_expiration);
    worst = std::max(worst, last_wrong);
    CHECK(r.c.leader_ids() == std::vector<std::string>{"p0"});
    for (std::size_t i : {1u, 2u}) CHECK(r.c.core(i).membership().is_alive(PeerId("p0")));
  }
  MESSAGE("worst disturbance over 20 seeds: "
          << std::chrono::duration_cast<std::chrono::milliseconds>(worst).count() << " ms");
}

TEST_CASE(
    "forged PeerTime: a forged restart (another instance) the victim never hears heals "
    "by p0's next declaration") {
  // A new instance is a restart claim: peers act on it (fast failover) and
  // elect a successor, which steps down when p0's next declaration is
  // believed again. The cost is bounded by the void rule plus one
  // declaration interval, not by forget_after as before.
  Duration worst{};
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    Run r(seed);
    Message m = forged_heartbeat(r.c, 0, {r.c.core(0).incarnation() + 1, 1});
    m.instance += 1;
    for (std::size_t to : {1u, 2u}) r.c.inject(to, m);
    Duration last_wrong{};
    r.wrong_for(15s, &last_wrong);
    const Profile& p = r.c.profile();
    CHECK(last_wrong <=
          p.membership.heartbeat_interval * 5 / 2 + p.election.declaration_interval());
    CHECK(r.c.leader_ids() == std::vector<std::string>{"p0"});
    worst = std::max(worst, last_wrong);
  }
  MESSAGE("forged restart, worst disturbance over 20 seeds: "
          << std::chrono::duration_cast<std::chrono::milliseconds>(worst).count() << " ms");
}

TEST_CASE("forged leave: the victim refutes it and its peers take it back at once") {
  Run r;
  Message leave = forged_heartbeat(r.c, 0, {r.c.core(0).incarnation(), 500});
  leave.body = Leave{};
  for (std::size_t to : {1u, 2u, 0u}) r.c.inject(to, leave);
  CHECK(r.c.record(1).peers_left == 1);  // believed, for now
  CHECK(r.c.core(0).stats().refutations == 1);
  Duration last_wrong{};
  r.wrong_for(10s, &last_wrong);
  CHECK(last_wrong <= r.c.profile().membership.heartbeat_interval);
  for (std::size_t i : {1u, 2u}) CHECK(r.c.core(i).membership().is_alive(PeerId("p0")));
}
