#include "drivers/driver.hpp"

#include <charconv>
#include <cstdio>

namespace lanlord::bench {

std::string_view auth_name(Auth a) {
  switch (a) {
    case Auth::kNone:
      return "none";
    case Auth::kMac:
      return "mac";
    case Auth::kEncrypt:
      return "encrypt";
  }
  return "?";
}

std::optional<Auth> parse_auth(std::string_view name) {
  for (Auth a : {Auth::kNone, Auth::kMac, Auth::kEncrypt}) {
    if (auth_name(a) == name) return a;
  }
  return std::nullopt;
}

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

void AgreementCheck::add(std::size_t i, const NodeView& v) {
  if (!v.live || v.frozen) return;
  Component& c = c_[healed_ || v.side == 0 ? 0 : 1];
  ++c.live;
  if (v.is_leader) {
    ++c.claimants;
    c.claimant = i;
  }
  if (v.leader == kNoNode) {
    c.unnamed = true;
  } else if (v.leader >= size_) {
    c.mismatch = true;
  } else if (c.named == kNoNode) {
    c.named = v.leader;
    c.epoch = v.epoch;
  } else if (c.named != v.leader || c.epoch != v.epoch) {
    // Another leader, or another term of the same one.
    c.mismatch = true;
  }
}

Transition AgreementCheck::result() const {
  Transition t;
  std::size_t components = 0;
  bool agreed = true, one = true;
  for (const Component& c : c_) {
    if (c.live == 0) continue;
    ++components;
    // One node leads, and it is the one every node names.
    const bool sole = c.claimants == 1 && !c.mismatch;
    agreed = agreed && sole && !c.unnamed && c.named == c.claimant;
    one = one && sole && (c.named == kNoNode || c.named == c.claimant);
  }
  if (components == 0) return t;
  t.agreed = agreed;
  t.one_leader = one;
  if (agreed && components == 1) {
    const Component& c = c_[0].live > 0 ? c_[0] : c_[1];
    t.leader = c.claimant;
    t.epoch = c.epoch;
  }
  return t;
}

Transition evaluate_agreement(const std::vector<NodeView>& nodes, bool healed) {
  AgreementCheck check(nodes.size(), healed);
  for (std::size_t i = 0; i < nodes.size(); ++i) check.add(i, nodes[i]);
  return check.result();
}

}  // namespace lanlord::bench
