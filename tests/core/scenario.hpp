// Helpers that let a simulated-time test read like its scenario:
// spawn peers, partition, run for a while, wait for leaders.
#pragma once

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

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

class Scenario {
 public:
  explicit Scenario(ElectionConfig config = fabric_test_config(), std::uint64_t seed = 1)
      : cluster_(options(config, seed)) {}

  static sim::SimClusterOptions options(const ElectionConfig& config, std::uint64_t seed) {
    sim::SimClusterOptions o;
    o.election = config;
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
  // Waits up to kTestTimeout for `pred`; returns whether it held.
  bool eventually(const std::function<bool()>& pred) {
    return cluster_.run_until(pred, kTestTimeout);
  }

  std::vector<std::string> leaders_among(const std::vector<std::size_t>& among) {
    std::vector<std::string> out;
    for (std::size_t i : among) {
      if (cluster_.running(i) && cluster_.service(i).is_leader()) {
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
  LeaderElectionService& service(std::size_t i) { return cluster_.service(i); }
  const sim::NodeRecord& record(std::size_t i) const { return cluster_.record(i); }

 private:
  sim::SimCluster cluster_;
};

inline std::vector<std::size_t> concat(std::vector<std::size_t> a,
                                       const std::vector<std::size_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace lanlord::test
