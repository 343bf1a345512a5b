#include "commands/health.hpp"

#include <algorithm>

#include "lanlord/duration.hpp"
#include "lanlord/message.hpp"

namespace lanlord::cli {

namespace {

std::string count_of(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

Duration magnitude(Duration d) {
  return d < Duration::zero() ? -d : d;
}

// "1.5s" or "-1.5s": format_duration() takes positive durations only.
std::string signed_duration(Duration d) {
  if (d == Duration::zero()) return "0ms";
  return (d < Duration::zero() ? "-" : "+") + format_duration(magnitude(d));
}

const ChannelStats* channel_stats(const NodeStats& stats, const std::string& channel) {
  for (const ChannelStats& c : stats.channels) {
    if (c.channel == channel) return &c;
  }
  return nullptr;
}

void judge_trust(const Observation& seen, Verdict& v) {
  const NodeStats& s = seen.stats;
  const std::uint64_t conflicts = s.dropped(DropReason::kIdConflict);
  if (s.duplicate_id) {
    v.trust_problems.push_back("another live process uses the observer's id");
  } else if (conflicts > 0) {
    v.trust_problems.push_back(count_of(conflicts, "datagram", "datagrams") +
                               " carried a conflicting id (two processes with one id, or a "
                               "replay)");
  }
  if (const std::uint64_t n = s.dropped(DropReason::kUnauthenticated); seen.keyed && n > 0) {
    v.trust_problems.push_back(
        count_of(n, "unauthenticated datagram", "unauthenticated datagrams") +
        " on a keyed cluster (a node without the key, or a forgery)");
  }
  if (const std::uint64_t n = s.dropped(DropReason::kClockSkew); n > 0) {
    v.trust_problems.push_back(
        count_of(n, "message", "messages") + " outside the clock-skew window (" +
        format_duration(seen.max_clock_skew) + "): a clock that is off, or a replay");
  }
  for (const Member& m : v.members) {
    if (m.alive && magnitude(m.clock_offset) > seen.max_clock_skew / 2) {
      v.warnings.push_back("member " + m.id.bytes() + "'s clock is off by " +
                           signed_duration(m.clock_offset) +
                           ", more than half the clock-skew window (" +
                           format_duration(seen.max_clock_skew) + "): check its time sync");
    }
  }
  v.warnings.insert(v.warnings.end(), seen.node_warnings.begin(), seen.node_warnings.end());
  const std::uint64_t foreign_cluster = s.dropped(DropReason::kForeignCluster);
  const std::uint64_t foreign_key = s.dropped(DropReason::kForeignKey);
  if (foreign_cluster > 0 || foreign_key > 0) {
    v.warnings.push_back("another cluster shares this group and port: " +
                         std::to_string(foreign_cluster) + " datagrams of another cluster name, " +
                         std::to_string(foreign_key) + " with another key (ignored)");
  }
}

}  // namespace

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
    if (leader.leader) channels.insert(channel);
  }
  for (const ChannelStats& c : seen.stats.channels) {
    if (!c.declaring.empty()) channels.insert(c.channel);
  }
  for (const auto& [channel, heard] : seen.leaders_heard) {
    if (!heard.empty()) channels.insert(channel);
  }

  std::size_t unhealthy = 0;
  for (const std::string& channel : channels) {
    ChannelVerdict c;
    c.channel = channel;
    if (const auto it = seen.leaders.find(channel); it != seen.leaders.end()) {
      c.leader = it->second.leader;
      c.epoch = it->second.epoch;
      c.metadata = it->second.metadata;
    }
    for (const Member& m : v.members) {
      if (m.alive && std::find(m.channels.begin(), m.channels.end(), channel) != m.channels.end()) {
        ++c.members;
      }
    }
    std::set<PeerId> leaders;
    if (c.leader) leaders.insert(*c.leader);
    if (const auto it = seen.leaders_heard.find(channel); it != seen.leaders_heard.end()) {
      // A leader that has since died or left was replaced, not a rival.
      for (const PeerId& id : it->second) {
        if (alive.count(id) != 0) leaders.insert(id);
      }
    }
    if (const ChannelStats* stats = channel_stats(seen.stats, channel)) {
      for (const PeerId& id : stats->declaring) {
        if (alive.count(id) != 0) c.declaring.push_back(id);
      }
      std::sort(c.declaring.begin(), c.declaring.end());
      leaders.insert(c.declaring.begin(), c.declaring.end());
    }
    c.leaders.assign(leaders.begin(), leaders.end());
    if (c.declaring.size() > 1) {
      c.problem = "split";  // before "no leader": a split is the worse news
    } else if (!c.leader) {
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

  v.stats = seen.stats;
  judge_trust(seen, v);

  std::string problem;
  if (v.channels.empty()) {
    problem = alive.empty() ? "heard no member and no leader" : "heard no channel";
  } else if (unhealthy > 0) {
    problem = std::to_string(unhealthy) + " of " + std::to_string(v.channels.size()) +
              (v.channels.size() == 1 ? " channel has" : " channels have") +
              " not exactly one leader";
  }
  for (const std::string& p : v.trust_problems) problem += (problem.empty() ? "" : "; ") + p;
  v.ok = problem.empty();
  v.problem = std::move(problem);
  return v;
}

}  // namespace lanlord::cli
