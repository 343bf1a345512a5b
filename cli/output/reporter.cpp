#include "output/reporter.hpp"

#include <algorithm>
#include <utility>

namespace lanlord::cli {

NodeReporter::NodeReporter(EventPrinter& printer, std::string label, ReportFilter filter)
    : printer_(printer), label_(std::move(label)), filter_(filter) {}

std::size_t NodeReporter::alive() const {
  if (node_ == nullptr) return 0;
  const std::vector<Member> members = node_->members();
  return static_cast<std::size_t>(
      std::count_if(members.begin(), members.end(), [](const Member& m) { return m.alive; }));
}

NodeCallbacks NodeReporter::callbacks() {
  NodeCallbacks c;
  c.on_leader_changed = [this](const std::string& channel, const std::optional<PeerId>& leader,
                               bool is_self) {
    if (filter_.leaders) printer_.leader(label_, channel, leader, is_self);
  };
  c.on_membership = [this](MembershipEvent event, const Member& member) {
    const bool wanted = event == MembershipEvent::kDead ? filter_.deaths : filter_.joins_and_leaves;
    if (wanted) printer_.membership(label_, event, member, alive());
  };
  c.on_drop = [this](DropReason reason, const std::string& from) {
    if (filter_.drops && reason != DropReason::kSelf) printer_.dropped(label_, reason, from);
  };
  return c;
}

StartedInfo started_info(const Node& node, const std::string& label) {
  const NodeConfig& c = node.config();
  StartedInfo info;
  info.node = label;
  info.cluster = c.cluster;
  info.channels = c.channels;
  info.endpoint = node.describe_endpoint();
  info.profile = c.profile;
  info.passive = c.passive;
  return info;
}

}  // namespace lanlord::cli
