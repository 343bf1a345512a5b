#include "lanlord/profile.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "lanlord/duration.hpp"

namespace lanlord {

using namespace std::chrono_literals;

namespace {

// clang-format off
constexpr TimingKnob kKnobs[] = {
    {.field = "heartbeat_interval", .flag = "heartbeat",
     .help = "how often to heartbeat",
     .membership = &MembershipConfig::heartbeat_interval,
     .override = &TimingOverrides::heartbeat_interval},
    {.field = "alive_expiration", .flag = "alive-expiration",
     .help = "silence after which a member is dead",
     .membership = &MembershipConfig::alive_expiration,
     .override = &TimingOverrides::alive_expiration},
    {.field = "forget_after", .flag = "forget-after",
     .help = "how long a dead member stays listed (as dead) before it is forgotten",
     .membership = &MembershipConfig::forget_after,
     .override = &TimingOverrides::forget_after},
    {.field = "startup_grace_period", .flag = "startup-grace",
     .help = "longest wait for the view to settle before the first election",
     .election = &ElectionConfig::startup_grace_period,
     .override = &TimingOverrides::startup_grace},
    {.field = "membership_sample_interval", .flag = "sample-interval",
     .help = "how often the view is sampled during startup",
     .election = &ElectionConfig::membership_sample_interval,
     .override = &TimingOverrides::sample_interval},
    {.field = "leader_alive_threshold", .flag = "leader-alive",
     .help = "silence after which followers forget the leader; the leader declares every "
             "half of it",
     .election = &ElectionConfig::leader_alive_threshold,
     .override = &TimingOverrides::leader_alive},
    {.field = "leader_election_duration", .flag = "election-duration",
     .help = "how long an election collects proposals",
     .election = &ElectionConfig::leader_election_duration,
     .override = &TimingOverrides::election_duration},
};
// clang-format on

const TimingKnob& knob(Duration MembershipConfig::*field) {
  return *std::find_if(std::begin(kKnobs), std::end(kKnobs),
                       [field](const TimingKnob& k) { return k.membership == field; });
}

const TimingKnob& knob(Duration ElectionConfig::*field) {
  return *std::find_if(std::begin(kKnobs), std::end(kKnobs),
                       [field](const TimingKnob& k) { return k.election == field; });
}

// "--heartbeat 1s" or "heartbeat_interval 1s".
std::string with_value(const TimingKnob& k, const Profile& p, KnobNames names) {
  return k.name(names) + " " + format_duration(k.in(p));
}

// Fabric's defaults as shipped: gossip election (election.go) and discovery
// (aliveTimeInterval 5s, aliveExpirationTimeout 25s; a dead member's alive
// message expires after aliveExpirationTimeout * msgExpirationFactor(20) =
// 500s, i.e. 475s after it was declared dead).
// Crash failover: 2 * 10s + 5s = 25s (no fast failover, as in Fabric).
// The base every other profile is a delta of.
Profile fabric() {
  Profile p;
  p.name = "fabric";
  p.election = ElectionConfig{};
  p.membership.heartbeat_interval = 5s;
  p.membership.alive_expiration = 25s;
  p.membership.forget_after = 25s * 20 - 25s;
  p.fast_failover = false;
  p.description = "Hyperledger Fabric's defaults: conservative, failover within 25s";
  return p;
}

// Fabric's base with other timings and fast failover.
Profile derived(std::string name, const TimingOverrides& timings, std::string description) {
  Profile p = fabric();
  p.name = std::move(name);
  apply_overrides(timings, p);
  p.fast_failover = true;
  p.election.instant_handoff = true;
  p.membership.suspicion = true;
  p.election.repeat_declaration = true;
  p.election.confirm_leader = true;
  p.election.fast_startup = true;
  p.description = std::move(description);
  return p;
}

// A quiet LAN: one heartbeat a second, three missed ones mean dead.
// Crash failover: 3s + 1s + d = ~4s. Graceful leave: 1s + d.
// Rate classes: members whose liveness matters little (neither leader nor
// likely successor of any channel) heartbeat every 5s; their crash is
// noticed after 15s.
Profile lan() {
  Profile p = derived("lan",
                      {.heartbeat_interval = 1s,
                       .alive_expiration = 3s,
                       .forget_after = 60s,
                       .startup_grace = 5s,
                       .sample_interval = 1s,  // as Fabric's
                       .leader_alive = 5s,
                       .election_duration = 1s},
                      "a local network: failover within ~4s after a crash, ~1s after a leave");
  p.membership.idle_heartbeat_interval = 5s;
  return p;
}

// Low-latency failover for a fast, lightly loaded LAN: 10 heartbeats/s from
// each leader and likely successor, 1/s from the other members (rate
// classes; their crash is noticed after 2.5s).
// Crash failover: 250ms + 100ms + d = ~350ms (usually 250ms + d with instant
// handoff). Graceful leave: 100ms + d. Suspicion probes a silent member
// from 120ms on, six times before it dies, so loss does not kill members.
Profile fast() {
  Profile p = derived("fast",
                      {.heartbeat_interval = 100ms,
                       .alive_expiration = 250ms,
                       .forget_after = 10s,
                       .startup_grace = 1s,
                       .sample_interval = 150ms,
                       .leader_alive = 1s,
                       .election_duration = 100ms},
                      "a fast LAN: failover within ~350ms after a crash, ~100ms after a leave");
  p.membership.idle_heartbeat_interval = 1s;
  return p;
}

}  // namespace

Duration& TimingKnob::in(Profile& profile) const {
  return membership != nullptr ? profile.membership.*membership : profile.election.*election;
}

Duration TimingKnob::in(const Profile& profile) const {
  return membership != nullptr ? profile.membership.*membership : profile.election.*election;
}

std::string TimingKnob::name(KnobNames names) const {
  return names == KnobNames::kFlags ? "--" + std::string(flag) : std::string(field);
}

std::span<const TimingKnob> timing_knobs() {
  return kKnobs;
}

const TimingKnob* find_timing_knob(std::string_view flag) {
  for (const TimingKnob& k : kKnobs) {
    if (k.flag == flag) return &k;
  }
  return nullptr;
}

void apply_overrides(const TimingOverrides& overrides, Profile& profile) {
  for (const TimingKnob& k : kKnobs) {
    if (const std::optional<Duration>& value = overrides.*k.override) k.in(profile) = *value;
  }
}

Status validate_timings(const Profile& p, KnobNames names) {
  for (const TimingKnob& k : kKnobs) {
    if (k.in(p) <= Duration::zero()) return Status::error(k.name(names) + " must be positive");
  }
  const TimingKnob& heartbeat = knob(&MembershipConfig::heartbeat_interval);
  const TimingKnob& alive = knob(&MembershipConfig::alive_expiration);
  if (alive.in(p) <= heartbeat.in(p)) {
    return Status::error(alive.name(names) + " must exceed " + heartbeat.name(names) +
                         ", or members die between two heartbeats (" + with_value(alive, p, names) +
                         ", " + with_value(heartbeat, p, names) + ")");
  }
  const TimingKnob& leader_alive = knob(&ElectionConfig::leader_alive_threshold);
  if (p.election.declaration_interval() <= Duration::zero()) {
    return Status::error(leader_alive.name(names) +
                         " is too small to halve (the leader declares every half of it)");
  }
  return Status::ok();
}

Status Profile::validate() const {
  for (Status s :
       {validate_timings(*this, KnobNames::kFields), election.validate(), membership.validate()}) {
    if (!s) return Status::error("profile " + name + ": " + s.message());
  }
  return Status::ok();
}

Duration Profile::crash_failover_bound(Duration delivery) const {
  if (fast_failover) {
    return membership.alive_expiration + election.leader_election_duration + delivery;
  }
  return 2 * election.leader_alive_threshold + election.leader_election_duration;
}

Duration Profile::leave_failover_bound(Duration delivery) const {
  if (fast_failover) return election.leader_election_duration + delivery;
  return crash_failover_bound(delivery);
}

std::optional<Profile> find_profile(std::string_view name) {
  if (name == "fabric") return fabric();
  if (name == "lan") return lan();
  if (name == "fast") return fast();
  return std::nullopt;
}

std::vector<std::string_view> profile_names() {
  return {"fabric", "lan", "fast"};
}

Result<Profile> resolve_profile(std::string_view name, const TimingOverrides& overrides) {
  std::optional<Profile> found = find_profile(name);
  if (!found) {
    std::string names;
    for (std::string_view n : profile_names())
      names += (names.empty() ? "" : ", ") + std::string(n);
    return Status::error("unknown profile '" + std::string(name) + "' (profiles: " + names + ")");
  }
  apply_overrides(overrides, *found);
  if (Status s = found->validate(); !s) return s;
  return std::move(*found);
}

Profile default_profile() {
  return lan();
}

std::uint32_t timings_fingerprint(const Profile& profile) {
  std::uint32_t h = 2166136261u;
  const auto mix = [&h](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= static_cast<std::uint8_t>(v >> (8 * i));
      h *= 16777619u;
    }
  };
  for (const TimingKnob& k : timing_knobs()) {
    mix(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(k.in(profile)).count()));
  }
  mix(profile.fast_failover ? 1 : 0);
  return h == 0 ? 1 : h;
}

}  // namespace lanlord
