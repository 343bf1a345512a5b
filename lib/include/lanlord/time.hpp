// Time and timers as the core sees them: an injected clock and scheduler.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace lanlord {

// Monotonic time. Production binds it to std::chrono::steady_clock; the
// simulator starts its virtual clock at the epoch.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

// Where the core gets `now()` and one-shot timers from.
//
// Contract: callbacks run one at a time on the scheduler's own thread (the
// Asio strand of a Node, or the simulation loop), never inside
// call_after() itself. A cancelled timer's callback never runs.
class Scheduler {
 public:
  using TimerId = std::uint64_t;  // 0 is never a valid id

  virtual ~Scheduler() = default;

  virtual TimePoint now() const = 0;

  // Runs `fn` once, `delay` from now (a zero or negative delay means "as
  // soon as possible, after the current callback returns").
  virtual TimerId call_after(Duration delay, std::function<void()> fn) = 0;

  // Cancels a pending timer; a no-op for an unknown, fired or cancelled id.
  virtual void cancel(TimerId id) = 0;
};

// A re-armable one-shot timer owned by a component; cancels itself on
// destruction so a callback never outlives its owner.
class Timer {
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
