// NodeCore's trust rules driven by hand on a virtual clock: freshness,
// plausibility, duplicate ids, the member cap and the new-id rate, and the
// warnings. The adversary over many seeds is in adversary_test.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "lanlord/node_core.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/sim/virtual_scheduler.hpp"

using namespace lanlord;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kMyInstance = 1'767'225'600'000'000'000;  // the sim's wall epoch

NodeCoreConfig config(bool authenticated = false) {
  NodeCoreConfig c;
  c.id = PeerId("me");
  c.channels = {"default"};
  c.profile = *find_profile("fast");
  c.authenticated = authenticated;
  return c;
}

struct Harness {
  sim::VirtualScheduler sched;
  NodeCore core;
  explicit Harness(NodeCoreConfig c = config()) : core(sched, std::move(c)) {
    core.start();
    (void)core.ready();
  }
  std::uint64_t wall() const {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(sched.wall_now().time_since_epoch())
            .count());
  }
  // A heartbeat from `sender`, whose life began `age` before its first
  // message here (the same life for every later message).
  Message hb(const std::string& sender, std::uint64_t seq, Duration age = 1s) {
    auto [life, fresh] = lives.try_emplace(sender, 0);
    if (fresh) {
      life->second =
          wall() - static_cast<std::uint64_t>(
                       std::chrono::duration_cast<std::chrono::nanoseconds>(age).count());
    }
    Message m;
    m.cluster = "lanlord";
    m.sender = PeerId(sender);
    m.time = {life->second, seq};
    m.sent_at = wall();
    m.instance = m.time.incarnation;
    m.body = Heartbeat{{"default"}, "", timings_fingerprint(*find_profile("fast"))};
    return m;
  }
  std::uint64_t dropped(DropReason r) const { return core.stats().dropped(r); }
  std::map<std::string, std::uint64_t> lives;
  template <typename E>
  std::vector<E> events() {
    std::vector<E> out;
    for (NodeEvent& e : core.ready().events) {
      if (auto* x = std::get_if<E>(&e)) out.push_back(*x);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("trust: a send time outside the skew window is clock_skew, inside it is admitted") {
  Harness h;
  Message m = h.hb("p", 1);
  m.sent_at = h.wall() - 31'000'000'000;  // 31 s old: a replay of an old recording
  CHECK_FALSE(h.core.step(m));
  m.sent_at = h.wall() + 31'000'000'000;  // 31 s ahead
  CHECK_FALSE(h.core.step(m));
  CHECK(h.dropped(DropReason::kClockSkew) == 2);
  m.sent_at = h.wall() - 29'000'000'000;
  CHECK(h.core.step(m));
  // The offset is recorded and, beyond half the window, warned about once.
  const auto warnings = h.events<Warning>();
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].kind == WarningKind::kClockOffset);
  CHECK(h.core.members()[1].clock_offset == -29s);
  CHECK(h.core.stats().max_clock_offset == 29s);
}

TEST_CASE(
    "trust: a sequence jump beyond the sender's rate is implausible while its stream "
    "advances") {
  Harness h;
  const TrustConfig t;
  std::uint64_t seq = 1;
  CHECK(h.core.step(h.hb("p", seq)));
  for (int i = 0; i < 10; ++i) {  // one second of heartbeats
    h.sched.run_for(100ms);
    CHECK(h.core.step(h.hb("p", ++seq)));
  }
  // Heard 100 ms ago: at most the slack plus a tenth of max_send_rate.
  h.sched.run_for(100ms);
  CHECK_FALSE(h.core.step(h.hb("p", seq + t.seq_slack + t.max_send_rate / 10 + 100)));
  CHECK(h.dropped(DropReason::kImplausible) == 1);
  CHECK(h.core.step(h.hb("p", seq + t.seq_slack)));
  seq += t.seq_slack;
  // A sender that refuted claims this node never heard jumps by their sum;
  // once its stream has stood still for 1.5 heartbeat intervals the jump is
  // believed, within the absolute bound of its life's age.
  h.sched.run_for(200ms);
  CHECK(h.core.step(h.hb("p", seq + 3 * t.seq_slack)));
  CHECK(h.dropped(DropReason::kImplausible) == 1);
  // The absolute bound still holds: no life sends faster than the rate.
  h.sched.run_for(200ms);
  CHECK_FALSE(h.core.step(h.hb("p", std::uint64_t{1} << 40)));
  CHECK(h.dropped(DropReason::kImplausible) == 2);
}

TEST_CASE("trust: with a key, a live process with this id that started earlier stops this one") {
  Harness h(config(true));
  Message twin = h.hb("me", 5, 10s);  // started 10 s before this node
  h.core.step(twin, "192.0.2.7:7676");
  const auto conflicts = h.events<IdConflict>();
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].duplicate);
  CHECK(conflicts[0].stopped);
  CHECK(conflicts[0].origin == "192.0.2.7:7676");
  CHECK_FALSE(h.core.running());
  CHECK(h.core.stats().duplicate_id);
  // Halted without a leave: a leave with this id would remove the other.
  CHECK(h.core.ready().messages.empty());
}

TEST_CASE("trust: with a key, a later process with this id is reported and this one runs on") {
  Harness h(config(true));
  h.sched.run_for(2s);
  Message newer = h.hb("me", 3, 1s);  // started 1 s after this node
  h.core.step(newer, "192.0.2.7:7676");
  const auto conflicts = h.events<IdConflict>();
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].duplicate);
  CHECK_FALSE(conflicts[0].stopped);
  CHECK(h.core.running());
}

TEST_CASE("trust: with a key, a replay of this node's earlier life is no duplicate") {
  Harness h(config(true));
  h.sched.run_for(2s);
  Message old = h.hb("me", 9, 20s);
  old.sent_at = kMyInstance - 5'000'000'000;  // sent before this node started
  h.core.step(old);
  CHECK(h.core.running());
  CHECK_FALSE(h.core.stats().duplicate_id);
}

TEST_CASE("trust: without a key, a duplicate needs three heartbeat intervals from one address") {
  Harness h;
  const Duration hb = h.core.config().profile.membership.heartbeat_interval;
  std::uint64_t seq = 1;
  // From changing addresses it never counts.
  for (int i = 0; i < 10; ++i) {
    h.core.step(h.hb("me", seq++, 10s), "192.0.2." + std::to_string(i) + ":7676");
    h.sched.run_for(hb);
  }
  CHECK(h.core.running());
  CHECK_FALSE(h.core.stats().duplicate_id);
  // From one address: not yet after two intervals, stopped after three.
  for (int i = 0; i < 3; ++i) {
    h.core.step(h.hb("me", seq++, 10s), "192.0.2.50:7676");
    h.sched.run_for(hb);
  }
  CHECK(h.core.running());
  h.core.step(h.hb("me", seq++, 10s), "192.0.2.50:7676");
  CHECK_FALSE(h.core.running());
  CHECK(h.core.stats().duplicate_id);
}

TEST_CASE("trust: the member cap evicts never-confirmed ids first, and keeps confirmed ones") {
  NodeCoreConfig c = config();
  c.trust.max_members = 8;
  Harness h(c);
  // Four confirmed members (heard twice).
  for (int i = 0; i < 4; ++i) {
    h.core.step(h.hb("real-" + std::to_string(i), 1));
    h.core.step(h.hb("real-" + std::to_string(i), 2));
  }
  // A hundred made-up ids, each heard once.
  for (int i = 0; i < 100; ++i) h.core.step(h.hb("fake-" + std::to_string(i), 1));
  const NodeStats s = h.core.stats();
  CHECK(s.peers == 8);
  CHECK(s.evictions == 96);
  CHECK(h.core.membership().members().size() == 8);
  for (int i = 0; i < 4; ++i) {
    CHECK(h.core.membership().is_alive(PeerId("real-" + std::to_string(i))));
  }
  // Full of confirmed members: a newcomer is refused, nobody is evicted.
  NodeCoreConfig tight = config();
  tight.trust.max_members = 2;
  Harness t(tight);
  for (const char* id : {"a", "b"}) {
    t.core.step(t.hb(id, 1));
    t.core.step(t.hb(id, 2));
  }
  CHECK_FALSE(t.core.step(t.hb("c", 1)));
  CHECK(t.dropped(DropReason::kMemberCap) == 1);
  CHECK(t.core.stats().evictions == 0);
}

TEST_CASE("trust: new ids are admitted at most new_ids_per_second, known ids are not limited") {
  NodeCoreConfig c = config();
  c.trust.new_ids_per_second = 50;
  Harness h(c);
  int admitted = 0;
  for (int i = 0; i < 200; ++i) admitted += h.core.step(h.hb("n" + std::to_string(i), 1)) ? 1 : 0;
  CHECK(admitted == 50);
  CHECK(h.dropped(DropReason::kRateLimited) == 150);
  CHECK(h.core.step(h.hb("n0", 2)));  // a known id passes
  h.sched.run_for(100ms);             // a tenth of a second refills five
  admitted = 0;
  for (int i = 200; i < 220; ++i) admitted += h.core.step(h.hb("n" + std::to_string(i), 1)) ? 1 : 0;
  CHECK(admitted == 5);
}

TEST_CASE(
    "trust: warnings: unauthenticated at start, different timings once per peer, alone on "
    "loopback") {
  sim::VirtualScheduler sched;
  NodeCoreConfig c = config();
  c.loopback = true;
  NodeCore core(sched, c);
  core.start();
  std::vector<WarningKind> kinds;
  const auto take = [&] {
    for (NodeEvent& e : core.ready().events) {
      if (auto* w = std::get_if<Warning>(&e)) kinds.push_back(w->kind);
    }
  };
  take();
  CHECK(kinds == std::vector<WarningKind>{WarningKind::kUnauthenticated});
  sched.run_for(c.profile.election.startup_grace_period + 10ms);
  take();
  CHECK(kinds.back() == WarningKind::kAlone);

  Harness h;
  Message m = h.hb("p", 1);
  std::get<Heartbeat>(m.body).timings = timings_fingerprint(*find_profile("lan"));
  h.core.step(m);
  m.time.seq = 2;
  h.core.step(m);
  const auto w = h.events<Warning>();
  REQUIRE(w.size() == 1);
  CHECK(w[0].kind == WarningKind::kTimingsDiffer);
  CHECK(w[0].peer == PeerId("p"));
}

TEST_CASE("trust: a keyed node warns of nothing at start, and is not alone when it hears a peer") {
  sim::VirtualScheduler sched;
  NodeCoreConfig c = config(true);
  c.loopback = true;
  NodeCore core(sched, c);
  core.start();
  CHECK(core.ready().events.empty());
  Harness helper;  // only for its message builder's clock (same epoch)
  core.step(helper.hb("p", 1));
  sched.run_for(c.profile.election.startup_grace_period + 10ms);
  for (NodeEvent& e : core.ready().events) CHECK_FALSE(std::holds_alternative<Warning>(e));
}
