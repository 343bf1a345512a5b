// Heartbeat membership on its own, driven by hand in simulated time.
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "lanlord/membership.hpp"
#include "lanlord/sim/virtual_scheduler.hpp"

using namespace std::chrono_literals;
using lanlord::Duration;
using lanlord::Member;
using lanlord::Membership;
using lanlord::MembershipConfig;
using lanlord::MembershipEvent;
using lanlord::PeerId;
using lanlord::TimePoint;
using lanlord::sim::VirtualScheduler;

namespace {

struct Seen {
  MembershipEvent event;
  std::string id;
  std::uint64_t incarnation;
  TimePoint at;
};

// One Membership for "self" (incarnation 1, channel "a"), 1s / 3s / 60s,
// with every event and heartbeat request recorded.
struct Fixture {
  VirtualScheduler sched;
  std::vector<Seen> events;
  std::vector<TimePoint> heartbeats_sent;
  Membership m;

  explicit Fixture(MembershipConfig config = {})
      : m(sched, PeerId("self"), 1, {"a"}, "meta", config,
          {[this] { heartbeats_sent.push_back(sched.now()); },
           [this](MembershipEvent e, const Member& mem) {
             events.push_back({e, mem.id.bytes(), mem.incarnation, sched.now()});
           },
           {}}) {}

  void hb(const char* id, std::uint64_t inc = 1, std::vector<std::string> channels = {},
          std::string meta = {}) {
    m.on_heartbeat(PeerId(id), inc, std::move(channels), std::move(meta));
  }
  // `id` heartbeats every second for `d` (as a live peer would).
  void keep_alive(const char* id, Duration d, std::uint64_t inc = 1) {
    const TimePoint end = sched.now() + d;
    while (sched.now() < end) {
      hb(id, inc);
      sched.run_for(1s);
    }
  }
  std::vector<std::string> alive() const {
    std::vector<std::string> out;
    for (const auto& p : m.alive_peers()) out.push_back(p.bytes());
    return out;
  }
  std::vector<std::string> alive(std::string_view channel) const {
    std::vector<std::string> out;
    for (const auto& p : m.alive_peers(channel)) out.push_back(p.bytes());
    return out;
  }
};

TimePoint at(Duration d) {
  return TimePoint{} + d;
}

}  // namespace

TEST_CASE("membership config: defaults are 1s / 3s / 60s and valid") {
  const MembershipConfig c;
  CHECK(c.heartbeat_interval == 1s);
  CHECK(c.alive_expiration == 3s);
  CHECK(c.forget_after == 60s);
  CHECK(c.validate().is_ok());
}

TEST_CASE("membership config: non-positive durations and expiration <= interval are rejected") {
  MembershipConfig c;
  c.forget_after = 0s;
  auto s = c.validate();
  CHECK_FALSE(s.is_ok());
  CHECK(s.message().find("forget_after") != std::string::npos);

  c = MembershipConfig{};
  c.heartbeat_interval = -1ms;
  s = c.validate();
  CHECK_FALSE(s.is_ok());
  CHECK(s.message().find("heartbeat_interval") != std::string::npos);

  c = MembershipConfig{};
  c.alive_expiration = c.heartbeat_interval;
  s = c.validate();
  CHECK_FALSE(s.is_ok());
  CHECK(s.message().find("alive_expiration") != std::string::npos);

  VirtualScheduler sched;
  CHECK_THROWS_AS(Membership(sched, PeerId("x"), 1, {}, {}, c), std::invalid_argument);
  CHECK_THROWS_AS(Membership(sched, PeerId(""), 1, {}, {}, MembershipConfig{}),
                  std::invalid_argument);
}

TEST_CASE("membership: event names") {
  CHECK(lanlord::to_string(MembershipEvent::kJoined) == "joined");
  CHECK(lanlord::to_string(MembershipEvent::kLeft) == "left");
  CHECK(lanlord::to_string(MembershipEvent::kDead) == "dead");
  CHECK(lanlord::to_string(MembershipEvent::kRestarted) == "restarted");
}

TEST_CASE("membership: inputs before start() are ignored and nothing is sent") {
  Fixture f;
  f.hb("p1");
  f.sched.run_for(5s);
  CHECK(f.heartbeats_sent.empty());
  CHECK(f.m.alive_peers().empty());
  CHECK_FALSE(f.m.running());
}

TEST_CASE("membership: a heartbeat from an unknown peer joins it with its details") {
  Fixture f;
  f.m.start();
  f.sched.run_for(250ms);
  f.hb("p2", 7, {"z", "a", "z"}, "hello");
  f.hb("p1");
  REQUIRE(f.events.size() == 2);
  CHECK(f.events[0].event == MembershipEvent::kJoined);
  CHECK(f.events[0].id == "p2");
  CHECK(f.events[0].incarnation == 7);
  CHECK(f.alive() == std::vector<std::string>{"p1", "p2"});  // sorted
  CHECK(f.m.alive_count() == 2);
  CHECK(f.m.is_alive(PeerId("p2")));
  CHECK_FALSE(f.m.is_alive(PeerId("p3")));

  const auto p2 = f.m.find(PeerId("p2"));
  REQUIRE(p2);
  CHECK(p2->alive);
  CHECK(p2->incarnation == 7);
  CHECK(p2->channels == std::vector<std::string>{"a", "z"});  // sorted, deduplicated
  CHECK(p2->metadata == "hello");
  CHECK(p2->last_seen == at(250ms));

  // A repeat of the same life refreshes it without another event.
  f.sched.run_for(500ms);
  f.hb("p2", 7, {"b"}, "bye");
  CHECK(f.events.size() == 2);
  CHECK(f.m.find(PeerId("p2"))->last_seen == at(750ms));
  CHECK(f.m.find(PeerId("p2"))->channels == std::vector<std::string>{"b"});
  CHECK(f.m.stats().heartbeats == 3);
}

TEST_CASE("membership: heartbeats and leaves carrying our own id are ignored") {
  Fixture f;
  f.m.start();
  f.hb("self", 99);
  f.m.on_leave(PeerId("self"), 99);
  CHECK(f.events.empty());
  CHECK(f.m.alive_peers().empty());
  CHECK_FALSE(f.m.is_alive(PeerId("self")));
  CHECK(f.m.stats().self_ignored == 2);
  CHECK(f.m.stats().heartbeats == 0);
  const Member me = f.m.self();
  CHECK(me.id == PeerId("self"));
  CHECK(me.incarnation == 1);
  CHECK(me.channels == std::vector<std::string>{"a"});
  CHECK(me.metadata == "meta");
  CHECK(me.alive);
}

TEST_CASE("membership: a silent peer dies exactly alive_expiration after its last heartbeat") {
  Fixture f;
  f.m.start();
  f.sched.run_for(100ms);
  f.hb("p1");
  f.sched.run_until(at(100ms + 3s - 1ns));
  CHECK(f.m.is_alive(PeerId("p1")));
  CHECK(f.events.size() == 1);
  f.sched.run_until(at(100ms + 3s));
  CHECK_FALSE(f.m.is_alive(PeerId("p1")));
  REQUIRE(f.events.size() == 2);
  CHECK(f.events[1].event == MembershipEvent::kDead);
  CHECK(f.events[1].id == "p1");
  CHECK(f.events[1].at == at(100ms + 3s));
  // Dead but still known.
  const auto p1 = f.m.find(PeerId("p1"));
  REQUIRE(p1);
  CHECK_FALSE(p1->alive);
  CHECK(f.m.members().size() == 1);
  CHECK(f.m.alive_count() == 0);
}

TEST_CASE("membership: regular heartbeats keep a peer alive, each one moves its deadline") {
  Fixture f;
  f.m.start();
  f.keep_alive("p1", 20s);      // last heartbeat at 19s
  CHECK(f.events.size() == 1);  // only the join
  CHECK(f.m.is_alive(PeerId("p1")));
  f.sched.run_until(at(22s - 1ns));
  CHECK(f.m.is_alive(PeerId("p1")));
  f.sched.run_until(at(22s));
  CHECK_FALSE(f.m.is_alive(PeerId("p1")));
  CHECK(f.m.stats().dead == 1);
}

TEST_CASE("membership: a dead peer is forgotten forget_after later, silently") {
  Fixture f;
  f.m.start();
  f.hb("p1");
  f.sched.run_until(at(3s));  // dead
  REQUIRE(f.m.find(PeerId("p1")));
  f.sched.run_until(at(3s + 60s - 1ns));
  CHECK(f.m.find(PeerId("p1")));
  f.sched.run_until(at(3s + 60s));
  CHECK_FALSE(f.m.find(PeerId("p1")));
  CHECK(f.m.members().empty());
  CHECK(f.m.stats().forgotten == 1);
  CHECK(f.events.size() == 2);  // joined, dead; forgetting has no event
  // Once forgotten it is a stranger again: it may join as anything.
  f.hb("p1", 1);
  CHECK(f.events.back().event == MembershipEvent::kJoined);
}

TEST_CASE("membership: a dead peer that speaks again with the same life rejoins") {
  Fixture f;
  f.m.start();
  f.hb("p1");
  f.sched.run_for(10s);
  REQUIRE_FALSE(f.m.is_alive(PeerId("p1")));
  f.hb("p1");
  CHECK(f.m.is_alive(PeerId("p1")));
  REQUIRE(f.events.size() == 3);
  CHECK(f.events[2].event == MembershipEvent::kJoined);
  // And the rejoined peer gets a fresh deadline rather than its forget time.
  f.sched.run_until(at(13s - 1ns));
  CHECK(f.m.is_alive(PeerId("p1")));
  f.sched.run_until(at(13s));
  CHECK_FALSE(f.m.is_alive(PeerId("p1")));
}

TEST_CASE("membership: a leave removes the peer at once and late copies do not revive it") {
  Fixture f;
  f.m.start();
  f.hb("p1", 4);
  f.hb("p2", 1);
  f.sched.run_for(500ms);
  f.m.on_leave(PeerId("p1"), 4);
  CHECK_FALSE(f.m.is_alive(PeerId("p1")));
  CHECK_FALSE(f.m.find(PeerId("p1")));
  CHECK(f.alive() == std::vector<std::string>{"p2"});
  REQUIRE(f.events.size() == 3);
  CHECK(f.events[2].event == MembershipEvent::kLeft);
  CHECK(f.events[2].id == "p1");
  CHECK(f.events[2].at == at(500ms));

  // A heartbeat sent before the leave but delivered after it, and a duplicate leave.
  f.hb("p1", 4);
  f.m.on_leave(PeerId("p1"), 4);
  CHECK_FALSE(f.m.is_alive(PeerId("p1")));
  CHECK(f.events.size() == 3);
  CHECK(f.m.stats().stale_dropped == 1);
  CHECK(f.m.stats().left == 1);

  // No kDead either when its deadline would have passed.
  f.sched.run_for(10s);
  CHECK(f.m.stats().dead == 1);  // p2 only
  CHECK(f.events.back().id == "p2");

  // A new life of p1 is welcome.
  f.hb("p1", 5);
  CHECK(f.m.is_alive(PeerId("p1")));
  CHECK(f.events.back().event == MembershipEvent::kJoined);
  CHECK(f.events.back().incarnation == 5);
}

TEST_CASE("membership: a leave from an older life is ignored, one for a dead peer is silent") {
  Fixture f;
  f.m.start();
  f.hb("p1", 3);
  f.m.on_leave(PeerId("p1"), 2);
  CHECK(f.m.is_alive(PeerId("p1")));
  CHECK(f.m.stats().stale_dropped == 1);
  CHECK(f.events.size() == 1);

  f.sched.run_for(5s);  // p1 dies
  REQUIRE(f.events.size() == 2);
  f.m.on_leave(PeerId("p1"), 3);
  CHECK_FALSE(f.m.find(PeerId("p1")));
  CHECK(f.events.size() == 2);  // kDead was already reported
}

TEST_CASE("membership: a leave overtaking the first heartbeat keeps the peer out") {
  Fixture f;
  f.m.start();
  f.m.on_leave(PeerId("p1"), 2);
  f.hb("p1", 2);
  CHECK_FALSE(f.m.is_alive(PeerId("p1")));
  CHECK(f.events.empty());
  CHECK(f.m.members().empty());
  // The tombstone is forgotten like a dead peer.
  f.sched.run_for(61s);
  CHECK(f.m.stats().forgotten == 1);
  f.hb("p1", 2);
  CHECK(f.m.is_alive(PeerId("p1")));
}

TEST_CASE("membership: a higher incarnation is a restart, a lower one is stale") {
  Fixture f;
  f.m.start();
  f.hb("p1", 10);
  f.sched.run_for(1s);
  f.hb("p1", 11, {}, "second life");
  REQUIRE(f.events.size() == 2);
  CHECK(f.events[1].event == MembershipEvent::kRestarted);
  CHECK(f.events[1].incarnation == 11);
  CHECK(f.m.find(PeerId("p1"))->metadata == "second life");

  // A heartbeat of the previous life, delayed in the network, changes nothing.
  f.sched.run_for(1s);
  f.hb("p1", 10, {}, "first life");
  CHECK(f.events.size() == 2);
  CHECK(f.m.stats().stale_dropped == 1);
  const auto p1 = f.m.find(PeerId("p1"));
  CHECK(p1->incarnation == 11);
  CHECK(p1->metadata == "second life");
  CHECK(p1->last_seen == at(1s));  // the stale copy did not refresh it

  // A restart seen only after death is a join, not a restart.
  f.sched.run_for(10s);
  REQUIRE(f.events.back().event == MembershipEvent::kDead);
  f.hb("p1", 12);
  CHECK(f.events.back().event == MembershipEvent::kJoined);
  CHECK(f.m.stats().restarted == 1);
}

TEST_CASE("membership: per-channel views") {
  Fixture f;
  f.m.start();
  f.hb("p1", 1, {"orders", "billing"});
  f.hb("p2", 1, {"orders"});
  f.hb("p3", 1, {});
  CHECK(f.alive("orders") == std::vector<std::string>{"p1", "p2"});
  CHECK(f.alive("billing") == std::vector<std::string>{"p1"});
  CHECK(f.alive("nothing").empty());
  CHECK(f.m.is_alive(PeerId("p1"), "billing"));
  CHECK_FALSE(f.m.is_alive(PeerId("p2"), "billing"));
  CHECK_FALSE(f.m.is_alive(PeerId("p3"), "orders"));
  CHECK(f.m.is_alive(PeerId("p3")));

  // Channels follow the latest heartbeat; dead peers leave every channel view.
  f.hb("p2", 1, {"billing"});
  CHECK(f.alive("orders") == std::vector<std::string>{"p1"});
  CHECK(f.alive("billing") == std::vector<std::string>{"p1", "p2"});
  f.sched.run_for(500ms);
  f.hb("p2", 1, {"billing"});
  f.sched.run_until(at(3s));  // p1 and p3 die, p2 has 500ms left
  CHECK(f.alive("billing") == std::vector<std::string>{"p2"});
  CHECK_FALSE(f.m.is_alive(PeerId("p1"), "orders"));
}

TEST_CASE("membership: heartbeats go out on start() and then every interval") {
  Fixture f;
  f.sched.run_for(123ms);
  f.m.start();
  REQUIRE(f.heartbeats_sent.size() == 1);  // before start() returned
  CHECK(f.heartbeats_sent[0] == at(123ms));
  f.sched.run_for(10s);
  REQUIRE(f.heartbeats_sent.size() == 11);
  for (std::size_t k = 0; k < f.heartbeats_sent.size(); ++k) {
    CHECK(f.heartbeats_sent[k] == at(123ms + k * 1s));
  }
}

namespace {
// A scheduler whose timers all fire 30ms late, like a busy event loop.
class LateScheduler final : public lanlord::Scheduler {
 public:
  explicit LateScheduler(VirtualScheduler& inner) : inner_(inner) {}
  TimePoint now() const override { return inner_.now(); }
  TimerId call_after(Duration delay, std::function<void()> fn) override {
    return inner_.call_after(delay + 30ms, std::move(fn));
  }
  void cancel(TimerId id) override { inner_.cancel(id); }

 private:
  VirtualScheduler& inner_;
};
}  // namespace

TEST_CASE("membership: the heartbeat period does not drift when timers fire late") {
  // Each tick is 30ms late, but the next one is aimed at the original grid,
  // so the lateness does not add up (relative re-arming would reach 300ms).
  VirtualScheduler sched;
  LateScheduler late(sched);
  std::vector<TimePoint> sent;
  Membership m(late, PeerId("self"), 1, {}, {}, MembershipConfig{},
               {[&] { sent.push_back(sched.now()); }, {}, {}});
  m.start();
  sched.run_for(10s + 100ms);
  REQUIRE(sent.size() == 11);
  CHECK(sent[0] == at(0s));
  for (std::size_t k = 1; k < sent.size(); ++k) CHECK(sent[k] == at(k * 1s + 30ms));
}

TEST_CASE("membership: stop() silences heartbeats, events and inputs, and is idempotent") {
  Fixture f;
  f.m.start();
  f.hb("p1");
  f.hb("p2", 1, {"c"});
  f.sched.run_for(1500ms);
  const std::size_t sent = f.heartbeats_sent.size();
  const std::size_t events = f.events.size();
  f.m.stop();
  f.m.stop();
  CHECK_FALSE(f.m.running());
  f.hb("p3");
  f.m.on_leave(PeerId("p1"), 1);
  f.sched.run_for(2min);  // long past every expiry and forget deadline
  CHECK(f.heartbeats_sent.size() == sent);
  CHECK(f.events.size() == events);
  CHECK(f.sched.pending() == 0);
  // The view stays as it was for the queries.
  CHECK(f.alive() == std::vector<std::string>{"p1", "p2"});
  CHECK_FALSE(f.m.self().alive);
  f.m.start();  // no restart after stop
  CHECK(f.heartbeats_sent.size() == sent);
}

TEST_CASE("membership: stop() from inside on_event ends the sweep at once") {
  VirtualScheduler sched;
  std::vector<std::string> dead;
  Membership* self = nullptr;
  Membership m(sched, PeerId("self"), 1, {}, {}, MembershipConfig{},
               {{},
                [&](MembershipEvent e, const Member& mem) {
                  if (e != MembershipEvent::kDead) return;
                  dead.push_back(mem.id.bytes());
                  self->stop();
                },
                {}});
  self = &m;
  m.start();
  for (const char* id : {"p1", "p2", "p3"}) m.on_heartbeat(PeerId(id), 1, {}, {});
  sched.run_for(10s);
  CHECK(dead == std::vector<std::string>{"p1"});  // all three were due together
}

TEST_CASE("membership: one timer for a thousand peers, and they all expire on time") {
  Fixture f;
  f.m.start();
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 1000; ++i) f.hb(("p" + std::to_string(i)).c_str());
    // The heartbeat timer and the expiry timer, however many peers.
    CHECK(f.sched.pending() <= 2);
    f.sched.run_for(1s);
  }
  CHECK(f.m.alive_count() == 1000);
  const std::uint64_t events_before = f.sched.events_run();
  f.sched.run_until(at(2s + 3s));  // last heartbeats at 2s
  CHECK(f.m.alive_count() == 0);
  CHECK(f.m.stats().dead == 1000);
  for (const auto& s : f.events) {
    if (s.event == MembershipEvent::kDead) CHECK(s.at == at(5s));
  }
  // A few wake-ups in all, not one per peer.
  CHECK(f.sched.events_run() - events_before < 10);
}

TEST_CASE("membership: with late timers peers die late, never early, and are still forgotten") {
  VirtualScheduler sched;
  LateScheduler late(sched);
  std::vector<Seen> events;
  Membership m(late, PeerId("self"), 1, {}, {}, MembershipConfig{},
               {{},
                [&](MembershipEvent e, const Member& mem) {
                  events.push_back({e, mem.id.bytes(), mem.incarnation, sched.now()});
                },
                {}});
  m.start();
  m.on_heartbeat(PeerId("p1"), 1, {}, {});
  sched.run_until(at(3s + 10ms));
  m.on_leave(PeerId("p2"), 1);  // a tombstone queued before p1's death is handled
  sched.run_until(at(3s + 29ms));
  CHECK(m.is_alive(PeerId("p1")));
  sched.run_until(at(3s + 30ms));
  REQUIRE(events.size() == 2);
  CHECK(events[1].event == MembershipEvent::kDead);
  CHECK(events[1].at == at(3s + 30ms));
  sched.run_until(at(63s));
  CHECK(m.find(PeerId("p1")));
  sched.run_until(at(64s));
  CHECK_FALSE(m.find(PeerId("p1")));
  CHECK(m.stats().forgotten == 2);
}

TEST_CASE("suspicion: another message of a peer heard recently does not postpone its death") {
  // A leader's declaration sent just after its last heartbeat, then a
  // crash: death stays alive_expiration after the heartbeat, not after the
  // declaration (1 s / 3 s, suspected after 1.2 s).
  MembershipConfig config;
  config.suspicion = true;
  Fixture f(config);
  f.m.start();
  f.hb("p");
  const TimePoint last_heartbeat = f.sched.now();
  f.sched.run_for(500ms);
  f.m.on_activity(PeerId("p"), 1);  // not suspected: no proof needed, none taken
  CHECK(f.m.stats().activity == 0);
  f.sched.run_for(2500ms);
  REQUIRE_FALSE(f.events.empty());
  CHECK(f.events.back().event == MembershipEvent::kDead);
  CHECK(f.events.back().at == last_heartbeat + config.alive_expiration);
}

TEST_CASE("suspicion: another message of a suspected peer keeps it alive") {
  MembershipConfig config;
  config.suspicion = true;
  Fixture f(config);
  f.m.start();
  f.hb("p");
  f.sched.run_for(1500ms);  // suspected after 1.2 s
  f.m.on_activity(PeerId("p"), 1);
  CHECK(f.m.stats().activity == 1);
  f.sched.run_for(2900ms);  // 4.4 s after the heartbeat, 2.9 s after the declaration
  CHECK(f.alive() == std::vector<std::string>{"p"});
  f.sched.run_for(100ms);
  CHECK(f.alive().empty());
}
