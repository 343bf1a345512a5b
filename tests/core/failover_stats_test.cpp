// The stats behind the metrics, in simulated time: the failover-time
// histogram as each node sees it (from losing its leader to knowing the
// next), and the count of elections each node took part in.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "lanlord/node_core.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/sim/cluster.hpp"
#include "scenario.hpp"

using namespace std::chrono_literals;
using lanlord::ChannelStats;
using lanlord::Duration;
using lanlord::FailoverHistogram;
using lanlord::LeaderChanged;
using lanlord::NodeEvent;
using lanlord::PeerId;
using lanlord::Profile;
using lanlord::TimePoint;
using lanlord::sim::SimCluster;
using lanlord::sim::SimClusterOptions;
using lanlord::test::agreed_leader;

namespace {

// What each node's LeaderChanged events say about its failovers, kept
// apart from the core's own bookkeeping: when it lost its leader, and how
// long each gap until the next leader lasted.
struct FailoverTrace {
  std::vector<std::optional<TimePoint>> lost;
  std::vector<std::vector<Duration>> gaps;
  std::vector<std::optional<PeerId>> known;
};

void trace_failovers(SimCluster& c, FailoverTrace& t, std::size_t nodes) {
  t.lost.assign(nodes, std::nullopt);
  t.gaps.assign(nodes, {});
  t.known.assign(nodes, std::nullopt);
  lanlord::sim::SimObservers o;
  o.event = [&c, &t](std::size_t i, const NodeEvent& e) {
    const auto* changed = std::get_if<LeaderChanged>(&e);
    if (changed == nullptr) return;
    const std::optional<PeerId>& now_known = changed->leader;
    if (!now_known && t.known[i]) t.lost[i] = c.now();
    if (now_known && t.lost[i]) {
      t.gaps[i].push_back(c.now() - *t.lost[i]);
      t.lost[i].reset();
    } else if (now_known && t.known[i] && *t.known[i] != *now_known) {
      t.gaps[i].push_back(Duration::zero());  // from one leader to another at once
    }
    t.known[i] = now_known;
  };
  c.set_observers(std::move(o));
}

SimClusterOptions options(const Profile& p) {
  SimClusterOptions o;
  o.profile = p;
  return o;
}

const ChannelStats& channel_stats(const lanlord::NodeStats& s) {
  REQUIRE(s.channels.size() == 1);
  return s.channels.front();
}

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

// The one bucket a failover of `d` belongs in (Prometheus's le: at most the bound).
std::size_t bucket_of(Duration d) {
  std::size_t i = 0;
  while (i < FailoverHistogram::kBounds.size() && seconds(d) > FailoverHistogram::kBounds[i]) ++i;
  return i;
}

// `h` holds exactly the failovers `gaps`: count, sum, and each in its bucket.
void check_histogram(const FailoverHistogram& h, const std::vector<Duration>& gaps) {
  CHECK(h.count == gaps.size());
  double sum = 0;
  std::array<std::uint64_t, FailoverHistogram::kBounds.size() + 1> counts{};
  for (const Duration d : gaps) {
    sum += seconds(d);
    ++counts[bucket_of(d)];
  }
  CHECK(std::abs(h.sum_seconds - sum) < 1e-9);
  CHECK(h.counts == counts);
}

void spawn(SimCluster& c, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) c.spawn("p" + std::to_string(i));
}

void settle(SimCluster& c, Duration limit) {
  REQUIRE_MESSAGE(c.run_until([&] { return agreed_leader(c).has_value(); }, limit),
                  "no agreed leader within the limit");
}

}  // namespace

TEST_CASE("failover stats: the histogram buckets by upper bound, as Prometheus's le") {
  FailoverHistogram h;
  h.observe(50ms);    // exactly a bound: in that bucket
  h.observe(51ms);    // just above: the next
  h.observe(0ms);     // the first
  h.observe(61s);     // beyond the last bound: +Inf
  h.observe(1500ms);  // (1, 2.5]
  CHECK(h.count == 5);
  CHECK(std::abs(h.sum_seconds - (0.05 + 0.051 + 61 + 1.5)) < 1e-9);
  CHECK(h.counts[2] == 1);  // le 0.05
  CHECK(h.counts[3] == 1);  // le 0.1
  CHECK(h.counts[0] == 1);  // le 0.01
  CHECK(h.counts.back() == 1);
  CHECK(h.counts[7] == 1);  // le 2.5
  CHECK(FailoverHistogram::kBounds[2] == 0.05);
  CHECK(FailoverHistogram::kBounds[7] == 2.5);
}

TEST_CASE("failover stats: a leader crash is one failover on each survivor, within the bound") {
  // Three nodes agree; the leader crashes. Each survivor records exactly
  // one failover, from the moment it lost the leader to the moment it knew
  // the next, in its bucket, within the profile's crash bound; startup and
  // the quiet time after record none.
  for (const std::string name : {"fast", "lan", "fabric"}) {
    CAPTURE(name);
    const Profile p = *lanlord::find_profile(name);
    SimCluster c(options(p));
    FailoverTrace t;
    trace_failovers(c, t, 3);
    spawn(c, 3);
    settle(c, 120s);
    c.run_for(p.election.leader_alive_threshold);
    for (std::size_t i = 0; i < 3; ++i)
      CHECK(channel_stats(c.core(i).stats()).failovers.count == 0);

    const std::size_t old = *c.index_of(*agreed_leader(c));
    c.crash(old);
    settle(c, 120s);
    c.run_for(4 * p.election.leader_alive_threshold);  // nothing more happens
    const Duration bound = p.crash_failover_bound(1ms);
    for (std::size_t i = 0; i < 3; ++i) {
      if (i == old) continue;
      CAPTURE(i);
      REQUIRE(t.gaps[i].size() == 1);
      CHECK(t.gaps[i][0] <= bound);
      check_histogram(channel_stats(c.core(i).stats()).failovers, t.gaps[i]);
    }
    if (name == "fabric") {
      // Fabric elects after the leader's silence: the gap is about one
      // election (seconds, not the fast profiles' milliseconds).
      for (std::size_t i = 0; i < 3; ++i) {
        if (i != old) CHECK(t.gaps[i][0] >= 1s);
      }
    }
  }
}

TEST_CASE("failover stats: a yield is a failover on every node, the successor's of 0s") {
  // Instant handoff: the successor takes over at once (a change of hands
  // without a gap: 0s); the yielder and the third node know no leader
  // until the successor's declaration arrives.
  const Profile p = *lanlord::find_profile("fast");
  SimCluster c(options(p));
  FailoverTrace t;
  trace_failovers(c, t, 3);
  spawn(c, 3);
  settle(c, 10s);
  c.yield(0);
  c.run_until([&] { return agreed_leader(c) == std::optional<std::string>("p1"); }, 10s);
  c.run_for(2s);
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    REQUIRE(t.gaps[i].size() == 1);
    CHECK(t.gaps[i][0] <= p.election.leader_election_duration);
    check_histogram(channel_stats(c.core(i).stats()).failovers, t.gaps[i]);
    if (i == 1) CHECK(t.gaps[i][0] == Duration::zero());
  }
}

TEST_CASE("failover stats: elections count rounds taken part in, none while the leader lives") {
  // Fabric: every node finds no leader at startup and runs one election;
  // while the leader lives nobody runs another (however long it stays
  // quiet); when it crashes, every survivor runs at least one more.
  const Profile p = *lanlord::find_profile("fabric");
  SimCluster c(options(p));
  spawn(c, 3);
  settle(c, 120s);
  std::vector<std::uint64_t> before;
  for (std::size_t i = 0; i < 3; ++i) {
    before.push_back(channel_stats(c.core(i).stats()).elections);
    CHECK(before.back() >= 1);
  }
  c.run_for(10 * p.election.leader_alive_threshold);
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(channel_stats(c.core(i).stats()).elections == before[i]);
  const std::size_t old = *c.index_of(*agreed_leader(c));
  c.crash(old);
  settle(c, 120s);
  for (std::size_t i = 0; i < 3; ++i) {
    if (i != old) CHECK(channel_stats(c.core(i).stats()).elections > before[i]);
  }

  // Fast: the lowest id takes the leadership at startup without a round
  // (one election), the others follow its declaration (none); on its
  // crash the successor takes over at once (one).
  const Profile f = *lanlord::find_profile("fast");
  SimCluster d(options(f));
  spawn(d, 3);
  settle(d, 10s);
  d.run_for(10 * f.election.leader_alive_threshold);
  CHECK(channel_stats(d.core(0).stats()).elections == 1);
  CHECK(channel_stats(d.core(1).stats()).elections == 0);
  CHECK(channel_stats(d.core(2).stats()).elections == 0);
  d.crash(0);
  settle(d, 10s);
  CHECK(channel_stats(d.core(1).stats()).elections == 1);
  CHECK(channel_stats(d.core(2).stats()).elections <= 1);
}
