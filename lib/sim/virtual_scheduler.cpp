#include "lanlord/sim/virtual_scheduler.hpp"

#include <algorithm>
#include <functional>
#include <utility>

namespace lanlord::sim {

namespace {
constexpr std::greater<> kLater{};  // std::push_heap keeps the earliest on top
}  // namespace

Scheduler::TimerId VirtualScheduler::call_after(Duration delay, std::function<void()> fn) {
  const TimePoint when = now_ + (delay > Duration::zero() ? delay : Duration::zero());
  const TimerId id = next_id_++;
  heap_.emplace_back(when, id);
  std::push_heap(heap_.begin(), heap_.end(), kLater);
  fns_.emplace(id, std::move(fn));
  return id;
}

void VirtualScheduler::cancel(TimerId id) {
  fns_.erase(id);
}

bool VirtualScheduler::prune() {
  while (!heap_.empty() && fns_.find(heap_.front().second) == fns_.end()) {
    std::pop_heap(heap_.begin(), heap_.end(), kLater);
    heap_.pop_back();
  }
  return !heap_.empty();
}

bool VirtualScheduler::run_one() {
  if (!prune()) return false;
  const auto [when, id] = heap_.front();
  std::pop_heap(heap_.begin(), heap_.end(), kLater);
  heap_.pop_back();
  const auto it = fns_.find(id);
  std::function<void()> fn = std::move(it->second);
  fns_.erase(it);
  now_ = when;
  ++events_run_;
  fn();
  return true;
}

void VirtualScheduler::run_until(TimePoint t) {
  while (prune() && heap_.front().first <= t) run_one();
  if (now_ < t) now_ = t;
}

bool VirtualScheduler::run_until(const std::function<bool()>& done, Duration limit) {
  const TimePoint end = now_ + limit;
  if (done()) return true;
  while (prune() && heap_.front().first <= end) {
    run_one();
    if (done()) return true;
  }
  now_ = end;
  return done();
}

}  // namespace lanlord::sim
