// Heartbeat rate classes (MembershipConfig::idle_heartbeat_interval, on in
// `fast` and `lan`, off in `fabric`): a member whose liveness matters (a
// leader, the likely successor, a node that knows no leader) heartbeats at
// heartbeat_interval, every other member at the idle interval, and says so
// in its heartbeats; receivers expire each member by its own interval.
// Simulated time: Membership alone on a virtual clock, and production
// NodeCores on the simulator.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lanlord/membership.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/sim/cluster.hpp"
#include "lanlord/sim/virtual_scheduler.hpp"
#include "scenario.hpp"

using namespace std::chrono_literals;
using namespace lanlord;
using lanlord::sim::SimCluster;
using lanlord::sim::SimClusterOptions;
using lanlord::sim::VirtualScheduler;
using lanlord::test::agreed_leader;
using lanlord::test::leader_set_changes;

namespace {

Profile fast() {
  return *find_profile("fast");
}

Profile one_rate(Profile p) {
  p.membership.idle_heartbeat_interval = Duration::zero();
  return p;
}

SimClusterOptions options(const Profile& p, std::uint64_t seed) {
  SimClusterOptions o;
  o.profile = p;
  o.faults.jitter = 1ms;
  o.seed = seed;
  return o;
}

// Nodes n10, n11, ...: n10 leads, n11 is the likely successor.
void spawn(SimCluster& c, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) c.spawn("n" + std::to_string(10 + i));
}

void settle(SimCluster& c) {
  REQUIRE(c.run_until([&] { return agreed_leader(c).has_value(); }, 10s));
  c.run_for(2s);  // every view complete, every demotion done
}

std::uint64_t deaths(const SimCluster& c) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < c.size(); ++i) n += c.record(i).peers_dead;
  return n;
}

// Heartbeats sent per node (and the interval each announced), recorded
// from the cluster's traffic.
struct HeartbeatLog {
  std::map<std::size_t, std::vector<std::pair<TimePoint, std::uint32_t>>> sent;

  void attach(SimCluster& c) {
    SimCluster* cp = &c;
    c.set_observers({.sent =
                         [this, cp](std::size_t node, const Message& m, const sim::Bytes*) {
                           if (const auto* hb = std::get_if<Heartbeat>(&m.body)) {
                             sent[node].emplace_back(cp->now(), hb->interval);
                           }
                         },
                     .event = {},
                     .received = {}});
  }
  // Heartbeats `node` sent in [from, to).
  std::size_t count(std::size_t node, TimePoint from, TimePoint to) const {
    const auto it = sent.find(node);
    if (it == sent.end()) return 0;
    std::size_t n = 0;
    for (const auto& [at, interval] : it->second) n += at >= from && at < to ? 1 : 0;
    return n;
  }
};

// Time from `crash` until every running node names one running leader
// other than `old`.
Duration failover(SimCluster& c, const std::string& old, TimePoint crash) {
  const bool agreed = c.run_until(
      [&] {
        const auto l = agreed_leader(c);
        return l && *l != old;
      },
      10s);
  REQUIRE(agreed);
  return c.now() - crash;
}

// Membership alone: a peer `a` heartbeating into a receiver's Membership
// by hand, 1 ms per delivery, dropping the heartbeats a test names.
struct Pair {
  explicit Pair(MembershipConfig config)
      : a(sched, PeerId("a"), 1, {"c"}, {}, config,
          {[this] {
             const Duration announced = a.announced_interval();
             const std::size_t k = sent.size();
             sent.push_back({sched.now(), announced});
             if (drop.count(k) != 0) return;
             sched.call_after(1ms, [this, announced] {
               receiver.on_heartbeat(PeerId("a"), 1, {"c"}, "", announced);
             });
           },
           {},
           {}}),
        receiver(sched, PeerId("b"), 1, {"c"}, {}, config,
                 {{}, [this](MembershipEvent e, const Member&) { events.push_back(e); }, {}}) {}

  VirtualScheduler sched;
  std::vector<std::pair<TimePoint, Duration>> sent;  // a's heartbeats: when, announcing what
  std::map<std::size_t, bool> drop;                  // indexes into `sent` to lose
  std::vector<MembershipEvent> events;               // the receiver's
  Membership a;
  Membership receiver;
};

MembershipConfig fast_membership(bool suspicion) {
  MembershipConfig m = fast().membership;
  m.suspicion = suspicion;
  return m;
}

}  // namespace

TEST_CASE("rate classes: the profiles' idle intervals, and receivers clamp what peers announce") {
  CHECK(find_profile("fabric")->membership.idle_heartbeat_interval == Duration::zero());
  CHECK_FALSE(find_profile("fabric")->membership.rate_classes());
  CHECK(find_profile("fast")->membership.idle_heartbeat_interval == 1s);
  CHECK(find_profile("lan")->membership.idle_heartbeat_interval == 5s);

  const MembershipConfig f = fast().membership;
  CHECK(f.interval_of(Duration::zero()) == 100ms);
  CHECK(f.interval_of(1ms) == 100ms);
  CHECK(f.interval_of(1s) == 1s);
  CHECK(f.interval_of(1h) == 1s);  // a forged or misconfigured interval: the idle bound
  CHECK(f.expiration_for(100ms) == f.alive_expiration);
  CHECK(f.expiration_for(1s) == 10 * f.alive_expiration);
  CHECK(f.expiration_for(500ms) == 5 * f.alive_expiration);
  // Without rate classes every announcement is the receiver's own interval.
  const MembershipConfig fab = find_profile("fabric")->membership;
  CHECK(fab.interval_of(1h) == fab.heartbeat_interval);
  CHECK(fab.expiration_for(fab.interval_of(60s)) == fab.alive_expiration);

  MembershipConfig bad = f;
  bad.idle_heartbeat_interval = -1s;
  CHECK_FALSE(bad.validate());
}

TEST_CASE("rate classes: a receiver expires a peer by the interval it announces, within bounds") {
  // One heartbeat each from three peers at t = 0: one announcing nothing
  // (dead after alive_expiration), one the idle interval (dead after as
  // many of them), one an hour (dead at the idle bound, not an hour later).
  const MembershipConfig f = fast_membership(false);
  VirtualScheduler sched;
  std::map<std::string, TimePoint> dead;
  Membership m(sched, PeerId("self"), 1, {"c"}, {}, fast_membership(false),
               {{},
                [&](MembershipEvent e, const Member& who) {
                  if (e == MembershipEvent::kDead) dead[who.id.bytes()] = sched.now();
                },
                {}});
  m.start();
  m.on_heartbeat(PeerId("fast"), 1, {"c"}, "", Duration::zero());
  m.on_heartbeat(PeerId("idle"), 1, {"c"}, "", 1s);
  m.on_heartbeat(PeerId("forged"), 1, {"c"}, "", 1h);
  CHECK(m.interval_of_peer(PeerId("idle")) == 1s);
  CHECK(m.interval_of_peer(PeerId("forged")) == 1s);
  sched.run_for(10s);
  CHECK(dead["fast"] == TimePoint{} + f.alive_expiration);
  CHECK(dead["idle"] == TimePoint{} + 10 * f.alive_expiration);
  CHECK(dead["forged"] == TimePoint{} + 10 * f.alive_expiration);
}

TEST_CASE("rate classes: an idle member is not declared dead between its idle heartbeats") {
  // 6 fast nodes, lossless, 20 s after they agree: n10 leads and n11 is its
  // likely successor, both at 10 heartbeats/s; n12-n15 heartbeat once a
  // second, announcing it. Nobody dies and nobody is even suspected.
  SimCluster c(options(fast(), 7));
  HeartbeatLog log;
  log.attach(c);
  spawn(c, 6);
  settle(c);
  REQUIRE(agreed_leader(c) == std::string("n10"));
  const std::uint64_t dead_before = deaths(c);
  std::uint64_t suspects_before = 0;
  for (std::size_t i = 0; i < c.size(); ++i) suspects_before += c.core(i).stats().suspects_sent;
  const TimePoint from = c.now();
  CHECK_FALSE(leader_set_changes(c, 20s));
  CHECK(deaths(c) == dead_before);
  std::uint64_t suspects = 0;
  for (std::size_t i = 0; i < c.size(); ++i) suspects += c.core(i).stats().suspects_sent;
  CHECK(suspects == suspects_before);
  for (std::size_t i = 0; i < c.size(); ++i) {
    CAPTURE(c.id(i).bytes());
    const std::size_t n = log.count(i, from, c.now());
    const bool matters = i <= 1;
    CHECK(c.core(i).membership().idle() == !matters);
    if (matters) {
      CHECK(n >= 199);
      CHECK(n <= 201);
    } else {
      CHECK(n >= 20);
      CHECK(n <= 21);
      CHECK(log.sent[i].back().second == 1000);
    }
  }
}

TEST_CASE("rate classes: a demotion with two of its three announcements lost kills nobody") {
  // `a` heartbeats every 100 ms from t = 0 and goes idle at 250 ms: it
  // announces the idle interval at once and at 300 and 400 ms
  // (ceil(alive_expiration / heartbeat_interval) = 3 in all), then every
  // second. The receiver heard the plain heartbeat of 200 ms last, so it
  // would expire `a` at 201 ms + alive_expiration (451 ms); one
  // announcement of the three, the last at 401 ms, is enough.
  // Without suspicion, so only the announcements can save `a`.
  const auto run = [](std::vector<std::size_t> lost) {
    Pair p(fast_membership(false));
    p.a.start();
    p.receiver.start();
    p.receiver.on_heartbeat(PeerId("a"), 1, {"c"}, "", Duration::zero());
    for (std::size_t k : lost) p.drop[3 + k] = true;  // heartbeats 0-2 are at 0, 100, 200 ms
    p.sched.run_for(250ms);
    p.a.set_idle(true);
    p.sched.run_for(10s);
    REQUIRE(p.sent.size() >= 6);
    CHECK(p.sent[3].first == TimePoint{} + 250ms);
    CHECK(p.sent[4].first == TimePoint{} + 300ms);
    CHECK(p.sent[5].first == TimePoint{} + 400ms);
    CHECK(p.sent[6].first == TimePoint{} + 1400ms);
    for (std::size_t k = 3; k < p.sent.size(); ++k) CHECK(p.sent[k].second == 1s);
    CHECK(p.a.stats().demotions == 1);
    return std::count(p.events.begin(), p.events.end(), MembershipEvent::kDead);
  };
  CHECK(run({0, 1}) == 0);
  CHECK(run({0, 2}) == 0);
  CHECK(run({1, 2}) == 0);
  // All three lost: dead at 501 ms (and back at 1.4 s), so the check bites.
  CHECK(run({0, 1, 2}) == 1);
}

TEST_CASE("rate classes: a promotion heartbeats at once and then at the fast rate") {
  Pair p(fast_membership(false));
  p.a.start();
  p.receiver.start();
  p.sched.run_for(50ms);
  p.a.set_idle(true);
  p.sched.run_for(2s);  // idle: heartbeats at 1.2 s and 2.2 s
  const std::size_t before = p.sent.size();
  p.a.set_idle(false);
  CHECK(p.sent.size() == before + 1);
  CHECK(p.sent.back().first == p.sched.now());
  CHECK(p.sent.back().second == Duration::zero());
  p.sched.run_for(1s);
  CHECK(p.sent.size() == before + 11);
  CHECK(p.a.stats().promotions == 1);
  // The receiver expires `a` by the fast interval again.
  CHECK(p.receiver.interval_of_peer(PeerId("a")) == 100ms);
}

TEST_CASE("rate classes: leader crash failover at N = 16 is within the bound, as with one rate") {
  // 16 fast nodes, 1 ms +- 1 ms delivery, 4 seeds each with rate classes and
  // with one rate: the leader crashes, the survivors agree on another within
  // alive_expiration + leader_election_duration + d, with rate classes as
  // without (the leader and its successor are fast in both).
  const Profile p = fast();
  Duration worst_rates{};
  Duration worst_one{};
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    for (bool rates : {true, false}) {
      CAPTURE(seed);
      CAPTURE(rates);
      SimCluster c(options(rates ? p : one_rate(p), seed));
      spawn(c, 16);
      settle(c);
      const auto old = agreed_leader(c);
      REQUIRE(old);
      std::size_t idle = 0;
      for (std::size_t i = 0; i < c.size(); ++i) idle += c.core(i).membership().idle() ? 1 : 0;
      CHECK(idle == (rates ? 14 : 0));
      c.run_for(std::chrono::milliseconds(c.rng().below(100)));  // anywhere between heartbeats
      const TimePoint crash = c.now();
      c.crash(*c.index_of(*old));
      const Duration d = failover(c, *old, crash);
      CHECK(d <= p.crash_failover_bound(2ms));
      (rates ? worst_rates : worst_one) = std::max(rates ? worst_rates : worst_one, d);
      CHECK(agreed_leader(c) == std::string("n11"));
    }
  }
  MESSAGE("worst failover, rate classes: "
          << std::chrono::duration_cast<std::chrono::milliseconds>(worst_rates).count()
          << " ms; one rate: "
          << std::chrono::duration_cast<std::chrono::milliseconds>(worst_one).count() << " ms");
  CHECK(worst_rates <= p.membership.alive_expiration + 10ms);
}

TEST_CASE("rate classes: the successor dies, then the leader: the next id takes over at once") {
  // 6 fast nodes. The likely successor n11 crashes; it was fast, so n12
  // learns it within alive_expiration, becomes the likely successor and
  // heartbeats fast (one at once). A second later the leader crashes: n12
  // declares as soon as it finds the leader dead, without an election.
  const Profile p = fast();
  SimCluster c(options(p, 3));
  HeartbeatLog log;
  log.attach(c);
  spawn(c, 6);
  settle(c);
  REQUIRE(agreed_leader(c) == std::string("n10"));
  const std::size_t n12 = *c.index_of("n12");
  REQUIRE(c.core(n12).membership().idle());
  const TimePoint successor_crash = c.now();
  c.crash(*c.index_of("n11"));
  c.run_for(500ms);
  CHECK_FALSE(c.core(n12).membership().idle());
  CHECK(c.core(n12).membership().stats().promotions == 1);
  c.run_for(500ms);
  // At the fast rate within alive_expiration and a heartbeat of the crash.
  CHECK(log.count(n12, successor_crash + 400ms, c.now()) >= 6);
  const TimePoint crash = c.now();
  c.crash(*c.index_of("n10"));
  const Duration d = failover(c, "n10", crash);
  CHECK(agreed_leader(c) == std::string("n12"));
  CHECK(d <= p.membership.alive_expiration + 10ms);
  // n13 is the likely successor now, n14 and n15 stay idle.
  c.run_for(1s);
  CHECK_FALSE(c.core(*c.index_of("n13")).membership().idle());
  CHECK(c.core(*c.index_of("n14")).membership().idle());
}

TEST_CASE("rate classes: an idle member frozen for less than its expiration is no pause") {
  // Pause detection compares a gap with the expiration peers apply to the
  // node: 3 s for an idle `fast` member, whose own timers fire only every
  // second. Frozen for 1 s: no pause, nobody declares it dead. Frozen for
  // 4 s: a pause, and its peers found it dead.
  SimCluster c(options(fast(), 5));
  spawn(c, 4);
  settle(c);
  const std::size_t n13 = *c.index_of("n13");
  REQUIRE(c.core(n13).membership().idle());
  const std::uint64_t dead_before = deaths(c);
  c.freeze(n13, 1s);
  c.run_for(2s);
  CHECK(c.core(n13).stats().pauses == 0);
  CHECK(deaths(c) == dead_before);
  c.freeze(n13, 4s);
  c.run_for(5s);
  CHECK(c.core(n13).stats().pauses == 1);
  CHECK(deaths(c) > dead_before);
}

TEST_CASE("rate classes: fabric heartbeats at one rate and announces none") {
  // Fabric's timings: every node heartbeats every 5 s from its start, with
  // interval 0 (the receiver's own), through startup and a failover.
  Profile p = *find_profile("fabric");
  SimCluster c(options(p, 2));
  HeartbeatLog log;
  log.attach(c);
  spawn(c, 4);
  c.run_for(40s);
  c.crash(0);
  c.run_for(60s);
  for (std::size_t i = 0; i < c.size(); ++i) {
    CAPTURE(i);
    const auto& sent = log.sent[i];
    REQUIRE(sent.size() >= 8);
    for (std::size_t k = 0; k < sent.size(); ++k) {
      CHECK(sent[k].second == 0);
      if (k > 0) CHECK(sent[k].first - sent[k - 1].first == p.membership.heartbeat_interval);
    }
    if (c.running(i)) {
      CHECK_FALSE(c.core(i).membership().idle());
      CHECK(c.core(i).membership().stats().demotions == 0);
    }
  }
}
