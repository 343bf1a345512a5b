// NodeCore driven by hand on a virtual clock: admission (cluster, self, id
// conflicts, Fabric's PeerTime rule), routing, the Ready contract (what is
// queued, when, and nothing after stop), channel join/leave and the stats.
#include <doctest/doctest.h>

#include <algorithm>

#include <chrono>
#include <string>
#include <vector>

#include "lanlord/node_core.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/sim/virtual_scheduler.hpp"

using namespace lanlord;
using namespace std::chrono_literals;

namespace {

NodeCoreConfig make_config(bool passive = false) {
  NodeCoreConfig c;
  c.id = PeerId("me");
  c.cluster = "lanlord";
  c.channels = {"default"};
  c.profile = *find_profile("fast");
  c.incarnation = 100;
  c.passive = passive;
  return c;
}

struct Harness {
  sim::VirtualScheduler sched;
  NodeCore core;

  explicit Harness(NodeCoreConfig c = make_config()) : core(sched, std::move(c)) { core.start(); }

  Message message(Body body, const std::string& sender, PeerTime t) const {
    Message m;
    m.cluster = "lanlord";
    m.sender = PeerId(sender);
    m.time = t;
    m.sent_at = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(sched.wall_now().time_since_epoch())
            .count());
    // The instance of the node that sends as "me" (tests of its own messages).
    if (sender == "me") m.instance = 100;
    m.body = std::move(body);
    return m;
  }
  std::uint64_t dropped(DropReason r) const { return core.stats().dropped(r); }
};

Heartbeat hb() {
  return Heartbeat{{"default"}, ""};
}

}  // namespace

TEST_CASE("node core: start queues the first heartbeat, stop queues a leave and then nothing") {
  Harness h;
  Ready r = h.core.ready();
  REQUIRE(r.messages.size() == 1);
  CHECK(std::holds_alternative<Heartbeat>(r.messages[0].body));
  CHECK(r.messages[0].sender == PeerId("me"));
  CHECK(r.messages[0].time == PeerTime{100, 1});
  CHECK(std::get<Heartbeat>(r.messages[0].body).channels == std::vector<std::string>{"default"});
  CHECK_FALSE(h.core.has_ready());

  h.sched.run_for(100ms);  // one heartbeat interval of the fast profile
  r = h.core.ready();
  REQUIRE_FALSE(r.messages.empty());
  CHECK(r.messages.back().time.seq > 1);

  h.core.stop();
  r = h.core.ready();
  REQUIRE(r.messages.size() == 1);
  CHECK(std::holds_alternative<Leave>(r.messages[0].body));
  h.sched.run_for(10s);
  CHECK_FALSE(h.core.has_ready());
  CHECK(h.sched.pending() == 0);
}

TEST_CASE("node core: admission drops foreign, own, conflicting and malformed messages") {
  Harness h;
  (void)h.core.ready();
  Message foreign = h.message(Leave{}, "other", {1, 1});
  foreign.cluster = "another";
  h.core.step(foreign, "198.51.100.1:7676");
  h.core.step(h.message(hb(), "me", {100, 1}));   // our own first heartbeat, looped back
  Message twin = h.message(hb(), "me", {99, 1});  // another process with our id
  twin.instance = 99;
  h.core.step(twin);
  h.core.step(h.message(hb(), "", {1, 1}));  // no sender
  Message old = h.message(hb(), "other", {1, 1});
  old.version = 9;
  h.core.step(old);
  CHECK(h.dropped(DropReason::kForeignCluster) == 1);
  CHECK(h.dropped(DropReason::kSelf) == 1);
  CHECK(h.dropped(DropReason::kIdConflict) == 1);
  CHECK(h.dropped(DropReason::kMalformed) == 1);
  CHECK(h.dropped(DropReason::kUnknownVersion) == 1);
  CHECK(h.core.membership().alive_count() == 0);

  const Ready r = h.core.ready();
  REQUIRE(r.events.size() == 6);  // five drops and the id conflict
  const auto* conflict = std::get_if<IdConflict>(&r.events[3]);
  REQUIRE(conflict != nullptr);
  CHECK(conflict->instance == 99);
  CHECK_FALSE(conflict->duplicate);  // one unauthenticated datagram proves nothing
  CHECK_FALSE(conflict->refuted);    // and it claimed nothing newer than this node's own
  const auto* first = std::get_if<Dropped>(&r.events[0]);
  REQUIRE(first != nullptr);
  CHECK(first->reason == DropReason::kForeignCluster);
  CHECK(first->origin == "198.51.100.1:7676");

  h.core.drop(DropReason::kTruncated, "x");  // a datagram the codec rejected
  CHECK(h.dropped(DropReason::kTruncated) == 1);
  CHECK(h.core.stats().dropped_total() == 6);
}

TEST_CASE("node core: Fabric's PeerTime rule drops stale and duplicate messages") {
  Harness h;
  auto step = [&](PeerTime t) {
    const auto before = h.dropped(DropReason::kStale);
    h.core.step(h.message(hb(), "p", t));
    return h.dropped(DropReason::kStale) == before;  // admitted
  };
  CHECK(step({10, 5}));
  CHECK_FALSE(step({10, 5}));   // duplicate
  CHECK_FALSE(step({10, 4}));   // reordered, older
  CHECK_FALSE(step({9, 100}));  // a previous life
  CHECK(step({10, 6}));
  CHECK(step({11, 1}));        // restarted: a new life, its sequence starts over
  CHECK_FALSE(step({10, 7}));  // the old life is over
  CHECK(h.core.membership().find(PeerId("p"))->incarnation == 11);
}

TEST_CASE("node core: senders silent past the membership horizon are forgotten") {
  // A sender heard once, then silent for alive_expiration + forget_after
  // (plus a housekeeping period), is admitted afresh with the same PeerTime.
  Harness h;
  h.core.step(h.message(Leave{}, "p", {10, 5}));
  const MembershipConfig& m = h.core.config().profile.membership;
  h.sched.run_for(m.alive_expiration + m.forget_after +
                  2 * h.core.config().profile.election.declaration_interval());
  const auto stale = h.dropped(DropReason::kStale);
  h.core.step(h.message(Leave{}, "p", {10, 5}));
  CHECK(h.dropped(DropReason::kStale) == stale);
}

TEST_CASE("node core: leadership for an unknown channel is dropped, a known one is counted") {
  Harness h;
  h.core.step(h.message(hb(), "p", {1, 1}));
  h.core.step(h.message(Leadership{"elsewhere", true}, "p", {1, 2}));
  CHECK(h.dropped(DropReason::kUnknownChannel) == 1);
  h.core.step(h.message(Leadership{"default", false}, "p", {1, 3}));
  const NodeStats s = h.core.stats();
  REQUIRE(s.channels.size() == 1);
  CHECK(s.channels[0].proposals_received == 1);
  CHECK(s.messages_in == 3);
}

TEST_CASE("node core: joining and leaving a channel changes the heartbeat and the elections") {
  Harness h;
  (void)h.core.ready();
  REQUIRE(h.core.join_channel("jobs"));
  CHECK(h.core.channels() == std::vector<std::string>{"default", "jobs"});
  CHECK(h.core.election("jobs") != nullptr);
  CHECK_FALSE(h.core.join_channel(""));
  CHECK_FALSE(h.core.join_channel(std::string(kMaxChannelSize + 1, 'c')));
  h.sched.run_for(100ms);
  Ready r = h.core.ready();
  // (Alone, it also declared: fast startup.)
  const auto hb = std::find_if(r.messages.begin(), r.messages.end(), [](const Message& m) {
    return std::holds_alternative<Heartbeat>(m.body);
  });
  REQUIRE(hb != r.messages.end());
  CHECK(std::get<Heartbeat>(hb->body).channels == std::vector<std::string>{"default", "jobs"});
  h.core.leave_channel("default");
  CHECK(h.core.election("default") == nullptr);
  CHECK_FALSE(h.core.is_leader("default"));
  h.sched.run_for(100ms);
  r = h.core.ready();
  bool saw_heartbeat = false;
  for (const Message& m : r.messages) {
    if (const auto* b = std::get_if<Heartbeat>(&m.body)) {
      saw_heartbeat = true;
      CHECK(b->channels == std::vector<std::string>{"jobs"});
    }
  }
  CHECK(saw_heartbeat);
}

TEST_CASE("node core: a lone node elects itself and reports it once") {
  Harness h;
  h.sched.run_for(3s);
  CHECK(h.core.is_leader("default"));
  CHECK(h.core.leader("default") == PeerId("me"));
  int leader_events = 0, leadership_events = 0;
  for (const NodeEvent& e : h.core.ready().events) {
    if (const auto* lc = std::get_if<LeaderChanged>(&e)) {
      ++leader_events;
      CHECK(lc->is_self);
    }
    if (std::holds_alternative<LeadershipChanged>(e)) ++leadership_events;
  }
  CHECK(leader_events == 1);
  CHECK(leadership_events == 1);
}

TEST_CASE("node core: a passive node sends nothing and follows declarations") {
  Harness h(make_config(true));
  CHECK(h.core.ready().messages.empty());
  h.core.step(h.message(hb(), "p", {1, 1}));
  h.core.step(h.message(Leadership{"jobs", true}, "p", {1, 2}));
  CHECK(h.core.leader("jobs") == PeerId("p"));
  CHECK(h.core.channels() == std::vector<std::string>{"jobs"});
  h.core.step(h.message(hb(), "me", {100, 3}));  // a passive node has no voice: not our own
  CHECK(h.dropped(DropReason::kSelf) == 0);
  h.sched.run_for(5s);
  CHECK(h.core.ready().messages.empty());
  CHECK_FALSE(h.core.leader("jobs"));  // the leader stopped declaring and died
}

TEST_CASE("node core: a passive node times its failovers from the lost leader to the next") {
  // p leads "jobs" and goes silent; the watcher loses it (no leader), and
  // 300ms later q declares: one failover of 300ms (to the 1ms step at which
  // the loss was seen), in the bucket le 0.5. A passive node runs no elections.
  Harness h(make_config(true));
  h.core.step(h.message(hb(), "p", {1, 1}));
  h.core.step(h.message(Leadership{"jobs", true}, "p", {1, 2}));
  REQUIRE(h.core.leader("jobs") == PeerId("p"));
  while (h.core.leader("jobs")) h.sched.run_for(1ms);
  h.sched.run_for(300ms);
  h.core.step(h.message(hb(), "q", {2, 1}));
  h.core.step(h.message(Leadership{"jobs", true}, "q", {2, 2}));
  REQUIRE(h.core.leader("jobs") == PeerId("q"));
  const NodeStats s = h.core.stats();
  REQUIRE(s.channels.size() == 1);
  const FailoverHistogram& f = s.channels[0].failovers;
  CHECK(f.count == 1);
  CHECK(f.sum_seconds >= 0.3);
  CHECK(f.sum_seconds <= 0.301);
  CHECK(f.counts[5] == 1);  // le 0.5
  CHECK(s.channels[0].elections == 0);
}

TEST_CASE("node core: a bad config is refused at construction") {
  sim::VirtualScheduler sched;
  NodeCoreConfig c = make_config();
  c.id = PeerId();
  CHECK_FALSE(c.validate());
  CHECK_THROWS_AS(NodeCore(sched, c), std::invalid_argument);
  c = make_config();
  c.channels.clear();
  CHECK(c.validate().message().find("no channels") != std::string::npos);
}

TEST_CASE("node core: PeerTime holds per stream, and no stream goes back to an older life") {
  // A declaration overtaken in flight by a later heartbeat of the same
  // sender is still news (membership and leadership are separate streams);
  // a declaration of a life older than one already heard is not.
  Harness h;
  h.core.step(h.message(hb(), "p", {10, 2}));
  const auto stale = h.dropped(DropReason::kStale);
  h.core.step(h.message(Leadership{"default", true}, "p", {10, 1}));  // sent before the heartbeat
  CHECK(h.dropped(DropReason::kStale) == stale);
  h.core.step(h.message(hb(), "p", {11, 1}));                         // p restarted
  h.core.step(h.message(Leadership{"default", true}, "p", {10, 3}));  // its old life, late
  CHECK(h.dropped(DropReason::kStale) == stale + 1);
}

TEST_CASE("node core: made-up channel names grow no admission state") {
  // An outsider sending leadership for channels this node does not run gets
  // no stream per name; a passive node keeps at most kMaxChannels per sender.
  Harness h;
  for (int i = 0; i < 40; ++i) {
    h.core.step(h.message(Leadership{"made-up-" + std::to_string(i), true}, "p",
                          {1, static_cast<std::uint64_t>(i + 1)}));
  }
  CHECK(h.dropped(DropReason::kUnknownChannel) == 40);
  CHECK(h.core.stats().admission_streams == 0);  // checked before the sender gets any state

  Harness passive(make_config(true));
  for (int i = 0; i < 40; ++i) {
    passive.core.step(passive.message(Leadership{"c" + std::to_string(i), true}, "p",
                                      {1, static_cast<std::uint64_t>(i + 1)}));
  }
  CHECK(passive.core.stats().admission_streams == 1 + kMaxChannels);
  CHECK(passive.dropped(DropReason::kUnknownChannel) == 40 - kMaxChannels);
}
