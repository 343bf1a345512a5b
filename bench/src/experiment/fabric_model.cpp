#include "experiment/fabric_model.hpp"

namespace lanlord::bench {

namespace {

double ms(Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

Figure fabric_figure(Scenario s, const Profile& profile, Duration delivery) {
  const ElectionConfig& e = profile.election;
  switch (s) {
    case Scenario::kStartup:
      return {ms(e.startup_grace_period + e.leader_election_duration), "T_grace + T_elect"};
    case Scenario::kFailover:
      return {ms(2 * e.leader_alive_threshold + e.leader_election_duration), "2*T_alive + T_elect"};
    case Scenario::kHandoffYield:
      return {
          ms(e.leader_alive_threshold / 2 + e.leader_alive_threshold + e.leader_election_duration),
          "T_alive/2 + T_alive + T_elect"};
    case Scenario::kHandoffStop:
      return {ms(2 * e.leader_alive_threshold + e.leader_election_duration),
              "2*T_alive + T_elect (no leave in Fabric)"};
    case Scenario::kHeal:
      return {ms(e.leader_alive_threshold / 2 + delivery), "T_alive/2 + d"};
    case Scenario::kChurn:
      return {ms(2 * e.leader_alive_threshold + e.leader_election_duration),
              "2*T_alive + T_elect per leader departure"};
    case Scenario::kFreeze:
      return {ms(2 * e.leader_alive_threshold + e.leader_election_duration),
              "2*T_alive + T_elect (a frozen leader is a crashed one to the others)"};
  }
  return {};
}

std::optional<Figure> lanlord_bound(Scenario s, const Profile& profile, Duration delivery) {
  const char* crash = profile.fast_failover ? "T_dead + T_elect + d" : "2*T_alive + T_elect";
  const char* leave = profile.fast_failover ? "T_elect + d" : "2*T_alive + T_elect";
  switch (s) {
    case Scenario::kFailover:
    case Scenario::kFreeze:
      return Figure{ms(profile.crash_failover_bound(delivery)), crash};
    case Scenario::kHandoffStop:
      return Figure{ms(profile.leave_failover_bound(delivery)), leave};
    default:
      return std::nullopt;
  }
}

std::string fabric_formulas_text() {
  return "  T_grace = startup_grace_period, T_alive = leader_alive_threshold,\n"
         "  T_elect = leader_election_duration, T_dead = alive_expiration,\n"
         "  d = one-way delivery (sim: delay + jitter; udp: 1 ms)\n"
         "  Fabric's algorithm, same timings (column 'fabric'):\n"
         "    startup        T_grace + T_elect            (worst case)\n"
         "    failover       2*T_alive + T_elect          (upper bound)\n"
         "    handoff-yield  T_alive/2 + T_alive + T_elect\n"
         "    handoff-stop   2*T_alive + T_elect          (Fabric has no leave)\n"
         "    heal           T_alive/2 + d                (upper bound)\n"
         "    churn          2*T_alive + T_elect          (per leader departure)\n"
         "    freeze         2*T_alive + T_elect          (frozen = crashed, to the others)\n"
         "  lanlord's own bound (column 'bound', profile.hpp), with fast_failover:\n"
         "    failover       T_dead + T_elect + d         (freeze too)\n"
         "    handoff-stop   T_elect + d\n";
}

}  // namespace lanlord::bench
