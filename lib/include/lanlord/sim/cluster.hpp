// A simulated cluster: N election services in one process, each behind its
// own endpoint on a SimNetwork, all driven by one VirtualScheduler and one
// seed. By default a node's alive view is the network's reachability (itself
// plus the running nodes it can reach right now). With
// SimClusterOptions::membership set, each node instead runs a heartbeat
// Membership over the simulated network and its view is that membership's.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lanlord/election.hpp"
#include "lanlord/membership.hpp"
#include "lanlord/sim/network.hpp"
#include "lanlord/sim/random.hpp"
#include "lanlord/sim/virtual_scheduler.hpp"

namespace lanlord::sim {

struct SimClusterOptions {
  ElectionConfig election;
  std::uint64_t seed = 1;
  LinkFaults faults;  // default faults of every link
  // Heartbeat-membership mode when set: every node multicasts heartbeats and
  // its election sees the peers its Membership holds alive, so a crash is
  // noticed through missing heartbeats instead of instantly.
  std::optional<MembershipConfig> membership;
  // Membership mode only: a kDead, kLeft or kRestarted event for a peer calls
  // LeaderElectionService::peer_down() on it, so followers of a failed leader
  // elect a new one without waiting for leader_alive_threshold. kRestarted
  // counts too because the restarted process no longer leads.
  bool fast_failover = false;
};

// What the cluster observed of one node, across its restarts.
struct NodeRecord {
  bool callback_invoked = false;      // Fabric's callbackInvoked
  bool leader_from_callback = false;  // the last value given to the callback
  std::uint64_t gossiped = 0;         // messages this node gossiped
  std::uint64_t metrics_true = 0;     // report_metrics(true) calls
  std::uint64_t metrics_false = 0;
  std::uint64_t leader_changes = 0;  // on_leader_changed calls
  // Membership mode only: events this node's Membership reported, by kind,
  // and the peer_down() calls fast_failover made.
  std::uint64_t peers_joined = 0;
  std::uint64_t peers_left = 0;
  std::uint64_t peers_dead = 0;
  std::uint64_t peers_restarted = 0;
  std::uint64_t peer_down_calls = 0;
};

class SimCluster {
 public:
  explicit SimCluster(SimClusterOptions options);
  ~SimCluster();
  SimCluster(const SimCluster&) = delete;
  SimCluster& operator=(const SimCluster&) = delete;

  // Adds a node and starts its election service now (in membership mode,
  // its Membership first, with incarnation 1). Ids must be unique.
  std::size_t spawn(const std::string& id);

  // The node dies without a word: its service is destroyed and it neither
  // sends nor receives until restart().
  void crash(std::size_t i);
  // A new election service with the same id, starting from scratch (in
  // membership mode with a new Membership and a higher incarnation).
  void restart(std::size_t i);
  // LeaderElectionService::stop(): the node falls silent but stays
  // reachable, so it remains in the others' views (as in Fabric's tests). In
  // membership mode its heartbeats go on, for the same reason.
  void stop(std::size_t i);
  // Graceful departure, membership mode only (throws std::logic_error
  // otherwise): the node multicasts a leave, then stops its election service
  // and its Membership. It stays up on the network; restart() brings it back.
  void leave(std::size_t i);

  void partition(const std::vector<std::vector<std::size_t>>& groups) { net_.partition(groups); }
  void heal() { net_.heal(); }

  void run_for(Duration d) { sched_.run_for(d); }
  bool run_until(const std::function<bool()>& done, Duration limit) {
    return sched_.run_until(done, limit);
  }
  TimePoint now() const { return sched_.now(); }

  std::size_t size() const { return nodes_.size(); }
  const PeerId& id(std::size_t i) const;
  // Up and its service not stopped.
  bool running(std::size_t i) const;
  // Requires running(i) or a stopped service (not a crashed node).
  LeaderElectionService& service(std::size_t i);
  const NodeRecord& record(std::size_t i) const;
  void reset_callback_invoked(std::size_t i);

  // Running nodes that claim leadership.
  std::vector<std::size_t> leaders() const;
  // Their ids, e.g. {"p0"}.
  std::vector<std::string> leader_ids() const;
  // Running nodes grouped by who can reach whom, each group sorted.
  std::vector<std::vector<std::size_t>> components() const;

  // Safety violations seen so far: a node that still claimed leadership
  // right after it accepted a declaration from a lower id.
  const std::vector<std::string>& violations() const { return violations_; }

  VirtualScheduler& scheduler() { return sched_; }
  SimNetwork& network() { return net_; }
  Rng& rng() { return rng_; }
  const ElectionConfig& election_config() const { return options_.election; }
  bool membership_mode() const { return options_.membership.has_value(); }
  // Node i's Membership; nullptr outside membership mode or while crashed.
  const Membership* membership(std::size_t i) const;

 private:
  class Node;
  SimClusterOptions options_;
  VirtualScheduler sched_;
  Rng rng_;
  SimNetwork net_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<PeerId, std::size_t> index_of_;
  std::vector<std::string> violations_;
};

// Datagram form of an election message inside the simulator. Returns empty
// for any other datagram (heartbeats and leaves included).
Bytes encode_sim_message(const ElectionMessage& msg);
std::optional<ElectionMessage> decode_sim_message(const Bytes& datagram);

// Membership datagrams inside the simulator (the transport has its own wire
// format; this one only has to survive a byte copy).
struct SimHeartbeat {
  PeerId sender;
  std::uint64_t incarnation = 0;
  std::vector<std::string> channels;
  std::string metadata;
};
struct SimLeave {
  PeerId sender;
  std::uint64_t incarnation = 0;
};
Bytes encode_sim_heartbeat(const SimHeartbeat& hb);
std::optional<SimHeartbeat> decode_sim_heartbeat(const Bytes& datagram);
Bytes encode_sim_leave(const SimLeave& leave);
std::optional<SimLeave> decode_sim_leave(const Bytes& datagram);

}  // namespace lanlord::sim
