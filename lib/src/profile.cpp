#include "lanlord/profile.hpp"

#include <chrono>
#include <utility>

namespace lanlord {

using namespace std::chrono_literals;

namespace {

// Fabric's defaults as shipped: gossip election (election.go) and discovery
// (aliveTimeInterval 5s, aliveExpirationTimeout 25s; a dead member's alive
// message expires after aliveExpirationTimeout * msgExpirationFactor(20) =
// 500s, i.e. 475s after it was declared dead).
// Crash failover: 2 * 10s + 5s = 25s (no fast failover, as in Fabric).
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

// A quiet LAN: one heartbeat a second, three missed ones mean dead.
// Crash failover: 3s + 1s + d = ~4s. Graceful leave: 1s + d.
Profile lan() {
  Profile p;
  p.name = "lan";
  p.election.startup_grace_period = 5s;
  p.election.membership_sample_interval = 1s;
  p.election.leader_alive_threshold = 5s;
  p.election.leader_election_duration = 1s;
  p.membership.heartbeat_interval = 1s;
  p.membership.alive_expiration = 3s;
  p.membership.forget_after = 60s;
  p.fast_failover = true;
  p.description = "a local network: failover within ~4s after a crash, ~1s after a leave";
  return p;
}

// Low-latency failover for a fast, lightly loaded LAN: 10 heartbeats/s per node.
// Crash failover: 300ms + 100ms + d = ~400ms. Graceful leave: 100ms + d.
Profile fast() {
  Profile p;
  p.name = "fast";
  p.election.startup_grace_period = 1s;
  p.election.membership_sample_interval = 150ms;
  p.election.leader_alive_threshold = 1s;
  p.election.leader_election_duration = 100ms;
  p.membership.heartbeat_interval = 100ms;
  p.membership.alive_expiration = 300ms;
  p.membership.forget_after = 10s;
  p.fast_failover = true;
  p.description = "a fast LAN: failover within ~400ms after a crash, ~100ms after a leave";
  return p;
}

}  // namespace

Status Profile::validate() const {
  if (Status s = election.validate(); !s)
    return Status::error("profile " + name + ": " + s.message());
  if (Status s = membership.validate(); !s) {
    return Status::error("profile " + name + ": " + s.message());
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

ResolvedProfile resolve_profile(std::string_view name, const TimingOverrides& t) {
  ResolvedProfile out;
  std::optional<Profile> found = find_profile(name);
  if (!found) {
    std::string names;
    for (std::string_view n : profile_names())
      names += (names.empty() ? "" : ", ") + std::string(n);
    out.status =
        Status::error("unknown profile '" + std::string(name) + "' (profiles: " + names + ")");
    return out;
  }
  Profile& p = *found;
  if (t.heartbeat_interval) p.membership.heartbeat_interval = *t.heartbeat_interval;
  if (t.alive_expiration) p.membership.alive_expiration = *t.alive_expiration;
  if (t.forget_after) p.membership.forget_after = *t.forget_after;
  if (t.startup_grace) p.election.startup_grace_period = *t.startup_grace;
  if (t.sample_interval) p.election.membership_sample_interval = *t.sample_interval;
  if (t.leader_alive) p.election.leader_alive_threshold = *t.leader_alive;
  if (t.election_duration) p.election.leader_election_duration = *t.election_duration;
  out.status = p.validate();
  out.profile = std::move(p);
  return out;
}

Profile default_profile() {
  return lan();
}

}  // namespace lanlord
