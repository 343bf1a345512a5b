// A virtual clock for simulated time: timers fire in (time, creation)
// order and the clock jumps straight from one event to the next.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lanlord/time.hpp"

namespace lanlord::sim {

// Single-threaded. The clock starts at TimePoint{} (the epoch).
class VirtualScheduler final : public Scheduler {
 public:
  TimePoint now() const override { return now_; }
  // A virtual wall clock: kWallEpoch plus the virtual time (nodes add
  // their own offsets through a HookedScheduler).
  WallTime wall_now() const override { return kWallEpoch + now_.time_since_epoch(); }
  static constexpr WallTime kWallEpoch{std::chrono::seconds(1767225600)};  // 2026-01-01T00:00:00Z
  TimerId call_after(Duration delay, std::function<void()> fn) override;
  void cancel(TimerId id) override;

  // Runs the earliest pending event, advancing the clock to it. Returns
  // false when nothing is pending.
  bool run_one();
  // Runs every event due at or before `t`, then sets the clock to `t`.
  void run_until(TimePoint t);
  void run_for(Duration d) { run_until(now_ + d); }
  // Runs until `done()` holds (checked after every event) or `limit` of
  // virtual time passes. Returns whether `done()` held.
  bool run_until(const std::function<bool()>& done, Duration limit);

  std::size_t pending() const { return fns_.size(); }
  std::uint64_t events_run() const { return events_run_; }

 private:
  using Key = std::pair<TimePoint, TimerId>;
  // Drops cancelled entries from the top of the heap; false when empty.
  bool prune();

  TimePoint now_{};
  TimerId next_id_ = 1;
  std::uint64_t events_run_ = 0;
  // A min-heap of (when, id): ties fire in creation order. Cancelling only
  // forgets the callback; its heap entry is skipped when it reaches the top.
  std::vector<Key> heap_;
  std::unordered_map<TimerId, std::function<void()>> fns_;
};

}  // namespace lanlord::sim
