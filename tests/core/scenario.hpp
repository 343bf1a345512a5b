// Helpers that let a simulated-time test read like its scenario:
// spawn peers, partition, run for a while, wait for leaders.
#pragma once

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "lanlord/profile.hpp"
#include "lanlord/sim/cluster.hpp"

namespace lanlord::test {

using namespace std::chrono_literals;

// Fabric's election_test.go timings.
inline ElectionConfig fabric_test_config() {
  ElectionConfig c;
  c.startup_grace_period = 500ms;
  c.membership_sample_interval = 100ms;
  c.leader_alive_threshold = 500ms;
  c.leader_election_duration = 500ms;
  return c;
}
inline constexpr Duration kTestTimeout = 5s;  // Fabric's testTimeout
inline constexpr Duration kDeclarationInterval = 250ms;

// Fabric's tests mock Peers() with an instant view of who is reachable. The
// nodes here are production NodeCores with heartbeat membership, so the
// closest match is a membership much faster than the election: a heartbeat
// every 10 ms, dead after 30 ms. Like Fabric, no fast failover.
inline Profile fabric_test_profile(const ElectionConfig& election = fabric_test_config()) {
  Profile p = *find_profile("fabric");
  p.name = "fabric-test";
  p.election = election;
  p.membership.heartbeat_interval = 10ms;
  p.membership.alive_expiration = 30ms;
  p.membership.forget_after = 10s;
  p.fast_failover = false;
  return p;
}

class Scenario {
 public:
  explicit Scenario(ElectionConfig config = fabric_test_config(), std::uint64_t seed = 1)
      : cluster_(options(fabric_test_profile(config), seed)) {}
  explicit Scenario(sim::SimClusterOptions options) : cluster_(std::move(options)) {}

  static sim::SimClusterOptions options(const Profile& profile, std::uint64_t seed) {
    sim::SimClusterOptions o;
    o.profile = profile;
    o.seed = seed;
    return o;
  }

  // Fabric's createPeers(0, ids...): peers "p<id>" started together.
  std::vector<std::size_t> spawn(std::initializer_list<int> ids) {
    std::vector<std::size_t> out;
    for (int id : ids) out.push_back(cluster_.spawn("p" + std::to_string(id)));
    return out;
  }
  // Fabric's createPeers(interval, ids...): one peer every `interval`.
  std::vector<std::size_t> spawn_at_intervals(Duration interval, std::initializer_list<int> ids) {
    std::vector<std::size_t> out;
    for (int id : ids) {
      out.push_back(cluster_.spawn("p" + std::to_string(id)));
      run_for(interval);
    }
    return out;
  }

  void run_for(Duration d) { cluster_.run_for(d); }

  // Fabric's waitForMultipleLeadersElection: waits up to kTestTimeout of
  // virtual time until at least `n` of `among` lead; returns their ids
  // (empty if the wait timed out).
  std::vector<std::string> wait_for_leaders(std::size_t n, const std::vector<std::size_t>& among) {
    std::vector<std::string> found;
    cluster_.run_until([&] { return (found = leaders_among(among)).size() >= n; }, kTestTimeout);
    return found.size() >= n ? found : std::vector<std::string>{};
  }
  std::vector<std::string> wait_for_leader(const std::vector<std::size_t>& among) {
    return wait_for_leaders(1, among);
  }
  // Whether the leaders among `among` stay exactly as they are for `d`
  // (default: two leader_alive_thresholds), checked after every event. A
  // check after wait_for_leader() alone passes at the first moment anyone
  // leads; this one fails if that leadership does not last.
  bool leaders_stay(const std::vector<std::size_t>& among, Duration d = Duration::zero()) {
    if (d == Duration::zero()) d = 2 * cluster_.profile().election.leader_alive_threshold;
    const auto before = leaders_among(among);
    return !cluster_.run_until([&] { return leaders_among(among) != before; }, d);
  }
  // Waits up to kTestTimeout for `pred`; returns whether it held.
  bool eventually(const std::function<bool()>& pred) {
    return cluster_.run_until(pred, kTestTimeout);
  }

  std::vector<std::string> leaders_among(const std::vector<std::size_t>& among) {
    std::vector<std::string> out;
    for (std::size_t i : among) {
      if (is_leader(i)) {
        out.push_back(cluster_.id(i).bytes());
      }
    }
    return out;
  }

  std::uint64_t total_gossiped() const {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < cluster_.size(); ++i) n += cluster_.record(i).gossiped;
    return n;
  }

  sim::SimCluster& cluster() { return cluster_; }
  bool is_leader(std::size_t i) const {
    return cluster_.running(i) && cluster_.core(i).is_leader(cluster_.channel());
  }
  void yield(std::size_t i) { cluster_.yield(i); }
  // The node's metrics gauge (Fabric's ReportMetrics) for the channel.
  bool reports_leading(std::size_t i) const {
    for (const auto& c : cluster_.core(i).stats().channels) {
      if (c.channel == cluster_.channel()) return c.is_leader;
    }
    return false;
  }
  const sim::NodeRecord& record(std::size_t i) const { return cluster_.record(i); }

 private:
  sim::SimCluster cluster_;
};

// One line per node: up or down, partition group, the leader it names,
// whether it leads, its election phase and alive view size; for failure
// messages.
inline std::string describe_cluster(sim::SimCluster& c) {
  std::ostringstream out;
  out << "cluster at t="
      << std::chrono::duration_cast<std::chrono::milliseconds>(c.now().time_since_epoch()).count()
      << "ms:\n";
  for (std::size_t i = 0; i < c.size(); ++i) {
    out << "  " << c.id(i).bytes();
    if (!c.running(i)) {
      out << " down\n";
      continue;
    }
    const NodeCore& core = c.core(i);
    const auto* e = core.election(c.channel());
    const auto l = core.leader(c.channel());
    out << " group=" << c.network().group_of(i) << " leader=" << (l ? l->bytes() : "-")
        << (core.is_leader(c.channel()) ? " LEADING" : "")
        << " phase=" << (e ? static_cast<int>(e->phase()) : -1)
        << (e && e->is_yielding() ? " yielding" : "")
        << " alive=" << core.membership().alive_count() << "\n";
  }
  return out.str();
}

// The id of the one running leader that every running node names; empty
// when there is no such leader.
inline std::optional<std::string> agreed_leader(const sim::SimCluster& c) {
  const auto leaders = c.leader_ids();
  if (leaders.size() != 1) return std::nullopt;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (!c.running(i)) continue;
    const auto l = c.core(i).leader(c.channel());
    if (!l || l->bytes() != leaders[0]) return std::nullopt;
  }
  return leaders[0];
}

// Runs `d` and returns the first moment the leader set differed from what
// it was at the start, or empty if it held throughout (checked after
// every event, so a leader that steps down and comes back is caught).
inline std::optional<TimePoint> leader_set_changes(sim::SimCluster& c, Duration d) {
  const auto before = c.leaders();
  if (c.run_until([&] { return c.leaders() != before; }, d)) return c.now();
  return std::nullopt;
}

inline std::vector<std::size_t> concat(std::vector<std::size_t> a,
                                       const std::vector<std::size_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace lanlord::test
