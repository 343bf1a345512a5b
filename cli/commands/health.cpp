#include "commands/health.hpp"

#include <algorithm>

namespace lanlord::cli {

Verdict judge(const Observation& seen) {
  Verdict v;
  v.members = seen.members;
  std::sort(v.members.begin(), v.members.end(),
            [](const Member& a, const Member& b) { return a.id < b.id; });
  v.listened = seen.listened;

  std::set<PeerId> alive;
  std::set<std::string> channels(seen.expected_channels.begin(), seen.expected_channels.end());
  for (const Member& m : v.members) {
    if (!m.alive) continue;
    alive.insert(m.id);
    channels.insert(m.channels.begin(), m.channels.end());
  }
  v.alive = alive.size();
  for (const auto& [channel, leader] : seen.leaders) {
    if (leader) channels.insert(channel);
  }
  for (const auto& [channel, heard] : seen.leaders_heard) {
    if (!heard.empty()) channels.insert(channel);
  }

  std::size_t unhealthy = 0;
  for (const std::string& channel : channels) {
    ChannelVerdict c;
    c.channel = channel;
    if (const auto it = seen.leaders.find(channel); it != seen.leaders.end()) c.leader = it->second;
    std::set<PeerId> leaders;
    if (c.leader) leaders.insert(*c.leader);
    if (const auto it = seen.leaders_heard.find(channel); it != seen.leaders_heard.end()) {
      // A leader that has since died or left was replaced, not a rival.
      for (const PeerId& id : it->second) {
        if (alive.count(id) != 0) leaders.insert(id);
      }
    }
    c.leaders.assign(leaders.begin(), leaders.end());
    if (!c.leader) {
      c.problem = "no leader";
    } else if (alive.count(*c.leader) == 0) {
      c.problem = "its leader is not alive";
    } else if (leaders.size() > 1) {
      c.problem = std::to_string(leaders.size()) + " leaders";
    } else {
      c.ok = true;
    }
    if (!c.ok) ++unhealthy;
    v.channels.push_back(std::move(c));
  }

  if (v.channels.empty()) {
    v.problem = alive.empty() ? "heard no member and no leader" : "heard no channel";
  } else if (unhealthy > 0) {
    v.problem = std::to_string(unhealthy) + " of " + std::to_string(v.channels.size()) +
                (v.channels.size() == 1 ? " channel has" : " channels have") +
                " not exactly one leader";
  } else {
    v.ok = true;
  }
  return v;
}

}  // namespace lanlord::cli
