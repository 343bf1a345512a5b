#include "lanlord/sim/virtual_scheduler.hpp"

#include <utility>

namespace lanlord::sim {

Scheduler::TimerId VirtualScheduler::call_after(Duration delay, std::function<void()> fn) {
  const TimePoint when = now_ + (delay > Duration::zero() ? delay : Duration::zero());
  const TimerId id = next_id_++;
  queue_.emplace(Key{when, id}, std::move(fn));
  due_.emplace(id, when);
  return id;
}

void VirtualScheduler::cancel(TimerId id) {
  const auto it = due_.find(id);
  if (it == due_.end()) return;
  queue_.erase(Key{it->second, id});
  due_.erase(it);
}

bool VirtualScheduler::run_one() {
  if (queue_.empty()) return false;
  auto node = queue_.extract(queue_.begin());
  due_.erase(node.key().second);
  now_ = node.key().first;
  ++events_run_;
  node.mapped()();
  return true;
}

void VirtualScheduler::run_until(TimePoint t) {
  while (!queue_.empty() && queue_.begin()->first.first <= t) run_one();
  if (now_ < t) now_ = t;
}

bool VirtualScheduler::run_until(const std::function<bool()>& done, Duration limit) {
  const TimePoint end = now_ + limit;
  if (done()) return true;
  while (!queue_.empty() && queue_.begin()->first.first <= end) {
    run_one();
    if (done()) return true;
  }
  now_ = end;
  return done();
}

}  // namespace lanlord::sim
