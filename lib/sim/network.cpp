#include "lanlord/sim/network.hpp"

#include <utility>

namespace lanlord::sim {

EndpointIndex SimNetwork::add_endpoint(Receiver receiver) {
  endpoints_.push_back(Endpoint{std::move(receiver), true, 0});
  return endpoints_.size() - 1;
}

void SimNetwork::set_receiver(EndpointIndex e, Receiver receiver) {
  endpoints_.at(e).receiver = std::move(receiver);
}

void SimNetwork::set_up(EndpointIndex e, bool up) { endpoints_.at(e).up = up; }

void SimNetwork::set_link_faults(EndpointIndex from, EndpointIndex to, const LinkFaults& f) {
  link_faults_[{from, to}] = f;
}

void SimNetwork::partition(const std::vector<std::vector<EndpointIndex>>& groups) {
  // Everyone not named gets a group of their own.
  for (auto& ep : endpoints_) ep.group = next_group_++;
  for (const auto& g : groups) {
    const std::size_t label = next_group_++;
    for (EndpointIndex e : g) endpoints_.at(e).group = label;
  }
}

void SimNetwork::heal() {
  for (auto& ep : endpoints_) ep.group = 0;
}

bool SimNetwork::reachable(EndpointIndex a, EndpointIndex b) const {
  const Endpoint& ea = endpoints_.at(a);
  const Endpoint& eb = endpoints_.at(b);
  return ea.up && eb.up && ea.group == eb.group;
}

const LinkFaults& SimNetwork::faults(EndpointIndex from, EndpointIndex to) const {
  if (link_faults_.empty()) return default_faults_;
  const auto it = link_faults_.find({from, to});
  return it == link_faults_.end() ? default_faults_ : it->second;
}

void SimNetwork::broadcast(EndpointIndex from, const Bytes& datagram) {
  if (!endpoints_.at(from).up) return;
  ++stats_.sent;
  for (EndpointIndex to = 0; to < endpoints_.size(); ++to) {
    if (to == from) continue;
    if (!reachable(from, to)) {
      ++stats_.cut;
      continue;
    }
    const LinkFaults& f = faults(from, to);
    if (f.loss > 0 && rng_.chance(f.loss)) {
      ++stats_.lost;
      continue;
    }
    deliver_later(from, to, datagram, f);
    if (f.duplicate > 0 && rng_.chance(f.duplicate)) {
      ++stats_.duplicated;
      deliver_later(from, to, datagram, f);
    }
  }
}

void SimNetwork::deliver_later(EndpointIndex from, EndpointIndex to, const Bytes& datagram,
                               const LinkFaults& f) {
  const Duration delay = f.jitter > Duration::zero() ? rng_.duration(f.delay, f.delay + f.jitter)
                                                     : f.delay;
  scheduler_.call_after(delay, [this, from, to, copy = datagram]() {
    // A partition or crash that happened in flight cuts the copy too.
    const Endpoint& dst = endpoints_[to];
    if (!dst.up || dst.group != endpoints_[from].group || !dst.receiver) {
      ++stats_.cut;
      return;
    }
    ++stats_.delivered;
    stats_.bytes_delivered += copy.size();
    endpoints_[to].receiver(from, copy);
  });
}

}  // namespace lanlord::sim
