#include "lanlord/time.hpp"

#include <utility>

namespace lanlord {

void Timer::arm(Duration delay, std::function<void()> fn) {
  cancel();
  // The wrapper clears id_ before running fn, so fn may re-arm this timer.
  id_ = scheduler_->call_after(delay, [this, fn = std::move(fn)]() {
    id_ = 0;
    fn();
  });
}

Scheduler::TimerId HookedScheduler::call_after(Duration delay, std::function<void()> fn) {
  return inner_.call_after(delay, [this, fn = std::move(fn)]() {
    fn();
    if (after_) after_();
  });
}

void Timer::cancel() {
  if (id_ != 0) {
    scheduler_->cancel(id_);
    id_ = 0;
  }
}

}  // namespace lanlord
