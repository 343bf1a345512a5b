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
  seen.leaders = {{"default", PeerId("a")}};
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
  seen.leaders["default"] = std::nullopt;
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
