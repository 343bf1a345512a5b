// The verdict of `lanlord watch --once`: does every channel have exactly
// one leader? Pure: it judges what a passive node heard, it does not listen.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lanlord/membership.hpp"
#include "lanlord/peer_id.hpp"
#include "lanlord/time.hpp"

namespace lanlord::cli {

// What a passive observer heard while it listened.
struct Observation {
  std::vector<Member> members;  // at the end, alive and dead
  // At the end, the leader the observer knows of in each channel it asked about.
  std::map<std::string, std::optional<PeerId>> leaders;
  // Every leader reported in each channel while listening (a split brain
  // shows up here as two ids, even when the final view shows one).
  std::map<std::string, std::set<PeerId>> leaders_heard;
  // Channels that must be present even if nobody mentioned them (--channel).
  std::vector<std::string> expected_channels;
  Duration listened{};
};

struct ChannelVerdict {
  std::string channel;
  std::optional<PeerId> leader;
  // The final leader and any other leader heard that is still alive:
  // exactly one id when the channel is healthy.
  std::vector<PeerId> leaders;
  bool ok = false;
  std::string problem;  // when !ok: "no leader", "2 leaders", ...
};

struct Verdict {
  std::vector<Member> members;  // sorted by id
  std::size_t alive = 0;
  std::vector<ChannelVerdict> channels;  // sorted by name
  Duration listened{};
  bool ok = false;
  std::string problem;  // when !ok, one line
};

// A channel is every channel of an alive member, of a leader report, or
// expected. It is healthy when its final leader is an alive member and no
// other alive member was reported as its leader while listening. The whole
// is ok when at least one channel exists and every channel is healthy.
Verdict judge(const Observation& seen);

}  // namespace lanlord::cli
