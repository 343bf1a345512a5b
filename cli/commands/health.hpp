// The verdict of `lanlord watch --once`: does every channel have exactly
// one leader, and can the cluster's traffic be believed? Pure: it judges
// what a passive node heard, it does not listen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lanlord/membership.hpp"
#include "lanlord/node_core.hpp"
#include "lanlord/peer_id.hpp"
#include "lanlord/time.hpp"
#include "lanlord/trust.hpp"

namespace lanlord::cli {

// What a passive observer heard while it listened.
struct Observation {
  std::vector<Member> members;  // at the end, alive and dead
  // At the end, the leadership the observer knows of in each channel it
  // asked about: the leader (empty: none), its epoch and metadata.
  std::map<std::string, LeaderInfo> leaders;
  // Every leader reported in each channel while listening (a split brain
  // shows up here as two ids, even when the final view shows one).
  std::map<std::string, std::set<PeerId>> leaders_heard;
  // Channels that must be present even if nobody mentioned them (--channel).
  std::vector<std::string> expected_channels;
  Duration listened{};
  // The observer's counters at the end: drops by reason, duplicate_id, and
  // per channel the members that declared leadership lately (`declaring`).
  NodeStats stats;
  // The observer holds the cluster's key, so unauthenticated traffic is
  // news rather than the normal state of an unkeyed group.
  bool keyed = false;
  Duration max_clock_skew = TrustConfig{}.max_clock_skew;
  // The observer node's own warnings (Warning::message), e.g. that keyed
  // traffic arrives and it has no key: listed, never a failure.
  std::vector<std::string> node_warnings;
};

struct ChannelVerdict {
  std::string channel;
  std::optional<PeerId> leader;
  // The final leader and any other leader heard that is still alive:
  // exactly one id when the channel is healthy.
  std::vector<PeerId> leaders;
  std::uint64_t epoch = 0;  // the final leader's (0: none, or not known yet)
  std::string metadata{};   // the final leader's heartbeat metadata
  std::size_t members = 0;  // alive members in the channel
  // The alive members that declared leadership of the channel lately
  // (ChannelStats::declaring): more than one is a split.
  std::vector<PeerId> declaring{};
  bool ok = false;
  std::string problem;  // when !ok: "no leader", "split", "2 leaders", ...
};

struct Verdict {
  std::vector<Member> members;  // sorted by id
  std::size_t alive = 0;
  std::vector<ChannelVerdict> channels;  // sorted by name
  Duration listened{};
  // Traffic that cannot be believed; each one makes the verdict not ok.
  std::vector<std::string> trust_problems;
  // Worth a look but not a failure: clocks near the edge of the skew
  // window, another cluster's traffic on the same group and port.
  std::vector<std::string> warnings;
  NodeStats stats;  // the observation's, for the table
  bool ok = false;
  std::string problem;  // when !ok, one line: the channels' problem and the trust problems
};

// A channel is every channel of an alive member, of a leader report, or
// expected. It is healthy when its final leader is an alive member and no
// other alive member was reported as its leader while listening or
// declared leadership lately (two declaring at the end: "split"; two
// reported one after the other: "2 leaders").
// Trust problems: an id used twice (id_conflict drops or duplicate_id),
// unauthenticated datagrams while keyed, messages outside the clock-skew
// window (clock_skew drops). Warnings only: an alive member whose clock is
// off by more than half the window, another cluster's datagrams
// (foreign_cluster, foreign_key: counted, never a failure), the observer
// node's own warnings. The whole is
// ok when at least one channel exists, every channel is healthy and there
// is no trust problem.
Verdict judge(const Observation& seen);

}  // namespace lanlord::cli
