// Randomized simulation: random clusters under random faults, then a quiet
// period, a stability check and one probe whose outcome Fabric's rules fix.
// Every run is a pure function of its seed and stops at its first
// violation.
//
//   LANLORD_SIM_SEEDS=N        how many seeds to run (defaults: 500 and 200)
//   LANLORD_SIM_SEED=S         replay exactly one seed (printed on failure)
//   LANLORD_SIM_KEEP_GOING=1   run every seed instead of stopping at the first failure
//   LANLORD_SIM_WIRE_EVERY=K   the wire codec with corruption on every K-th seed
//                              (default 8 in the first sweep, 0 in the second; 0: never)
//
// Faults during the chaos: crashes and restarts, graceful leaves, yields,
// stopped and rejoined elections (NodeCore::leave_channel / join_channel,
// Fabric's Stop), partitions and heals, lossy and duplicating links with
// jitter (so reordering), bad links, and, on every 8th seed of the first
// sweep when the transport is built, the real Cap'n Proto codec on the
// wire with a fraction of copies truncated, replaced by junk or with a
// header bit flipped, which the codec must reject.
//
// What is checked (each at the first moment it breaks):
//   safety      no node keeps leading after it believed a lower id's declaration
//   elections   a node that becomes leader heard no proposal from a lower id in
//               its view during its election (Fabric: the lowest proposer wins)
//   step-downs  a leader that is running and in the channel stops leading only
//               after a lower id declared within reach of it (a leader that is
//               alive and heard stays)
//   agreement   after the quiet period W: one leader per component, named by all
//   stability   then the leader set and every node's leader stay unchanged for
//               2T, and each leader declares every T/2 (within the delay)
//   probe       (half the seeds) one of: heal a partition that was kept (the lower of the sides'
//               leaders wins); crash, leave, yield or stop the leader (someone
//               else leads, agreed and stable); crash a follower (nothing changes)
//
// Stabilization window, from the config (G startup grace, S sample
// interval, T leader_alive_threshold, E leader_election_duration, D the
// largest one-way delay):
//
//   W = G + S            a node restarted just before the quiet period leaves startup
//     + D + 2T           a follower that heard a now-unreachable leader waits out
//                        the window it heard it in and one silent window more
//     + 2(E + T)         an election round may yield nobody (stale lower
//                        proposals from the faulty period); the next one succeeds
//     + T/2 + D          surplus leaders hear the lowest one and step down
//     + T                followers that still name a vanished leader adopt the
//                        lowest one at their next window
//     + 2D               the last declarations are delivered
//
// With heartbeat membership instead of network reachability, views first
// have to settle: a peer that crashed or was cut off leaves the view after
// alive_expiration A, one that came back joins within a heartbeat H. So
// W_membership = A + H + D + W. With rate classes (lan, fast) A and H are
// an idle member's: idle_heartbeat_interval, and the expiration for it.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "corrupting_codec.hpp"
#include "lanlord/profile.hpp"
#include "scenario.hpp"
#ifdef LANLORD_HAVE_WIRE_CODEC
#include "lanlord/wire.hpp"
#endif

using namespace lanlord;
using namespace lanlord::test;

namespace {

struct RunResult {
  bool ok = true;
  std::string failure;
  Duration virtual_time{};
  std::uint64_t damaged = 0;  // corrupted copies (all rejected when ok)
};

// The first violation of a run: ends it.
struct Violation {
  std::string what;
};

Duration stabilization_window(const ElectionConfig& c, Duration max_delay) {
  const Duration G = c.startup_grace_period, S = c.membership_sample_interval,
                 T = c.leader_alive_threshold, E = c.leader_election_duration, D = max_delay;
  return G + S + (D + 2 * T) + 2 * (E + T) + (T / 2 + D) + T + 2 * D;
}

// The longest a crashed member stays in a view (A above): an idle member's
// expiration with rate classes, alive_expiration without.
Duration slowest_expiration(const MembershipConfig& m) {
  return m.expiration_for(m.max_interval());
}

Duration membership_window(const ElectionConfig& c, const MembershipConfig& m, Duration max_delay) {
  return slowest_expiration(m) + m.max_interval() + max_delay + stabilization_window(c, max_delay);
}

std::string ms(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + "ms";
}
std::string at(TimePoint t) {
  return "t=" + ms(t.time_since_epoch());
}

// kFastMembership: Fabric's test timings (sometimes its production
// election defaults) over a membership far faster than the election, the
// nearest thing to Fabric's mocked Peers(). kProfiles: the named profiles.
// kUnicast: the named profiles over the unicast link (issue 13), with a key
// (digests), each node knowing one or two seeds.
enum class View { kFastMembership, kProfiles, kUnicast };

class Run {
 public:
  Run(std::uint64_t seed, View view, bool wire) : r_(seed * 0x9e3779b97f4a7c15ULL + 1) {
    // Reachability: mostly Fabric's test timings, sometimes Fabric's
    // production defaults. Membership: one of the named profiles, with or
    // without the fast failover path.
    profile_ = fabric_test_profile(r_.chance(0.2) ? ElectionConfig{} : fabric_test_config());
    // A membership ten times faster than the election: quick to notice, and
    // cheap enough for hundreds of seeds of up to 30 nodes.
    profile_.membership.heartbeat_interval = profile_.election.leader_alive_threshold / 10;
    profile_.membership.alive_expiration = 3 * profile_.membership.heartbeat_interval;
    if (view == View::kProfiles || view == View::kUnicast) {
      const auto names = profile_names();
      profile_ = *find_profile(names[r_.below(names.size())]);
      if (r_.chance(0.5)) profile_.fast_failover = false;
    }
    T_ = profile_.election.leader_alive_threshold;
    E_ = profile_.election.leader_election_duration;

    // Delays stay well inside a declaration interval, as the algorithm assumes.
    faults_.loss = r_.unit() * 0.3;
    faults_.duplicate = r_.unit() * 0.1;
    faults_.delay = r_.duration(0ms, T_ / 50);
    faults_.jitter = r_.duration(0ms, T_ / 20);
    max_delay_ = faults_.delay + faults_.jitter;

    sim::SimClusterOptions options = Scenario::options(profile_, seed);
    options.faults = faults_;
    if (view == View::kUnicast) {
      options.unicast = true;
      options.authenticated = true;
      options.unicast_seeds = 1 + r_.below(2);
      unicast_ = true;
    }
#ifdef LANLORD_HAVE_WIRE_CODEC
    if (wire) {
      corruption_ = std::make_shared<Corruption>();
      corruption_->rate = 0.02 + r_.unit() * 0.1;
      options.codec = corrupting_codec(wire::codec(), seed, corruption_);
    }
#else
    (void)wire;
#endif
    c_ = std::make_unique<sim::SimCluster>(options);
  }

  RunResult go() {
    RunResult result;
    const TimePoint t0 = c_->now();
    try {
      chaos();
      quiet();
      check_views("after the quiet period");
      check_agreement("after the quiet period");
      check_stable("after the quiet period");
      // Half the seeds end with a probe: the simulated time after the quiet
      // period costs the most (every node runs), and the CI budget is fixed.
      if (r_.chance(0.5)) probe();
      if (corruption_ && !corruption_->accepted.empty()) {
        throw Violation{"the codec accepted a damaged datagram (" + corruption_->accepted[0] + ")"};
      }
    } catch (const Violation& v) {
      result.ok = false;
      result.failure =
          "  at " + at(c_->now()) + ": " + v.what + "\n" + setting() + describe_cluster(*c_);
    }
    result.virtual_time = c_->now() - t0;
    if (corruption_) result.damaged = corruption_->damaged;
    return result;
  }

 private:
  std::string setting() const {
    std::ostringstream out;
    out << "  profile " << profile_.name << (profile_.fast_failover ? " (fast failover)" : "")
        << ", T=" << ms(T_) << ", E=" << ms(E_) << ", heartbeat "
        << ms(profile_.membership.heartbeat_interval) << ", loss " << faults_.loss << ", delay "
        << ms(faults_.delay) << "+" << ms(faults_.jitter)
        << (corruption_ ? ", wire codec with corruption" : "")
        << (unicast_ ? ", unicast with a key" : "") << "\n";
    return out.str();
  }

  const std::string& ch() const {
    return c_->channel();
  }
  // Running and taking part in the channel's election.
  bool member(std::size_t i) const {
    return c_->running(i) && c_->core(i).election(ch()) != nullptr;
  }
  bool leads(std::size_t i) const {
    return c_->running(i) && c_->core(i).is_leader(ch());
  }
  std::string name(std::size_t i) const {
    return c_->id(i).bytes();
  }

  void check_safety() {
    if (!c_->violations().empty()) throw Violation{"safety: " + c_->violations().front()};
  }

  // --- the faulty period ---------------------------------------------------

  void chaos() {
    const int n = static_cast<int>(r_.between(2, 30));
    const Duration chaos = r_.duration(5 * T_, 40 * T_);
    // Nodes start at random times during the first part of the chaos.
    std::vector<Duration> start_at;
    for (int i = 0; i < n; ++i) start_at.push_back(r_.duration(0ms, chaos / 3));
    std::sort(start_at.begin(), start_at.end());
    // Random names so that the lowest id is not always the first started.
    std::vector<std::string> names;
    for (int i = 0; i < n; ++i) {
      names.push_back("n" + std::to_string(r_.between(0, 9999)) + "-" + std::to_string(i));
    }

    const TimePoint t0 = c_->now();
    const TimePoint chaos_end = t0 + chaos;
    std::size_t started = 0;
    while (c_->now() < chaos_end) {
      // The next fault happens after a random pause.
      TimePoint next = c_->now() + r_.duration(T_ / 10, 3 * T_);
      if (started < start_at.size() && t0 + start_at[started] < next) {
        next = t0 + start_at[started];
      }
      if (next > chaos_end) next = chaos_end;
      c_->scheduler().run_until(next);
      check_safety();
      if (started < start_at.size() && c_->now() >= t0 + start_at[started]) {
        all_.push_back(c_->spawn(names[started]));
        ++started;
        continue;
      }
      if (all_.empty()) continue;
      fault();
    }
    while (started < start_at.size()) all_.push_back(c_->spawn(names[started++]));
  }

  void fault() {
    sim::SimCluster& c = *c_;
    const std::size_t victim = all_[r_.below(all_.size())];
    switch (r_.below(10)) {
      case 0:  // crash
        if (c.running(victim)) c.crash(victim);
        break;
      case 1:  // restart (a crashed or departed node comes back as a new life)
        if (!c.running(victim)) c.restart(victim);
        break;
      case 2: {  // partition into 2-3 random groups
        std::vector<std::vector<std::size_t>> groups(r_.between(2, 3));
        for (auto i : all_) groups[r_.below(groups.size())].push_back(i);
        c.partition(groups);
        break;
      }
      case 3:
        c.heal();
        break;
      case 4: {  // one bad link
        const std::size_t other = all_[r_.below(all_.size())];
        sim::LinkFaults bad = faults_;
        bad.loss = 0.5 + r_.unit() * 0.5;
        c.network().set_link_faults(victim, other, bad);
        break;
      }
      case 5:
        c.network().clear_link_faults();
        break;
      case 6: {  // a leader yields (any running node when none leads: a no-op)
        std::size_t who = victim;
        if (const auto l = c.leaders(); !l.empty()) who = l[r_.below(l.size())];
        if (c.running(who)) c.yield(who);
        break;
      }
      case 7:  // graceful leave
        if (c.running(victim)) c.leave(victim);
        break;
      case 8:  // the election stops (Fabric's Stop): a leader steps down silently
        if (member(victim)) c.core(victim).leave_channel(ch());
        break;
      default:  // and starts again
        if (c.running(victim) && !member(victim)) {
          if (Status s = c.core(victim).join_channel(ch()); !s) throw Violation{s.message()};
        }
        break;
    }
  }

  // --- watching every event --------------------------------------------------

  struct Proposal {
    TimePoint time;
    std::vector<bool> heard_by;  // running, reachable, with the proposer in their view
  };
  struct Watched {
    std::uint64_t proposals = 0;
    std::uint64_t declarations = 0;
    std::uint64_t leader_changes = 0;
    bool leading = false;
    std::vector<Proposal> recent;
  };

  void watch_start() {
    watched_.assign(c_->size(), Watched{});
    for (std::size_t i = 0; i < c_->size(); ++i) {
      watched_[i].proposals = c_->record(i).proposals;
      watched_[i].declarations = c_->record(i).declarations;
      watched_[i].leader_changes = c_->record(i).leader_changes;
      watched_[i].leading = leads(i);
    }
  }

  // After every event of the quiet period and the probe.
  void poll() {
    check_safety();
    const TimePoint now = c_->now();
    for (std::size_t i = 0; i < c_->size(); ++i) {
      Watched& w = watched_[i];
      const sim::NodeRecord& rec = c_->record(i);
      if (rec.proposals != w.proposals) {
        w.proposals = rec.proposals;
        on_proposal(i, now);
      }
      const bool declared = rec.declarations != w.declarations;
      w.declarations = rec.declarations;
      if (rec.leader_changes != w.leader_changes) {
        w.leader_changes = rec.leader_changes;
        ++epoch_;
      }
      if (w.leading) {
        if (!c_->running(i) || !rec.leader_from_callback) {
          w.leading = false;
          on_step_down(i, now);
        }
      } else if (declared && leads(i)) {
        w.leading = true;
        on_elected(i, now);
      }
    }
  }

  void on_proposal(std::size_t p, TimePoint now) {
    if (now < elections_checked_from_) return;
    Proposal prop{now, std::vector<bool>(c_->size())};
    for (std::size_t j = 0; j < c_->size(); ++j) {
      prop.heard_by[j] = j != p && c_->network().reachable(p, j) && member(j) &&
                         c_->core(j).membership().is_alive(c_->id(p), ch());
    }
    auto& recent = watched_[p].recent;
    // Only proposals within the last election can matter.
    std::erase_if(recent, [&](const Proposal& q) { return q.time < now - E_ - max_delay_; });
    recent.push_back(std::move(prop));
  }

  // Fabric: an election goes to the lowest id that took part. A proposal
  // sent within w's election that arrived before it ended blocks w.
  void on_elected(std::size_t w, TimePoint now) {
    for (std::size_t p = 0; p < c_->size(); ++p) {
      if (!(c_->id(p) < c_->id(w))) continue;
      for (const Proposal& q : watched_[p].recent) {
        if (q.heard_by[w] && q.time >= now - E_ && q.time + max_delay_ < now) {
          throw Violation{"elections: " + name(w) + " became leader although " + name(p) +
                          ", a lower id in its view, proposed during its election (at " +
                          at(q.time) + ")"};
        }
      }
    }
  }

  // A leader that is alive and heard stays: one that stops leading while
  // running and in the channel must have heard a lower id declare.
  void on_step_down(std::size_t l, TimePoint now) {
    if (!member(l) || departed_ == l) return;  // crashed, left, stopped
    if (const auto* e = c_->core(l).election(ch()); e != nullptr && e->is_yielding()) return;
    for (std::size_t p = 0; p < c_->size(); ++p) {
      if (!(c_->id(p) < c_->id(l))) continue;
      const auto& times = c_->record(p).declaration_times;
      if (!times.empty() && times.back() + max_delay_ >= now && times.back() <= now) return;
    }
    throw Violation{"step-downs: " + name(l) + " stopped leading without a lower id declaring"};
  }

  // `pred`, evaluated again only when some node's leader changed (a node
  // starts or stops leading only with a LeaderChanged event), since the
  // cluster-wide predicates are too dear to evaluate after every event.
  std::function<bool()> on_change(std::function<bool()> pred) {
    return [this, pred = std::move(pred), seen = ~std::uint64_t{0}, last = false]() mutable {
      if (seen != epoch_) {
        seen = epoch_;
        last = pred();
      }
      return last;
    };
  }

  // Runs up to `limit`, polling after every event, until `done` holds.
  bool run_watched(Duration limit, const std::function<bool()>& done = {}) {
    return c_->run_until(
        [&] {
          poll();
          return done && done();
        },
        limit);
  }

  // --- the quiet period and the checks -----------------------------------------

  void quiet() {
    // No loss, duplication or corruption, no new faults. Sometimes a
    // partition stays in place, and some crashed nodes stay down.
    c_->network().clear_link_faults();
    sim::LinkFaults quiet = faults_;
    quiet.loss = 0;
    quiet.duplicate = 0;
    c_->network().set_default_faults(quiet);
    if (corruption_) corruption_->rate = 0;
    // Unicast: a node finds the others through its seeds (nodes 0 and 1)
    // or through members that remember it. Nodes that never met and whose
    // seeds are down or across a partition cannot meet, by design; so the
    // quiet period heals and brings the seeds back.
    if (unicast_ || r_.chance(0.7)) c_->heal();
    for (auto i : all_) {
      const bool seed = unicast_ && i < 2;
      if (!c_->running(i) && (seed || r_.chance(0.5))) c_->restart(i);
      if (c_->running(i) && !member(i)) (void)c_->core(i).join_channel(ch());
    }
    for (std::size_t i = 0; i < c_->size(); ++i) index_.emplace(c_->id(i), i);
    // Until views have caught up with the quiet network (a peer whose
    // heartbeats were lost just before may still expire), a proposal may
    // be ignored by a node that had its sender in view when it was sent.
    elections_checked_from_ = c_->now() + slowest_expiration(profile_.membership) +
                              profile_.membership.max_interval() + max_delay_;
    watch_start();
    run_watched(membership_window(profile_.election, profile_.membership, max_delay_));
  }

  // The running members of the channel, by component.
  std::vector<std::vector<std::size_t>> components() const {
    std::vector<std::vector<std::size_t>> out;
    for (const auto& comp : c_->components()) {
      std::vector<std::size_t> members;
      for (auto i : comp) {
        if (member(i)) members.push_back(i);
      }
      if (!members.empty()) out.push_back(std::move(members));
    }
    return out;
  }

  // Why there is not exactly one leader per component that all its members
  // name; empty when there is. `leaders` gets the leaders found.
  std::string disagreement(std::vector<std::size_t>* leaders = nullptr) const {
    std::ostringstream why;
    for (const auto& comp : components()) {
      std::vector<std::size_t> found;
      for (auto i : comp) {
        if (leads(i)) found.push_back(i);
      }
      if (found.size() != 1) {
        why << "a component of " << comp.size() << " has " << found.size() << " leaders; ";
        continue;
      }
      if (leaders) leaders->push_back(found[0]);
      for (auto i : comp) {
        const auto known = c_->core(i).leader(ch());
        if (!known || *known != c_->id(found[0])) {
          why << name(i) << " names " << (known ? known->bytes() : "nobody") << " but "
              << name(found[0]) << " leads; ";
        }
      }
    }
    return why.str();
  }

  std::vector<std::size_t> check_agreement(const std::string& when) {
    std::vector<std::size_t> leaders;
    if (std::string why = disagreement(&leaders); !why.empty()) {
      throw Violation{"agreement " + when + ": " + why};
    }
    return leaders;
  }

  // Once views have settled, every running node sees exactly the other
  // running nodes of its partition group alive: the dead were declared
  // dead, the departed are gone, the restarted and reachable came back.
  void check_views(const std::string& when) {
    for (const auto& comp : c_->components()) {
      for (auto i : comp) {
        std::vector<PeerId> want;
        for (auto j : comp) {
          if (j != i) want.push_back(c_->id(j));
        }
        std::sort(want.begin(), want.end());
        const auto view = c_->core(i).membership().alive_peers();
        if (view != want) {
          throw Violation{"views " + when + ": " + name(i) + " sees " +
                          std::to_string(view.size()) + " peers alive, but " +
                          std::to_string(want.size()) + " run in its group"};
        }
      }
    }
  }

  // Who leads and whom every member names ("-": not a member, "*": leads).
  std::vector<std::string> snapshot() const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < c_->size(); ++i) {
      if (!member(i)) {
        out.emplace_back("-");
        continue;
      }
      const auto l = c_->core(i).leader(ch());
      out.push_back((leads(i) ? "*" : "") + (l ? l->bytes() : std::string("?")));
    }
    return out;
  }
  // snapshot() == s, without building one (this runs after every event).
  bool same_as(const std::vector<std::string>& s) const {
    for (std::size_t i = 0; i < c_->size(); ++i) {
      const std::string& was = s[i];
      if (!member(i)) {
        if (was != "-") return false;
        continue;
      }
      const LeaderElectionService& e = *c_->core(i).election(ch());
      const bool star = !was.empty() && was[0] == '*';
      if (e.is_leader() != star) return false;
      const std::string_view named = std::string_view(was).substr(star ? 1 : 0);
      if (e.leader() ? e.leader()->bytes() != named : named != "?") return false;
    }
    return true;
  }

  // disagreement().empty(), cheaply: every member names a leader that
  // leads, runs and is in its partition group, one per group.
  bool agreed() const {
    std::vector<std::pair<std::size_t, const PeerId*>> by_group;
    for (std::size_t i = 0; i < c_->size(); ++i) {
      if (!member(i)) continue;
      const auto& l = c_->core(i).election(ch())->leader();
      if (!l) return false;
      const auto it = index_.find(*l);
      if (it == index_.end() || !leads(it->second)) return false;
      const std::size_t g = c_->network().group_of(i);
      if (c_->network().group_of(it->second) != g) return false;
      bool seen = false;
      for (const auto& [group, leader] : by_group) {
        if (group != g) continue;
        if (*leader != *l) return false;
        seen = true;
      }
      if (!seen) by_group.emplace_back(g, &*l);
    }
    return true;
  }

  // For 2T nothing changes, and each leader declares every T/2.
  void check_stable(const std::string& when) {
    const auto leaders = check_agreement(when);
    const auto before = snapshot();
    const TimePoint from = c_->now();
    const Duration hold = 2 * T_;
    if (run_watched(hold, on_change([&] { return !same_as(before); }))) {
      std::ostringstream why;
      const auto after = snapshot();
      for (std::size_t i = 0; i < after.size(); ++i) {
        if (after[i] != before[i])
          why << name(i) << ": " << before[i] << " -> " << after[i] << "; ";
      }
      throw Violation{"stability " + when + ": changed after " + ms(c_->now() - from) + ": " +
                      why.str()};
    }
    // Fabric's rhythm, from the threshold itself rather than from
    // ElectionConfig::declaration_interval(), which is what is under test.
    const Duration interval = T_ / 2;
    // With repeat_declaration the first declaration of a term is followed
    // by two repeats a quarter election apart: they are not the rhythm.
    const ElectionConfig& e = profile_.election;
    const Duration repeat = e.leader_election_duration / 4;
    for (auto l : leaders) {
      std::vector<TimePoint> times;
      std::optional<TimePoint> previous;
      for (TimePoint t : c_->record(l).declaration_times) {
        const bool repeated = e.repeat_declaration && previous && t - *previous == repeat;
        previous = t;
        if (t >= from && !repeated) times.push_back(t);
      }
      if (times.size() < static_cast<std::size_t>(hold / interval)) {
        throw Violation{"rhythm " + when + ": " + name(l) + " declared " +
                        std::to_string(times.size()) + " times in " + ms(hold) + " (every " +
                        ms(interval) + " expected)"};
      }
      for (std::size_t k = 1; k < times.size(); ++k) {
        const Duration gap = times[k] - times[k - 1];
        if (gap > interval + max_delay_ || gap + max_delay_ < interval) {
          throw Violation{"rhythm " + when + ": " + name(l) + " declared " + ms(gap) +
                          " after its previous declaration, not every " + ms(interval)};
        }
      }
    }
  }

  // Runs until agreement (at most a quiet window), then checks it and
  // stability. Declarations a stepped-down leader sent just before are
  // still in flight when agreement is first reached, and a follower at the
  // start of its window adopts them (Fabric: the latest declaration wins)
  // until the leader's next one, so agreement is awaited once more after
  // they have landed. With fast startup a leader also declares when a
  // member joins (at most once per quarter election, coalesced), which is
  // not its rhythm: the rhythm is checked once the views are whole and
  // those declarations are out (after a heal under loss, with rate
  // classes, an idle member whose welcome heartbeats were lost joins the
  // other side at its next idle heartbeat, after the leaders agreed).
  void settle(const std::string& when) {
    const Duration limit = membership_window(profile_.election, profile_.membership, max_delay_);
    run_watched(limit, on_change([&] { return agreed(); }));
    run_watched(2 * max_delay_ + 1ms);
    if (profile_.election.fast_startup) {
      run_watched(limit, on_change([&] { return views_whole(); }));
      // The last join's coalesced declaration (a quarter election later),
      // and the repeats of a term begun meanwhile, go out first.
      run_watched(profile_.election.leader_election_duration / 2 + max_delay_);
    }
    run_watched(limit, on_change([&] { return agreed(); }));
    check_stable(when);
  }

  // check_views() as a predicate.
  bool views_whole() const {
    for (const auto& comp : c_->components()) {
      for (auto i : comp) {
        if (c_->core(i).membership().alive_count() + 1 != comp.size()) return false;
        for (auto j : comp) {
          if (j != i && !c_->core(i).membership().is_alive(c_->id(j))) return false;
        }
      }
    }
    return true;
  }

  void probe() {
    sim::SimCluster& c = *c_;
    std::vector<std::size_t> leaders = check_agreement("before the probe");
    if (leaders.empty()) return;  // everyone is down
    if (leaders.size() >= 2) {
      // After a heal the lower of the sides' leaders wins: the higher ones
      // hear it and step down; no one runs a fresh election.
      std::size_t lowest = leaders[0];
      for (auto l : leaders) {
        if (c.id(l) < c.id(lowest)) lowest = l;
      }
      c.heal();
      settle("after the heal");
      const auto now_leading = check_agreement("after the heal");
      if (now_leading.size() != 1 || now_leading[0] != lowest) {
        throw Violation{"after the heal " + name(now_leading[0]) + " leads, not " + name(lowest) +
                        ", the lower of the sides' leaders"};
      }
      return;
    }
    const std::size_t leader = leaders.at(0);
    const auto comp = components().at(0);
    if (comp.size() < 2) return;  // nothing to hand over to
    std::vector<std::size_t> followers;
    for (auto i : comp) {
      if (i != leader) followers.push_back(i);
    }
    const std::size_t follower = followers[r_.below(followers.size())];
    const std::string was = name(leader);
    switch (r_.below(5)) {
      case 0:
        departed_ = leader;
        c.crash(leader);
        break;
      case 1:
        departed_ = leader;
        c.leave(leader);
        break;
      case 2:
        departed_ = leader;
        c.yield(leader);
        break;
      case 3:
        departed_ = leader;
        c.core(leader).leave_channel(ch());
        break;
      default: {
        // A follower crashes: the leader is alive and heard, so it stays,
        // and nobody's leader changes.
        const auto before = snapshot();
        c.crash(follower);
        // Long enough for every view to drop it, and a window more.
        // (An idle follower's crash is noticed after its own, longer expiration.)
        const Duration hold = slowest_expiration(profile_.membership) +
                              profile_.membership.max_interval() + 2 * max_delay_ + T_;
        const auto expect = [&] {
          auto s = before;
          s[follower] = "-";
          return s;
        }();
        if (run_watched(hold, on_change([&] { return !same_as(expect); }))) {
          throw Violation{"after the crash of follower " + name(follower) + " the leader " + was +
                          " did not stay"};
        }
        check_views("after a follower crashed");
        check_stable("after a follower crashed");
        return;
      }
    }
    settle("after the leader " + was + " went");
    const auto now_leading = check_agreement("after the leader went");
    if (now_leading.size() == 1 && now_leading[0] == leader) {
      throw Violation{was + " still leads after it yielded"};
    }
  }

  sim::Rng r_;  // the scenario's own choices
  Profile profile_;
  Duration T_{}, E_{};
  sim::LinkFaults faults_;
  Duration max_delay_{};
  std::shared_ptr<Corruption> corruption_;
  bool unicast_ = false;
  std::unique_ptr<sim::SimCluster> c_;
  std::vector<std::size_t> all_;
  std::vector<Watched> watched_;
  std::uint64_t epoch_ = 0;              // counts polls that saw a LeaderChanged event
  std::optional<std::size_t> departed_;  // the leader a probe removed
  std::map<PeerId, std::size_t> index_;
  TimePoint elections_checked_from_{};
};

RunResult run_seed(std::uint64_t seed, View view = View::kFastMembership, bool wire = false) {
  return Run(seed, view, wire).go();
}

// `s` as one word for a POSIX shell.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

// `wire_every`: every that many seeds runs the wire codec with corruption
// (0: never). Stops at the first failing seed unless LANLORD_SIM_KEEP_GOING.
void run_seeds(View view, std::uint64_t default_count, std::uint64_t wire_every) {
  // For the replay command: this binary and the running test case's name.
  const doctest::ContextOptions& ctx = *doctest::getContextOptions();
  const std::string test_name = ctx.currentTest->m_name;
  const std::string binary = ctx.binary_name.c_str();
  const bool replay = std::getenv("LANLORD_SIM_SEED") != nullptr;
  const bool keep_going = env_u64("LANLORD_SIM_KEEP_GOING", 0) != 0;
  const std::uint64_t first = env_u64("LANLORD_SIM_SEED", 1);
  const std::uint64_t count = replay ? 1 : env_u64("LANLORD_SIM_SEEDS", default_count);
  wire_every = env_u64("LANLORD_SIM_WIRE_EVERY", wire_every);
#ifndef LANLORD_HAVE_WIRE_CODEC
  wire_every = 0;
#endif

  const auto wall_start = std::chrono::steady_clock::now();
  Duration virtual_total{};
  std::uint64_t failed = 0, ran = 0, damaged = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    const bool wire = wire_every != 0 && seed % wire_every == 0;
    const RunResult res = run_seed(seed, view, wire);
    ++ran;
    virtual_total += res.virtual_time;
    damaged += res.damaged;
    if (!res.ok) {
      ++failed;
      std::ostringstream msg;
      msg << "seed " << seed << " failed; replay: LANLORD_SIM_SEED=" << seed << " "
          << shell_quote(binary) << " " << shell_quote("-tc=" + test_name) << "\n"
          << res.failure;
      FAIL_CHECK(msg.str());
      if (!keep_going) break;
    }
  }
  const auto wall = std::chrono::steady_clock::now() - wall_start;
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  std::ostringstream summary;
  summary << test_name << ": " << ran << " of " << count << " seeds run, " << failed << " failed, "
          << duration_cast<seconds>(virtual_total).count() << " s of virtual time in "
          << duration_cast<milliseconds>(wall).count() << " ms of wall time, " << damaged
          << " corrupted datagrams rejected";
  MESSAGE(summary.str());
  std::cout << summary.str() << "\n";
  CHECK(failed == 0);
}

}  // namespace

TEST_CASE("randomized simulation: elections keep to the Fabric rules and settle for good") {
  run_seeds(View::kFastMembership, 500, 8);
}

TEST_CASE("randomized simulation with the named profiles: elections keep to the Fabric rules") {
  run_seeds(View::kProfiles, 200, 0);
}

TEST_CASE("randomized simulation with unicast peers: elections keep to the Fabric rules") {
  run_seeds(View::kUnicast, 50, 0);
}

TEST_CASE("randomized simulation: a seed replays exactly") {
  // Same seed, same outcome, down to the failure text and virtual time.
  const RunResult a = run_seed(12345);
  const RunResult b = run_seed(12345);
  CHECK(a.ok == b.ok);
  CHECK(a.failure == b.failure);
  CHECK(a.virtual_time == b.virtual_time);
}

#ifdef LANLORD_HAVE_WIRE_CODEC
TEST_CASE("randomized simulation: the wire codec rejects every corrupted datagram") {
  // The corrupting decorator is live on this seed, and the codec dropped
  // every copy it damaged (run_seed fails otherwise).
  const RunResult r = run_seed(4, View::kFastMembership, true);
  CHECK_MESSAGE(r.ok, r.failure);
  CHECK(r.damaged > 0);
}
#endif
