// Node: a lanlord participant on a LAN, the embedding API.
//
// One Node is one member of a cluster: it multicasts heartbeats on one UDP
// socket, tracks the other members, and runs one leader election
// (Fabric's algorithm) per channel it takes part in. Many Nodes may share
// one io_context; each runs on its own strand.
//
//   boost::asio::io_context io;
//   lanlord::Node node(io, {.id = "billing-1", .channels = {"billing"}});
//   if (lanlord::Status s = node.start(); !s) { report(s.message()); }
//   std::thread t([&io] { io.run(); });
//   ... node.is_leader("billing") ...
//   node.stop();  // graceful: peers elect a successor at once
//
// Network safety: the default interface is loopback, so a Node talks to
// nothing beyond its own host until a person names an interface.
#pragma once

#include "lanlord/export.hpp"

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lanlord/keyring.hpp"
#include "lanlord/membership.hpp"
#include "lanlord/message.hpp"
#include "lanlord/node_core.hpp"
#include "lanlord/peer_id.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/status.hpp"
#include "lanlord/time.hpp"
#include "lanlord/trust.hpp"

namespace lanlord {

// Where the elections run.
enum class Backend {
  // This library's own protocol over UDP (multicast, or unicast with
  // `multicast = false`): no server, one leader per side of a partition.
  kUdp,
  // An etcd v3 cluster (NodeConfig::etcd): leases and candidate keys laid
  // out as etcd's concurrency.Election does; a leader only where etcd has a
  // quorum, failover within the lease TTL. Epochs are the leader key's
  // create revision: another token space than kUdp's, so a downstream fence
  // is reset when a deployment switches backend.
  kEtcd,
};
// "udp", "etcd".
LANLORD_EXPORT const char* backend_name(Backend backend);
// "udp" or "etcd"; empty otherwise.
LANLORD_EXPORT std::optional<Backend> parse_backend(std::string_view name);

// The etcd backend's settings (NodeConfig::backend == Backend::kEtcd).
//
// Each channel is an election under the prefix
// /lanlord/<cluster>/<channel>/ (names escaped: every byte outside
// [A-Za-z0-9._-] as %XX), so `etcdctl elect -l /lanlord/<cluster>/<channel>`
// shows the leader. A node holds one lease, keeps it alive every third of
// its TTL, and in each of its channels puts the key <prefix><lease id in
// hex> with that lease; the key with the lowest create revision leads, and
// that revision is the leadership's epoch. The value is a small JSON
// object: {"id": ..., "incarnation": ..., "metadata": ...}.
struct LANLORD_EXPORT EtcdConfig {
  // Client URLs, tried in turn: "http://127.0.0.1:2379", "https://etcd-1:2379".
  std::vector<std::string> endpoints;
  // Lease TTL in whole seconds, at least 2; 0: from the profile (fast 2,
  // lan 5, fabric 10). A crashed leader is replaced within about this.
  int lease_ttl = 0;
  // TLS (https endpoints): the CA bundle that signs the servers'
  // certificates (empty: the system's), and a client certificate and key
  // for servers that ask for one (both or neither). PEM files.
  std::string cacert;
  std::string cert;
  std::string key;
  // etcd authentication (both or neither): a token is fetched at start and
  // again when etcd says it expired.
  std::string user;
  std::string password;
  // One request's limit; a request that takes longer counts as failed.
  Duration request_timeout = std::chrono::seconds(1);
};

struct LANLORD_EXPORT NodeConfig {
  // This node's identity, unique in the cluster; the lowest id wins an
  // election. Required unless `passive` (default_node_id() gives host-pid).
  std::string id;
  // Nodes of other clusters on the same group and port are ignored.
  std::string cluster = "lanlord";
  // The channels this node runs an election in. A node may be in several.
  std::vector<std::string> channels = {"default"};
  // Multicast group: IPv4 (224.0.0.0/4) or IPv6 (ff00::/8), and UDP port
  // (in unicast mode the port this node binds, and seeds' default port).
  std::string group = "239.255.76.76";
  std::uint16_t port = 7676;
  // The network interface, by name ("lo", "eth0") or by one of its
  // addresses ("127.0.0.1", "198.51.100.5", "::1"), or "auto": the one up,
  // multicast-capable, non-loopback interface with an address of the
  // group's family (IPv4; a global or unique-local IPv6 address), skipping
  // container and VM plumbing (docker*, virbr*, veth*, ...); none or
  // several is an error that lists them. Loopback by default. Unicast
  // mode binds the named interface's IPv4 address (else its IPv6 one) or
  // the address given (any 127.0.0.0/8 address on lo); "auto" then does
  // not need the MULTICAST flag.
  std::string interface_name = "lo";
  // Multicast hops: 1 keeps datagrams on the local link.
  int ttl = 1;
  // false: unicast mode, for networks that drop multicast (clouds,
  // container overlays, routed subnets). The node binds a UDP socket to the
  // interface's address and `port` (not to `group`, which is unused) and
  // sends every message to each member it knows, learning members and
  // their addresses from heartbeats (with keys: the addresses members
  // advertise and the digests they carry; without: only the source
  // addresses of datagrams that arrive). A multicast node and a unicast
  // node never hear each other: every node of a cluster uses one mode.
  // No SO_REUSEADDR: nodes on one host need distinct ports or addresses,
  // and a taken one is an error that names it.
  bool multicast = true;
  // Unicast mode: seed members, "host:port" ("198.51.100.7:7676",
  // "node-a.example:7676", "[2001:db8::7]:7676") or "host" (then `port`).
  // Host names are resolved at start and again every minute; one that does
  // not resolve is reported once (Warning kSeedUnresolved) until it does,
  // and the node runs on. One reachable seed is enough with a
  // key; without one, a node learns only the members that send to it, so
  // list every member. The node's own address may be listed (it is
  // skipped), so every node can share one list. Requires multicast = false.
  std::vector<std::string> peers;
  // Unicast mode: the address members should send to, "ip" or "ip:port"
  // (default: the interface's address and `port`), e.g. the public
  // address of a host behind one-to-one NAT. Believed by members only with
  // keys.
  std::string advertise;
  // Unicast mode: the most addresses one message is sent to.
  std::size_t max_unicast_targets = 256;
  // A named profile ("fabric", "lan", "fast") and overrides of its timings.
  std::string profile = "lan";
  TimingOverrides timings;
  // Application data carried in heartbeats, e.g. "203.0.113.5:8080".
  std::string metadata;
  // A passive node joins the group and listens but never sends: no
  // heartbeats, no elections. It tracks members and, from the declarations
  // it hears, the leader of every channel it hears of (`channels` is
  // ignored). For observers such as `lanlord watch`. In unicast mode it
  // heartbeats as an observer (never a candidate), so members send to it,
  // and binds an ephemeral port (so it may run beside a member).
  bool passive = false;
  // The cluster's keys (Keyring::load_file, Keyring::from_base64). With
  // keys, every datagram sent carries a tag made with the first (primary)
  // key, and every datagram received without a valid tag from one of them
  // is dropped (unauthenticated; another cluster's key: foreign_key).
  // Without keys traffic is unauthenticated, and the node says so once.
  std::optional<Keyring> keys;
  // Also encrypt every payload (XChaCha20-Poly1305); requires keys.
  bool encrypt = false;
  // Freshness window, plausibility, member cap, new-id rate.
  TrustConfig trust;
  // kEtcd: elections in etcd (`etcd`); then the UDP settings above (group,
  // port, interface, ttl, multicast, peers, advertise, keys, encrypt,
  // trust) are unused, and a passive node reads the cluster's prefix.
  Backend backend = Backend::kUdp;
  EtcdConfig etcd;
};

// Checks `config` without touching the network: id, names and sizes, the
// group is a multicast address, the port is not 0, TTL in 0..255, the
// profile exists, the effective timings are valid. The message names the
// offending setting, e.g. "group 203.0.113.1 is not a multicast address".
LANLORD_EXPORT Status validate_config(const NodeConfig& config);

// The profile `config` names with its timing overrides applied (see
// lanlord::resolve_profile). For showing the effective timings; start()
// uses the same.
LANLORD_EXPORT Result<Profile> resolve_profile(const NodeConfig& config);

// "<hostname>-<6 random hex digits>": readable, and unique per process even
// where pids are not (containers in their own PID namespaces).
LANLORD_EXPORT std::string default_node_id();

// Observers. They run on the node's strand (so never concurrently with
// each other or with the node's own processing) while the node holds its
// lock: they may call any method of this Node, including stop(), but must
// not destroy it, and must not block waiting for another thread that uses
// this Node. None is called after stop() or destruction has begun.
struct LANLORD_EXPORT NodeCallbacks {
  // The leader this node knows of in `channel` changed; empty: none known.
  // `is_self`: this node is now the leader. (A thin form of on_leadership,
  // which also sees new epochs of the same leader.)
  std::function<void(const std::string& channel, const std::optional<PeerId>& leader, bool is_self)>
      on_leader_changed;
  // The leadership this node knows of in `channel` changed: another leader,
  // none, or a new epoch of the same leader (a new term after a partition
  // healed). `info.is_self`: this node now leads with `info.epoch`; act on
  // the epoch, it fences the work of earlier leaders.
  std::function<void(const std::string& channel, const LeaderInfo& info)> on_leadership;
  // A member joined, left, died or restarted (see Membership's rules);
  // to_string(event) names it. `member` is valid only during the call.
  std::function<void(MembershipEvent event, const Member& member)> on_membership;
  // A received datagram was dropped; `from` is the sender's "address:port".
  // For --verbose logging; keep it cheap (it sees every looped-back datagram).
  std::function<void(DropReason reason, const std::string& from)> on_drop;
  // Something about the deployment looks wrong (no key, alone on
  // loopback, a peer's timings or clock differ...); each said once.
  std::function<void(const Warning& warning)> on_warning;
  // A datagram carried this node's id. When `conflict.stopped`, another
  // live process holds the id and this node, the newer, has stopped
  // without a leave (running() is false): the owner should exit.
  std::function<void(const IdConflict& conflict)> on_id_conflict;
};

// ChannelStats and NodeStats: see lanlord/node_core.hpp.

// Threading: every method may be called from any thread. The io_context
// must outlive the Node and must be run (by any number of threads) for the
// node to do anything after start().
class LANLORD_EXPORT Node {
 public:
  // Does not touch the network; never throws for a bad config (start()
  // reports it).
  Node(boost::asio::io_context& io, NodeConfig config, NodeCallbacks callbacks = {});
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Destruction without stop() is abrupt, like a crash: no leave is sent,
  // and peers notice only after alive_expiration. Call stop() first for a
  // graceful handover. Must not be called from this node's callbacks.
  ~Node();

  // Validates the config, opens and binds the socket (reuse_address, so
  // several nodes share a host and port), joins the group on the
  // interface, and starts heartbeats and elections. Errors name the
  // problem: an unknown interface, a group that is not multicast, a port
  // that cannot be bound, a bad setting. Call once; a stopped node cannot
  // be started again (create a new one).
  Status start();

  // Graceful stop: a leader hands its channels to their successors
  // (instant handoff, profiles lan and fast), the elections stop, a leave
  // is sent so peers react at once, and the socket closes. Nothing is sent after it returns.
  // Idempotent; a no-op on a node never started.
  void stop();

  bool running() const;

  // Replaces the keys (e.g. after the key file changed: SIGHUP). The first
  // key becomes primary at once; datagrams tagged with any of them are
  // accepted from now on. An error (and no change) when the node runs
  // unkeyed or `keys` is empty: a cluster cannot switch authentication on
  // or off without a restart.
  Status reload_keys(Keyring keys);
  // Fabric's Yield() for `channel`: if this node leads it, it steps down
  // and stays out of that channel's elections until it hears a new leader
  // (or 6 x leader_alive_threshold passes), so another node takes over;
  // with instant handoff (profiles lan, fast) it names its successor (the
  // lowest live id but its own), which declares at once. A no-op when this node does not lead the
  // channel, is already yielding, or is not running. Asynchronous: it takes effect on the node's
  // strand shortly after the call; on_leader_changed then reports the change.
  void yield(const std::string& channel);

  // Whether this node leads `channel` (false for a channel it does not
  // run, and once stopped).
  bool is_leader(const std::string& channel) const;
  // The leader this node knows of in `channel`: itself when leading; empty
  // when none is known and once stopped.
  std::optional<PeerId> leader(const std::string& channel) const;
  // The leader this node knows of in `channel` with its fencing epoch and
  // its metadata; an empty LeaderInfo when none is known and once stopped.
  LeaderInfo leadership(const std::string& channel) const;
  // This node first (unless passive; alive while running), then every
  // peer heard of, by id. Dead peers stay listed (alive == false) until
  // membership forgets them; peers that left are removed.
  std::vector<Member> members() const;
  NodeStats stats() const;

  const NodeConfig& config() const;
  // The effective profile (after overrides); valid after a successful start().
  Profile profile() const;
  // This node's incarnation (its start time, ns since the Unix epoch).
  std::uint64_t incarnation() const;
  // After start(): "239.255.76.76:7676 on lo (127.0.0.1)", in unicast mode
  // "unicast 127.0.0.1:7676 on lo, 2 seeds"; else "".
  std::string describe_endpoint() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lanlord
