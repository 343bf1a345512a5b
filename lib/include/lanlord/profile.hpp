// Named timing profiles: election and membership settings that belong
// together, so a deployment picks "lan" instead of seven durations.
//
// Worst-case failover (time from the leader's failure until the survivors
// agree on a new one), with d the one-way delivery time of a datagram:
//   crash, fast_failover:      alive_expiration + leader_election_duration + d
//                              (membership declares the leader dead, peer_down()
//                              starts an election at once; with instant_handoff
//                              the lowest alive id declares at once instead, so
//                              usually alive_expiration + d)
//   crash, no fast_failover:   2 * leader_alive_threshold + leader_election_duration
//                              (Fabric: a follower may have just reset its window
//                              when the last declaration arrived, so it waits up to
//                              two windows before it notices)
//   graceful leave or yield,   2 * d (the handoff names the successor, which
//   instant_handoff:           declares at once)
//   graceful leave, worst case leader_election_duration + d (no handoff, or it was
//   (leave_failover_bound):    lost: the leave datagram
//                              triggers peer_down() directly; needs fast_failover)
//
// Startup (first node started until one agreed leader), with fast_startup
// (lan, fast): startup_discovery() = leader_election_duration / 2 after the
// first node starts, the lowest id in its view declares; a node starting
// later hears the leader's declaration within a round trip of its first
// heartbeat (welcome heartbeats and declarations). Without it (fabric):
// at least two view samples plus an election.
//
// Rate classes (lan, fast; MembershipConfig::idle_heartbeat_interval) leave
// these bounds as they are: a leader and its likely successor always
// heartbeat at heartbeat_interval. Only a crashed idle member is found
// dead later, after alive_expiration x idle / heartbeat_interval.
#pragma once

#include "lanlord/export.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lanlord/election.hpp"
#include "lanlord/membership.hpp"
#include "lanlord/status.hpp"
#include "lanlord/time.hpp"

namespace lanlord {

struct LANLORD_EXPORT Profile {
  std::string name;
  ElectionConfig election;
  MembershipConfig membership;
  // Whether a membership kDead / kLeft (or kRestarted) of the leader calls
  // LeaderElectionService::peer_down(), instead of waiting for the election's
  // own leader_alive_threshold as Fabric does.
  bool fast_failover = false;
  std::string description;  // one line, for `lanlord --help` and the like

  // validate_timings() with field names, then both configs' own checks.
  // The message names the profile and the bad field.
  Status validate() const;
  // The worst-case failover bounds above, for a delivery time `delivery`.
  Duration crash_failover_bound(Duration delivery) const;
  // Without fast_failover a leave is not acted on: the crash bound applies.
  Duration leave_failover_bound(Duration delivery) const;
};

// Optional per-timing overrides of a profile's values. Unset keeps the
// profile's value.
struct LANLORD_EXPORT TimingOverrides {
  std::optional<Duration> heartbeat_interval;  // membership: how often to heartbeat
  std::optional<Duration> alive_expiration;    // membership: silence before a peer is dead
  std::optional<Duration> forget_after;        // membership: a dead peer is forgotten after
  std::optional<Duration> startup_grace;       // election: startup_grace_period
  std::optional<Duration> sample_interval;     // election: membership_sample_interval
  std::optional<Duration> leader_alive;        // election: leader_alive_threshold
  std::optional<Duration> election_duration;   // election: leader_election_duration
};

// How a message names a timing: by its config field ("alive_expiration"),
// for library callers, or by its command-line flag ("--alive-expiration"),
// for a person who typed it on a command line or in a config file.
enum class KnobNames { kFields, kFlags };

// One timing knob: where its value lives in a Profile and its override in
// TimingOverrides, and how people name it. timing_knobs() is the one list
// of knobs: the CLI's options, config-file keys, help and profile listing,
// and the benchmark's flags are generated from it.
struct LANLORD_EXPORT TimingKnob {
  std::string_view field;  // "alive_expiration": the config field's name
  std::string_view flag;   // "alive-expiration": the option without "--"; the config-file key
  std::string_view help;   // what it means, a phrase for --help
  // Exactly one is set: the knob's field in Profile::membership or in
  // Profile::election.
  Duration MembershipConfig::*membership = nullptr;
  Duration ElectionConfig::*election = nullptr;
  std::optional<Duration> TimingOverrides::*override = nullptr;

  // The knob's value in `profile`.
  Duration& in(Profile& profile) const;
  Duration in(const Profile& profile) const;
  // "--alive-expiration" or "alive_expiration".
  std::string name(KnobNames names) const;
};

// Every knob, membership's then election's, in TimingOverrides' order:
// heartbeat, alive-expiration, forget-after, startup-grace,
// sample-interval, leader-alive, election-duration. Static storage.
LANLORD_EXPORT std::span<const TimingKnob> timing_knobs();

// The knob whose flag is `flag` (without "--"), or nullptr.
LANLORD_EXPORT const TimingKnob* find_timing_knob(std::string_view flag);

// Sets every timing of `profile` that `overrides` sets.
LANLORD_EXPORT void apply_overrides(const TimingOverrides& overrides, Profile& profile);

// The rules the timings must follow, checked in the table's terms: every
// knob positive, alive-expiration above heartbeat, leader-alive long enough
// to halve. The message names the first broken rule's knobs as `names`
// says, with their values: "--alive-expiration must exceed --heartbeat, or
// members die between two heartbeats (--alive-expiration 250ms, --heartbeat 1s)".
LANLORD_EXPORT Status validate_timings(const Profile& profile, KnobNames names);

// The profile `name` with `overrides` applied, or why that is not a valid
// profile (unknown name, a bad timing).
LANLORD_EXPORT Result<Profile> resolve_profile(std::string_view name,
                                               const TimingOverrides& overrides);

// The profile called `name` ("fabric", "lan", "fast"); empty when unknown.
// Returns a fresh copy each time: callers may adjust it.
LANLORD_EXPORT std::optional<Profile> find_profile(std::string_view name);

// Every profile name, in the order they are documented (fabric, lan, fast).
LANLORD_EXPORT std::vector<std::string_view> profile_names();

// The profile used when none is named: "lan".
LANLORD_EXPORT Profile default_profile();

// A fingerprint of every timing knob and fast_failover (FNV-1a over their
// nanosecond values; never 0). Heartbeats carry it so that a node can warn
// about a peer whose timings differ: mixed timings make members flap.
LANLORD_EXPORT std::uint32_t timings_fingerprint(const Profile& profile);

}  // namespace lanlord
