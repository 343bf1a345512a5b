// The core's Scheduler bound to Asio: steady_timers on a node's strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <map>
#include <memory>
#include <mutex>

#include "lanlord/time.hpp"

namespace lanlord::transport {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

// The lock a node's handlers take before touching the node, and whether the
// node still exists. Completion handlers hold it by shared_ptr, so one that
// runs after the node is gone finds live == false and leaves at once.
struct NodeGuard {
  std::recursive_mutex mutex;
  bool live = true;
};

// Contract (lanlord::Scheduler): callbacks run on the strand, one at a
// time, under the guard's lock, never inside call_after(). call_after() and
// cancel() must be called with the guard's lock held.
class StrandScheduler final : public Scheduler {
 public:
  StrandScheduler(Strand strand, std::shared_ptr<NodeGuard> guard)
      : strand_(std::move(strand)), guard_(std::move(guard)) {}
  StrandScheduler(const StrandScheduler&) = delete;
  StrandScheduler& operator=(const StrandScheduler&) = delete;
  ~StrandScheduler() override { cancel_all(); }

  TimePoint now() const override { return Clock::now(); }
  // CLOCK_BOOTTIME: unlike the steady clock it also counts while the host
  // is suspended, so a node notices every pause (DECISIONS.md, Clocks).
  TimePoint pause_clock_now() const override;
  TimerId call_after(Duration delay, std::function<void()> fn) override;
  void cancel(TimerId id) override;
  // Cancels every pending timer (node shutdown).
  void cancel_all();
  // cancel_all(), and from now on call_after() arms nothing: a component
  // still stepping through a callback while the node stops cannot start a
  // timer loop in a stopped node (nor keep its io_context busy).
  void shutdown() {
    closed_ = true;
    cancel_all();
  }
  std::size_t pending() const { return timers_.size(); }

 private:
  void fire(TimerId id);

  Strand strand_;
  std::shared_ptr<NodeGuard> guard_;
  TimerId next_id_ = 0;
  bool closed_ = false;
  struct Pending {
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::function<void()> fn;
  };
  std::map<TimerId, Pending> timers_;
};

}  // namespace lanlord::transport
