// The analytic figures the benchmark sets each measurement against:
// Fabric's own algorithm (gossip/election/election.go, no membership fast
// path, no leave) with the SAME timings as the measured profile, and
// lanlord's own worst case where profile.hpp states one.
//
// With T_grace = startup_grace_period, T_alive = leader_alive_threshold,
// T_elect = leader_election_duration and d the one-way delivery time:
//   startup        T_grace + T_elect        (worst: the view never settles
//                                            early, then one election)
//   failover       2 T_alive + T_elect      (a follower may have just reset
//                                            its window when the last
//                                            declaration came: two windows)
//   handoff-yield  T_alive/2 + T_alive + T_elect (the yielder's last
//                                            declaration, a silent window,
//                                            an election)
//   handoff-stop   2 T_alive + T_elect      (Fabric has no leave: a stop is
//                                            a crash to the others)
//   heal           T_alive/2 + d            (the lower leader's next
//                                            declaration reaches the others)
//   churn          2 T_alive + T_elect      (per leader departure)
#pragma once

#include <optional>
#include <string>

#include "experiment/scenarios.hpp"
#include "lanlord/profile.hpp"

namespace lanlord::bench {

struct Figure {
  double ms = 0;
  std::string formula;  // e.g. "2*T_alive + T_elect"
};

// Fabric's algorithm on the timings of `profile`.
Figure fabric_figure(Scenario s, const Profile& profile, Duration delivery);

// lanlord's stated worst case (Profile::crash_failover_bound and
// leave_failover_bound) for the scenarios it covers; empty otherwise.
std::optional<Figure> lanlord_bound(Scenario s, const Profile& profile, Duration delivery);

// The formulas above, one per line, for --help and the README.
std::string fabric_formulas_text();

}  // namespace lanlord::bench
