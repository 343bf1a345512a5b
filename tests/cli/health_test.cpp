// The verdict of `watch --once`, from hand-built observations.
#include <doctest/doctest.h>

#include <chrono>

#include "commands/health.hpp"

using namespace std::chrono_literals;
using lanlord::Member;
using lanlord::PeerId;
using namespace lanlord::cli;

namespace {

Member member(const char* id, bool alive = true, std::vector<std::string> channels = {"default"}) {
  Member m;
  m.id = PeerId(id);
  m.alive = alive;
  m.channels = std::move(channels);
  return m;
}

// Three alive members of "default", led by a, as heard throughout.
Observation healthy() {
  Observation seen;
  seen.members = {member("c"), member("a"), member("b")};
  seen.leaders = {
      {"default",
       lanlord::LeaderInfo{.leader = PeerId("a"), .epoch = 42, .metadata = "203.0.113.5:8080"}}};
  seen.leaders_heard = {{"default", {PeerId("a")}}};
  seen.listened = 800ms;
  return seen;
}

}  // namespace

TEST_CASE("one alive leader per channel is healthy") {
  const Verdict v = judge(healthy());
  CHECK(v.ok);
  CHECK(v.alive == 3);
  CHECK(v.members.front().id == PeerId("a"));  // sorted
  REQUIRE(v.channels.size() == 1);
  CHECK(v.channels[0].channel == "default");
  CHECK(v.channels[0].leader == PeerId("a"));
  CHECK(v.channels[0].ok);
  CHECK(v.listened == 800ms);
}

TEST_CASE("a channel without a leader is not healthy") {
  Observation seen = healthy();
  seen.leaders["default"] = {};
  const Verdict v = judge(seen);
  CHECK_FALSE(v.ok);
  CHECK(v.channels[0].problem == "no leader");
  CHECK(v.problem == "1 of 1 channel has not exactly one leader");
}

TEST_CASE("two alive members reported as leader of one channel are two leaders") {
  Observation seen = healthy();
  seen.leaders_heard["default"].insert(PeerId("b"));
  const Verdict v = judge(seen);
  CHECK_FALSE(v.ok);
  CHECK(v.channels[0].problem == "2 leaders");
  CHECK(v.channels[0].leaders == std::vector<PeerId>{PeerId("a"), PeerId("b")});
}

TEST_CASE("a former leader that died was replaced, not a rival") {
  Observation seen = healthy();
  seen.members.push_back(member("0-old", false));
  seen.leaders_heard["default"].insert(PeerId("0-old"));
  CHECK(judge(seen).ok);
}

TEST_CASE("a leader that is not alive does not count") {
  Observation seen = healthy();
  seen.members[1].alive = false;  // a
  const Verdict v = judge(seen);
  CHECK_FALSE(v.ok);
  CHECK(v.channels[0].problem == "its leader is not alive");
}

TEST_CASE("every channel of an alive member is judged, and every expected one") {
  Observation seen = healthy();
  seen.members.push_back(member("d", true, {"billing"}));
  seen.expected_channels = {"audit"};
  const Verdict v = judge(seen);
  CHECK_FALSE(v.ok);
  REQUIRE(v.channels.size() == 3);
  CHECK(v.channels[0].channel == "audit");
  CHECK(v.channels[1].channel == "billing");
  CHECK(v.channels[2].channel == "default");
  CHECK(v.problem == "2 of 3 channels have not exactly one leader");
}

TEST_CASE("a channel only a dead member ran is not judged") {
  Observation seen = healthy();
  seen.members.push_back(member("z", false, {"gone"}));
  CHECK(judge(seen).ok);
}

TEST_CASE("hearing nothing is not healthy") {
  Verdict v = judge(Observation{});
  CHECK_FALSE(v.ok);
  CHECK(v.problem == "heard no member and no leader");
  Observation members_only;
  members_only.members = {member("a", true, {})};
  v = judge(members_only);
  CHECK_FALSE(v.ok);
  CHECK(v.problem == "heard no channel");
}

namespace {

void drop(Observation& seen, lanlord::DropReason reason, std::uint64_t n) {
  seen.stats.drops[static_cast<std::size_t>(reason)] = n;
}

}  // namespace

TEST_CASE("an id used twice makes a healthy cluster not ok, and the verdict says why") {
  Observation seen = healthy();
  drop(seen, lanlord::DropReason::kIdConflict, 3);
  Verdict v = judge(seen);
  CHECK_FALSE(v.ok);
  REQUIRE(v.trust_problems.size() == 1);
  CHECK(v.problem.find("3 datagrams carried a conflicting id") == 0);
  CHECK(v.channels[0].ok);  // the channels themselves are fine

  seen = healthy();
  seen.stats.duplicate_id = true;
  v = judge(seen);
  CHECK_FALSE(v.ok);
  CHECK(v.problem.find("another live process uses the observer's id") != std::string::npos);
}

TEST_CASE("unauthenticated datagrams are a problem on a keyed cluster only") {
  Observation seen = healthy();
  drop(seen, lanlord::DropReason::kUnauthenticated, 1);
  CHECK(judge(seen).ok);  // unkeyed: every datagram is unauthenticated anyway
  seen.keyed = true;
  const Verdict v = judge(seen);
  CHECK_FALSE(v.ok);
  CHECK(v.problem ==
        "1 unauthenticated datagram on a keyed cluster (a node without the key, "
        "or a forgery)");
}

TEST_CASE("messages outside the clock-skew window are a problem") {
  Observation seen = healthy();
  seen.max_clock_skew = 10s;
  drop(seen, lanlord::DropReason::kClockSkew, 2);
  const Verdict v = judge(seen);
  CHECK_FALSE(v.ok);
  CHECK(v.problem ==
        "2 messages outside the clock-skew window (10s): a clock that is off, or a replay");
}

TEST_CASE("a clock off by more than half the window is a warning, not a failure") {
  Observation seen = healthy();
  seen.max_clock_skew = 10s;
  seen.members[0].clock_offset = 6s;   // c
  seen.members[1].clock_offset = -5s;  // a: exactly half, fine
  seen.members.push_back(member("z", false));
  seen.members.back().clock_offset = -9s;  // dead: not judged
  const Verdict v = judge(seen);
  CHECK(v.ok);
  REQUIRE(v.warnings.size() == 1);
  CHECK(v.warnings[0].find("member c's clock is off by +6s") == 0);
}

TEST_CASE("another cluster's traffic is counted, never a failure") {
  Observation seen = healthy();
  seen.keyed = true;
  drop(seen, lanlord::DropReason::kForeignCluster, 5);
  drop(seen, lanlord::DropReason::kForeignKey, 7);
  const Verdict v = judge(seen);
  CHECK(v.ok);
  CHECK(v.trust_problems.empty());
  REQUIRE(v.warnings.size() == 1);
  CHECK(v.warnings[0].find("5 datagrams of another cluster name, 7 with another key") !=
        std::string::npos);
  CHECK(v.stats.dropped(lanlord::DropReason::kForeignKey) == 7);
}

TEST_CASE("channel and trust problems are told together") {
  Observation seen = healthy();
  seen.leaders["default"] = {};
  drop(seen, lanlord::DropReason::kClockSkew, 1);
  const Verdict v = judge(seen);
  CHECK_FALSE(v.ok);
  CHECK(v.problem.find("1 of 1 channel has not exactly one leader; 1 message outside") == 0);
}

TEST_CASE("the observer's own warnings are listed, never a failure") {
  Observation seen = healthy();
  seen.node_warnings = {"traffic is not authenticated"};
  const Verdict v = judge(seen);
  CHECK(v.ok);
  CHECK(v.warnings == std::vector<std::string>{"traffic is not authenticated"});
}

TEST_CASE("a channel's verdict carries its leader's epoch and metadata, and its member count") {
  Observation seen = healthy();
  seen.members.push_back(member("d", true, {"other"}));
  seen.members.push_back(member("e", false));
  const Verdict v = judge(seen);
  REQUIRE(v.channels.size() == 2);
  CHECK(v.channels[0].channel == "default");
  CHECK(v.channels[0].epoch == 42);
  CHECK(v.channels[0].metadata == "203.0.113.5:8080");
  CHECK(v.channels[0].members == 3);  // a, b, c alive; e is dead, d elsewhere
}

TEST_CASE("two alive members declaring leadership at once are a split, even if one is reported") {
  Observation seen = healthy();
  lanlord::ChannelStats c;
  c.channel = "default";
  c.leader = PeerId("a");
  c.declaring = {PeerId("b"), PeerId("a")};
  seen.stats.channels = {c};
  const Verdict v = judge(seen);
  CHECK_FALSE(v.ok);
  REQUIRE(v.channels.size() == 1);
  CHECK(v.channels[0].problem == "split");
  CHECK(v.channels[0].declaring == std::vector<PeerId>{PeerId("a"), PeerId("b")});
  CHECK(v.channels[0].leaders == std::vector<PeerId>{PeerId("a"), PeerId("b")});
}

TEST_CASE("one declaring member is no split, and a dead declarer is no rival") {
  Observation seen = healthy();
  seen.members.push_back(member("0-old", false));
  lanlord::ChannelStats c;
  c.channel = "default";
  c.declaring = {PeerId("a"), PeerId("0-old")};
  seen.stats.channels = {c};
  const Verdict v = judge(seen);
  CHECK(v.ok);
  CHECK(v.channels[0].declaring == std::vector<PeerId>{PeerId("a")});
}

TEST_CASE("a split is found in a channel that no alive member announced") {
  Observation seen;
  seen.members = {member("a", true, {}), member("b", true, {})};
  lanlord::ChannelStats c;
  c.channel = "hidden";
  c.declaring = {PeerId("a"), PeerId("b")};
  seen.stats.channels = {c};
  const Verdict v = judge(seen);
  REQUIRE(v.channels.size() == 1);
  CHECK(v.channels[0].problem == "split");
}
