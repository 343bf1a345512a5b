#include "driver.hpp"

#include <charconv>
#include <cstdio>

namespace lanlord::bench {

std::string node_id(std::size_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "n%04zu", index);
  return buf;
}

std::size_t node_index(std::string_view id, std::size_t size) {
  std::size_t v = 0;
  if (id.size() < 2 || id[0] != 'n') return kNoNode;
  const auto r = std::from_chars(id.data() + 1, id.data() + id.size(), v);
  if (r.ec != std::errc() || r.ptr != id.data() + id.size() || v >= size) return kNoNode;
  return v;
}

Transition evaluate_agreement(const std::vector<NodeView>& nodes, bool healed) {
  Transition t;
  // Per component: the leader all its live nodes name (kNoNode: none yet).
  std::size_t chosen[2] = {kNoNode, kNoNode};
  bool any_live = false;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const NodeView& n = nodes[i];
    if (!n.live) continue;
    any_live = true;
    const int c = healed ? 0 : (n.side == 0 ? 0 : 1);
    if (n.leader == kNoNode || n.leader >= nodes.size()) return t;
    if (chosen[c] == kNoNode) chosen[c] = n.leader;
    if (n.leader != chosen[c]) return t;
    if (n.is_leader != (i == n.leader)) return t;  // covers "no other node leads"
  }
  if (!any_live) return t;
  for (int c = 0; c < 2; ++c) {
    if (chosen[c] == kNoNode) continue;
    const NodeView& l = nodes[chosen[c]];
    const int lc = healed ? 0 : (l.side == 0 ? 0 : 1);
    if (!l.live || !l.is_leader || lc != c) return t;
  }
  t.agreed = true;
  const bool one_component = chosen[0] == kNoNode || chosen[1] == kNoNode;
  if (one_component) t.leader = chosen[0] != kNoNode ? chosen[0] : chosen[1];
  return t;
}

}  // namespace lanlord::bench
