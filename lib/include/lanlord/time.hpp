// Time and timers as the core sees them: an injected clock and scheduler.
#pragma once

#include "lanlord/export.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <utility>

namespace lanlord {

// Monotonic time. Production binds it to std::chrono::steady_clock; the
// simulator starts its virtual clock at the epoch.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

// Wall-clock time, for what must grow across restarts and hosts
// (incarnations, send times). Never used for timers.
using WallClock = std::chrono::system_clock;
using WallTime = WallClock::time_point;

// Where the core gets `now()` and one-shot timers from.
//
// Contract: callbacks run one at a time on the scheduler's own thread (the
// Asio strand of a Node, or the simulation loop), never inside
// call_after() itself. A cancelled timer's callback never runs.
class LANLORD_EXPORT Scheduler {
 public:
  using TimerId = std::uint64_t;  // 0 is never a valid id

  virtual ~Scheduler() = default;

  virtual TimePoint now() const = 0;

  // The wall clock as this node sees it (production: the system clock; the
  // simulator: a virtual wall clock with a per-node offset that a test may
  // step, so clock skew is a fault like any other).
  virtual WallTime wall_now() const { return WallClock::now(); }

  // A monotonic clock that keeps counting while the process is stopped
  // and while the host is suspended, for noticing pauses (production:
  // CLOCK_BOOTTIME; the simulator: now()). Only differences mean anything.
  virtual TimePoint pause_clock_now() const { return now(); }

  // Runs `fn` once, `delay` from now (a zero or negative delay means "as
  // soon as possible, after the current callback returns").
  virtual TimerId call_after(Duration delay, std::function<void()> fn) = 0;

  // Cancels a pending timer; a no-op for an unknown, fired or cancelled id.
  virtual void cancel(TimerId id) = 0;
};

// A decorator: forwards to `inner`, adds `wall_offset` to its wall clock,
// and runs `after` once each callback it fired has returned. NodeCore's
// callers use it to take ready() after every timer, when the core is no
// longer on the stack.
class LANLORD_EXPORT HookedScheduler final : public Scheduler {
 public:
  HookedScheduler(Scheduler& inner, std::function<void()> after)
      : inner_(inner), after_(std::move(after)) {}

  TimePoint now() const override { return inner_.now(); }
  WallTime wall_now() const override { return inner_.wall_now() + wall_offset_; }
  TimePoint pause_clock_now() const override { return inner_.pause_clock_now(); }
  TimerId call_after(Duration delay, std::function<void()> fn) override;
  void cancel(TimerId id) override { inner_.cancel(id); }

  // Steps this node's wall clock by `offset` relative to `inner`'s.
  void set_wall_offset(Duration offset) { wall_offset_ = offset; }
  Duration wall_offset() const { return wall_offset_; }

 private:
  Scheduler& inner_;
  std::function<void()> after_;
  Duration wall_offset_{};
};

// A re-armable one-shot timer owned by a component; cancels itself on
// destruction so a callback never outlives its owner.
class LANLORD_EXPORT Timer {
 public:
  explicit Timer(Scheduler& scheduler) : scheduler_(&scheduler) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer() { cancel(); }

  // Cancels any pending expiry, then arms a new one.
  void arm(Duration delay, std::function<void()> fn);
  void cancel();
  bool armed() const { return id_ != 0; }

 private:
  Scheduler* scheduler_;
  Scheduler::TimerId id_ = 0;
};

}  // namespace lanlord
