#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "lanlord/sim/virtual_scheduler.hpp"

using namespace std::chrono_literals;
using lanlord::sim::VirtualScheduler;

TEST_CASE("virtual clock jumps from event to event in time, then creation, order") {
  VirtualScheduler s;
  std::vector<int> order;
  s.call_after(30ms, [&] { order.push_back(3); });
  s.call_after(10ms, [&] { order.push_back(1); });
  s.call_after(10ms, [&] { order.push_back(2); });
  CHECK(s.run_one());
  CHECK(s.now().time_since_epoch() == 10ms);
  s.run_until(lanlord::TimePoint(25ms));
  CHECK(order == std::vector<int>{1, 2});
  CHECK(s.now().time_since_epoch() == 25ms);
  s.run_for(1h);
  CHECK(order == std::vector<int>{1, 2, 3});
  CHECK(s.now().time_since_epoch() == 1h + 25ms);
  CHECK_FALSE(s.run_one());
}

TEST_CASE("a cancelled timer never runs and cancel of a fired id is harmless") {
  VirtualScheduler s;
  int fired = 0;
  auto a = s.call_after(5ms, [&] { ++fired; });
  auto b = s.call_after(6ms, [&] { fired += 10; });
  s.cancel(a);
  s.run_for(10ms);
  CHECK(fired == 10);
  s.cancel(b);
  s.cancel(12345);
  CHECK(s.pending() == 0);
}

TEST_CASE("a zero delay runs after the current callback, never inside call_after") {
  VirtualScheduler s;
  std::vector<int> order;
  s.call_after(1ms, [&] {
    s.call_after(0ms, [&] { order.push_back(2); });
    order.push_back(1);
  });
  s.run_for(1ms);
  CHECK(order == std::vector<int>{1, 2});
}

TEST_CASE("run_until with a predicate stops at the first event that satisfies it") {
  VirtualScheduler s;
  int n = 0;
  for (int i = 1; i <= 10; ++i) s.call_after(i * 1s, [&] { ++n; });
  CHECK(s.run_until([&] { return n == 3; }, 1min));
  CHECK(s.now().time_since_epoch() == 3s);
  CHECK_FALSE(s.run_until([&] { return n == 100; }, 20s));
  CHECK(s.now().time_since_epoch() == 23s);
}
