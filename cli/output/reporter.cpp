#include "output/reporter.hpp"

#include <utility>

#include "lanlord/keyring.hpp"

namespace lanlord::cli {

NodeReporter::NodeReporter(EventPrinter& printer, std::string label, ReportFilter filter,
                           bool passive, SteadyNow now)
    : printer_(printer),
      label_(std::move(label)),
      filter_(filter),
      passive_(passive),
      now_(std::move(now)),
      alive_count_(passive ? 0 : 1) {}

void NodeReporter::membership(MembershipEvent event, const Member& member) {
  switch (event) {
    case MembershipEvent::kJoined:
    case MembershipEvent::kRestarted:
      alive_.insert(member.id);
      break;
    case MembershipEvent::kLeft:
    case MembershipEvent::kDead:
    case MembershipEvent::kEvicted:
      alive_.erase(member.id);
      break;
  }
  const std::size_t alive = alive_.size() + (passive_ ? 0 : 1);
  alive_count_.store(alive);
  if (event == MembershipEvent::kEvicted && !filter_.each_eviction) {
    evicted();
    return;
  }
  const bool wanted = event == MembershipEvent::kDead      ? filter_.deaths
                      : event == MembershipEvent::kEvicted ? true
                                                           : filter_.joins_and_leaves;
  if (wanted) printer_.membership(label_, event, member, alive);
}

void NodeReporter::leadership(const std::string& channel, const LeaderInfo& info) {
  LeaderInfo& last = leaderships_[channel];
  // The same leader with another epoch: a new term (after a partition
  // healed), which fences the work of the term before.
  const bool new_term = info.leader && last.leader == info.leader && last.epoch != info.epoch;
  last = info;
  if (filter_.leaders) printer_.leader(label_, channel, info, new_term);
}

void NodeReporter::evicted() {
  const std::lock_guard<std::mutex> lock(evictions_mutex_);
  ++evictions_pending_;
  const Clock::time_point now = now_();
  // The first eviction is told at once; later ones at most once per
  // kEvictionSummary (the rest by flush_evictions()).
  if (summarised_once_ && now - last_summary_ < kEvictionSummary) return;
  summarised_once_ = true;
  last_summary_ = now;
  printer_.evictions(label_, evictions_pending_, alive_count_.load());
  evictions_pending_ = 0;
}

void NodeReporter::flush_evictions() {
  const std::lock_guard<std::mutex> lock(evictions_mutex_);
  if (evictions_pending_ == 0) return;
  last_summary_ = now_();
  printer_.evictions(label_, evictions_pending_, alive_count_.load());
  evictions_pending_ = 0;
}

NodeCallbacks NodeReporter::callbacks() {
  NodeCallbacks c;
  c.on_leadership = [this](const std::string& channel, const LeaderInfo& info) {
    leadership(channel, info);
  };
  c.on_membership = [this](MembershipEvent event, const Member& member) {
    membership(event, member);
  };
  c.on_drop = [this](DropReason reason, const std::string& from) {
    if (filter_.drops && reason != DropReason::kSelf) printer_.dropped(label_, reason, from);
  };
  c.on_warning = [this](const Warning& w) {
    if (filter_.warnings) notice(w);
  };
  c.on_id_conflict = [this](const IdConflict& conflict) { notice(conflict); };
  return c;
}

void NodeReporter::print(const std::variant<Warning, IdConflict>& n) {
  if (const auto* w = std::get_if<Warning>(&n)) {
    printer_.warning(label_, *w);
  } else {
    printer_.id_conflict(label_, std::get<IdConflict>(n));
  }
}

void NodeReporter::notice(std::variant<Warning, IdConflict> n) {
  const std::lock_guard<std::mutex> lock(notices_mutex_);
  if (!announced_) {
    held_.push_back(std::move(n));
    return;
  }
  print(n);
}

void NodeReporter::announce(const Node& node, bool print_started) {
  // Asked before the lock: the node's callbacks run under the node's own
  // lock and may be waiting for this one.
  const StartedInfo info = started_info(node, label_);
  const std::lock_guard<std::mutex> lock(notices_mutex_);
  if (print_started) printer_.started(info);
  announced_ = true;
  for (const auto& n : held_) print(n);
  held_.clear();
}

StartedInfo started_info(const Node& node, const std::string& label) {
  const NodeConfig& c = node.config();
  StartedInfo info;
  info.node = label;
  info.cluster = c.cluster;
  info.channels = c.channels;
  info.endpoint = node.describe_endpoint();
  info.unicast = !c.multicast;
  info.peers = c.peers;
  info.backend = c.backend;
  info.etcd_endpoints = c.etcd.endpoints;
  info.profile = c.profile;
  info.passive = c.passive;
  if (c.keys) {
    for (const std::uint32_t id : c.keys->ids()) info.key_ids.push_back(key_id_hex(id));
  }
  info.encrypt = c.encrypt;
  return info;
}

}  // namespace lanlord::cli
