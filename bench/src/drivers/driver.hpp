// The cluster driver: what a scenario needs from a cluster, whatever runs
// it. Scenarios (scenarios.hpp) are written once against this interface;
// SimDriver runs them in virtual time on the simulator, UdpDriver on real
// Nodes over loopback multicast, ProcDriver on `lanlord join` processes.
//
// "Agreed" (the only thing the benchmark measures): in every component of
// the cluster (both halves while partitioned, the whole cluster otherwise)
// every live node's leader() names the same node with the same epoch, that
// node is live and is_leader (with that epoch), and no other live node
// is_leader. A new term of the same leader (a new epoch) is a change like
// another leader. A frozen node (freeze()) counts as not live until thawed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lanlord/time.hpp"

namespace lanlord::bench {

inline constexpr std::size_t kNoNode = std::numeric_limits<std::size_t>::max();

// How the nodes of a real-socket cluster protect their datagrams
// (NodeConfig::keys, NodeConfig::encrypt): not at all, a MAC with one
// cluster key made for the run, or the MAC'd payload also encrypted. The
// simulator carries message values, not bytes, so only kNone applies there.
enum class Auth { kNone, kMac, kEncrypt };

// "none", "mac", "encrypt".
std::string_view auth_name(Auth a);
// Accepts the names above.
std::optional<Auth> parse_auth(std::string_view name);

// Cumulative counters since the driver was created. Scenarios take two
// snapshots and divide the difference by node_seconds.
struct Usage {
  // Traffic: datagrams and bytes sent and received, summed over nodes.
  bool traffic_known = true;
  bool bytes_out_known = true;
  std::uint64_t datagrams_out = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t datagrams_in = 0;
  std::uint64_t bytes_in = 0;
  // Integral of the number of live nodes over time.
  double node_seconds = 0;
  // CPU time (user + system) spent running the nodes, when measurable.
  std::optional<double> cpu_seconds;
  // Peak resident memory, MiB: of this process (in-process udp) or of the
  // largest child (--procs).
  std::optional<double> peak_rss_mb;
  // Membership "dead" events, and those about a peer that was in fact alive.
  std::uint64_t deaths = 0;
  std::uint64_t false_deaths = 0;
  bool false_deaths_exact = true;
  // The etcd backend's requests (NodeStats::etcd), summed over nodes like
  // the datagrams; `etcd_known` false on the other backends.
  bool etcd_known = false;
  std::uint64_t etcd_requests = 0;  // HTTP requests (a watch stream counts once)
  std::uint64_t etcd_request_errors = 0;
  std::uint64_t etcd_keepalives = 0;
  std::uint64_t etcd_watch_events = 0;  // key changes received on the nodes' watches
  std::uint64_t etcd_campaigns = 0;     // candidate keys created
  std::uint64_t etcd_leases_granted = 0;
  std::uint64_t etcd_leases_lost = 0;
  std::uint64_t etcd_watch_restarts = 0;
};

// One change of the cluster's agreement state.
struct Transition {
  Duration at{};  // driver time
  bool agreed = false;
  std::size_t leader = kNoNode;  // agreed and one component: the leader's index
  std::uint64_t epoch = 0;       // and its epoch (0: the driver cannot see epochs)
  // Weaker than agreed: exactly one live node leads (per component) and no
  // live node names another leader; nodes that name nobody yet (a newcomer
  // waiting for the next declaration) do not count against it.
  bool one_leader = false;

  bool same_state(const Transition& o) const {
    return agreed == o.agreed && leader == o.leader && epoch == o.epoch &&
           one_leader == o.one_leader;
  }
};

class ClusterDriver {
 public:
  virtual ~ClusterDriver() = default;

  // Starts a new node now and returns its index (0, 1, 2, ...). Ids are
  // ordered like indexes, so node 0 wins an undisturbed election. Nodes of
  // different `side`s (0 or 1) cannot hear each other until heal().
  // Returns kNoNode when the node could not start (the reason is in error()).
  virtual std::size_t add_node(int side) = 0;
  // The node dies without a word (no leave datagram).
  virtual void crash(std::size_t i) = 0;
  // Graceful stop: the node sends its leave and stops.
  virtual void leave(std::size_t i) = 0;
  // Starts a departed node again with the same id and a new incarnation.
  virtual void rejoin(std::size_t i) = 0;
  // LeaderElectionService::yield() on node i; false when unsupported.
  virtual bool yield(std::size_t i) = 0;
  virtual bool can_yield() const = 0;
  // Joins the two sides into one network.
  virtual void heal() = 0;
  // Whether the nodes can be split into sides at all: not with the etcd
  // backend, where a node cut off from etcd simply loses its lease.
  virtual bool can_heal() const { return true; }
  // The etcd backend: the lease TTL the nodes hold (as etcd granted it, or
  // as configured before any lease); empty on the other backends.
  virtual std::optional<Duration> lease_ttl() const { return std::nullopt; }

  // Freezing a process (SIGSTOP, a VM pause): whether this driver can.
  virtual bool can_freeze() const { return false; }
  // Node i stops for `d`: no timer fires, nothing is sent or read, until it
  // thaws. From now until thaw() it counts as not live in the agreement
  // (to the survivors it is as good as crashed).
  virtual void freeze(std::size_t, Duration) {}
  // Called once run_for() has reached the end of node i's freeze: the node
  // runs again (the simulator thaws it itself at that moment) and counts in
  // the agreement again. From here on the driver watches what node i
  // claims. Returns the moment it thawed.
  virtual Duration thaw(std::size_t) { return now(); }
  // Runs until node i, thawed, no longer claims to lead (its
  // LeadershipChanged false, or its leader events' is_self false), at most
  // `limit`. Returns that moment (the thaw itself if it had stopped
  // claiming by then), or empty on timeout.
  virtual std::optional<Duration> wait_stepped_down(std::size_t, Duration) { return {}; }
  // Since thaw(): how often node i acted as leader with the epoch it held
  // when frozen. Simulator: declarations it sent with that epoch.
  // Processes: leader events of other nodes naming it with that epoch
  // after the thaw.
  virtual std::uint64_t stale_claims(std::size_t) { return 0; }

  virtual std::size_t size() const = 0;
  virtual bool live(std::size_t i) const = 0;

  // Time since the driver was created: virtual for the simulator.
  virtual Duration now() const = 0;
  // Lets time pass (sleeps, or runs the simulation), recording transitions.
  virtual void run_for(Duration d) = 0;
  // Runs until the cluster is agreed, at most `limit`. Returns the moment
  // it became agreed, or empty on timeout.
  virtual std::optional<Duration> wait_agreed(Duration limit) = 0;
  // The current agreement state.
  virtual Transition state() = 0;
  // Every transition recorded since the driver was created, in time order.
  virtual std::vector<Transition> timeline() const = 0;

  virtual Usage usage() = 0;
  // Why the driver failed, for a failed add_node(); empty otherwise.
  virtual std::string error() const = 0;
};

// One node as the agreement check sees it.
struct NodeView {
  bool live = false;
  int side = 0;
  std::size_t leader = kNoNode;  // the node it names as leader
  bool is_leader = false;
  std::uint64_t epoch = 0;  // the epoch of that leadership (0: unknown)
  bool frozen = false;      // counts as not live
};

// "n0007": node ids are zero-padded indexes, so bytewise order (the
// election's) is index order and node 0 wins an undisturbed election.
std::string node_id(std::size_t index);
// The index in node_id(index) form, or kNoNode for any other id or one
// not below `size`.
std::size_t node_index(std::string_view id, std::size_t size);

// The agreement rule, fed one node at a time (in any order), so a driver
// need not build the views: add() every node, then result().
class AgreementCheck {
 public:
  // `size`: the number of nodes; a leader index at or above it is unknown.
  AgreementCheck(std::size_t size, bool healed) : size_(size), healed_(healed) {}
  void add(std::size_t i, const NodeView& v);
  Transition result() const;

 private:
  struct Component {
    std::size_t live = 0;
    std::size_t named = kNoNode;  // the leader the first naming node names
    std::uint64_t epoch = 0;      // and the epoch it names
    bool mismatch = false;        // some node names another (or an unknown) one
    bool unnamed = false;         // some node names nobody
    std::size_t claimants = 0;    // nodes that lead
    std::size_t claimant = kNoNode;
  };
  std::size_t size_;
  bool healed_;
  Component c_[2];
};

// The agreement state of `nodes` (see the definition at the top), with
// sides ignored once `healed`.
Transition evaluate_agreement(const std::vector<NodeView>& nodes, bool healed);

}  // namespace lanlord::bench
