#include "lanlord/sim/network.hpp"

#include <algorithm>
#include <memory>
#include <utility>

namespace lanlord::sim {

EndpointIndex SimNetwork::add_endpoint(Receiver receiver) {
  endpoints_.push_back(Endpoint{std::move(receiver), true, 0});
  return endpoints_.size() - 1;
}

void SimNetwork::set_receiver(EndpointIndex e, Receiver receiver) {
  endpoints_.at(e).receiver = std::move(receiver);
}

void SimNetwork::set_up(EndpointIndex e, bool up) {
  endpoints_.at(e).up = up;
}

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

void SimNetwork::broadcast(EndpointIndex from, Payload payload) {
  transmit(from, std::move(payload), nullptr);
}

void SimNetwork::send(EndpointIndex from, Payload payload, const std::vector<EndpointIndex>& to) {
  transmit(from, std::move(payload), &to);
}

void SimNetwork::transmit(EndpointIndex from, Payload payload,
                          const std::vector<EndpointIndex>* targets_of) {
  if (!endpoints_.at(from).up) return;
  ++stats_.sent;
  // Random draws happen here, per copy and in endpoint (or target) order,
  // exactly as when every copy was its own event; only the scheduling is
  // grouped.
  std::vector<Copy> copies;
  const std::size_t count = targets_of ? targets_of->size() : endpoints_.size();
  copies.reserve(count);
  for (std::size_t k = 0; k < count; ++k) {
    const EndpointIndex to = targets_of ? (*targets_of)[k] : k;
    if (to == from || to >= endpoints_.size()) continue;
    if (!reachable(from, to)) {
      ++stats_.cut;
      continue;
    }
    const LinkFaults& f = faults(from, to);
    if (f.loss > 0 && rng_.chance(f.loss)) {
      ++stats_.lost;
      continue;
    }
    copies.push_back(Copy{delay_of(f), to});
    if (f.duplicate > 0 && rng_.chance(f.duplicate)) {
      ++stats_.duplicated;
      copies.push_back(Copy{delay_of(f), to});
    }
  }
  if (copies.empty()) return;
  // Copies due at the same instant travel as one scheduler event that
  // delivers them in the order they were made. Nothing can run between
  // them either way: every other event due then was created before this
  // broadcast (and runs first) or after it (and runs after), so the order
  // of deliveries is unchanged; a broadcast to N peers without jitter costs
  // one event instead of N. Copies with different delays stay apart.
  const auto by_delay = [](const Copy& a, const Copy& b) { return a.delay < b.delay; };
  if (!std::is_sorted(copies.begin(), copies.end(), by_delay)) {
    std::stable_sort(copies.begin(), copies.end(), by_delay);
  }
  auto shared = std::make_shared<const Payload>(std::move(payload));
  for (std::size_t begin = 0; begin < copies.size();) {
    std::size_t end = begin + 1;
    while (end < copies.size() && copies[end].delay == copies[begin].delay) ++end;
    std::vector<EndpointIndex> targets;
    targets.reserve(end - begin);
    for (std::size_t k = begin; k < end; ++k) targets.push_back(copies[k].to);
    scheduler_.call_after(copies[begin].delay,
                          [this, from, targets = std::move(targets), shared]() {
                            for (EndpointIndex to : targets) deliver(from, to, *shared);
                          });
    begin = end;
  }
}

Duration SimNetwork::delay_of(const LinkFaults& f) {
  return f.jitter > Duration::zero() ? rng_.duration(f.delay, f.delay + f.jitter) : f.delay;
}

void SimNetwork::deliver(EndpointIndex from, EndpointIndex to, const Payload& payload) {
  // A partition or crash that happened in flight cuts the copy too.
  const Endpoint& dst = endpoints_[to];
  if (!dst.up || dst.group != endpoints_[from].group || !dst.receiver) {
    ++stats_.cut;
    return;
  }
  ++stats_.delivered;
  if (const auto* bytes = std::get_if<Bytes>(&payload)) stats_.bytes_delivered += bytes->size();
  endpoints_[to].receiver(from, payload);
}

}  // namespace lanlord::sim
