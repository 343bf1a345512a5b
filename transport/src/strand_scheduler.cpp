#include "strand_scheduler.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace lanlord::transport {

TimePoint StrandScheduler::pause_clock_now() const {
  timespec ts{};
  if (::clock_gettime(CLOCK_BOOTTIME, &ts) != 0) return now();
  return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::seconds(ts.tv_sec) +
                                                        std::chrono::nanoseconds(ts.tv_nsec)));
}

Scheduler::TimerId StrandScheduler::call_after(Duration delay, std::function<void()> fn) {
  const TimerId id = ++next_id_;
  if (closed_) return id;  // never fires; cancel() of it is a no-op
  auto timer =
      std::make_unique<boost::asio::steady_timer>(strand_, std::max(delay, Duration::zero()));
  // The handler holds the guard, not the scheduler: it may outlive both.
  timer->async_wait([this, guard = guard_, id](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the entry is already gone
    std::lock_guard lock(guard->mutex);
    if (!guard->live) return;
    fire(id);
  });
  timers_.emplace(id, Pending{std::move(timer), std::move(fn)});
  return id;
}

void StrandScheduler::fire(TimerId id) {
  auto it = timers_.find(id);
  // Cancelled after the wait completed but before this handler ran.
  if (it == timers_.end()) return;
  std::function<void()> fn = std::move(it->second.fn);
  timers_.erase(it);  // destroying a timer inside its own handler is fine in Asio
  fn();
}

void StrandScheduler::cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  it->second.timer->cancel();
  timers_.erase(it);
}

void StrandScheduler::cancel_all() {
  for (auto& [id, p] : timers_) p.timer->cancel();
  timers_.clear();
}

}  // namespace lanlord::transport
