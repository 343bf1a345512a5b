// The split that lanlord's trust issue exists to fix, reproduced in
// simulated time on production NodeCores: a few forged or corrupted
// heartbeats carrying a live member's id with a raised PeerTime. Today they
// are believed (nothing authenticates them), so the member "restarts" in
// everyone's view, its real heartbeats become stale, it is declared dead,
// and the survivors elect someone else while it keeps leading: two or more
// leaders until the forged PeerTime is forgotten.
//
// Marked should_fail: the test states the behaviour we want (the leader set
// never changes) and fails today. When keyed authentication lands it must
// pass, and the marker goes.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "lanlord/profile.hpp"
#include "lanlord/sim/cluster.hpp"

using namespace lanlord;
using namespace std::chrono_literals;

namespace {

// What a bit flip in the incarnation of a captured heartbeat of `victim`
// produces: the same message with bit 40 of the incarnation set.
Message forged_heartbeat(const sim::SimCluster& c, std::size_t victim, std::uint64_t seq) {
  Message m;
  m.cluster = c.options().cluster;
  m.sender = c.id(victim);
  m.time = {c.core(victim).incarnation() | (std::uint64_t{1} << 40), seq};
  m.body = Heartbeat{{c.channel()}, ""};
  return m;
}

}  // namespace

TEST_CASE(
    "forged PeerTime (expected failure until authentication): a raised incarnation of the "
    "live leader splits a 3-node cluster" *
    doctest::should_fail()) {
  sim::SimClusterOptions o;
  o.profile = *find_profile("fast");
  sim::SimCluster c(o);
  for (const char* id : {"p0", "p1", "p2"}) c.spawn(id);
  REQUIRE(c.run_until([&] { return c.leader_ids() == std::vector<std::string>{"p0"}; }, 5s));
  c.run_for(1s);
  REQUIRE(c.leader_ids() == std::vector<std::string>{"p0"});

  // A handful of corrupted copies of p0's heartbeat reach p1 and p2.
  for (std::uint64_t k = 0; k < 3; ++k) {
    c.inject(1, forged_heartbeat(c, 0, 1 + k));
    c.inject(2, forged_heartbeat(c, 0, 1 + k));
  }

  // Wanted: nothing that is not believable changes anything. Watch the
  // leader set after every simulated event for 15 s (longer than the fast
  // profile's forget_after, which is how long the split lasts today).
  std::vector<std::string> changes;  // each new leader set, with its time
  std::vector<std::string> last = {"p0"};
  TimePoint wrong_since{}, wrong_until{};
  c.run_until(
      [&] {
        const auto now_leaders = c.leader_ids();
        if (now_leaders == last) return false;
        last = now_leaders;
        std::string s =
            "t=" + std::to_string(c.now().time_since_epoch().count() / 1000000) + "ms leaders:";
        for (const auto& l : now_leaders) s += " " + l;
        changes.push_back(s);
        if (changes.size() == 1) wrong_since = c.now();
        if (now_leaders == std::vector<std::string>{"p0"}) wrong_until = c.now();
        return false;
      },
      15s);
  for (const auto& s : changes) MESSAGE(s);
  if (!changes.empty()) {
    MESSAGE("leadership was wrong for "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   (wrong_until > wrong_since ? wrong_until : c.now()) - wrong_since)
                   .count()
            << " ms");
  }
  CHECK(changes.empty());
}
