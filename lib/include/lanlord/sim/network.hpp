// A simulated multicast bus between in-process endpoints, with per-link
// loss, delay, jitter (hence reordering), duplication, partitions and
// endpoints that go down and come back. Every datagram is a byte copy, so
// endpoints never share memory. All randomness comes from one Rng.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "lanlord/message.hpp"

#include "lanlord/sim/random.hpp"
#include "lanlord/sim/virtual_scheduler.hpp"

namespace lanlord::sim {

using Bytes = std::vector<std::uint8_t>;
// What one broadcast carries: a message value, or the bytes of an encoded
// one. Each broadcast holds its own copy; receivers get it read-only.
using Payload = std::variant<Message, Bytes>;
using EndpointIndex = std::size_t;

// Faults on a directed link. Delay is uniform in [delay, delay + jitter].
struct LinkFaults {
  double loss = 0.0;       // probability a copy is dropped
  double duplicate = 0.0;  // probability a copy is delivered twice
  Duration delay = std::chrono::milliseconds(1);
  Duration jitter = Duration::zero();
};

struct NetworkStats {
  std::uint64_t sent = 0;       // broadcast() calls
  std::uint64_t delivered = 0;  // copies handed to a receiver
  std::uint64_t lost = 0;       // copies dropped by `loss`
  std::uint64_t cut = 0;        // copies dropped by a partition or a down endpoint
  std::uint64_t duplicated = 0;
  std::uint64_t bytes_delivered = 0;  // byte payloads only
};

class SimNetwork {
 public:
  using Receiver = std::function<void(EndpointIndex from, const Payload& payload)>;

  SimNetwork(VirtualScheduler& scheduler, Rng& rng) : scheduler_(scheduler), rng_(rng) {}

  // Adds an endpoint, up, in partition group 0.
  EndpointIndex add_endpoint(Receiver receiver);
  void set_receiver(EndpointIndex e, Receiver receiver);
  std::size_t size() const { return endpoints_.size(); }

  // A down endpoint neither sends nor receives; copies in flight to it are lost.
  void set_up(EndpointIndex e, bool up);
  bool is_up(EndpointIndex e) const { return endpoints_.at(e).up; }

  void set_default_faults(const LinkFaults& f) { default_faults_ = f; }
  const LinkFaults& default_faults() const { return default_faults_; }
  void set_link_faults(EndpointIndex from, EndpointIndex to, const LinkFaults& f);
  void clear_link_faults() { link_faults_.clear(); }

  // Splits the endpoints into groups that cannot reach each other; an
  // endpoint not named is alone. heal() puts everyone back together.
  void partition(const std::vector<std::vector<EndpointIndex>>& groups);
  void heal();
  std::size_t group_of(EndpointIndex e) const { return endpoints_.at(e).group; }

  // Both up and in the same group (an up endpoint reaches itself).
  bool reachable(EndpointIndex a, EndpointIndex b) const;

  // Sends one copy to every other endpoint reachable now; each copy is
  // delivered later unless lost, cut on arrival, or duplicated.
  void broadcast(EndpointIndex from, Payload payload);
  // The same for the endpoints `to` only (unicast: one datagram per target).
  void send(EndpointIndex from, Payload payload, const std::vector<EndpointIndex>& to);

  const NetworkStats& stats() const { return stats_; }

 private:
  struct Endpoint {
    Receiver receiver;
    bool up = true;
    std::size_t group = 0;
  };
  // One copy of a broadcast: when it arrives, and where.
  struct Copy {
    Duration delay;
    EndpointIndex to;
  };
  const LinkFaults& faults(EndpointIndex from, EndpointIndex to) const;
  // The link delay of one copy (draws the jitter).
  Duration delay_of(const LinkFaults& f);
  // Copies of one payload to `to` (every other endpoint when null).
  void transmit(EndpointIndex from, Payload payload, const std::vector<EndpointIndex>* to);
  // Hands one copy to its receiver, unless it was cut in flight.
  void deliver(EndpointIndex from, EndpointIndex to, const Payload& payload);

  VirtualScheduler& scheduler_;
  Rng& rng_;
  std::vector<Endpoint> endpoints_;
  LinkFaults default_faults_;
  std::map<std::pair<EndpointIndex, EndpointIndex>, LinkFaults> link_faults_;
  std::size_t next_group_ = 1;
  NetworkStats stats_;
};

}  // namespace lanlord::sim
