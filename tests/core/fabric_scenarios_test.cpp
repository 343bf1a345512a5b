// The scenarios of Fabric's gossip/election/election_test.go, in simulated
// time with Fabric's test timings (500 ms thresholds and durations, 100 ms
// membership sampling) and the same expected outcomes. Where Fabric mocks
// Peers() and Gossip() to split or join peers, these tests partition and
// heal the simulated network. Every wait for a leader, which returns at the
// first moment anyone leads, is followed by a check that the leaders stay
// unchanged for two leader_alive_thresholds.
#include <doctest/doctest.h>

#include "scenario.hpp"

using namespace lanlord;
using namespace lanlord::test;

namespace {
constexpr Duration kStartupGrace = 500ms;
constexpr Duration kAliveThreshold = 500ms;
constexpr Duration kElectionDuration = 500ms;
}  // namespace

TEST_CASE("metrics reporting: a lone peer reports leading, then following after it yields") {
  // Scenario: one peer leads and reports is_leader=true to metrics; it
  // yields and reports false; after a while it leads again.
  Scenario s;
  const auto p = s.spawn({0});
  REQUIRE(s.wait_for_leader(p) == std::vector<std::string>{"p0"});
  CHECK(s.leaders_stay(p));
  CHECK(s.reports_leading(p[0]));

  s.yield(p[0]);
  CHECK_FALSE(s.is_leader(p[0]));
  CHECK(s.eventually([&] { return !s.reports_leading(p[0]); }));
  CHECK(s.wait_for_leader(p) == std::vector<std::string>{"p0"});
  CHECK(s.leaders_stay(p));
  CHECK(s.reports_leading(p[0]));
}

TEST_CASE("peers started at the same time: the lowest id leads") {
  // Scenario: p9..p0 start together. Expected: p0 is the only leader and
  // its leadership callback said true.
  Scenario s;
  const auto peers = s.spawn({9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  s.run_for(kStartupGrace + kElectionDuration);
  const auto leaders = s.wait_for_leader(peers);
  CHECK(leaders == std::vector<std::string>{"p0"});
  CHECK(s.leaders_stay(peers));
  CHECK(s.is_leader(peers.back()));
  CHECK(s.record(peers.back()).leader_from_callback);
}

TEST_CASE("peers started at intervals: the first one leads although its id is highest") {
  // Scenario: p3, p2, p1, p0 start one every startup grace + declaration
  // interval. Expected: p3, the first, is the leader.
  Scenario s;
  const auto peers = s.spawn_at_intervals(kStartupGrace + kDeclarationInterval, {3, 2, 1, 0});
  REQUIRE_FALSE(s.wait_for_leader(peers).empty());
  CHECK(s.leaders_stay(peers));
  CHECK(s.is_leader(peers[0]));
  CHECK(s.cluster().leaders().size() == 1);
}

TEST_CASE("stop: nothing is gossiped after stop") {
  // Scenario: four peers elect a leader, then all stop (each sends its
  // leave). Expected: nothing at all is sent after that, and no timer is
  // left behind.
  Scenario s;
  const auto peers = s.spawn({3, 2, 1, 0});
  REQUIRE(s.wait_for_leader(peers) == std::vector<std::string>{"p0"});
  CHECK(s.leaders_stay(peers));
  for (auto i : peers) s.cluster().leave(i);
  const auto gossiped_at_stop = s.total_gossiped();
  const auto sent_at_stop = s.cluster().network().stats().sent;
  s.run_for(kAliveThreshold);
  CHECK(s.total_gossiped() == gossiped_at_stop);
  s.run_for(kAliveThreshold * 5);
  CHECK(s.total_gossiped() == gossiped_at_stop);
  CHECK(s.cluster().network().stats().sent == sent_at_stop);
  CHECK(s.cluster().scheduler().pending() == 0);  // no timer left behind
}

TEST_CASE("convergence: two groups merge and the lower group's leader survives") {
  // Scenario: {p3,p2,p1,p0} and {p4,p5,p6,p7} each elect a leader apart;
  // then they see each other. Expected: exactly one leader, group 1's (p0);
  // its callback says true, every other says false, and group 2's old
  // leader was told it lost.
  Scenario s;
  const auto group1 = s.spawn({3, 2, 1, 0});
  s.cluster().partition({group1});  // peers spawned from now on form the other side
  const auto group2 = s.spawn({4, 5, 6, 7});
  const auto leaders1 = s.wait_for_leader(group1);
  const auto leaders2 = s.wait_for_leader(group2);
  REQUIRE(leaders1.size() == 1);
  REQUIRE(leaders2.size() == 1);
  CHECK(s.leaders_stay(group1));
  CHECK(s.leaders_stay(group2));
  CHECK(leaders1[0] == "p0");
  CHECK(leaders2[0] == "p4");

  s.cluster().heal();
  s.run_for(kAliveThreshold * 5);
  const auto all = concat(group1, group2);
  const auto final_leaders = s.wait_for_leader(all);
  REQUIRE(final_leaders.size() == 1);
  CHECK(s.leaders_stay(all));
  CHECK(s.leaders_among(all) == final_leaders);
  CHECK(final_leaders[0] == leaders1[0]);
  CHECK(final_leaders[0] == "p0");
  for (auto i : all) {
    const std::string id = s.cluster().id(i).bytes();
    CAPTURE(id);
    if (id == final_leaders[0]) {
      CHECK(s.record(i).leader_from_callback);
      CHECK(s.record(i).callback_invoked);
    } else {
      CHECK_FALSE(s.record(i).leader_from_callback);
      if (id == leaders2[0]) CHECK(s.record(i).callback_invoked);
    }
  }
}

TEST_CASE("leadership takeover: after the leader stops, the lowest remaining id leads") {
  // Scenario: p5, p4, p3, p2 start at intervals, so p5 leads; then p5
  // stops. Expected: p2, the lowest remaining id, takes over alone.
  Scenario s;
  const auto peers = s.spawn_at_intervals(kStartupGrace + kDeclarationInterval, {5, 4, 3, 2});
  auto leaders = s.wait_for_leader(peers);
  REQUIRE(leaders == std::vector<std::string>{"p5"});
  CHECK(s.leaders_stay(peers));
  s.cluster().leave(peers[0]);
  s.run_for(kDeclarationInterval + kAliveThreshold * 3);
  const std::vector<std::size_t> rest(peers.begin() + 1, peers.end());
  leaders = s.wait_for_leader(rest);
  CHECK(leaders == std::vector<std::string>{"p2"});
  CHECK(s.leaders_stay(rest));
}

TEST_CASE("yield: a new leader is elected and the old one does not take it back") {
  // Scenario: p0..p5 elect p0; p0 yields (twice; the second does
  // nothing). Expected: one new leader that is not p0, still so after a
  // while.
  Scenario s;
  const auto peers = s.spawn({0, 1, 2, 3, 4, 5});
  REQUIRE(s.wait_for_leader(peers) == std::vector<std::string>{"p0"});
  CHECK(s.leaders_stay(peers));
  s.yield(peers[0]);
  CHECK(s.record(peers[0]).callback_invoked);
  CHECK_FALSE(s.record(peers[0]).leader_from_callback);
  s.cluster().reset_callback_invoked(peers[0]);
  s.yield(peers[0]);
  CHECK_FALSE(s.record(peers[0]).callback_invoked);

  auto p0_is_not_the_leader = [&] {
    const auto leaders = s.leaders_among(peers);
    return leaders.size() == 1 && leaders[0] != "p0";
  };
  CHECK(s.eventually(p0_is_not_the_leader));
  // The new leader keeps it, through the end of p0's yield (6 thresholds).
  CHECK(s.leaders_stay(peers, kAliveThreshold * 7));
  CHECK(p0_is_not_the_leader());
  // Everyone started together, so every follower's window ended together
  // and the lowest id that took part (p0 did not) won.
  CHECK(s.leaders_among(peers) == std::vector<std::string>{"p1"});
}

TEST_CASE("yield of a single peer: it recovers its leadership") {
  // Scenario: a lone leader yields. Expected: it stops leading at once and
  // leads again after the yield period.
  Scenario s;
  const auto peers = s.spawn({0});
  REQUIRE_FALSE(s.wait_for_leader(peers).empty());
  s.yield(peers[0]);
  CHECK_FALSE(s.is_leader(peers[0]));
  CHECK(s.wait_for_leader(peers) == std::vector<std::string>{"p0"});
  CHECK(s.leaders_stay(peers));
}

TEST_CASE("yield of all peers in turn: leadership passes p0, p1, then back to p0") {
  // Scenario: p0 and p1; p0 leads and yields, p1 leads and yields.
  // Expected: p1 leads after p0's yield, p0 after p1's.
  Scenario s;
  const auto peers = s.spawn({0, 1});
  REQUIRE(s.wait_for_leader(peers) == std::vector<std::string>{"p0"});
  CHECK(s.leaders_stay(peers));
  s.yield(peers[0]);
  CHECK(s.wait_for_leader(peers) == std::vector<std::string>{"p1"});
  CHECK(s.leaders_stay(peers));
  s.yield(peers[1]);
  CHECK(s.wait_for_leader(peers) == std::vector<std::string>{"p0"});
  CHECK(s.leaders_stay(peers));
}

TEST_CASE("partition: every isolated peer leads, then only the lowest id after healing") {
  // Scenario: p5..p0 elect p0; then no peer can reach another. Expected:
  // six leaders, each told so. After healing: p0 alone leads, and every
  // other peer was told it lost leadership.
  Scenario s;
  const auto peers = s.spawn({5, 4, 3, 2, 1, 0});
  REQUIRE(s.wait_for_leader(peers) == std::vector<std::string>{"p0"});
  CHECK(s.leaders_stay(peers));
  CHECK(s.record(peers.back()).leader_from_callback);

  s.cluster().partition({});  // everyone alone
  s.run_for(kDeclarationInterval + kAliveThreshold * 2);
  CHECK(s.wait_for_leaders(6, peers).size() == 6);
  CHECK(s.leaders_stay(peers));
  for (auto i : peers) CHECK(s.record(i).leader_from_callback);

  for (auto i : peers) s.cluster().reset_callback_invoked(i);
  s.cluster().heal();
  s.run_for(kDeclarationInterval + kAliveThreshold * 2);
  const auto leaders = s.wait_for_leader(peers);
  REQUIRE(leaders == std::vector<std::string>{"p0"});
  CHECK(s.leaders_stay(peers));
  CHECK(s.leaders_among(peers) == leaders);
  for (auto i : peers) {
    CAPTURE(s.cluster().id(i).bytes());
    if (i == peers.back()) {
      CHECK(s.record(i).leader_from_callback);
    } else {
      CHECK_FALSE(s.record(i).leader_from_callback);
      CHECK(s.record(i).callback_invoked);
    }
  }
  CHECK(s.cluster().violations().empty());
}
