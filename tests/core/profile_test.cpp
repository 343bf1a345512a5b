// The named timing profiles: each is valid and has its documented timings.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "lanlord/profile.hpp"

using namespace std::chrono_literals;
using lanlord::Profile;

namespace {
Profile get(std::string_view name) {
  auto p = lanlord::find_profile(name);
  REQUIRE(p.has_value());
  return *p;
}
}  // namespace

TEST_CASE("profile: the names are fabric, lan, fast and each is found and valid") {
  const auto names = lanlord::profile_names();
  CHECK(names == std::vector<std::string_view>{"fabric", "lan", "fast"});
  for (auto name : names) {
    CAPTURE(name);
    const auto p = lanlord::find_profile(name);
    REQUIRE(p);
    CHECK(p->name == name);
    CHECK_FALSE(p->description.empty());
    CHECK(p->validate().is_ok());
  }
  CHECK_FALSE(lanlord::find_profile("LAN"));
  CHECK_FALSE(lanlord::find_profile(""));
  CHECK_FALSE(lanlord::find_profile("turbo"));
}

TEST_CASE("profile: fabric is Fabric's defaults, without fast failover") {
  const Profile p = get("fabric");
  CHECK(p.election.startup_grace_period == 15s);
  CHECK(p.election.membership_sample_interval == 1s);
  CHECK(p.election.leader_alive_threshold == 10s);
  CHECK(p.election.leader_election_duration == 5s);
  CHECK(p.membership.heartbeat_interval == 5s);
  CHECK(p.membership.alive_expiration == 25s);
  // Fabric drops a dead member's alive message 25s * 20 after it was sent.
  CHECK(p.membership.alive_expiration + p.membership.forget_after == 500s);
  CHECK_FALSE(p.fast_failover);
  // 2 * leader_alive_threshold + leader_election_duration; delivery time is
  // absorbed by the threshold windows.
  CHECK(p.crash_failover_bound(10ms) == 25s);
  CHECK(p.leave_failover_bound(10ms) == 25s);
}

TEST_CASE("profile: lan timings") {
  const Profile p = get("lan");
  CHECK(p.membership.heartbeat_interval == 1s);
  CHECK(p.membership.alive_expiration == 3s);
  CHECK(p.membership.forget_after == 60s);
  CHECK(p.election.startup_grace_period == 5s);
  CHECK(p.election.membership_sample_interval == 1s);
  CHECK(p.election.leader_alive_threshold == 5s);
  CHECK(p.election.leader_election_duration == 1s);
  CHECK(p.fast_failover);
  CHECK(p.crash_failover_bound(5ms) == 4s + 5ms);
  CHECK(p.leave_failover_bound(5ms) == 1s + 5ms);
}

TEST_CASE("profile: fast timings") {
  const Profile p = get("fast");
  CHECK(p.membership.heartbeat_interval == 100ms);
  CHECK(p.membership.alive_expiration == 250ms);
  CHECK(p.membership.forget_after == 10s);
  CHECK(p.election.startup_grace_period == 1s);
  CHECK(p.election.membership_sample_interval == 150ms);
  CHECK(p.election.leader_alive_threshold == 1s);
  CHECK(p.election.leader_election_duration == 100ms);
  CHECK(p.fast_failover);
  CHECK(p.crash_failover_bound(1ms) == 351ms);
  CHECK(p.leave_failover_bound(1ms) == 101ms);
}

TEST_CASE("profile: the default is lan, and profiles are independent copies") {
  Profile d = lanlord::default_profile();
  CHECK(d.name == "lan");
  CHECK(d.membership.alive_expiration == get("lan").membership.alive_expiration);
  d.membership.alive_expiration = 1h;
  CHECK(get("lan").membership.alive_expiration == 3s);
}

TEST_CASE("profile: validate() names the profile and the bad field") {
  Profile p = get("fast");
  p.membership.alive_expiration = 50ms;  // below the heartbeat interval
  auto s = p.validate();
  CHECK_FALSE(s.is_ok());
  CHECK(s.message().find("fast") != std::string::npos);
  CHECK(s.message().find("alive_expiration") != std::string::npos);

  p = get("lan");
  p.election.leader_election_duration = 0s;
  s = p.validate();
  CHECK_FALSE(s.is_ok());
  CHECK(s.message().find("leader_election_duration") != std::string::npos);
}
