#include "experiment/scenarios.hpp"

#include <algorithm>
#include <cmath>

namespace lanlord::bench {

namespace {

double to_ms(Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

std::string ms_text(Duration d) {
  return std::to_string(static_cast<long long>(to_ms(d))) + " ms";
}

// Starts `n` nodes (sides alternate when `halves`) and waits for agreement.
bool start_and_agree(ClusterDriver& d, std::size_t n, bool halves, const ScenarioParams& p,
                     RunResult& r, std::optional<Duration>* agreed_at = nullptr) {
  for (std::size_t i = 0; i < n; ++i) {
    if (d.add_node(halves ? static_cast<int>(i % 2) : 0) == kNoNode) {
      r.failure = "node " + std::to_string(i) + " did not start";
      return false;
    }
  }
  const auto t = d.wait_agreed(p.limit);
  if (!t) {
    r.failure = std::string(halves ? "the halves" : "the cluster") + " did not agree within " +
                ms_text(p.limit) + " of starting";
    return false;
  }
  if (agreed_at) *agreed_at = t;
  return true;
}

// A random settle: a random part, so the next event lands at a random
// phase of the heartbeat and declaration timers, then a measured window of
// whole heartbeat intervals (at least one declaration interval, so every
// follower has heard its leader declare). Whole intervals keep the traffic
// figures unbiased when the nodes' timers tick in step, as in the simulator.
// On etcd the timer that matters is the lease keep-alive (every TTL/3): a
// random part of one keep-alive interval, then one TTL (three of them).
void settle(ClusterDriver& d, const ScenarioParams& p, sim::Rng& rng, RunResult& r) {
  Duration phase = p.profile.election.declaration_interval();
  const Duration hb = p.profile.membership.heartbeat_interval;
  Duration window = ((phase + hb - Duration(1)) / hb) * hb;
  if (const auto ttl = d.lease_ttl()) {
    phase = *ttl / 3;
    window = *ttl;
  }
  if (p.steady_window) window = *p.steady_window;
  d.run_for(rng.duration(Duration::zero(), phase));
  r.steady_before = d.usage();
  d.run_for(window);
  r.steady_after = d.usage();
}

// After `event` at t0, waits for agreement and records the time it took.
bool time_recovery(ClusterDriver& d, const ScenarioParams& p, Duration t0, const char* what,
                   RunResult& r) {
  // On etcd a crashed leader's lease has to expire first: the default limit
  // leaves it two TTLs and 2 s (etcd checks for expired leases every 0.5 s).
  Duration limit = p.limit;
  if (const auto ttl = d.lease_ttl(); ttl && !p.limit_given) {
    limit = std::max<Duration>(limit, 2 * *ttl + std::chrono::seconds(2));
  }
  const auto t = d.wait_agreed(limit);
  if (!t) {
    r.failure = std::string("no agreed leader within ") + ms_text(limit) + " after " + what;
    return false;
  }
  r.samples_ms.push_back(to_ms(*t - t0));
  return true;
}

std::size_t agreed_leader(ClusterDriver& d, RunResult& r) {
  const Transition s = d.state();
  if (!s.agreed || s.leader == kNoNode) {
    r.failure = "the agreement was lost while settling";
    return kNoNode;
  }
  return s.leader;
}

void run_churn(std::size_t n, ClusterDriver& d, const ScenarioParams& p, sim::Rng& rng,
               RunResult& r) {
  // Live nodes stay between half and all of n, so the cluster never dies out.
  const std::size_t floor_live = std::max<std::size_t>(1, (n + 1) / 2);
  const Duration t_begin = d.now();
  const Duration t_end = t_begin + p.churn_duration;
  r.steady_before = d.usage();
  const std::size_t first = d.timeline().size() - 1;  // the agreed state we start from
  std::vector<std::size_t> live, gone;
  while (true) {
    // Exponential gaps: a Poisson process of churn events.
    const double gap_s = -std::log(1.0 - rng.unit()) / p.churn_rate;
    const Duration gap = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(gap_s));
    if (d.now() + gap >= t_end) {
      d.run_for(t_end - d.now());
      break;
    }
    d.run_for(gap);
    live.clear();
    gone.clear();
    for (std::size_t i = 0; i < d.size(); ++i) (d.live(i) ? live : gone).push_back(i);
    const bool can_leave = live.size() > floor_live;
    const bool depart = can_leave && (gone.empty() || rng.chance(0.5));
    if (depart) {
      const std::size_t v = live[rng.below(live.size())];
      if (rng.chance(p.churn_crash)) {
        d.crash(v);
      } else {
        d.leave(v);
      }
    } else if (!gone.empty()) {
      d.rejoin(gone[rng.below(gone.size())]);
    }
    ++r.churn_events;
  }
  r.steady_after = d.usage();
  // The cluster must end agreed; the last episode is closed at that moment.
  const auto t_final = d.wait_agreed(p.limit);
  if (!t_final) {
    r.failure = "no agreed leader within " + ms_text(p.limit) + " after churn stopped";
    return;
  }
  const std::vector<Transition> tl = d.timeline();
  std::size_t last_leader = tl[first].leader;
  std::optional<Duration> lost_at, no_single_since;
  for (std::size_t k = first + 1; k < tl.size(); ++k) {
    const Transition& t = tl[k];
    if (!t.one_leader && !no_single_since) no_single_since = t.at;
    if (t.one_leader && no_single_since) {
      r.leaderless_ms += to_ms(t.at - *no_single_since);
      no_single_since.reset();
    }
    if (!t.agreed) {
      if (!lost_at) lost_at = t.at;
      continue;
    }
    if (lost_at) {
      r.samples_ms.push_back(to_ms(t.at - *lost_at));
      lost_at.reset();
    }
    if (t.leader != last_leader) ++r.leader_changes;
    last_leader = t.leader;
  }
  for (double e : r.samples_ms) r.unagreed_ms += e;
  r.churn_window_ms = to_ms(*t_final - t_begin);
  r.ok = true;
}

// The freeze scenario after settling: (a) freeze -> survivors agreed on
// another leader, (b) thaw -> the frozen leader no longer claims, (c) its
// claims with the old epoch after the thaw.
void run_freeze(ClusterDriver& d, const ScenarioParams& p, RunResult& r) {
  const std::size_t leader = agreed_leader(d, r);
  if (leader == kNoNode) return;
  const Duration frozen_for =
      p.freeze_duration ? *p.freeze_duration : default_freeze_duration(p.profile);
  const Duration t = d.now();
  d.freeze(leader, frozen_for);
  const auto agreed = d.wait_agreed(std::min(p.limit, frozen_for));
  if (!agreed) {
    r.failure = "the survivors did not agree within " + ms_text(std::min(p.limit, frozen_for)) +
                " of the freeze (a longer --freeze-duration gives them more time)";
    d.thaw(leader);
    return;
  }
  if (d.state().leader == leader) {
    r.failure = "the survivors agreed on the frozen leader";
    d.thaw(leader);
    return;
  }
  r.samples_ms.push_back(to_ms(*agreed - t));
  if (d.now() < t + frozen_for) d.run_for(t + frozen_for - d.now());
  const Duration thawed = d.thaw(leader);
  const auto stepped = d.wait_stepped_down(leader, p.limit);
  if (!stepped) {
    r.failure = "the thawed leader still claimed to lead " + ms_text(p.limit) +
                " after the thaw (" + std::to_string(d.stale_claims(leader)) +
                " claims with its old epoch meanwhile)";
    return;
  }
  r.stepdown_ms = to_ms(*stepped - thawed);
  // Whatever it sends late (a declaration queued before the freeze) shows
  // up by the time the whole cluster agrees again.
  if (!d.wait_agreed(p.limit)) {
    r.failure = "no agreed leader within " + ms_text(p.limit) + " after the thaw";
    return;
  }
  r.stale_claims = d.stale_claims(leader);
  r.ok = true;
}

}  // namespace

Duration default_freeze_duration(const Profile& profile) {
  return 3 * profile.membership.alive_expiration;
}

std::string_view scenario_name(Scenario s) {
  switch (s) {
    case Scenario::kStartup:
      return "startup";
    case Scenario::kFailover:
      return "failover";
    case Scenario::kHandoffYield:
      return "handoff-yield";
    case Scenario::kHandoffStop:
      return "handoff-stop";
    case Scenario::kHeal:
      return "heal";
    case Scenario::kChurn:
      return "churn";
    case Scenario::kFreeze:
      return "freeze";
  }
  return "?";
}

std::optional<Scenario> parse_scenario(std::string_view name) {
  for (Scenario s : all_scenarios()) {
    if (scenario_name(s) == name) return s;
  }
  return std::nullopt;
}

std::vector<Scenario> all_scenarios() {
  return {Scenario::kStartup, Scenario::kFailover, Scenario::kHandoffYield, Scenario::kHandoffStop,
          Scenario::kHeal,    Scenario::kChurn,    Scenario::kFreeze};
}

std::size_t min_nodes(Scenario s) {
  return s == Scenario::kStartup ? 1 : 2;
}

RunResult run_scenario(Scenario s, std::size_t nodes, ClusterDriver& d, const ScenarioParams& p,
                       sim::Rng& rng) {
  RunResult r;
  if (s == Scenario::kHandoffYield && !d.can_yield()) {
    r.skipped = true;
    r.failure = "this transport cannot make a node yield";
    return r;
  }
  if (s == Scenario::kHeal && !d.can_heal()) {
    r.skipped = true;
    r.failure =
        "heal does not apply to etcd: a node cut off from etcd loses its lease (failover "
        "measures that), and there are no halves with a leader each to join";
    return r;
  }
  if (s == Scenario::kFreeze && !d.can_freeze()) {
    r.skipped = true;
    r.failure = "this transport cannot freeze one node (use sim or --procs)";
    return r;
  }
  const Duration t0 = d.now();
  std::optional<Duration> agreed_at;
  if (!start_and_agree(d, nodes, s == Scenario::kHeal, p, r, &agreed_at)) return r;

  switch (s) {
    case Scenario::kStartup:
      r.samples_ms.push_back(to_ms(*agreed_at - t0));
      settle(d, p, rng, r);
      r.ok = true;
      break;
    case Scenario::kFailover:
    case Scenario::kHandoffYield:
    case Scenario::kHandoffStop: {
      settle(d, p, rng, r);
      const std::size_t leader = agreed_leader(d, r);
      if (leader == kNoNode) break;
      const Duration t = d.now();
      if (s == Scenario::kFailover) d.crash(leader);
      if (s == Scenario::kHandoffYield) d.yield(leader);
      if (s == Scenario::kHandoffStop) d.leave(leader);
      r.ok = time_recovery(d, p, t, scenario_name(s).data(), r);
      break;
    }
    case Scenario::kHeal: {
      settle(d, p, rng, r);
      const Duration t = d.now();
      d.heal();
      r.ok = time_recovery(d, p, t, "the halves were joined", r);
      break;
    }
    case Scenario::kChurn:
      run_churn(nodes, d, p, rng, r);
      break;
    case Scenario::kFreeze:
      settle(d, p, rng, r);
      run_freeze(d, p, r);
      break;
  }
  r.driver_time = d.now() - t0;
  // A driver-side problem (a child process that died, say) explains a failure best.
  if (!r.ok && !r.skipped && !d.error().empty()) r.failure += " (" + d.error() + ")";
  return r;
}

}  // namespace lanlord::bench
