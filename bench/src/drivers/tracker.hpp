// Agreement bookkeeping for the real-network drivers: what each node last
// said about its leader, who is live, and the timeline of agreement. Fed
// from the nodes' own threads (callbacks, or a reader of child output),
// waited on from the scenario's thread. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "drivers/driver.hpp"

namespace lanlord::bench {

class AgreementTracker {
 public:
  AgreementTracker() : epoch_(std::chrono::steady_clock::now()) { timeline_.push_back(current_); }

  // Time since construction: the drivers' clock.
  Duration now() const;

  // A new node on `side`, not live yet. Returns its index.
  std::size_t add(int side);
  std::size_t size() const;
  bool live(std::size_t i) const;
  // Live: counted in agreement and node-seconds. Becoming live forgets
  // what the node's previous life said about the leader.
  void set_live(std::size_t i, bool live);
  // Node i's leader (kNoNode: none) with that leadership's epoch (0:
  // unknown) and whether it is that leader.
  void set_leader(std::size_t i, std::size_t leader, bool is_self, std::uint64_t epoch = 0);
  // Frozen: out of the agreement (as if not live) but still running.
  void set_frozen(std::size_t i, bool frozen);
  // From now on, watches what node i claims (after a thaw): when it stops
  // claiming to lead, and how often others name it as their leader with
  // the epoch it holds now (any epoch, when epochs are unknown: 0).
  void watch(std::size_t i);
  // Until the watched node no longer claims to lead; empty on timeout.
  std::optional<Duration> wait_stepped_down(Duration limit);
  std::uint64_t stale_namings() const;
  // Node i's membership declared node `member` dead.
  void on_dead(std::size_t i, std::size_t member);
  void heal();

  std::optional<Duration> wait_agreed(Duration limit);
  Transition state() const;
  std::vector<Transition> timeline() const;
  // node_seconds, deaths and false_deaths of `u`.
  void fill(Usage& u) const;

 private:
  void evaluate_locked();

  const std::chrono::steady_clock::time_point epoch_;
  mutable std::mutex mu_;
  std::condition_variable agreed_cv_;
  std::vector<NodeView> views_;
  bool healed_ = true;
  Transition current_;
  std::vector<Transition> timeline_;
  std::uint64_t deaths_ = 0;
  std::uint64_t false_deaths_ = 0;
  std::size_t live_count_ = 0;
  Duration live_since_{};
  double node_seconds_ = 0;
  // watch(): the node, its epoch then, when it stopped claiming, how often
  // it was named with that epoch.
  std::size_t watched_ = kNoNode;
  std::uint64_t watched_epoch_ = 0;
  std::optional<Duration> stepped_down_at_;
  std::uint64_t stale_namings_ = 0;
};

}  // namespace lanlord::bench
