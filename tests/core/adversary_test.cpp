// The simulated adversary (adversary.hpp) against production NodeCores, in
// simulated time, over many seeds. A stable cluster of 3-6 nodes converges
// (one leader named by all; every node sees every other), then for 35-45 s
// of simulated time (so that recordings age past the 30 s clock-skew
// window) the adversary records, replays, mutates and forges in bursts.
//
//   unkeyed   Anyone can forge, so a forged declaration from a made-up
//             lower id does make the leader step down. What must hold,
//             on a network without loss (a lost declaration adds a
//             declaration interval to any heal): within two
//             alive_expiration periods of the adversary's last injection
//             every node sees exactly the real others alive (no made-up
//             member); one real leader is named by all within 2T + E
//             (+ delivery), usually within 2A too (the seeds beyond are
//             counted: a forged declaration or proposal carrying a real id
//             below the leader's, or a leader's raised life it never
//             hears, costs Fabric's follower windows); both stay so. The
//             worst times to heal are printed, per profile.
//   keyed     Every node has the cluster key (the wire codec with a MAC,
//             or encryption); the adversary does not. Each seed runs twice
//             with the same network randomness (loss, duplication,
//             jitter, one node crashing): without the adversary and with
//             it. The traces of leader, leadership, membership and
//             id-conflict events (time, node, content) must be identical:
//             zero changes caused by the adversary. No datagram the
//             adversary made or changed is admitted; an authentic replay
//             is admitted only where it is news to its node (the network
//             lost the original), and the traces are compared up to it.
//
// Forged epochs and handoffs (adversary.hpp), unkeyed, values handed to a
// node: a declaration with an implausible epoch must be dropped as
// kImplausible; a forged declaration below the epoch of the leader a
// follower knows must not change its leader; a forged handoff that is not
// its known leader's, for its epoch, must not change its leader or make it
// lead. Plausible forged epochs above the leader's do disturb (followers
// take the forger for a newer leadership and ignore the real one as stale
// until a new term), and must heal within the bounds above.
//
// Seen failing, each with its bug planted in the code under test (200
// seeds per mode): the epoch plausibility check off in admission (every
// seed: implausible epochs not dropped); followers taking stale
// declarations (stale forged epochs followed); a handoff believed whatever
// its epoch (189 seeds: mismatched handoffs acted on); the freshness check off (old replays not
// dropped for their send time, both modes); refutation off (claims heard by their subject go
// unrefuted); a keyed codec that takes untagged datagrams, or a tag that does not verify (forgeries
// admitted); the stale-claim rule applied with a key (replays that are not news admitted, after a
// crash); the stale-claim rule timed by any admission instead of the newest PeerTime, and claims
// far ahead in a node's own life adopted (not healed).
//
//   LANLORD_ADVERSARY_SEEDS=N        seeds per mode (default 200; scripts/sim-seeds.sh: 2000)
//   LANLORD_ADVERSARY_SEED=S         replay exactly one seed (printed on failure)
//   LANLORD_ADVERSARY_KEEP_GOING=1   run every seed instead of stopping at the first failure
//   LANLORD_ADVERSARY_EPOCHS=0       no forged epochs or handoffs (to compare the disturbance)
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "adversary.hpp"
#include "lanlord/profile.hpp"
#include "scenario.hpp"
#ifdef LANLORD_HAVE_WIRE_CODEC
#include "lanlord/keyring.hpp"
#include "lanlord/wire.hpp"
#endif

using namespace lanlord;
using namespace lanlord::test;

namespace {

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

std::string ms(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// What one seed sets up: the profile (mostly the default, lan; a quarter
// fast), mild network faults, 3-6 nodes with random ids.
struct Setting {
  Profile profile;
  sim::LinkFaults faults;
  std::vector<std::string> ids;
  Duration attack{};  // how long the adversary acts
  bool wire = false;  // unkeyed: the wire codec (so datagrams to flip bits in)
  bool encrypt = false;
  // Keyed: a node crashes this far into the attack (in both runs), so the
  // adversary holds recordings of a node that is gone.
  std::size_t crash = 0;
  Duration crash_at{};
  std::string describe() const {
    std::ostringstream out;
    out << "profile " << profile.name << ", " << ids.size() << " nodes, loss " << faults.loss
        << ", duplicate " << faults.duplicate << ", delay " << ms(faults.delay) << "+"
        << ms(faults.jitter) << ", attack " << ms(attack) << (wire ? ", wire codec" : "")
        << (encrypt ? ", encrypted" : "") << " (keyed: node " << crash << " crashes after "
        << ms(crash_at) << ")";
    return out.str();
  }
};

Setting setting_for(std::uint64_t seed, double max_loss) {
  sim::Rng r(seed * 0x9e3779b97f4a7c15ULL + 0xad);
  Setting s;
  s.profile = *find_profile(r.chance(0.75) ? "lan" : "fast");
  const Duration hb = s.profile.membership.heartbeat_interval;
  s.faults.loss = r.unit() * max_loss;
  s.faults.duplicate = r.unit() * 0.05;
  s.faults.delay = r.duration(Duration::zero(), hb / 100);
  s.faults.jitter = r.duration(Duration::zero(), hb / 20);
  const auto n = r.between(3, 6);
  for (std::int64_t i = 0; i < n; ++i) {
    s.ids.push_back("n" + std::to_string(r.between(0, 9999)) + "-" + std::to_string(i));
  }
  s.attack = r.duration(std::chrono::seconds(35), std::chrono::seconds(45));
  s.wire = r.chance(0.5);
  s.encrypt = r.chance(0.5);
  s.crash = r.below(s.ids.size());
  s.crash_at = r.duration(s.attack / 4, s.attack / 2);
  return s;
}

// Every node sees exactly the other real nodes alive: no real one missing,
// no made-up member.
bool views_exact(const sim::SimCluster& c) {
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (!c.running(i)) return false;
    const auto view = c.core(i).membership().alive_peers();
    if (view.size() != c.size() - 1) return false;
    for (const PeerId& p : view) {
      if (!c.index_of(p.bytes())) return false;
    }
  }
  return true;
}

// One leader, a real node, named by every node. (Not necessarily the
// lowest id: Fabric's leader keeps the lead when a lower id turns up, and
// a lost proposal at startup can elect another; an election the adversary
// forces goes to the lowest.)
bool leader_agreed(const sim::SimCluster& c) {
  const auto leaders = c.leaders();
  if (leaders.size() != 1) return false;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (!c.running(i)) return false;
    const auto l = c.core(i).leader(c.channel());
    if (!l || *l != c.id(leaders[0])) return false;
  }
  return true;
}

bool healed(const sim::SimCluster& c) {
  return views_exact(c) && leader_agreed(c);
}

// Who each node does not see alive, and made-up members it does.
std::string views(const sim::SimCluster& c) {
  std::ostringstream out;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (!c.running(i)) continue;
    for (const Member& m : c.core(i).members()) {
      if (m.id == c.id(i)) continue;
      const bool real = c.index_of(m.id.bytes()).has_value();
      if (real != m.alive) {
        out << "  " << c.id(i).bytes() << " sees " << m.id.bytes() << (m.alive ? " alive" : " dead")
            << " (incarnation " << m.incarnation << ")\n";
      }
    }
  }
  return out.str();
}

struct SeedResult {
  bool ok = true;
  std::string failure;
  // Unkeyed: from the last injection until the views were exact for good,
  // and until one leader was agreed for good; whether that took longer
  // than two alive_expiration periods.
  Duration heal_views{}, heal_leader{};
  bool beyond_two_expirations = false;
  std::string profile;
  Duration virtual_time{};
  AdversaryStats stats;
  std::uint64_t drops_unauthenticated = 0, drops_foreign_key = 0, drops_clock_skew = 0,
                drops_stale = 0, drops_implausible = 0;
  std::uint64_t events_after_convergence = 0;  // keyed: in the attacked run
  std::uint64_t seeds_cut_at_replay = 0;       // keyed: traces compared up to an admitted replay
};

void add_drops(SeedResult& res, const sim::SimCluster& c) {
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (!c.running(i)) continue;
    const NodeStats s = c.core(i).stats();
    res.drops_unauthenticated += s.dropped(DropReason::kUnauthenticated);
    res.drops_foreign_key += s.dropped(DropReason::kForeignKey);
    res.drops_clock_skew += s.dropped(DropReason::kClockSkew);
    res.drops_stale += s.dropped(DropReason::kStale);
    res.drops_implausible += s.dropped(DropReason::kImplausible);
  }
}

std::string describe_event(const NodeEvent& e) {
  std::ostringstream out;
  if (const auto* lc = std::get_if<LeaderChanged>(&e)) {
    out << "leader " << lc->channel << " " << (lc->leader ? lc->leader->bytes() : "-")
        << (lc->is_self ? " self" : "");
  } else if (const auto* ls = std::get_if<LeadershipChanged>(&e)) {
    out << "leadership " << ls->channel << " " << ls->is_leader;
  } else if (const auto* mc = std::get_if<MemberChanged>(&e)) {
    out << "member " << to_string(mc->event) << " " << mc->member.id.bytes() << " "
        << mc->member.incarnation;
  } else if (const auto* ic = std::get_if<IdConflict>(&e)) {
    out << "id conflict " << ic->claim.incarnation << "/" << ic->claim.seq;
  }
  return out.str();
}

// --- unkeyed -----------------------------------------------------------------

SeedResult unkeyed_seed(std::uint64_t seed) {
  SeedResult res;
  const Setting s = setting_for(seed, 0.0);
  sim::SimClusterOptions o;
  o.profile = s.profile;
  o.seed = seed;
  o.faults = s.faults;
#ifdef LANLORD_HAVE_WIRE_CODEC
  if (s.wire) o.codec = wire::codec();
#endif
  sim::SimCluster c(o);
  AdversaryOptions ao;
  ao.epoch_forgeries = env_u64("LANLORD_ADVERSARY_EPOCHS", 1) != 0;
  const bool trace = env_u64("LANLORD_ADVERSARY_TRACE", 0) != 0;
  if (trace) ao.log = [](const std::string& line) { std::cout << line << "\n"; };
  Adversary adv(c, seed, ao);
  c.set_observers(
      {[&adv](std::size_t node, const Message& m, const sim::Bytes* d) { adv.record(node, m, d); },
       [&c, trace](std::size_t node, const NodeEvent& e) {
         if (!trace) return;
         if (const auto* d = std::get_if<Dropped>(&e)) {
           std::cout << c.now().time_since_epoch().count() / 1000000 << "ms   "
                     << c.id(node).bytes() << " dropped " << drop_reason_name(d->reason) << "\n";
           return;
         }
         std::cout << c.now().time_since_epoch().count() / 1000000 << "ms   " << c.id(node).bytes()
                   << " " << describe_event(e) << "\n";
       },
       [&adv](std::size_t node, const Message& m, bool admitted) {
         adv.received(node, m, admitted);
       }});
  for (const auto& id : s.ids) c.spawn(id);
  const auto fail = [&](const std::string& what) {
    res.ok = false;
    res.failure = "  " + what + "\n  " + s.describe() + "\n" + describe_cluster(c) + views(c);
  };
  const MembershipConfig& m = s.profile.membership;
  if (!c.run_until([&] { return healed(c); }, std::chrono::seconds(30))) {
    fail("did not converge before the attack");
    return res;
  }
  res.profile = s.profile.name;
  const TimePoint t0 = c.now();
  TimePoint views_wrong{}, leader_wrong{};
  const auto poll = [&] {
    if (!views_exact(c)) views_wrong = c.now();
    if (!leader_agreed(c)) leader_wrong = c.now();
  };
  const TimePoint last = adv.run_bursts(s.attack, poll);
  // Membership heals within two alive_expiration periods. The leader may
  // take longer: a forged declaration or proposal carrying a real id (one
  // lower than the leader's) makes the leader step down or a candidate
  // back off, and Fabric's followers wait out their leader_alive_threshold
  // windows before a new election: at worst a window under way, a whole
  // silent one and an election (2T + E), plus delivery.
  const ElectionConfig& e = s.profile.election;
  const Duration max_delay = s.faults.delay + s.faults.jitter;
  // (With rate classes, the expiration of an idle member: a forged copy of
  // its heartbeat keeps a made-up id that long.)
  const Duration views_bound = 2 * m.expiration_for(m.max_interval());
  const Duration leader_bound =
      std::max(views_bound, 2 * e.leader_alive_threshold + e.leader_election_duration) +
      2 * max_delay;
  // Then two leader_alive_thresholds in which it must stay healed.
  const TimePoint until = last + leader_bound + 2 * e.leader_alive_threshold;
  c.run_until(
      [&] {
        poll();
        return false;
      },
      until - c.now());
  res.virtual_time = c.now() - t0;
  res.stats = adv.stats();
  add_drops(res, c);
  if (!c.violations().empty()) {
    fail("safety: " + c.violations().front());
    return res;
  }
  if (!healed(c)) {
    fail("not healed " + ms(c.now() - last) + " after the last injection");
    return res;
  }
  res.heal_views = views_wrong > last ? views_wrong - last : Duration::zero();
  res.heal_leader = leader_wrong > last ? leader_wrong - last : Duration::zero();
  res.beyond_two_expirations = res.heal_leader > views_bound;
  if (res.heal_views > views_bound) {
    fail("views exact " + ms(res.heal_views) +
         " after the last injection, more than two alive_expiration (" + ms(views_bound) + ")");
  } else if (res.heal_leader > leader_bound) {
    fail("leader agreed " + ms(res.heal_leader) + " after the last injection, more than " +
         ms(leader_bound));
  } else if (res.stats.old_copies_not_skew != 0) {
    fail(std::to_string(res.stats.old_copies_not_skew) +
         " replays older than the skew window were not dropped for their send time");
  } else if (res.stats.claims_unrefuted != 0) {
    fail(std::to_string(res.stats.claims_unrefuted) +
         " newer claims about a node that it heard went unrefuted");
  } else if (res.stats.implausible_epochs_not_dropped != 0) {
    fail(std::to_string(res.stats.implausible_epochs_not_dropped) +
         " declarations with an implausible epoch were not dropped as implausible");
  } else if (res.stats.stale_epochs_followed != 0) {
    fail(std::to_string(res.stats.stale_epochs_followed) +
         " forged declarations below the epoch a follower knew changed its leader");
  } else if (res.stats.wrong_handoffs_acted != 0) {
    fail(std::to_string(res.stats.wrong_handoffs_acted) +
         " forged handoffs from another sender or with another epoch than the known leader's "
         "changed a follower's leader");
  }
  return res;
}

// --- keyed -------------------------------------------------------------------

#ifdef LANLORD_HAVE_WIRE_CODEC

// A key made from the seed, so that a seed replays exactly.
Keyring seeded_keyring(sim::Rng& r) {
  static const char* const kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<std::uint8_t> key(32);
  for (auto& b : key) b = static_cast<std::uint8_t>(r.next());
  std::string text;
  for (std::size_t i = 0; i < key.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{key[i]} << 16) |
                            (i + 1 < key.size() ? std::uint32_t{key[i + 1]} << 8 : 0) |
                            (i + 2 < key.size() ? std::uint32_t{key[i + 2]} : 0);
    text += kAlphabet[(v >> 18) & 63];
    text += kAlphabet[(v >> 12) & 63];
    text += i + 1 < key.size() ? kAlphabet[(v >> 6) & 63] : '=';
    text += i + 2 < key.size() ? kAlphabet[v & 63] : '=';
  }
  Result<Keyring> ring = Keyring::from_base64(text);
  REQUIRE(ring.ok());
  return std::move(ring.value());
}

struct KeyedRun {
  std::vector<std::string> trace;
  std::size_t converged_at = 0;  // trace entries before the attack began
  SeedResult result;
};

KeyedRun keyed_run(std::uint64_t seed, bool attack) {
  KeyedRun run;
  SeedResult& res = run.result;
  const Setting s = setting_for(seed, 0.02);
  sim::Rng keys(seed ^ 0x6b657973ULL);
  const Keyring ring = seeded_keyring(keys);
  const Keyring other = seeded_keyring(keys);
  sim::SimClusterOptions o;
  o.profile = s.profile;
  o.seed = seed;
  o.faults = s.faults;
  o.codec = wire::codec(wire::Security{&ring, s.encrypt});
  o.authenticated = true;
  sim::SimCluster c(o);
  AdversaryOptions ao;
  ao.bytes_only = true;
  ao.epoch_forgeries = env_u64("LANLORD_ADVERSARY_EPOCHS", 1) != 0;
  ao.forge_codecs = {wire::codec(), wire::codec(wire::Security{&other, false}),
                     wire::codec(wire::Security{&other, true})};
  // A replay never overtakes its original, nor its successor in the same
  // stream (heartbeats come every heartbeat interval, a leader's
  // declarations every declaration interval): a replay that is news is a
  // copy of a message the network lost twice in a row, which is the
  // sender's own word delivered late, not an attack, and would change the
  // trace by keeping a member or a leader alive that the quiet run lost.
  ao.min_replay_age =
      std::max(s.profile.membership.heartbeat_interval, s.profile.election.declaration_interval()) +
      s.faults.delay + s.faults.jitter + std::chrono::nanoseconds(1);
  Adversary adv(c, seed, ao);
  c.set_observers(
      {[&adv](std::size_t node, const Message& m, const sim::Bytes* d) { adv.record(node, m, d); },
       [&run, &c](std::size_t node, const NodeEvent& e) {
         if (std::holds_alternative<Dropped>(e) || std::holds_alternative<Warning>(e)) return;
         run.trace.push_back(std::to_string(c.now().time_since_epoch().count()) + " " +
                             c.id(node).bytes() + " " + describe_event(e));
       },
       [&adv](std::size_t node, const Message& m, bool admitted) {
         adv.received(node, m, admitted);
       }});
  for (const auto& id : s.ids) c.spawn(id);
  if (!c.run_until([&] { return healed(c); }, std::chrono::seconds(30))) {
    res.ok = false;
    res.failure =
        "  did not converge before the attack\n  " + s.describe() + "\n" + describe_cluster(c);
    return run;
  }
  run.converged_at = run.trace.size();
  const TimePoint t0 = c.now();
  // With the key, replays of what a crashed node sent must not bring it
  // back: only a copy a node never got (lost) is news to it.
  c.scheduler().call_after(s.crash_at, [&c, &s] { c.crash(s.crash); });
  if (attack) {
    adv.run_bursts(s.attack);
    c.scheduler().run_until(t0 + s.attack);
  } else {
    c.run_for(s.attack);
  }
  const MembershipConfig& m = s.profile.membership;
  c.run_for(2 * m.expiration_for(m.max_interval()) + 2 * s.profile.election.leader_alive_threshold);
  res.virtual_time = c.now() - t0;
  res.stats = adv.stats();
  res.events_after_convergence = run.trace.size() - run.converged_at;
  add_drops(res, c);
  if (!c.violations().empty()) {
    res.ok = false;
    res.failure = "  safety: " + c.violations().front() + "\n  " + s.describe() + "\n";
  }
  return run;
}

SeedResult keyed_seed(std::uint64_t seed) {
  const KeyedRun quiet = keyed_run(seed, false);
  if (!quiet.result.ok) return quiet.result;
  KeyedRun attacked = keyed_run(seed, true);
  SeedResult res = attacked.result;
  if (!res.ok) return res;
  const Setting s = setting_for(seed, 0.02);
  if (res.stats.admitted_stale_replays != 0) {
    res.ok = false;
    res.failure = "  " + std::to_string(res.stats.admitted_stale_replays) +
                  " replays were admitted by nodes that had admitted something newer\n  " +
                  s.describe() + "\n";
    return res;
  }
  if (res.stats.admitted_forgeries != 0) {
    res.ok = false;
    res.failure = "  " + std::to_string(res.stats.admitted_forgeries) +
                  " datagrams the adversary made or changed were admitted (first: " +
                  res.stats.admitted_forgery_kinds.front() + ")\n  " + s.describe() + "\n";
    return res;
  }
  // An authentic replay that a node admits is a copy of a message the
  // network lost (and its successor too): the sender's own word, late, as
  // the network itself may deliver it. It may change what follows, so the
  // traces are compared up to it. Every admitted replay must be news to
  // its node (checked above).
  std::vector<std::string> quiet_trace = quiet.trace, attacked_trace = attacked.trace;
  if (res.stats.admitted_replays != 0) {
    ++res.seeds_cut_at_replay;
    const auto before = [&](const std::vector<std::string>& t) {
      std::vector<std::string> out;
      for (const std::string& line : t) {
        if (std::stoll(line) < res.stats.first_admitted_replay.time_since_epoch().count()) {
          out.push_back(line);
        }
      }
      return out;
    };
    quiet_trace = before(quiet.trace);
    attacked_trace = before(attacked.trace);
  }
  if (attacked_trace != quiet_trace) {
    std::size_t k = 0;
    while (k < attacked_trace.size() && k < quiet_trace.size() &&
           attacked_trace[k] == quiet_trace[k]) {
      ++k;
    }
    res.ok = false;
    res.failure = "  the adversary changed the events: first difference at entry " +
                  std::to_string(k) +
                  "\n    without: " + (k < quiet_trace.size() ? quiet_trace[k] : "(end)") +
                  "\n    with:    " + (k < attacked_trace.size() ? attacked_trace[k] : "(end)") +
                  "\n  " + s.describe() + "\n";
    return res;
  }
  if (res.stats.old_copies_not_skew != 0) {
    res.ok = false;
    res.failure = "  " + std::to_string(res.stats.old_copies_not_skew) +
                  " replays older than the skew window were not dropped for their send time\n  " +
                  s.describe() + "\n";
    return res;
  }
  if (res.drops_unauthenticated == 0 || res.drops_foreign_key == 0) {
    res.ok = false;
    res.failure =
        "  the adversary's forgeries never reached the codec's checks\n  " + s.describe() + "\n";
  }
  return res;
}

#endif  // LANLORD_HAVE_WIRE_CODEC

// --- the sweep -----------------------------------------------------------------

struct Totals {
  std::uint64_t ran = 0, failed = 0;
  Duration virtual_time{};
  // Unkeyed, per profile: the worst times to heal and their seeds.
  struct Heal {
    std::uint64_t seeds = 0, beyond = 0;
    Duration views{}, leader{};
    std::uint64_t views_seed = 0, leader_seed = 0;
  };
  std::map<std::string, Heal> heal;
  AdversaryStats stats;
  std::uint64_t unauthenticated = 0, foreign_key = 0, clock_skew = 0, stale = 0, implausible = 0;
  std::uint64_t events_after_convergence = 0;
  std::uint64_t seeds_cut_at_replay = 0;

  void add(std::uint64_t seed, const SeedResult& r) {
    ++ran;
    virtual_time += r.virtual_time;
    if (!r.profile.empty()) {
      Heal& h = heal[r.profile];
      ++h.seeds;
      if (r.beyond_two_expirations) ++h.beyond;
      if (r.heal_views > h.views) {
        h.views = r.heal_views;
        h.views_seed = seed;
      }
      if (r.heal_leader > h.leader) {
        h.leader = r.heal_leader;
        h.leader_seed = seed;
      }
    }
    stats.injected += r.stats.injected;
    stats.replays += r.stats.replays;
    stats.old_replays += r.stats.old_replays;
    stats.bit_flips += r.stats.bit_flips;
    stats.mutations += r.stats.mutations;
    stats.raised += r.stats.raised;
    stats.leaves += r.stats.leaves;
    stats.fakes += r.stats.fakes;
    stats.off += r.stats.off;
    stats.foreign += r.stats.foreign;
    stats.admitted_replays += r.stats.admitted_replays;
    stats.admitted_forgeries += r.stats.admitted_forgeries;
    stats.admitted_stale_replays += r.stats.admitted_stale_replays;
    stats.old_copies += r.stats.old_copies;
    stats.old_copies_not_skew += r.stats.old_copies_not_skew;
    stats.claims_heard_by_subject += r.stats.claims_heard_by_subject;
    stats.claims_unrefuted += r.stats.claims_unrefuted;
    stats.epochs += r.stats.epochs;
    stats.implausible_epochs += r.stats.implausible_epochs;
    stats.handoffs += r.stats.handoffs;
    stats.implausible_epochs_not_dropped += r.stats.implausible_epochs_not_dropped;
    stats.stale_epochs_followed += r.stats.stale_epochs_followed;
    stats.wrong_handoffs_acted += r.stats.wrong_handoffs_acted;
    stats.stale_epochs_admitted += r.stats.stale_epochs_admitted;
    stats.wrong_handoffs_admitted += r.stats.wrong_handoffs_admitted;
    unauthenticated += r.drops_unauthenticated;
    foreign_key += r.drops_foreign_key;
    clock_skew += r.drops_clock_skew;
    stale += r.drops_stale;
    implausible += r.drops_implausible;
    events_after_convergence += r.events_after_convergence;
    seeds_cut_at_replay += r.seeds_cut_at_replay;
  }
};

template <typename Fn>
Totals run_seeds(Fn&& one) {
  const doctest::ContextOptions& ctx = *doctest::getContextOptions();
  const std::string test_name = ctx.currentTest->m_name;
  const std::string binary = ctx.binary_name.c_str();
  const bool replay = std::getenv("LANLORD_ADVERSARY_SEED") != nullptr;
  const bool keep_going = env_u64("LANLORD_ADVERSARY_KEEP_GOING", 0) != 0;
  const std::uint64_t first = env_u64("LANLORD_ADVERSARY_SEED", 1);
  const std::uint64_t count = replay ? 1 : env_u64("LANLORD_ADVERSARY_SEEDS", 200);
  Totals t;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    const SeedResult r = one(seed);
    t.add(seed, r);
    if (!r.ok) {
      ++t.failed;
      FAIL_CHECK("seed " << seed << " failed; replay: LANLORD_ADVERSARY_SEED=" << seed << " "
                         << shell_quote(binary) << " " << shell_quote("-tc=" + test_name) << "\n"
                         << r.failure);
      if (!keep_going) break;
    }
  }
  CHECK(t.failed == 0);
  return t;
}

std::string summary_head(const std::string& name, const Totals& t,
                         std::chrono::steady_clock::duration wall) {
  using std::chrono::duration_cast;
  std::ostringstream out;
  out << name << ": " << t.ran << " seeds run, " << t.failed << " failed, "
      << duration_cast<std::chrono::seconds>(t.virtual_time).count() << " s of virtual time in "
      << duration_cast<std::chrono::milliseconds>(wall).count() << " ms of wall time; "
      << t.stats.injected << " copies injected (" << t.stats.replays << " replays, "
      << t.stats.old_replays << " older than 30 s, " << t.stats.bit_flips << " bit-flipped, "
      << t.stats.mutations << " mutated, " << t.stats.raised << " raised, " << t.stats.leaves
      << " forged leaves, " << t.stats.fakes << " fake lower ids, " << t.stats.off
      << " off-cluster/off-clock, " << t.stats.epochs << " forged epochs, "
      << t.stats.implausible_epochs << " implausible epochs, " << t.stats.handoffs
      << " forged handoffs, " << t.stats.foreign << " signed with no or another key)";
  return out.str();
}

void report(const std::string& line) {
  MESSAGE(line);
  std::cout << line << "\n";
}

}  // namespace

TEST_CASE("adversary without a key: every disturbance heals, views within two alive_expiration") {
  const auto start = std::chrono::steady_clock::now();
  const Totals t = run_seeds(unkeyed_seed);
  std::ostringstream line;
  line << summary_head("adversary, unkeyed", t, std::chrono::steady_clock::now() - start)
       << "; worst times to heal after the last injection:";
  for (const auto& [profile, h] : t.heal) {
    line << " " << profile << " (" << h.seeds << " seeds) views " << ms(h.views) << " (seed "
         << h.views_seed << "), leader " << ms(h.leader) << " (seed " << h.leader_seed << "), "
         << h.beyond << " seeds with the leader beyond two alive_expiration;";
  }
  line << " old replays " << t.stats.old_copies << " copies, all dropped for their send time; "
       << t.stats.claims_heard_by_subject << " claims heard by their subject, all refuted; "
       << t.stats.stale_epochs_admitted << " stale forged epochs admitted by followers, "
       << t.stats.stale_epochs_followed << " followed; " << t.stats.wrong_handoffs_admitted
       << " mismatched forged handoffs admitted by followers, " << t.stats.wrong_handoffs_acted
       << " acted on; " << t.stats.implausible_epochs_not_dropped
       << " implausible epochs not dropped; drops: " << t.stale << " stale, " << t.clock_skew
       << " clock skew, " << t.implausible << " implausible";
  report(line.str());
}

#ifdef LANLORD_HAVE_WIRE_CODEC
TEST_CASE("adversary with a key: zero changes of leader or membership") {
  const auto start = std::chrono::steady_clock::now();
  const Totals t = run_seeds(keyed_seed);
  std::ostringstream line;
  line << summary_head("adversary, keyed", t, std::chrono::steady_clock::now() - start)
       << "; events after convergence identical with and without the adversary ("
       << t.events_after_convergence << " events from network faults; " << t.seeds_cut_at_replay
       << " seeds compared up to an admitted authentic replay); admitted: "
       << t.stats.admitted_forgeries << " forgeries, " << t.stats.admitted_replays
       << " authentic replays of lost copies (" << t.stats.admitted_stale_replays
       << " of them not news); old replays " << t.stats.old_copies
       << " copies, all dropped for their send time; drops: " << t.unauthenticated
       << " unauthenticated, " << t.foreign_key << " foreign key, " << t.clock_skew
       << " clock skew, " << t.stale << " stale";
  report(line.str());
  CHECK(t.clock_skew > 0);  // old replays reached the freshness check
}
#endif

TEST_CASE("adversary: a seed replays exactly") {
  const SeedResult a = unkeyed_seed(7);
  const SeedResult b = unkeyed_seed(7);
  CHECK(a.ok == b.ok);
  CHECK(a.heal_views == b.heal_views);
  CHECK(a.heal_leader == b.heal_leader);
  CHECK(a.stats.injected == b.stats.injected);
  CHECK(a.virtual_time == b.virtual_time);
}
