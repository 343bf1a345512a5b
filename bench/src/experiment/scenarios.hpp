// The benchmark scenarios, written once against ClusterDriver.
//
// Every run: start the nodes, wait until they agree, let them settle for a
// random time (so the fault lands at a random phase of the heartbeat and
// declaration timers) and then for a steady window of whole heartbeat
// intervals (the traffic and CPU figures are taken over it), inject the
// scenario's event, and time how long until the survivors agree again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/driver.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/sim/random.hpp"

namespace lanlord::bench {

enum class Scenario {
  kStartup,       // N nodes start together -> one agreed leader
  kFailover,      // the agreed leader crashes -> the survivors agree on another
  kHandoffYield,  // the leader yields -> agreement on another
  kHandoffStop,   // the leader stops gracefully (leave) -> agreement on another
  kHeal,          // two halves with a leader each are joined -> one agreed leader
  kChurn,         // nodes leave, crash and rejoin at a rate -> episodes without agreement
  kFreeze,        // the agreed leader is frozen (SIGSTOP) -> the survivors agree on another;
                  // at the thaw -> how soon it stops claiming, and whether it claimed first
};

std::string_view scenario_name(Scenario s);
// Accepts the names above; "handoff" is not a scenario (options.cpp expands it).
std::optional<Scenario> parse_scenario(std::string_view name);
std::vector<Scenario> all_scenarios();

struct ScenarioParams {
  Profile profile;
  Duration limit{};  // the longest any wait for agreement may take
  // `limit` is the user's (--timeout): not stretched to the etcd lease TTL.
  bool limit_given = false;
  // The measured window after agreement; empty: whole heartbeat intervals
  // covering a declaration interval (etcd: one lease TTL).
  std::optional<Duration> steady_window;
  // Churn: departures and rejoins per second (Poisson), for this long;
  // the fraction of departures that are crashes (the rest are leaves).
  double churn_rate = 1.0;
  Duration churn_duration = std::chrono::seconds(10);
  double churn_crash = 0.5;
  // Freeze: how long the leader stays frozen; empty: 3 x alive_expiration.
  std::optional<Duration> freeze_duration;
};

// The freeze scenario's default: a few alive_expirations, so the survivors
// have replaced the frozen leader well before it thaws.
Duration default_freeze_duration(const Profile& profile);

struct RunResult {
  bool ok = false;
  bool skipped = false;  // the driver cannot do this scenario (e.g. no yield, no heal on etcd)
  std::string failure;   // why !ok
  // The measured convergence time; for churn, the lengths of the episodes
  // without an agreed leader.
  std::vector<double> samples_ms;
  Usage steady_before, steady_after;  // the settle window (churn: the churn window)
  // Churn only.
  std::uint64_t leader_changes = 0;
  double unagreed_ms = 0;
  double leaderless_ms = 0;  // time without exactly one leader (Transition::one_leader)
  double churn_window_ms = 0;
  std::uint64_t churn_events = 0;
  Duration driver_time{};  // total time the run took on the driver's clock
  // Freeze only: from the thaw until the thawed leader stopped claiming to
  // lead, and how often it acted as leader with its old epoch meanwhile.
  std::optional<double> stepdown_ms;
  std::uint64_t stale_claims = 0;
};

RunResult run_scenario(Scenario s, std::size_t nodes, ClusterDriver& driver,
                       const ScenarioParams& params, sim::Rng& rng);

// Nodes a scenario needs at least: 1 for startup, 2 for the others.
std::size_t min_nodes(Scenario s);

}  // namespace lanlord::bench
