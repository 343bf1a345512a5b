// The election service driven by hand: a fake adapter whose view and
// inbound messages the test controls, on a virtual clock.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "lanlord/election.hpp"
#include "lanlord/sim/virtual_scheduler.hpp"
#include "scenario.hpp"

using namespace lanlord;
using namespace std::chrono_literals;

namespace {

struct Sent {
  TimePoint at;
  bool declaration;
};

class FakeAdapter : public ElectionAdapter {
 public:
  FakeAdapter(sim::VirtualScheduler& s, std::string self) : sched_(s), self_(std::move(self)) {
    view.push_back(self_);
  }
  void gossip(const ElectionMessage& m) override { sent.push_back({sched_.now(), m.declaration}); }
  void accept(MessageHandler h) override { handler = std::move(h); }
  ElectionMessage create_message(bool d) override { return {self_, d}; }
  std::vector<PeerId> peers() override { return view; }
  void report_metrics(bool) override {}

  // A peer's message; by default its epoch is above any this peer holds.
  void deliver(const std::string& from, bool declaration, std::uint64_t epoch = kPeerEpoch) {
    REQUIRE(handler);
    handler(ElectionMessage{PeerId(from), declaration, epoch, {}});
  }
  static constexpr std::uint64_t kPeerEpoch = std::uint64_t{1} << 60;
  std::size_t proposals_sent() const {
    std::size_t n = 0;
    for (auto& s : sent) n += !s.declaration;
    return n;
  }

  std::vector<PeerId> view;
  std::vector<Sent> sent;
  MessageHandler handler;

 private:
  sim::VirtualScheduler& sched_;
  PeerId self_;
};

struct Fixture {
  sim::VirtualScheduler sched;
  FakeAdapter adapter{sched, "m"};
  std::vector<std::optional<PeerId>> leader_changes;
  std::vector<bool> leadership;
  LeaderElectionService svc{adapter, sched, PeerId("m"), test::fabric_test_config(), callbacks()};

  ElectionCallbacks callbacks() {
    ElectionCallbacks cb;
    cb.on_leader_changed = [this](const std::optional<PeerId>& l) { leader_changes.push_back(l); };
    cb.on_leadership = [this](bool b) { leadership.push_back(b); };
    return cb;
  }
  Duration elapsed() const { return sched.now().time_since_epoch(); }
};

}  // namespace

TEST_CASE("startup ends at the first sample that equals the previous view size") {
  Fixture f;
  f.adapter.view.push_back(PeerId("z"));
  f.svc.start();
  f.sched.run_for(99ms);
  CHECK(f.adapter.sent.empty());
  f.sched.run_for(1ms);  // first sample at 100 ms: same size -> election
  REQUIRE(f.adapter.sent.size() == 1);
  CHECK_FALSE(f.adapter.sent[0].declaration);
  CHECK(f.svc.phase() == LeaderElectionService::Phase::kElecting);
}

TEST_CASE("startup waits while the view keeps changing, up to the grace period") {
  Fixture f;
  f.svc.start();
  int added = 0;
  // The view grows by one peer before every sample.
  for (int i = 0; i < 20 && f.adapter.sent.empty(); ++i) {
    f.adapter.view.push_back(PeerId("z" + std::to_string(added++)));
    f.sched.run_for(100ms);
  }
  REQUIRE(f.adapter.sent.size() == 1);
  // Fabric ends startup at the first sample strictly after the grace period.
  CHECK(f.elapsed() == 600ms);
}

TEST_CASE("a declaration ends startup at the next sample, and no election is run") {
  Fixture f;
  f.adapter.view.push_back(PeerId("a"));
  f.svc.start();
  f.adapter.view.push_back(PeerId("b"));  // the view changes, so startup would continue
  f.sched.run_for(50ms);
  f.adapter.deliver("b", true);
  CHECK(f.svc.leader() == PeerId("b"));
  f.sched.run_for(50ms);
  CHECK(f.svc.phase() == LeaderElectionService::Phase::kFollowing);
  CHECK(f.adapter.proposals_sent() == 0);
}

TEST_CASE("messages from peers outside the alive view are ignored") {
  Fixture f;
  f.svc.start();
  f.sched.run_for(100ms);         // electing now
  f.adapter.deliver("a", false);  // a lower proposal, but "a" is not in the view
  f.adapter.deliver("b", true);   // a declaration from outside the view
  CHECK_FALSE(f.svc.leader().has_value());
  f.sched.run_for(500ms);
  CHECK(f.svc.is_leader());
  CHECK(f.leadership == std::vector<bool>{true});
}

TEST_CASE("a lower proposal in the view makes this peer defer") {
  Fixture f;
  f.adapter.view.push_back(PeerId("a"));
  f.svc.start();
  f.sched.run_for(100ms);
  f.adapter.deliver("a", false);
  f.sched.run_for(500ms);
  CHECK_FALSE(f.svc.is_leader());
  CHECK(f.svc.phase() == LeaderElectionService::Phase::kFollowing);
}

TEST_CASE("leader() follows declarations and is forgotten after a silent window") {
  Fixture f;
  f.adapter.view.push_back(PeerId("a"));
  f.svc.start();
  f.adapter.deliver("a", true);
  f.sched.run_for(100ms);  // startup ends: a leader exists -> follower window of 500 ms
  CHECK(f.svc.leader() == PeerId("a"));
  f.sched.run_for(400ms);
  f.adapter.deliver("a", true);  // heard in this window
  f.sched.run_for(100ms);        // window ends at 600 ms: a leader was heard, follow on
  CHECK(f.svc.leader() == PeerId("a"));
  CHECK(f.adapter.proposals_sent() == 0);
  f.sched.run_for(500ms);  // a whole window without a declaration
  CHECK_FALSE(f.svc.leader().has_value());
  CHECK(f.adapter.proposals_sent() == 1);
  CHECK(f.leader_changes == std::vector<std::optional<PeerId>>{PeerId("a"), std::nullopt});
}

TEST_CASE("a follower keeps the lower leader it heard when a higher one also declares") {
  Fixture f;
  f.adapter.view = {PeerId("m"), PeerId("a"), PeerId("x")};
  f.svc.start();
  f.adapter.deliver("a", true);
  f.sched.run_for(100ms);
  f.adapter.deliver("a", true);
  f.adapter.deliver("x", true);  // "x" is about to step down in favour of "a"
  CHECK(f.svc.leader() == PeerId("a"));
}

TEST_CASE("the leader steps down on a lower declaration and names the new leader") {
  Fixture f;
  f.adapter.view.push_back(PeerId("a"));
  f.svc.start();
  f.sched.run_for(600ms);
  REQUIRE(f.svc.is_leader());
  CHECK(f.svc.leader() == PeerId("m"));
  f.adapter.deliver("z", true);  // z is not in the view: ignored
  f.adapter.view.push_back(PeerId("z"));
  f.adapter.deliver("z", true);  // higher id: the leader stays
  CHECK(f.svc.is_leader());
  CHECK(f.svc.leader() == PeerId("m"));
  // m answered z with a new term above z's epoch; a's is newer still.
  f.adapter.deliver("a", true, f.svc.epoch() + 1);
  CHECK_FALSE(f.svc.is_leader());
  CHECK(f.svc.leader() == PeerId("a"));
  CHECK(f.leadership == std::vector<bool>{true, false});
}

TEST_CASE("peer_down of the known leader starts an election at once") {
  Fixture f;
  f.adapter.view.push_back(PeerId("a"));
  f.svc.start();
  f.adapter.deliver("a", true);
  f.sched.run_for(200ms);
  REQUIRE(f.svc.phase() == LeaderElectionService::Phase::kFollowing);
  f.svc.peer_down(PeerId("zz"));  // not the leader: nothing happens
  f.sched.run_for(1ms);
  CHECK(f.adapter.proposals_sent() == 0);
  f.svc.peer_down(PeerId("a"));
  CHECK_FALSE(f.svc.leader().has_value());
  f.sched.run_for(1ms);
  CHECK(f.adapter.proposals_sent() == 1);  // well before the 500 ms window would end
  f.sched.run_for(500ms);
  CHECK(f.svc.is_leader());
}

TEST_CASE("yield is a no-op for a follower, and stop() is final and idempotent") {
  Fixture f;
  f.adapter.view.push_back(PeerId("a"));
  f.svc.start();
  f.adapter.deliver("a", true);
  f.sched.run_for(200ms);
  f.svc.yield();
  CHECK_FALSE(f.svc.is_yielding());
  const auto sent = f.adapter.sent.size();
  f.svc.stop();
  f.svc.stop();
  CHECK_FALSE(static_cast<bool>(f.adapter.handler));  // unsubscribed
  f.sched.run_for(1min);
  CHECK(f.adapter.sent.size() == sent);
  CHECK(f.sched.pending() == 0);
}

namespace {

struct HandoffFixture {
  static ElectionConfig config() {
    ElectionConfig c = test::fabric_test_config();
    c.instant_handoff = true;
    return c;
  }
  sim::VirtualScheduler sched;
  FakeAdapter adapter{sched, "m"};
  LeaderElectionService svc{adapter, sched, PeerId("m"), config()};

  // m starts with `a` and `other` in its view and follows a's declaration
  // (epoch 1000).
  void follow_a(const char* other) {
    adapter.view.push_back(PeerId("a"));
    adapter.view.push_back(PeerId(other));
    svc.start();
    adapter.deliver("a", true, 1000);
    sched.run_for(150ms);
  }
  // Membership reports that `id` died: it leaves the view, then peer_down.
  void lose(const char* id) {
    adapter.view.erase(std::find(adapter.view.begin(), adapter.view.end(), PeerId(id)));
    svc.peer_down(PeerId(id));
  }
};

}  // namespace

TEST_CASE("instant handoff: the successor takes over even when the leader's leave came first") {
  HandoffFixture f;
  f.adapter.view.push_back(PeerId("a"));
  f.adapter.view.push_back(PeerId("b"));  // below m: m does not take over on a's leave alone
  f.svc.start();
  f.adapter.deliver("a", true, 1000);  // a leads with epoch 1000
  REQUIRE(f.svc.leader() == PeerId("a"));
  f.sched.run_for(150ms);  // startup over: following a
  REQUIRE(f.svc.phase() == LeaderElectionService::Phase::kFollowing);
  REQUIRE(f.svc.leader() == PeerId("a"));
  // a's leave overtook its handoff: membership removed a, peer_down
  // started an election.
  f.lose("a");
  CHECK_FALSE(f.svc.leader().has_value());
  // A handoff of another epoch, or from another sender, is not a's.
  f.adapter.handler(ElectionMessage{PeerId("a"), false, 999, PeerId("m")});
  CHECK_FALSE(f.svc.is_leader());
  f.adapter.handler(ElectionMessage{PeerId("a"), false, 1000, PeerId("m")});
  CHECK(f.svc.is_leader());
  CHECK(f.svc.epoch() > 1000);
  CHECK(f.svc.handoffs_received() == 1);
}

TEST_CASE("instant handoff: when the leader dies the lowest alive id declares at once") {
  HandoffFixture f;
  f.follow_a("z");
  REQUIRE(f.svc.leader() == PeerId("a"));
  const std::size_t sent = f.adapter.sent.size();
  f.lose("a");
  // m is the lowest of m and z: it leads now, with a declaration and no
  // proposal, and an epoch above a's.
  CHECK(f.svc.is_leader());
  CHECK(f.svc.epoch() > 1000);
  REQUIRE(f.adapter.sent.size() == sent + 1);
  CHECK(f.adapter.sent.back().declaration);
}

TEST_CASE("instant handoff: after a pause, the lowest alive id elects instead of taking over") {
  // Woken from a freeze, a node reads its backlog in order: the leader's
  // leave can come before the heartbeat of a lower id that is back. Until
  // its view is fresh again, it elects (and hears that id) rather than
  // declaring at once on a stale view.
  HandoffFixture f;
  f.follow_a("z");
  REQUIRE(f.svc.leader() == PeerId("a"));
  f.svc.distrust_view(300ms);
  f.sched.run_for(299ms);
  f.adapter.deliver("a", true, 1000);
  f.lose("a");
  f.sched.run_for(1ms);
  CHECK_FALSE(f.svc.is_leader());
  CHECK(f.svc.phase() == LeaderElectionService::Phase::kElecting);
  CHECK(f.adapter.proposals_sent() == 1);
}

TEST_CASE("instant handoff: once the view is trusted again, the lowest alive id takes over") {
  HandoffFixture f;
  f.follow_a("z");
  f.svc.distrust_view(300ms);
  f.sched.run_for(300ms);
  f.adapter.deliver("a", true, 1000);
  f.lose("a");
  CHECK(f.svc.is_leader());
  CHECK(f.adapter.proposals_sent() == 0);
}

TEST_CASE("instant handoff: when the leader dies a peer that is not the lowest elects as usual") {
  HandoffFixture f;
  f.follow_a("b");
  f.lose("a");
  f.sched.run_for(1ms);
  CHECK_FALSE(f.svc.is_leader());
  CHECK(f.svc.phase() == LeaderElectionService::Phase::kElecting);
}
