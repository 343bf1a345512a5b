// NodeCore: one lanlord node as a sans-IO state machine, in the manner of
// etcd raft's RawNode. It owns the node's heartbeat membership, one
// election per channel (Fabric's algorithm), the admission of received
// messages (cluster, self, Fabric's PeerTime rule), the fast-failover
// policy, the passive watch and the stats. It does no IO and keeps no
// thread: the caller feeds it decoded messages and commands, the injected
// Scheduler fires its timers, and after each of these the caller takes
// what the node wants done with ready(): messages to send, in order, and
// events to report.
//
//   NodeCore core(scheduler, config);
//   core.start();
//   loop:
//     datagram in  -> decode -> core.step(message) (or core.drop(reason))
//     timer fired  -> (the scheduler ran the core's callback)
//     command      -> core.yield(channel), core.stop(), ...
//     then: for (m : core.ready().messages) send(encode(m)); report events
//
// Production (transport/ Node) and the simulator (lib/sim SimCluster) both
// run this class; nothing about a node is wired anywhere else.
#pragma once

#include "lanlord/export.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "lanlord/election.hpp"
#include "lanlord/membership.hpp"
#include "lanlord/message.hpp"
#include "lanlord/peer_id.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/status.hpp"
#include "lanlord/time.hpp"
#include "lanlord/trust.hpp"

namespace lanlord {

// Unicast mode, where multicast is blocked: every message goes to each
// known member's address instead of a group. Addresses are opaque strings
// to the core ("203.0.113.5:7676"); the caller formats them one way (the
// datagram origins it passes to step() use the same form).
struct LANLORD_EXPORT UnicastConfig {
  bool enabled = false;
  // This node's own address as members should send to it (advertised in
  // its heartbeats); required when enabled. Never a target.
  std::string address;
  // Seed addresses, always sent to (NodeCore::set_seeds replaces them:
  // host names are resolved again now and then by the caller).
  std::vector<std::string> seeds;
  // The most addresses a message is sent to (members, seeds, introduced
  // members), so that forged members cannot turn the node into a
  // reflector; also bounds the cost of a broadcast.
  std::size_t max_targets = 256;
  // With a key, members this node lost (forgotten after they died, so no
  // longer targets) are sent a heartbeat every idle heartbeat interval for this
  // long, so that two sides that forgot each other in a long partition, or
  // a member that restarted while its seeds were down, meet again (Serf's
  // reconnect). At most max_targets of them, the most recently lost.
  Duration reconnect_for = std::chrono::hours(24);
};

struct LANLORD_EXPORT NodeCoreConfig {
  // This node's identity, unique in the cluster; the lowest id wins an
  // election. Required (a passive node still needs one for its own
  // bookkeeping; it never sends it).
  PeerId id;
  // Messages of other clusters are dropped (kForeignCluster).
  std::string cluster = "lanlord";
  // The channels this node runs an election in (sorted and deduplicated
  // by the core). Ignored when passive.
  std::vector<std::string> channels = {"default"};
  // Application data carried in heartbeats.
  std::string metadata;
  // A passive node never sends: no heartbeats, no elections. It tracks
  // members and, from the declarations it hears, the leader of every
  // channel it hears of.
  bool passive = false;
  // Timings and the fast-failover policy (already resolved, overrides
  // applied).
  Profile profile = default_profile();
  // This node's incarnation; 0 means the scheduler's wall clock at start()
  // in nanoseconds since the Unix epoch (Fabric's choice: a restarted
  // process is a new life, as its start time is later).
  std::uint64_t incarnation = 0;
  // Every message handed to step() was authenticated with the cluster key
  // (the codec drops the rest). Then a message carrying this node's id is
  // another process for certain (the newer of the two stops), and no claim
  // is refuted or healed by the rules meant for forgeries.
  bool authenticated = false;
  // Freshness, plausibility, the member cap and the new-id rate.
  TrustConfig trust;
  // The node is on a loopback interface: it warns (once) if it has heard no
  // other member when its startup grace ends, as other hosts cannot hear it.
  bool loopback = false;
  // Unicast mode (off: multicast, the caller sends each message once to
  // the group). A passive node in unicast mode heartbeats as an observer so
  // that members send to it.
  UnicastConfig unicast;

  // Id, names and sizes within the message limits, a valid profile. The
  // message names the setting.
  Status validate() const;
};

// A channel's leadership as a node knows it.
struct LANLORD_EXPORT LeaderInfo {
  std::optional<PeerId> leader;  // empty: none known
  // The leadership's fencing epoch (lanlord/epoch.hpp); 0 when no leader is
  // known. It changes with every change of hands, and with a new term of
  // the same leader (after a partition heals).
  std::uint64_t epoch = 0;
  std::string metadata;  // the leader's heartbeat metadata ("" if unknown)
  bool is_self = false;  // this node is the leader
  friend bool operator==(const LeaderInfo&, const LeaderInfo&) = default;
};

// Events, in the order they happened. Not queued once stop() has begun.
struct LeaderChanged {  // the leader this node knows of in `channel`, or its epoch, changed
  std::string channel;
  std::optional<PeerId> leader;  // empty: none known
  bool is_self = false;          // this node is now the leader
  std::uint64_t epoch = 0;       // the leadership's epoch (0: no leader known)
  std::string metadata;          // the leader's heartbeat metadata
};
struct LeadershipChanged {  // Fabric's leadership callback: this node became / stopped being leader
  std::string channel;
  bool is_leader = false;
  std::uint64_t epoch = 0;  // of the leadership that began or ended
};
struct MemberChanged {  // a peer joined, left, died or restarted (Membership's rules)
  MembershipEvent event;
  Member member;
};
struct LANLORD_EXPORT Dropped {  // a received message or datagram was not believed
  DropReason reason;
  std::string origin;  // what the caller passed to step()/drop(), e.g. "127.0.0.1:7676"
};
// Something about the deployment looks wrong; said once per cause (and
// per peer where there is one).
enum class WarningKind {
  kUnauthenticated,   // running without a key: anyone on the network can forge traffic
  kTaggedWithoutKey,  // datagrams authenticated with a key arrive, and this node has none
  kAlone,             // on loopback, or in unicast mode, and alone when the startup grace ended
  kTimingsDiffer,     // a peer's timings differ from this node's
  kClockOffset,       // a peer's clock is off by more than half the skew window
  kPaused,            // this node's timers ran late by more than its peers' expiration
                      // of it (alive_expiration; longer at the idle rate): a frozen
                      // process, a VM pause; it gave up every leadership at once
  kSeedUnresolved,    // unicast mode: a seed's host name did not resolve (the caller
                      // resolves seeds, reports this and retries now and then)
  kEtcdUnreachable,   // etcd backend: no endpoint answered for the lease's safety
                      // margin; leadership was given up (said once per outage)
};
// "unauthenticated", "tagged_without_key", "alone", "timings_differ", "clock_offset",
// "paused", "seed_unresolved", "etcd_unreachable".
LANLORD_EXPORT const char* warning_kind_name(WarningKind kind);
struct LANLORD_EXPORT Warning {
  WarningKind kind;
  std::string message;  // a sentence for people: what is wrong and what to do
  std::optional<PeerId> peer;
};
// A message carried this node's id and was not this node's own.
struct LANLORD_EXPORT IdConflict {
  std::string origin;          // where it came from
  PeerTime claim;              // its PeerTime
  std::uint64_t instance = 0;  // the other process's start time (0: unknown)
  // Without a key: the claim was newer than this node's PeerTime and this
  // node announced a newer one at once (a forged "restarted"/"left" heals).
  bool refuted = false;
  // Another live process holds this id (with a key: at once; without: its
  // datagrams kept coming from one address for three heartbeat intervals).
  bool duplicate = false;
  // This node is the newer of the two and has stopped, without a leave (a
  // leave would remove the other); the owner should exit.
  bool stopped = false;
};
using NodeEvent =
    std::variant<LeaderChanged, LeadershipChanged, MemberChanged, Dropped, Warning, IdConflict>;

// What the node wants done, taken with ready().
// A message for some addresses only (unicast mode).
struct LANLORD_EXPORT Addressed {
  Message message;
  std::vector<std::string> to;
};

struct LANLORD_EXPORT Ready {
  // To send to every member, in this order: multicast, once to the group;
  // unicast, to each of NodeCore::unicast_targets().
  std::vector<Message> messages;
  // Unicast mode: messages for the addresses they name only (heartbeats to
  // members this node lost, UnicastConfig::reconnect_for). Send them after
  // `messages`.
  std::vector<Addressed> direct;
  std::vector<NodeEvent> events;
  bool empty() const { return messages.empty() && events.empty() && direct.empty(); }
};

// Failover time as one node sees it, in a channel: from the moment the node
// lost the leader it knew (the leader died, left, stepped down or stopped
// declaring, so that it knows none) to the moment it knows a leader again.
// It starts when the node notices the loss (a crash: once the membership
// declares the leader dead), so it is shorter than the time since the
// failure itself. A change from one leader to another with no gap between
// (this node named successor by a handoff, or a declaration that replaces
// a known leader) is a failover of 0s; the first leader after startup and a
// new epoch of the same leader are none. Buckets as a Prometheus histogram's: fixed upper bounds in
// seconds, from the fast profile's tens of milliseconds to fabric's tens of
// seconds.
struct LANLORD_EXPORT FailoverHistogram {
  static constexpr std::array<double, 14> kBounds = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                     2.5,  5,     10,   15,  20,   30,  60};
  // counts[i]: failovers that took more than kBounds[i - 1] and at most
  // kBounds[i] seconds; counts.back(): more than the last bound (+Inf).
  // Not cumulative (Prometheus's buckets are: sum them up to the bound).
  std::array<std::uint64_t, kBounds.size() + 1> counts{};
  double sum_seconds = 0;  // of every failover observed
  std::uint64_t count = 0;

  void observe(Duration took);
};

struct LANLORD_EXPORT ChannelStats {
  std::string channel;
  bool is_leader = false;
  std::optional<PeerId> leader;
  std::size_t alive_peers = 0;  // the channel's alive view, this node included (unless passive)
  std::uint64_t proposals_sent = 0;
  std::uint64_t declarations_sent = 0;
  std::uint64_t proposals_received = 0;
  std::uint64_t declarations_received = 0;
  std::uint64_t leader_changes = 0;  // LeaderChanged events
  // LeaderElectionService::elections(): rounds this node proposed in, and
  // leaderships it took without one. Passive nodes take part in none.
  std::uint64_t elections = 0;
  FailoverHistogram failovers;
  std::uint64_t epoch = 0;              // the known leader's epoch (0: none known)
  std::uint64_t handoffs_sent = 0;      // resignations naming a successor
  std::uint64_t handoffs_received = 0;  // handoffs of the known leader, believed
  // Declarations not followed: an epoch below one already heard here (a
  // leader from before a change, or a forgery).
  std::uint64_t stale_declarations = 0;
  // Passive nodes: the members that declared leadership of the channel in
  // the last leader_alive_threshold, by id. More than one: a split.
  std::vector<PeerId> declaring;
};

// The etcd backend's counters (lanlord::Node with NodeConfig::backend
// kEtcd; `enabled` false and all zero otherwise).
struct LANLORD_EXPORT EtcdStats {
  bool enabled = false;
  bool connected = false;            // the last request to etcd succeeded
  std::string endpoint;              // the endpoint in use ("http://127.0.0.1:2379")
  std::int64_t lease_id = 0;         // the lease held now (0: none)
  std::uint32_t lease_ttl = 0;       // its TTL in seconds, as etcd granted it
  std::uint64_t requests = 0;        // HTTP requests sent (the watch stream counts once)
  std::uint64_t request_errors = 0;  // failed: connection, timeout, HTTP or etcd error
  std::uint64_t keepalives = 0;      // lease keep-alives answered
  std::uint64_t leases_granted = 0;  // leases taken (one per start, and after each loss)
  std::uint64_t leases_lost = 0;   // leases given up: expired, or etcd unreachable past the margin
  std::uint64_t campaigns = 0;     // candidate keys created
  std::uint64_t watch_events = 0;  // key changes received on the watch
  std::uint64_t watch_restarts = 0;  // watch streams opened again after a break
};

struct LANLORD_EXPORT NodeStats {
  // Filled by the IO shell (Node): the core sees messages, not datagrams.
  std::uint64_t datagrams_in = 0;  // every datagram received, dropped ones included
  std::uint64_t bytes_in = 0;
  std::uint64_t datagrams_out = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t send_errors = 0;     // sends the socket refused (e.g. buffer full)
  std::uint64_t receive_errors = 0;  // receive failures other than a drop
  // Times the node read its socket; each read takes every datagram queued,
  // so under load this stays below datagrams_in.
  std::uint64_t receive_wakeups = 0;
  // Filled by the core.
  std::uint64_t messages_in = 0;   // step() calls while running
  std::uint64_t messages_out = 0;  // messages handed out by ready()
  // Admission state held: one membership stream per sender heard from, plus
  // one per (sender, channel this node runs) leadership stream. Bounded: a
  // made-up channel name gets no stream.
  std::uint64_t admission_streams = 0;
  std::array<std::uint64_t, kDropReasonCount> drops{};
  // Trust.
  std::uint64_t refutations = 0;  // false claims about this node answered
  std::uint64_t evictions = 0;    // never-confirmed peers dropped for room (the member cap)
  // Unkeyed: a sender's stale messages believed again after a claim about
  // it (raised by a forger, or a clock stepped back) went unconfirmed.
  std::uint64_t stale_resets = 0;
  bool duplicate_id = false;  // another live process holds this node's id
  std::uint64_t pauses = 0;   // times this node found itself frozen (WarningKind::kPaused)
  // Suspicion (MembershipConfig::suspicion): Suspects sent, received,
  // answered with a heartbeat, and not answered (rate limit: one answer
  // per probe interval, so a flood of Suspects cannot make this node flood).
  std::uint64_t suspects_sent = 0;
  std::uint64_t suspects_received = 0;
  std::uint64_t suspicions_answered = 0;
  std::uint64_t suspicions_limited = 0;
  std::uint64_t peers = 0;  // peers held (members and admission), at most max_members
  // Unicast mode: addresses a message goes to now (at most max_targets),
  // member addresses learned (from heartbeats: advertised with a key, the
  // datagram's source without), members introduced by another member's
  // digest (with a key), and targets left out by the cap.
  std::uint64_t unicast_targets = 0;
  std::uint64_t addresses_learned = 0;
  std::uint64_t introductions = 0;
  std::uint64_t targets_capped = 0;
  std::uint64_t lost_addresses = 0;  // lost members' addresses sent reconnect heartbeats
  std::uint64_t reconnects = 0;      // reconnect heartbeats sent (one per address)
  // The largest |clock offset| among peers heard within alive_expiration.
  Duration max_clock_offset{};
  std::vector<ChannelStats> channels;
  EtcdStats etcd;  // the etcd backend only

  std::uint64_t dropped(DropReason reason) const { return drops[static_cast<std::size_t>(reason)]; }
  std::uint64_t dropped_total() const;
};

// Threading: none. Every method, the constructor and the destructor run on
// the scheduler's thread; the scheduler's callbacks are the core's timers.
// Destroying a running core is a crash: nothing more is sent, no leave.
class LANLORD_EXPORT NodeCore {
 public:
  // Throws std::invalid_argument when config.validate() fails (a
  // programmer error: callers validate first). `scheduler` must outlive
  // the core.
  NodeCore(Scheduler& scheduler, NodeCoreConfig config);
  NodeCore(const NodeCore&) = delete;
  NodeCore& operator=(const NodeCore&) = delete;
  ~NodeCore();

  // Takes the incarnation, queues the first heartbeat and starts the
  // elections. Call once; a stopped core cannot start again.
  void start();
  // Graceful stop: the elections and the membership stop, a leave is
  // queued (so peers react at once), and nothing else is queued after it.
  // Idempotent; a no-op before start().
  void stop();
  bool running() const { return state_ == State::kRunning; }

  // A decoded message from the network. Dropped (counted, a Dropped event)
  // unless it is of this cluster, not this node's own, and newer than
  // anything heard from its sender (Fabric's PeerTime rule); then routed to
  // membership or to its channel's election. Ignored unless running().
  // Returns whether the message was admitted.
  bool step(const Message& message, std::string_view origin = {});
  // A datagram the caller could not decode: counted with the core's drops
  // and reported like them. Ignored unless running().
  void drop(DropReason reason, std::string_view origin = {});

  // Fabric's Yield() for `channel`: a no-op unless this node leads it.
  void yield(std::string_view channel);
  // Starts an election in `channel` and announces the channel in the next
  // heartbeats. A no-op if already in it; an error if the name breaks the
  // limits or the node is passive or not running.
  Status join_channel(const std::string& channel);
  // Stops `channel`'s election (a leader steps down silently, as Fabric's
  // Stop) and drops it from the heartbeats. A no-op for an unknown channel.
  void leave_channel(std::string_view channel);

  // Unicast mode: replaces the seed addresses (see UnicastConfig::seeds).
  void set_seeds(std::vector<std::string> seeds);
  // Unicast mode: where each message of ready() goes: every alive member's
  // address, the seeds, and with a key also members introduced by a digest
  // not yet heard from and the dead not yet forgotten (so a healed
  // partition finds its other half); never this node's own address; at
  // most UnicastConfig::max_targets, alive members first. Empty in
  // multicast mode. Valid until the next call into the core.
  const std::vector<std::string>& unicast_targets() const;

  // Whether outputs are waiting.
  bool has_ready() const { return !ready_.empty(); }
  // Takes every waiting output (etcd raft's Ready + Advance in one call).
  Ready ready();

  bool is_leader(std::string_view channel) const;
  // The leader known in `channel`: this node when leading, else the sender
  // of the latest declaration believed; empty when none is known.
  std::optional<PeerId> leader(std::string_view channel) const;
  // The leader known in `channel` with its epoch and metadata.
  LeaderInfo leadership(std::string_view channel) const;
  // The channels this node runs elections in (passive: the channels heard of).
  std::vector<std::string> channels() const;
  // This node first (unless passive), then every peer known, by id.
  std::vector<Member> members() const;
  NodeStats stats() const;

  const PeerId& id() const { return config_.id; }
  const NodeCoreConfig& config() const { return config_; }
  std::uint64_t incarnation() const { return incarnation_; }
  // The start time (ns since the Unix epoch); unlike the incarnation it
  // never changes while the node runs.
  std::uint64_t instance() const { return instance_; }
  const Membership& membership() const { return *membership_; }
  // The election of `channel`, or nullptr (for tests and diagnostics).
  const LeaderElectionService* election(std::string_view channel) const;

 private:
  enum class State { kCreated, kRunning, kStopped };
  class Channel;
  class PauseWatch;
  // A channel a passive node hears of: the leader from declarations.
  struct Watched {
    ChannelStats stats;
    std::optional<TimePoint> lost;          // the known leader was lost then (a failover began)
    TimePoint heard{};                      // the leader's latest declaration
    std::map<PeerId, TimePoint> declaring;  // every declarer's latest declaration
  };
  // Admission state of one sender. Its messages share one sequence, but
  // membership (heartbeats, leaves) and each channel's leadership messages
  // are ordered apart: a declaration overtaken in flight by a later
  // heartbeat is still news. No stream may go back to an older life.
  struct Sender {
    std::uint64_t incarnation = 0;                             // the newest life heard of
    PeerTime membership;                                       // the newest heartbeat or leave
    PeerTime suspicion;                                        // the newest Suspect
    std::vector<std::pair<std::string, PeerTime>> leadership;  // per channel
    PeerTime newest;                                           // across streams
    TimePoint newest_at{};                                     // when `newest` last grew
    TimePoint heard{};
    std::uint32_t admitted = 0;         // messages admitted, saturating: 2 or more is confirmed
    bool left = false;                  // the newest membership message was a leave
    std::uint64_t instance = 0;         // of the newest admitted message
    std::uint64_t instance_before = 0;  // of the one before it
    bool timings_warned = false;
    bool offset_warned = false;
    Duration clock_offset{};
  };
  // Messages carrying this node's id from another process (or a forger).
  struct Conflict {
    std::uint64_t instance = 0;
    std::string origin;
    TimePoint first{};
    std::uint32_t count = 0;
    bool reported = false;  // the duplicate verdict was reported
    Duration interval{};    // the other process's heartbeat interval, as last announced
  };

  bool take(const Message& m, std::string_view origin);
  bool admit(const Message& m, std::string_view origin);
  void on_own_id(const Message& m, std::string_view origin);
  void refute(const PeerTime& claim);
  void on_suspect(const Suspect& msg);
  void halt();
  bool make_room(std::string_view origin);
  void warn(WarningKind kind, std::string message, std::optional<PeerId> peer = std::nullopt);
  std::uint64_t wall_ns() const;
  void on_leadership(const PeerId& from, const Leadership& msg, std::string_view origin);
  void on_watched_leadership(const PeerId& from, const Leadership& msg);
  void on_member_event(MembershipEvent event, const Member& member);
  void housekeeping();
  void welcome();
  void send_heartbeat();
  Heartbeat heartbeat();
  // Unicast mode: learns the sender's address (and, with a key, the
  // members its digest introduces) from an admitted heartbeat.
  void learn_addresses(const PeerId& from, const Heartbeat& hb, std::string_view origin);
  void fill_digest(Heartbeat& hb);
  void prune_addresses();
  void lose_address(const PeerId& id, std::string address);
  void reconnect();
  // Rate classes: the rate this node should heartbeat at, applied after
  // each input (step, timer, command) that may have changed it.
  void settle();
  bool needs_fast();
  void send(Body body);
  void count_drop(DropReason reason, std::string_view origin);
  void emit(NodeEvent event);
  void set_watched_leader(const std::string& channel, Watched& w, std::optional<PeerId> leader,
                          std::uint64_t epoch);
  void failover_step(FailoverHistogram& h, std::optional<PeerId>& known,
                     std::optional<TimePoint>& lost, const std::optional<PeerId>& leader) const;
  bool declaring_now(TimePoint heard, TimePoint now) const;
  void check_pause();
  std::string metadata_of(const std::optional<PeerId>& id) const;
  std::vector<std::string> heartbeat_channels() const;
  Channel& add_channel(const std::string& name);

  Scheduler& scheduler_;
  std::unique_ptr<PauseWatch> pause_watch_;  // what the components' timers run on
  TimePoint last_awake_{};                   // pause clock at the latest timer or step()
  NodeCoreConfig config_;
  State state_ = State::kCreated;
  std::uint64_t incarnation_ = 0;
  std::uint64_t instance_ = 0;  // the start time; never changes (refutation may raise incarnation_)
  std::uint64_t seq_ = 0;       // PeerTime sequence: grows with every message sent
  std::uint32_t timings_ = 0;   // timings_fingerprint(profile)
  Ready ready_;
  NodeStats counters_;
  // Admission: the newest PeerTime per sender and stream. Looked up for
  // every message, so hashed; its order never reaches an output.
  std::unordered_map<PeerId, Sender, PeerIdHash> senders_;
  std::unique_ptr<Membership> membership_;
  std::map<std::string, std::unique_ptr<Channel>, std::less<>> channels_;
  std::map<std::string, Watched, std::less<>> watched_;  // passive only
  // Never-confirmed senders in admission order, evicted first when full
  // (entries confirmed or gone since are skipped).
  std::deque<PeerId> unconfirmed_;
  double id_tokens_ = 0;      // the new-id token bucket
  TimePoint id_tokens_at_{};  // when it was last refilled
  std::optional<Conflict> conflict_;
  TimePoint conflict_reported_{};  // rate limit of IdConflict events
  TimePoint refuted_at_{};         // rate limit of refutation heartbeats
  TimePoint answered_at_{};        // rate limit of answers to Suspects
  bool answered_once_ = false;
  bool refuted_once_ = false;
  bool reported_duplicate_ = false;
  bool heard_peer_ = false;       // a message of another node was admitted
  bool same_process_ = false;     // during on_heartbeat: the sender's instance did not change
  std::array<bool, 7> warned_{};  // per WarningKind without a peer
  TimePoint welcomed_at_{};       // fast_startup: the latest heartbeat sent for a newcomer
  bool rate_dirty_ = false;       // what decides this node's heartbeat rate changed
  // Unicast mode: where each peer takes datagrams. Learned from the peer's
  // own heartbeats, or introduced by another member's digest (with a key)
  // until the peer is heard itself. Bounded: learned entries by the member
  // cap (only admitted senders), introduced ones by max_targets.
  struct Address {
    std::string address;
    TimePoint learned{};      // learned or changed then (digests name the newest first)
    bool introduced = false;  // from a digest, not yet from the peer itself
  };
  std::unordered_map<PeerId, Address, PeerIdHash> addresses_;
  std::size_t introduced_ = 0;     // entries of addresses_ with `introduced`
  std::size_t digest_cursor_ = 0;  // where the next digest goes on, in id order
  // Lost members' addresses, by address: when lost, and whose.
  struct Lost {
    PeerId id;
    TimePoint at{};
  };
  std::map<std::string, Lost, std::less<>> lost_;
  mutable std::vector<std::string> targets_;
  mutable bool targets_dirty_ = true;
  mutable std::uint64_t targets_capped_ = 0;
  Timer housekeeping_;
  Timer alone_check_;
  Timer welcome_timer_;  // a coalesced welcome heartbeat
  Timer reconnect_timer_;
};

}  // namespace lanlord
