// ClusterDriver over the deterministic simulator: a SimCluster in
// heartbeat-membership mode, so crashes are noticed through missing
// heartbeats exactly as on a real network, in virtual time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "drivers/driver.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/sim/cluster.hpp"

namespace lanlord::bench {

struct SimParams {
  Profile profile;
  sim::LinkFaults faults;  // loss, delay, jitter of every link
  std::uint64_t seed = 1;
  // Agreement is checked after every event while waiting for it, and every
  // poll_step while time merely passes (run_for), which bounds the
  // resolution of churn's "time without an agreed leader".
  Duration poll_step = std::chrono::milliseconds(1);
  // Consecutive add_node() calls are this far apart at most (uniform).
  // Nodes started at one instant tick in lockstep: the last one's first
  // membership sample then comes before anyone's second heartbeat reaches
  // it (the simulator, unlike a socket, does not deliver a datagram sent
  // before the endpoint existed), so its view "did not change" and it
  // elects itself alone. Starts spread over a few link delays, as a loop
  // of real starts is, avoid that artefact.
  Duration max_start_gap = std::chrono::microseconds(200);
};

class SimDriver final : public ClusterDriver {
 public:
  explicit SimDriver(SimParams params);

  std::size_t add_node(int side) override;
  void crash(std::size_t i) override;
  void leave(std::size_t i) override;
  void rejoin(std::size_t i) override;
  bool yield(std::size_t i) override;
  bool can_yield() const override { return true; }
  void heal() override;
  bool can_freeze() const override { return true; }
  void freeze(std::size_t i, Duration d) override;
  Duration thaw(std::size_t i) override;
  std::optional<Duration> wait_stepped_down(std::size_t i, Duration limit) override;
  std::uint64_t stale_claims(std::size_t i) override;

  std::size_t size() const override { return sides_.size(); }
  bool live(std::size_t i) const override { return cluster_.running(i); }

  Duration now() const override { return cluster_.now() - TimePoint{}; }
  void run_for(Duration d) override;
  std::optional<Duration> wait_agreed(Duration limit) override;
  Transition state() override { return check(); }
  std::vector<Transition> timeline() const override { return timeline_; }

  Usage usage() override;
  std::string error() const override { return {}; }

  // Events the virtual scheduler has run, for the sim speed figure.
  std::uint64_t events_run() { return cluster_.scheduler().events_run(); }

 private:
  // Evaluates agreement now and records a transition when it changed.
  Transition check();
  void apply_partition();
  void count_live_change();

  SimParams params_;
  sim::SimCluster cluster_;
  sim::Rng rng_;  // start gaps; apart from the cluster's own
  std::vector<int> sides_;
  bool healed_ = true;
  bool partition_dirty_ = false;
  std::vector<Transition> timeline_;
  // node_seconds bookkeeping: live nodes since the last change.
  std::size_t live_count_ = 0;
  Duration live_since_{};
  double node_seconds_ = 0;
  // Deaths the membership should report for crashes (estimate of true ones).
  std::uint64_t expected_deaths_ = 0;
  // freeze(): nodes out of the agreement until thaw(); the watched node,
  // the epoch it led with when frozen, its thaw time, what it did after.
  std::vector<bool> frozen_;
  std::size_t watched_ = kNoNode;
  std::uint64_t frozen_epoch_ = 0;
  Duration thaw_at_{};
  std::optional<Duration> stepped_down_at_;
  std::uint64_t stale_claims_ = 0;
};

}  // namespace lanlord::bench
