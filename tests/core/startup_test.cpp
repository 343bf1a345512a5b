// Fast startup (lan, fast): the lowest id of a view that has heard no
// leader declares once startup_discovery() has passed, members answer a
// newcomer's first heartbeat at once, and a leader declares at once when a
// member joins. In simulated time: how soon a staggered start agrees, that
// it never shows two leaders, and that fabric keeps Fabric's startup.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "lanlord/node_core.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/sim/cluster.hpp"

using namespace lanlord;
using namespace std::chrono_literals;

namespace {

sim::SimClusterOptions options(const Profile& profile, std::uint64_t seed, Duration jitter) {
  sim::SimClusterOptions o;
  o.profile = profile;
  o.seed = seed;
  o.faults.delay = 1ms;
  o.faults.jitter = jitter;
  return o;
}

std::string name(std::size_t i) {
  return (i < 10 ? "n0" : "n") + std::to_string(i);
}

// Every node names the same leader, and it leads.
std::optional<std::string> agreed(const sim::SimCluster& c) {
  std::optional<PeerId> leader;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (!c.running(i)) continue;
    const std::optional<PeerId> l = c.core(i).leader(c.channel());
    if (!l || (leader && *l != *leader)) return std::nullopt;
    leader = l;
  }
  if (!leader) return std::nullopt;
  bool leads = false;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (c.running(i) && c.id(i) == *leader) leads = c.core(i).is_leader(c.channel());
  }
  if (!leads) return std::nullopt;
  return leader->bytes();
}

struct Run {
  Duration last_start{};
  std::optional<Duration> agreed_at;  // since the first start
  std::optional<std::string> leader;
  std::set<std::size_t> ever_led;
};

// n nodes, started in id order `gap` apart (plus up to `gap` at random),
// then run until they agree or `limit` passes, and on for 3 s to see that
// no other node ever leads.
Run staggered(const Profile& profile, std::size_t n, Duration gap, std::uint64_t seed,
              Duration jitter = 0ms) {
  sim::SimCluster c(options(profile, seed, jitter));
  Run run;
  sim::SimObservers watch;
  watch.event = [&run](std::size_t node, const NodeEvent& e) {
    if (const auto* l = std::get_if<LeadershipChanged>(&e); l && l->is_leader) {
      run.ever_led.insert(node);
    }
  };
  c.set_observers(watch);
  const TimePoint t0 = c.now();
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0)
      c.run_for(gap + Duration(c.rng().below(static_cast<std::uint64_t>(gap.count()) + 1)));
    c.spawn(name(i));
  }
  run.last_start = c.now() - t0;
  if (c.run_until([&] { return agreed(c).has_value(); }, 60s)) {
    run.agreed_at = c.now() - t0;
    run.leader = agreed(c);
  }
  c.run_for(3s);
  if (agreed(c) != run.leader) run.leader.reset();
  return run;
}

}  // namespace

TEST_CASE(
    "fast startup: a staggered start agrees on the first node a round trip after the last start") {
  const Profile fast = *find_profile("fast");
  const Duration discovery = fast.election.startup_discovery();
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    const Run run = staggered(fast, 16, 5ms, seed, seed % 2 == 0 ? 2ms : 0ms);
    REQUIRE(run.agreed_at.has_value());
    CHECK(run.leader == std::optional<std::string>("n00"));
    // The first node declares at startup_discovery(); every later one hears
    // it, or the declaration that answers its first heartbeat, within a
    // quarter election and a few deliveries of its start.
    CHECK(*run.agreed_at <=
          std::max(discovery, run.last_start) + fast.election.leader_election_duration / 4 + 10ms);
    CHECK(run.ever_led == std::set<std::size_t>{0});
  }
}

TEST_CASE(
    "fast startup: the lowest id declares without an election, others follow its declaration") {
  // All start together: only the lowest id leads, at startup_discovery()
  // plus one delivery, and no one proposes.
  const Profile fast = *find_profile("fast");
  sim::SimCluster c(options(fast, 1, 0ms));
  std::uint64_t proposals = 0;
  sim::SimObservers watch;
  watch.sent = [&proposals](std::size_t, const Message& m, const auto*) {
    if (const auto* l = std::get_if<Leadership>(&m.body);
        l && !l->declaration && l->successor.empty()) {
      ++proposals;
    }
  };
  c.set_observers(watch);
  for (std::size_t i = 0; i < 8; ++i) c.spawn(name(i));
  const TimePoint t0 = c.now();
  REQUIRE(c.run_until([&] { return agreed(c).has_value(); }, 10s));
  CHECK(agreed(c) == std::optional<std::string>("n00"));
  CHECK(c.now() - t0 <= fast.election.startup_discovery() + 2ms);
  c.run_for(2s);
  CHECK(proposals == 0);
}

TEST_CASE(
    "fast startup: a newcomer learns the leader within a round trip, not a declaration interval") {
  const Profile fast = *find_profile("fast");
  sim::SimCluster c(options(fast, 3, 0ms));
  for (std::size_t i = 0; i < 4; ++i) c.spawn(name(i + 1));
  REQUIRE(c.run_until([&] { return agreed(c).has_value(); }, 10s));
  // Join at several phases of the leader's declaration rhythm; a higher id
  // and the lowest id alike follow the leader, n01, within a quarter
  // election of starting (the welcome declaration), long before the next
  // periodic declaration, and never lead.
  std::string zeros;
  for (const Duration phase : {0ms, 37ms, 120ms, 333ms}) {
    CAPTURE(phase.count());
    c.run_for(phase);
    zeros += "0";  // n00, n000, ...: below n01 (ids stay unique in a SimCluster)
    const std::size_t late = c.spawn("n9" + zeros);
    const std::size_t lowest = c.spawn("n0" + zeros);
    const TimePoint started = c.now();
    REQUIRE(c.run_until([&] { return agreed(c).has_value(); }, 10s));
    CHECK(c.now() - started <= fast.election.leader_election_duration / 4 + 3ms);
    CHECK(agreed(c) == std::optional<std::string>("n01"));
    c.run_for(1s);
    CHECK(agreed(c) == std::optional<std::string>("n01"));
    c.leave(late);
    c.leave(lowest);
    c.run_for(1s);
  }
}

TEST_CASE("fast startup is off in fabric: startup still waits for two equal samples and elects") {
  const Profile fabric = *find_profile("fabric");
  CHECK_FALSE(fabric.election.fast_startup);
  CHECK(find_profile("fast")->election.fast_startup);
  CHECK(find_profile("lan")->election.fast_startup);
  sim::SimCluster c(options(fabric, 1, 0ms));
  for (std::size_t i = 0; i < 3; ++i) c.spawn(name(i));
  const TimePoint t0 = c.now();
  REQUIRE(c.run_until([&] { return agreed(c).has_value(); }, 60s));
  // Two samples and an election at the least.
  CHECK(c.now() - t0 >=
        fabric.election.membership_sample_interval + fabric.election.leader_election_duration);
}
