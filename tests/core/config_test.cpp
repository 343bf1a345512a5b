#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>

#include "lanlord/election.hpp"
#include "lanlord/sim/virtual_scheduler.hpp"

using namespace std::chrono_literals;
using lanlord::ElectionConfig;

TEST_CASE("election config defaults are Fabric's constants") {
  const ElectionConfig c;
  CHECK(c.startup_grace_period == 15s);
  CHECK(c.membership_sample_interval == 1s);
  CHECK(c.leader_alive_threshold == 10s);
  CHECK(c.leader_election_duration == 5s);
  CHECK(c.declaration_interval() == 5s);
  CHECK(c.validate().is_ok());
}

TEST_CASE("a non-positive duration is rejected with the field's name") {
  ElectionConfig c;
  c.leader_alive_threshold = 0s;
  auto s = c.validate();
  CHECK_FALSE(s.is_ok());
  CHECK(s.message().find("leader_alive_threshold") != std::string::npos);

  c = ElectionConfig{};
  c.membership_sample_interval = -1ms;
  s = c.validate();
  CHECK_FALSE(s.is_ok());
  CHECK(s.message().find("membership_sample_interval") != std::string::npos);
}

namespace {
struct NullAdapter : lanlord::ElectionAdapter {
  void gossip(const lanlord::ElectionMessage&) override {}
  void accept(MessageHandler) override {}
  lanlord::ElectionMessage create_message(bool d) override { return {lanlord::PeerId("x"), d}; }
  std::vector<lanlord::PeerId> peers() override { return {}; }
  void report_metrics(bool) override {}
};
}  // namespace

TEST_CASE("constructing a service with an empty id or a bad config throws") {
  NullAdapter adapter;
  lanlord::sim::VirtualScheduler sched;
  CHECK_THROWS_AS(lanlord::LeaderElectionService(adapter, sched, lanlord::PeerId(""), {}),
                  std::invalid_argument);
  ElectionConfig bad;
  bad.startup_grace_period = 0s;
  CHECK_THROWS_WITH_AS(lanlord::LeaderElectionService(adapter, sched, lanlord::PeerId("a"), bad),
                       doctest::Contains("startup_grace_period"), std::invalid_argument);
  CHECK_NOTHROW(lanlord::LeaderElectionService(adapter, sched, lanlord::PeerId("a"), {}));
}
