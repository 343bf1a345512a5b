// A simulated cluster: N production NodeCores in one process, each behind
// its own endpoint on a SimNetwork, all driven by one VirtualScheduler and
// one seed. Every node runs exactly what a socket-backed Node runs (its
// heartbeat membership, its elections, admission, fast failover); the
// cluster only carries the messages NodeCore hands out, as values or, with
// SimClusterOptions::codec, as bytes through an injected serialiser (the
// real Cap'n Proto codec from tests/, which may wrap it in a decorator
// that damages copies).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lanlord/message.hpp"
#include "lanlord/node_core.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/sim/network.hpp"
#include "lanlord/sim/random.hpp"
#include "lanlord/sim/virtual_scheduler.hpp"

namespace lanlord::sim {

struct SimClusterOptions {
  // Timings and fast failover of every node.
  Profile profile = default_profile();
  std::string cluster = "sim";
  // The channels a node spawned without its own list runs.
  std::vector<std::string> channels = {"default"};
  std::uint64_t seed = 1;
  LinkFaults faults;  // default faults of every link
  // When set, every copy travels as bytes: encoded by the sender, decoded
  // by each receiver (a test's codec decorator may damage them). Otherwise
  // copies are message values.
  std::optional<Codec> codec;
  // The codec authenticates every datagram with the cluster key (a keyed
  // wire codec): nodes run with NodeCoreConfig::authenticated.
  bool authenticated = false;
  // Unicast mode (NodeCoreConfig::unicast): node i takes datagrams at
  // address(i) only, and each node sends every message to each of its
  // unicast_targets(). Node i's seeds are the addresses of the first
  // `unicast_seeds` nodes other than itself (nodes 0..k-1, or for those,
  // the next ones), unless set_seeds() names others.
  bool unicast = false;
  std::size_t unicast_seeds = 1;
  std::size_t max_unicast_targets = 256;
};

// Watchers of what every node hands out, for tests (a recorder of the
// traffic, a trace of the events). Called from inside the cluster, after
// the node's outputs are taken; they may read the cluster but must not
// drive it (no inject, run, crash, ...). They draw nothing from the
// cluster's Rng, so a run with observers is the same run as without.
struct SimObservers {
  // Node `node` sent `message`; `datagram` is its encoding when the
  // cluster has a codec, else nullptr. Both are valid only during the call.
  std::function<void(std::size_t node, const Message& message, const Bytes* datagram)> sent;
  // Node `node` reported `event` (every kind, every channel).
  std::function<void(std::size_t node, const NodeEvent& event)> event;
  // Node `node` stepped `message` (decoded, when there is a codec) and
  // admitted it or not. Datagrams the codec dropped are not reported.
  std::function<void(std::size_t node, const Message& message, bool admitted)> received;
};

// What the cluster observed of one node, across its restarts.
struct NodeRecord {
  bool callback_invoked = false;      // Fabric's callbackInvoked (any LeadershipChanged)
  bool leader_from_callback = false;  // the last LeadershipChanged value
  std::uint64_t gossiped = 0;         // leadership messages this node sent
  std::uint64_t proposals = 0;
  std::uint64_t declarations = 0;
  std::uint64_t heartbeats = 0;
  std::uint64_t leader_changes = 0;  // LeaderChanged events
  std::uint64_t peers_joined = 0;    // MemberChanged events, by kind
  std::uint64_t peers_left = 0;
  std::uint64_t peers_dead = 0;
  std::uint64_t peers_restarted = 0;
  std::uint64_t peers_evicted = 0;
  std::uint64_t drops = 0;            // Dropped events
  std::uint64_t id_conflicts = 0;     // IdConflict events
  std::uint64_t warnings = 0;         // Warning events
  bool stopped_as_duplicate = false;  // the core stopped itself: a newer holder of a live id
  // Virtual times of this node's declarations in the default channel (the
  // first channel of SimClusterOptions::channels), for rhythm checks.
  std::vector<TimePoint> declaration_times;
};

class SimCluster {
 public:
  explicit SimCluster(SimClusterOptions options);
  ~SimCluster();
  SimCluster(const SimCluster&) = delete;
  SimCluster& operator=(const SimCluster&) = delete;

  // Adds a node and starts it now. Ids must be unique. `channels` empty:
  // the options' channels.
  std::size_t spawn(const std::string& id, std::vector<std::string> channels = {});
  // Adds a passive node (NodeCoreConfig::passive: an observer such as
  // `lanlord watch`) and starts it now.
  std::size_t spawn_passive(const std::string& id);

  // The process dies without a word: its NodeCore is destroyed and its
  // endpoint neither sends nor receives until restart().
  void crash(std::size_t i);
  // A new NodeCore with the same id and channels (a new life: a later wall
  // clock, hence a higher incarnation).
  void restart(std::size_t i);
  // NodeCore::stop(): the leave goes out, then the node is silent. Its
  // endpoint stays up; restart() brings it back.
  void leave(std::size_t i);
  // NodeCore::yield(channel) (default: the first channel).
  void yield(std::size_t i, const std::string& channel = {});
  // The process is frozen for `d` (SIGSTOP, a VM pause): its timers fire
  // only when it thaws, late, and datagrams sent to it wait (up to 4096)
  // and are delivered when it thaws. Its pause clock keeps counting.
  void freeze(std::size_t i, Duration d);
  bool frozen(std::size_t i) const;
  // The node's wall clock runs `offset` ahead of (or behind) the others'.
  void set_wall_offset(std::size_t i, Duration offset);

  // Unicast mode: node i's address ("198.18.0.1:7676" for node 0), and its
  // seeds from now on, also across restarts (node indices).
  static std::string address(std::size_t i);
  void set_seeds(std::size_t i, const std::vector<std::size_t>& seeds);
  // Unicast copies addressed to no node (an address no node has).
  std::uint64_t unroutable() const { return unroutable_; }

  // Hands `message` to node i as if it had arrived from the network now
  // (forged or replayed traffic); through the codec when there is one.
  void inject(std::size_t i, const Message& message);
  // Hands raw bytes to node i (requires a codec).
  void inject_bytes(std::size_t i, const Bytes& datagram);

  void partition(const std::vector<std::vector<std::size_t>>& groups) { net_.partition(groups); }
  void heal() { net_.heal(); }

  void run_for(Duration d) { sched_.run_for(d); }
  bool run_until(const std::function<bool()>& done, Duration limit) {
    return sched_.run_until(done, limit);
  }
  TimePoint now() const { return sched_.now(); }

  std::size_t size() const { return nodes_.size(); }
  const PeerId& id(std::size_t i) const;
  std::optional<std::size_t> index_of(const std::string& id) const;
  // Up and its core running (not crashed, not left).
  bool running(std::size_t i) const;
  // Requires a core (not crashed): throws std::logic_error otherwise.
  NodeCore& core(std::size_t i);
  const NodeCore& core(std::size_t i) const;
  const NodeRecord& record(std::size_t i) const;
  void reset_callback_invoked(std::size_t i);
  // Replaces the observers (empty members: not called).
  void set_observers(SimObservers observers) { observers_ = std::move(observers); }
  // The first channel of the options: what leaders() and the records watch.
  const std::string& channel() const { return options_.channels.front(); }

  // Running nodes that lead `channel` (default: channel()).
  std::vector<std::size_t> leaders(const std::string& channel = {}) const;
  // Their ids, e.g. {"p0"}.
  std::vector<std::string> leader_ids(const std::string& channel = {}) const;
  // Running nodes grouped by who can reach whom, each group sorted.
  std::vector<std::vector<std::size_t>> components() const;

  // Safety violations seen so far: a node that still claimed leadership
  // right after it accepted a declaration from a lower, alive id.
  const std::vector<std::string>& violations() const { return violations_; }

  VirtualScheduler& scheduler() { return sched_; }
  SimNetwork& network() { return net_; }
  Rng& rng() { return rng_; }
  const SimClusterOptions& options() const { return options_; }
  const Profile& profile() const { return options_.profile; }

 private:
  class Node;
  std::size_t spawn(const std::string& id, std::vector<std::string> channels, bool passive);
  static constexpr std::size_t kNoSender = static_cast<std::size_t>(-1);
  void deliver(std::size_t to, std::size_t from, const Payload& payload);
  void flush(std::size_t i);
  // Broadcast (multicast), or one copy per unicast target of `core`.
  void transmit(std::size_t i, const NodeCore& core, Payload payload);

  SimClusterOptions options_;
  VirtualScheduler sched_;
  Rng rng_;
  SimNetwork net_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<PeerId, std::size_t> index_of_;
  std::map<std::string, std::size_t, std::less<>> node_at_;  // unicast: address -> node
  std::uint64_t unroutable_ = 0;
  std::vector<std::string> violations_;
  SimObservers observers_;
};

}  // namespace lanlord::sim
