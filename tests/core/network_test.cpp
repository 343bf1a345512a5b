#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "lanlord/sim/network.hpp"

using namespace std::chrono_literals;
using namespace lanlord::sim;

namespace {
struct Bus {
  VirtualScheduler sched;
  Rng rng{42};
  SimNetwork net{sched, rng};
  std::vector<std::vector<Bytes>> inbox;
  explicit Bus(std::size_t n) {
    inbox.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      net.add_endpoint(
          [this, i](EndpointIndex, const Payload& d) { inbox[i].push_back(std::get<Bytes>(d)); });
    }
  }
};
}  // namespace

TEST_CASE("a broadcast reaches every other up endpoint after the link delay") {
  Bus b(3);
  b.net.broadcast(0, Bytes{7});
  b.sched.run_for(500us);
  CHECK(b.inbox[1].empty());
  b.sched.run_for(1ms);
  CHECK(b.inbox[0].empty());
  CHECK(b.inbox[1] == std::vector<Bytes>{Bytes{7}});
  CHECK(b.inbox[2] == std::vector<Bytes>{Bytes{7}});
}

TEST_CASE("partitions cut traffic both ways until healed, including copies in flight") {
  Bus b(4);
  b.net.broadcast(0, Bytes{1});
  b.net.partition({{0, 1}, {2, 3}});
  b.sched.run_for(10ms);
  CHECK(b.inbox[1].size() == 1);
  CHECK(b.inbox[2].empty());
  CHECK(b.net.reachable(2, 3));
  CHECK_FALSE(b.net.reachable(1, 2));
  b.net.heal();
  b.net.broadcast(3, Bytes{2});
  b.sched.run_for(10ms);
  CHECK(b.inbox[0].size() == 1);
  CHECK(b.inbox[1].size() == 2);
}

TEST_CASE("a down endpoint neither sends nor receives") {
  Bus b(2);
  b.net.set_up(1, false);
  b.net.broadcast(0, Bytes{1});
  b.net.broadcast(1, Bytes{2});
  b.sched.run_for(10ms);
  CHECK(b.inbox[0].empty());
  CHECK(b.inbox[1].empty());
}

TEST_CASE("loss, duplication and jitter follow the seed and are counted") {
  auto run = [](std::uint64_t seed) {
    VirtualScheduler sched;
    Rng rng(seed);
    SimNetwork net(sched, rng);
    std::vector<int> got;
    net.add_endpoint({});
    net.add_endpoint(
        [&](EndpointIndex, const Payload& d) { got.push_back(std::get<Bytes>(d)[0]); });
    net.set_default_faults(LinkFaults{0.3, 0.2, 1ms, 20ms});
    for (int i = 0; i < 100; ++i) net.broadcast(0, Bytes{static_cast<std::uint8_t>(i)});
    sched.run_for(1s);
    return std::pair{got, net.stats()};
  };
  auto [got1, stats1] = run(7);
  auto [got2, stats2] = run(7);
  CHECK(got1 == got2);  // same seed, same run
  CHECK(stats1.lost > 10);
  CHECK(stats1.lost < 50);
  CHECK(stats1.duplicated > 0);
  CHECK(stats1.delivered == 100 - stats1.lost + stats1.duplicated);
  bool reordered = false;
  for (std::size_t i = 1; i < got1.size(); ++i) reordered |= got1[i] < got1[i - 1];
  CHECK(reordered);
  auto [got3, stats3] = run(8);
  CHECK(got3 != got1);
}
