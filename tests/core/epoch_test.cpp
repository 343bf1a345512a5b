// Fencing epochs, instant handoff and the paused leader, driven by hand on
// the simulator. The properties over many random seeds are in
// randomized_test.cpp and adversary_test.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lanlord/epoch.hpp"
#include "lanlord/node_core.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/sim/cluster.hpp"
#include "lanlord/sim/virtual_scheduler.hpp"

using namespace lanlord;
using namespace std::chrono_literals;

namespace {

sim::SimClusterOptions options(const std::string& profile, std::uint64_t seed = 1) {
  sim::SimClusterOptions o;
  o.profile = *find_profile(profile);
  o.seed = seed;
  o.faults.delay = 1ms;
  return o;
}

// Every running node names the same leader with the same epoch, and that
// node leads.
bool agreed(const sim::SimCluster& c) {
  std::optional<LeaderInfo> first;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (!c.running(i) || c.frozen(i)) continue;
    LeaderInfo info = c.core(i).leadership(c.channel());
    info.is_self = false;
    if (!info.leader) return false;
    if (!first) first = info;
    if (!(info == *first)) return false;
  }
  if (!first) return false;
  const auto l = c.index_of(first->leader->bytes());
  return l && c.running(*l) && c.core(*l).is_leader(c.channel());
}

LeaderInfo agreed_leadership(const sim::SimCluster& c) {
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (c.running(i) && !c.frozen(i)) return c.core(i).leadership(c.channel());
  }
  return {};
}

struct Cluster {
  sim::SimCluster c;
  // Every leadership message sent, with its sender's index and the time.
  struct Sent {
    std::size_t node;
    TimePoint at;
    Leadership msg;
  };
  std::vector<Sent> sent;
  struct Event {
    std::size_t node;
    TimePoint at;
    NodeEvent event;
  };
  std::vector<Event> events;

  explicit Cluster(const std::string& profile, std::size_t n, std::uint64_t seed = 1)
      : c(options(profile, seed)) {
    sim::SimObservers obs;
    obs.sent = [this](std::size_t i, const Message& m, const sim::Bytes*) {
      if (const auto* ld = std::get_if<Leadership>(&m.body)) sent.push_back({i, c.now(), *ld});
    };
    obs.event = [this](std::size_t i, const NodeEvent& e) { events.push_back({i, c.now(), e}); };
    c.set_observers(std::move(obs));
    for (std::size_t i = 0; i < n; ++i) c.spawn("p" + std::to_string(i));
    REQUIRE(c.run_until([this] { return agreed(c); }, 60s));
  }

  std::size_t leader() const { return *c.index_of(agreed_leadership(c).leader->bytes()); }
  std::size_t proposals_since(TimePoint t) const {
    return static_cast<std::size_t>(std::count_if(sent.begin(), sent.end(), [t](const Sent& s) {
      return s.at >= t && !s.msg.declaration && !s.msg.is_handoff();
    }));
  }
};

}  // namespace

TEST_CASE("epochs: every node shows the leader's epoch and a crash gives a higher one") {
  Cluster k("fast", 5);
  const LeaderInfo before = agreed_leadership(k.c);
  CHECK(before.epoch != 0);
  CHECK(epoch_tag(before.epoch) == epoch_tag_of(*before.leader));
  k.c.crash(k.leader());
  REQUIRE(k.c.run_until(
      [&] { return agreed(k.c) && agreed_leadership(k.c).leader != before.leader; }, 10s));
  const LeaderInfo after = agreed_leadership(k.c);
  CHECK(after.epoch > before.epoch);
  CHECK(epoch_tag(after.epoch) == epoch_tag_of(*after.leader));
}

TEST_CASE("instant handoff: a graceful stop hands over in one delivery, without an election") {
  Cluster k("fast", 8);
  k.c.run_for(2s);
  const LeaderInfo before = agreed_leadership(k.c);
  const std::size_t old = k.leader();
  const TimePoint t0 = k.c.now();
  k.c.leave(old);
  REQUIRE(k.c.run_until([&] { return agreed(k.c); }, 5s));
  const Duration took = k.c.now() - t0;
  const LeaderInfo after = agreed_leadership(k.c);
  // The successor is the lowest id left, with the next epoch, and it
  // declared on receipt: one delivery for the handoff, one for the
  // declaration (1 ms each here), where an election takes 100 ms.
  CHECK(after.leader->bytes() == (old == 0 ? "p1" : "p0"));
  CHECK(after.epoch > before.epoch);
  CHECK(took <= 3ms);
  CHECK(k.proposals_since(t0) == 0);
  const auto handoff = std::find_if(k.sent.begin(), k.sent.end(), [&](const Cluster::Sent& s) {
    return s.at >= t0 && s.msg.is_handoff();
  });
  REQUIRE(handoff != k.sent.end());
  CHECK(handoff->node == old);
  CHECK(handoff->msg.epoch == before.epoch);
  CHECK(handoff->msg.successor == *after.leader);
}

TEST_CASE("instant handoff: yield hands over in one delivery and the yielder follows") {
  Cluster k("lan", 5);
  k.c.run_for(3s);
  const LeaderInfo before = agreed_leadership(k.c);
  const std::size_t old = k.leader();
  const TimePoint t0 = k.c.now();
  k.c.yield(old);
  REQUIRE(k.c.run_until(
      [&] { return agreed(k.c) && agreed_leadership(k.c).leader != before.leader; }, 20s));
  CHECK(k.c.now() - t0 <= 3ms);
  CHECK(agreed_leadership(k.c).epoch > before.epoch);
  CHECK(k.proposals_since(t0) == 0);
  CHECK(k.c.core(old).leadership(k.c.channel()).leader == agreed_leadership(k.c).leader);
  // It stays that way: the yielder does not take it back.
  k.c.run_for(20s);
  CHECK(agreed(k.c));
  CHECK(agreed_leadership(k.c).leader != before.leader);
}

TEST_CASE(
    "instant handoff: the fabric profile keeps Fabric's behaviour (no handoff, an election)") {
  Cluster k("fabric", 4);
  const std::size_t old = k.leader();
  const TimePoint t0 = k.c.now();
  k.c.leave(old);
  REQUIRE(k.c.run_until([&] { return agreed(k.c); }, 120s));
  CHECK(std::none_of(k.sent.begin(), k.sent.end(),
                     [](const Cluster::Sent& s) { return s.msg.is_handoff(); }));
  CHECK(k.c.now() - t0 >= find_profile("fabric")->election.leader_election_duration);
}

TEST_CASE("a frozen leader gives up leadership before anything else when it thaws") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    Cluster k("fast", 5, seed);
    k.c.run_for(std::chrono::milliseconds(500 + 37 * seed));
    const LeaderInfo before = agreed_leadership(k.c);
    const std::size_t old = k.leader();
    const Duration freeze = 1s + std::chrono::milliseconds(13 * seed);
    k.c.freeze(old, freeze);
    // The others notice it dead and elect another, with a higher epoch.
    REQUIRE(
        k.c.run_until([&] { return agreed(k.c) && agreed_leadership(k.c).leader != before.leader; },
                      freeze - 10ms));
    const LeaderInfo during = agreed_leadership(k.c);
    CHECK(during.leader != before.leader);
    CHECK(during.epoch > before.epoch);
    const std::size_t first_event = k.events.size();
    const std::size_t first_sent = k.sent.size();
    REQUIRE(k.c.run_until([&] { return !k.c.frozen(old); }, freeze));
    k.c.run_for(1ms);
    // Its first events after the thaw: it stopped leading, then said why.
    std::vector<const Cluster::Event*> mine;
    for (std::size_t e = first_event; e < k.events.size(); ++e) {
      if (k.events[e].node == old) mine.push_back(&k.events[e]);
    }
    REQUIRE(!mine.empty());
    const auto* lost = std::get_if<LeadershipChanged>(&mine.front()->event);
    REQUIRE(lost != nullptr);
    CHECK_FALSE(lost->is_leader);
    CHECK(lost->epoch == before.epoch);
    CHECK(std::any_of(mine.begin(), mine.end(), [](const Cluster::Event* e) {
      const auto* w = std::get_if<Warning>(&e->event);
      return w && w->kind == WarningKind::kPaused;
    }));
    // It never declared its old leadership again.
    for (std::size_t s = first_sent; s < k.sent.size(); ++s) {
      CHECK_FALSE((k.sent[s].node == old && k.sent[s].msg.declaration));
    }
    CHECK(k.c.core(old).stats().pauses == 1);
    // And it follows the new leader.
    REQUIRE(k.c.run_until([&] { return agreed(k.c); }, 5s));
    CHECK(agreed_leadership(k.c).epoch >= during.epoch);
    CHECK_FALSE(k.c.core(old).is_leader(k.c.channel()));
  }
}

TEST_CASE("a pause shorter than alive_expiration changes nothing") {
  Cluster k("fast", 4);
  k.c.run_for(1s);
  const LeaderInfo before = agreed_leadership(k.c);
  const std::size_t old = k.leader();
  k.c.freeze(old, 150ms);  // fast: alive_expiration 250 ms
  k.c.run_for(2s);
  CHECK(agreed(k.c));
  CHECK(agreed_leadership(k.c) == before);
  CHECK(k.c.core(old).stats().pauses == 0);
}

TEST_CASE("after a partition heals the surviving leader starts a new term above both sides") {
  Cluster k("fast", 6);
  k.c.partition({{0, 1, 2}, {3, 4, 5}});
  REQUIRE(k.c.run_until(
      [&] {
        return k.c.core(4).leadership(k.c.channel()).leader == PeerId("p3") &&
               k.c.core(3).is_leader(k.c.channel());
      },
      10s));
  k.c.run_for(2s);
  const std::uint64_t left = k.c.core(1).leadership(k.c.channel()).epoch;
  const std::uint64_t right = k.c.core(4).leadership(k.c.channel()).epoch;
  REQUIRE(left != 0);
  REQUIRE(right != 0);
  CHECK(left != right);
  k.c.heal();
  REQUIRE(k.c.run_until(
      [&] { return agreed(k.c) && agreed_leadership(k.c).epoch > std::max(left, right); }, 10s));
  CHECK(agreed_leadership(k.c).leader == PeerId("p0"));
}

TEST_CASE("an implausible epoch is dropped before it reaches the election") {
  sim::VirtualScheduler sched;
  NodeCoreConfig cfg;
  cfg.id = PeerId("me");
  cfg.profile = *find_profile("fast");
  NodeCore core(sched, cfg);
  core.start();
  (void)core.ready();
  const auto wall = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(sched.wall_now().time_since_epoch())
          .count());
  Message m;
  m.cluster = cfg.cluster;
  m.sender = PeerId("other");
  m.time = {wall - 1'000'000'000, 1};
  m.sent_at = wall;
  m.instance = m.time.incarnation;
  // One hour ahead of this clock: no honest leader can hold that term.
  m.body = Leadership{"default", true, make_epoch(clock_term(sched.wall_now() + 1h), 7), {}};
  CHECK_FALSE(core.step(m, "x"));
  CHECK(core.stats().dropped(DropReason::kImplausible) == 1);
  // Within the skew window it is plausible (admitted, then ignored: the
  // sender is not a member yet).
  m.time.seq = 2;
  m.body = Leadership{"default", true, make_epoch(clock_term(sched.wall_now() + 10s), 7), {}};
  CHECK(core.step(m, "x"));
}

TEST_CASE("a newcomer never leads beside the leader, whatever the phase of its declarations") {
  for (int offset_ms = 0; offset_ms < 500; offset_ms += 25) {
    CAPTURE(offset_ms);
    Cluster k("fast", 3);
    k.c.run_for(std::chrono::milliseconds(offset_ms));
    const LeaderInfo before = agreed_leadership(k.c);
    const std::size_t newcomer = k.c.spawn("p9");
    k.c.run_for(3s);
    CHECK_FALSE(k.c.record(newcomer).callback_invoked);  // never became leader
    CHECK(agreed(k.c));
    CHECK(agreed_leadership(k.c) == before);  // no new term either
  }
}
