// Heartbeat membership: who is alive on the LAN, as a sans-IO state machine.
//
// Every node multicasts a heartbeat every heartbeat_interval carrying its id,
// its incarnation (a number that grows each time the process starts, so a
// restarted process is told apart from its previous life), the channels it
// takes part in and free-form metadata. A peer is alive while its heartbeats
// keep arriving, dead after alive_expiration without one, and forgotten
// forget_after after it died. A graceful leave removes it at once. With
// rate classes (MembershipConfig::idle_heartbeat_interval) a node the owner
// sets idle heartbeats less often and announces its interval; peers expire
// each member by the interval it announced.
//
// The caller does the IO: it decodes datagrams into on_heartbeat() /
// on_leave() and multicasts this node's heartbeat when asked through
// send_heartbeat. Time comes from the injected Scheduler.
#pragma once

#include "lanlord/export.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lanlord/peer_id.hpp"
#include "lanlord/status.hpp"
#include "lanlord/time.hpp"

namespace lanlord {

struct LANLORD_EXPORT MembershipConfig {
  // How often this node multicasts its heartbeat.
  Duration heartbeat_interval = std::chrono::seconds(1);
  // A peer is dead once this long has passed since its last heartbeat. Must
  // exceed heartbeat_interval, or a peer would die between two heartbeats.
  Duration alive_expiration = std::chrono::seconds(3);
  // A dead peer is forgotten (dropped from members()) this long after it
  // died; until then a stale heartbeat of an older life is recognised.
  Duration forget_after = std::chrono::seconds(60);
  // Suspicion (not Fabric's; off by default, `lan` and `fast` turn it on):
  // a peer silent for suspect_after() is suspected, and this node asks for
  // it (send_suspects) at once and then every probe_interval() until the
  // peer is heard again or dies. The suspect answers with a heartbeat that
  // every member hears, so a few lost datagrams no longer kill it; a
  // crashed peer still dies alive_expiration after its last heartbeat.
  // Also: any message of a peer's current life counts as a heartbeat
  // (on_activity) once the peer is suspected, so a leader's declarations
  // keep it alive through lost heartbeats.
  bool suspicion = false;
  // Silence after which a peer is suspected: one missed heartbeat, with a
  // fifth of an interval for delivery jitter (early, so that the suspect is
  // asked for several times before alive_expiration).
  Duration suspect_after() const { return suspect_after_for(heartbeat_interval); }
  // How often a suspected peer is asked for (at most one send_suspects
  // call per interval, whatever the number of suspects).
  Duration probe_interval() const { return heartbeat_interval / 4; }

  // Rate classes (not Fabric's; zero = off, as in `fabric`; `lan` and
  // `fast` turn them on): a node whose liveness matters little (the owner
  // decides, Membership::set_idle) heartbeats every idle_heartbeat_interval
  // instead of every heartbeat_interval, and says so in its heartbeats.
  // Peers then expire it by its own interval (expiration_for). Off unless
  // longer than heartbeat_interval.
  Duration idle_heartbeat_interval = Duration::zero();
  bool rate_classes() const { return idle_heartbeat_interval > heartbeat_interval; }
  // The longest interval a peer's heartbeats are believed to have:
  // idle_heartbeat_interval with rate classes, else heartbeat_interval.
  Duration max_interval() const {
    return rate_classes() ? idle_heartbeat_interval : heartbeat_interval;
  }
  // The interval a peer is expired by when it announces `announced` (zero:
  // heartbeat_interval), clamped to [heartbeat_interval, max_interval()] so
  // that neither a forged nor a misconfigured value keeps a dead peer
  // longer than this node's idle bound, nor shortens its expiration.
  Duration interval_of(Duration announced) const;
  // A peer heartbeating every `interval` (as interval_of returns) is dead
  // after this much silence: alive_expiration scaled by interval /
  // heartbeat_interval, so it may miss as many heartbeats as a fast one.
  Duration expiration_for(Duration interval) const;
  // And suspected after this much (suspect_after() for any interval).
  static Duration suspect_after_for(Duration interval) { return interval * 6 / 5; }

  // Every duration positive (idle_heartbeat_interval may be zero) and
  // alive_expiration > heartbeat_interval. The message names the first bad
  // field.
  Status validate() const;
};

// What this node knows of one peer.
struct LANLORD_EXPORT Member {
  PeerId id;
  std::uint64_t incarnation = 0;
  std::vector<std::string> channels;  // sorted, no duplicates
  std::string metadata;
  bool alive = false;
  TimePoint last_seen{};  // scheduler time of the last accepted heartbeat
  // The peer's wall clock minus this node's, from the send time of its
  // latest admitted message (NodeCore fills it; zero when unknown).
  Duration clock_offset{};
};

enum class MembershipEvent {
  kJoined,     // an unknown or dead peer is alive (again)
  kLeft,       // an alive peer said goodbye; it is removed at once
  kDead,       // an alive peer's heartbeats stopped for alive_expiration
  kRestarted,  // an alive peer's heartbeat carries a higher incarnation
  kEvicted,    // a peer was dropped to make room for another (the member cap)
};

// "joined", "left", "dead", "restarted", "evicted".
LANLORD_EXPORT std::string_view to_string(MembershipEvent e);

struct LANLORD_EXPORT MembershipStats {
  std::uint64_t heartbeats = 0;     // on_heartbeat() calls from other peers
  std::uint64_t leaves = 0;         // on_leave() calls from other peers
  std::uint64_t stale_dropped = 0;  // heartbeats/leaves of an older incarnation
  std::uint64_t self_ignored = 0;   // heartbeats/leaves carrying this node's id
  std::uint64_t joined = 0;         // events emitted, by kind
  std::uint64_t left = 0;
  std::uint64_t dead = 0;
  std::uint64_t restarted = 0;
  std::uint64_t forgotten = 0;  // dead or left peers dropped (no event)
  std::uint64_t evicted = 0;    // peers removed by forget() (kEvicted when alive)
  std::uint64_t suspected = 0;  // peers that went quiet for suspect_after (suspicion)
  std::uint64_t probes = 0;     // send_suspects calls
  std::uint64_t activity = 0;   // on_activity() calls that refreshed or revived a peer
  // Rate classes: this node's switches to the idle rate (each announced
  // first, see set_idle) and back to the fast one.
  std::uint64_t demotions = 0;
  std::uint64_t promotions = 0;
};

// Observers of a Membership. Both run on the scheduler's thread; they may
// call the queries and stop(), but not on_heartbeat()/on_leave(), and must
// not destroy the Membership.
struct LANLORD_EXPORT MembershipCallbacks {
  // The caller must multicast this node's heartbeat now (id, incarnation,
  // channels and metadata are available from self()). Called from start()
  // before it returns, then every heartbeat_interval.
  std::function<void()> send_heartbeat;
  // A peer's liveness changed. `member` is its state after the change (for
  // kLeft: its last state, already removed from the view); the reference is
  // valid only during the call.
  std::function<void(MembershipEvent, const Member& member)> on_event;
  // Suspicion only: the caller must multicast a Suspect naming `peers` (1
  // to kMaxSuspects ids, the longest suspected first). At most once per
  // probe_interval.
  std::function<void(const std::vector<PeerId>& peers)> send_suspects;
};

// Heartbeat membership for one node.
//
// Rules, for a heartbeat (id, incarnation) from a peer other than self:
//   unknown id                      -> added, kJoined
//   known, same incarnation, alive  -> refreshed (channels/metadata updated, no event)
//   known, same incarnation, dead   -> alive again, kJoined
//   known, higher incarnation       -> new life: kRestarted if it was alive,
//                                      kJoined if it was dead or had left
//   known, lower incarnation        -> ignored, stats().stale_dropped
//   left, same incarnation          -> ignored as stale (a late or duplicated
//                                      copy must not resurrect a peer that left)
// and for a leave (id, incarnation):
//   alive, incarnation >= known     -> removed at once, kLeft
//   dead, incarnation >= known      -> removed silently (kDead was reported)
//   left, incarnation >= known      -> a duplicate: ignored
//   incarnation < known             -> ignored, stats().stale_dropped
//   unknown                         -> remembered, so a late heartbeat of that
//                                      life does not add it
// Expiry uses one timer for the whole membership, armed for the earliest
// deadline of any peer: a heartbeat costs one map lookup and a queue append,
// and the timer fires about once per (alive_expiration - heartbeat_interval),
// not once per peer or per heartbeat. Requires a monotonic scheduler clock.
//
// Threading: everything, including construction and destruction, on the
// scheduler's thread; nothing is thread-safe. No callback runs after stop()
// or the destructor.
class LANLORD_EXPORT Membership {
 public:
  // Throws std::invalid_argument when `self` is empty or `config` is
  // invalid. `scheduler` must outlive the Membership. `self_channels` is
  // sorted and deduplicated.
  Membership(Scheduler& scheduler, PeerId self, std::uint64_t self_incarnation,
             std::vector<std::string> self_channels, std::string self_metadata,
             MembershipConfig config, MembershipCallbacks callbacks = {});
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;
  ~Membership();

  // Calls send_heartbeat now and then every heartbeat_interval, on a grid
  // anchored at this moment so the period does not drift. Inputs before
  // start() are ignored. A no-op if already started or stopped.
  void start();

  // Cancels both timers; afterwards no callback runs and inputs are ignored.
  // The view is kept as it was for the queries. Idempotent.
  void stop();

  // Started and not stopped: heartbeats go out and inputs are taken.
  bool running() const { return started_ && !stopped_; }

  // A heartbeat from `from` arrived now (see the rules above). Ignored
  // unless running(). May call on_event before returning.
  // `channels` and `metadata` are copied only when they changed.
  // `interval` is the one the heartbeat announces (zero: none, that is
  // heartbeat_interval); the peer is expired by interval_of(interval).
  void on_heartbeat(const PeerId& from, std::uint64_t incarnation,
                    const std::vector<std::string>& channels, std::string_view metadata,
                    Duration interval = Duration::zero());

  // Suspicion only (a no-op otherwise): another message of `from` (a
  // declaration, a proposal, a Suspect) arrived now. When it is of the life
  // known and `from` has not left, it counts as a heartbeat with unchanged
  // channels and metadata: a suspected peer is refreshed, a peer believed
  // dead is alive again (kJoined). Otherwise (a peer heard within
  // suspect_after, another life, a peer that left) ignored, so a crash is
  // still detected alive_expiration after the last heartbeat.
  void on_activity(const PeerId& from, std::uint64_t incarnation);

  // `from` announced it is leaving (see the rules above). Ignored unless
  // running(). May call on_event before returning.
  void on_leave(const PeerId& from, std::uint64_t incarnation);

  // Ids of the alive peers, sorted, excluding self.
  std::vector<PeerId> alive_peers() const;
  // Alive peers that take part in `channel`, sorted, excluding self.
  std::vector<PeerId> alive_peers(std::string_view channel) const;
  // Whether `id` is an alive peer. False for self (self is not a peer).
  bool is_alive(const PeerId& id) const;
  // Whether `id` is alive and takes part in `channel`.
  bool is_alive(const PeerId& id, std::string_view channel) const;
  // Every known peer, alive or dead (not those that left), sorted by id.
  std::vector<Member> members() const;
  // A copy of what is known of `id`; empty when unknown or left.
  std::optional<Member> find(const PeerId& id) const;
  // alive_peers().size(), without building the list.
  std::size_t alive_count() const { return alive_count_; }

  // Removes `id` at once, whatever its state, so that the next heartbeat of
  // any life adds it afresh. kEvicted when `evict` and it was alive. For the
  // owner's admission rules (the member cap; a life proven newer than what
  // membership recorded). Returns whether it was known.
  bool forget(const PeerId& id, bool evict);

  // Sets the incarnation recorded for `id` without an event, keeping its
  // state (a life recorded from a claim its owner's messages proved void).
  // False when `id` is unknown or left: then forget() it instead.
  bool rebase(const PeerId& id, std::uint64_t incarnation);

  // This node's incarnation as self() reports it (refutation raises it).
  void set_self_incarnation(std::uint64_t incarnation) { self_incarnation_ = incarnation; }

  // Replaces the channels this node announces (sorted and deduplicated);
  // the next heartbeat carries them.
  void set_channels(std::vector<std::string> channels);

  // Rate classes (a no-op without config().rate_classes()): whether this
  // node may heartbeat at the idle rate. Going idle (demotion) first sends
  // alive_expiration / heartbeat_interval (rounded up) heartbeats announcing the idle
  // interval, one at once and the rest at the fast rate, so that a peer
  // that misses all but one of them still learns the new interval before
  // it would expire this node by the fast one; then the idle rate. Going
  // fast again (promotion) sends a heartbeat at once, announcing the fast
  // interval, and heartbeats every heartbeat_interval from then on. Both
  // may call send_heartbeat before returning. A node starts fast.
  void set_idle(bool idle);
  // Whether this node wants the idle rate (it may still be announcing it).
  bool idle() const { return rate_ != Rate::kFast; }
  // What this node's heartbeats announce: zero at the fast rate (receivers
  // use their own heartbeat_interval, as with one rate), else
  // idle_heartbeat_interval.
  Duration announced_interval() const;
  // How long peers wait for this node's next heartbeat before declaring it
  // dead: expiration_for() of the interval it announces.
  Duration self_expiration() const;
  // The interval `id` is expired by (interval_of its latest announcement);
  // heartbeat_interval when unknown.
  Duration interval_of_peer(const PeerId& id) const;
  // An alive peer in `channel` whose id is below `bound`, other than
  // `except` (any one of them; empty when there is none). One pass over the
  // table, no sorting.
  std::optional<PeerId> alive_below(const PeerId& bound, std::string_view channel,
                                    const std::optional<PeerId>& except) const;

  // This node as it announces itself in heartbeats (alive = running()).
  Member self() const;
  const MembershipConfig& config() const { return config_; }
  const MembershipStats& stats() const { return stats_; }

 private:
  enum class State { kAlive, kDead, kLeft };
  // This node's heartbeat rate: fast; announcing the idle interval at the
  // fast rate (demotion); idle.
  enum class Rate { kFast, kDemoting, kIdle };
  struct Entry {
    Member member;
    State state = State::kAlive;
    TimePoint deadline{};  // kAlive: death; kDead/kLeft: forgetting
    // The peer's heartbeat interval (config_.interval_of its announcement).
    Duration interval{};
    // Grows each time the slot is freed, so queued deadlines of an earlier
    // occupant never match a later one.
    std::uint32_t generation = 0;
    bool suspected = false;  // listed in suspects_
    TimePoint asked{};       // suspected: when last named in a Suspect
  };
  using Slot = std::uint32_t;

  // A deadline of the entry in `slot` during its `generation`. Small and
  // free of strings: one is queued per heartbeat.
  struct Deadline {
    TimePoint at{};
    Slot slot = 0;
    std::uint32_t generation = 0;
  };
  // Deadlines in non-decreasing order. An item is current only while it
  // matches its entry's generation, state and deadline; outdated items are
  // skipped when they reach the front, which is cheaper than moving one
  // item in an ordered set on every heartbeat. Memory: about one item per
  // heartbeat received in the last alive_expiration.
  using DeadlineQueue = std::deque<Deadline>;
  // The deadlines of the peers heartbeating at one interval: with one
  // expiration per queue, appending keeps each sorted. One class per
  // interval in use (one, or two with rate classes; at most kMaxRates).
  struct RateClass {
    Duration interval{};
    Duration expiration{};     // config_.expiration_for(interval)
    Duration suspect_after{};  // MembershipConfig::suspect_after_for(interval)
    DeadlineQueue alive;       // kAlive entries: when they die
    // Suspicion: last_seen + suspect_after per heartbeat, like `alive`;
    // current while the peer has not been heard since.
    DeadlineQueue suspect;
  };
  // Announced intervals beyond the first kMaxRates distinct ones in use
  // are rounded down to one in use (only a misconfigured or forged peer
  // announces a third).
  static constexpr std::size_t kMaxRates = 4;

  void heartbeat_tick();
  void send_now();
  // The class of `interval`, made (or an unused one re-keyed) when needed;
  // it may round `interval` down (kMaxRates).
  RateClass& rate_class(Duration& interval);
  bool suspicion_on(const RateClass& rc) const {
    return config_.suspicion && rc.suspect_after < rc.expiration;
  }
  void expire();
  void probe();
  bool quiet(const Deadline& suspect, TimePoint now) const;
  bool suspect_current(const Deadline& item) const;
  // The entry of `id`, or nullptr when unknown (left entries included).
  const Entry* entry(const PeerId& id) const;
  // The entry of `id`, added (empty, kAlive) when unknown; `inserted` says which.
  std::pair<Slot, bool> slot_of(const PeerId& id);
  // Removes the entry in `slot`; its queued deadlines become outdated.
  void release(Slot slot);
  void set_alive_deadline(Slot slot, TimePoint deadline);
  void set_forget_deadline(Slot slot, TimePoint deadline);
  bool current(const Deadline& item, bool alive_queue) const;
  void drop_outdated(DeadlineQueue& q, bool alive_queue);
  void arm_expiry(TimePoint deadline);
  void emit(MembershipEvent event, const Member& member);

  Scheduler& scheduler_;
  const PeerId self_;
  std::uint64_t self_incarnation_;
  std::vector<std::string> self_channels_;
  std::string self_metadata_;
  const MembershipConfig config_;
  MembershipCallbacks callbacks_;

  bool started_ = false;
  bool stopped_ = false;
  // Looked up for every heartbeat, so hashed, with the entries in a flat
  // table; the queries that return lists sort them by id.
  std::unordered_map<PeerId, Slot, PeerIdHash> index_;
  std::vector<Entry> slots_;
  std::vector<Slot> free_slots_;
  std::vector<RateClass> rates_;    // [0]: heartbeat_interval
  DeadlineQueue forget_deadlines_;  // kDead/kLeft entries: when they are dropped
  // Suspected and not heard since, longest first (`at`: when suspected).
  std::deque<Deadline> suspects_;
  std::size_t alive_count_ = 0;
  MembershipStats stats_;

  TimePoint next_heartbeat_{};
  Rate rate_ = Rate::kFast;
  int announcements_left_ = 0;  // kDemoting: fast heartbeats still to announce the idle rate
  Timer heartbeat_timer_;
  Timer expiry_timer_;
  Timer probe_timer_;
  TimePoint expiry_armed_for_{};  // valid while expiry_timer_.armed(); <= every deadline
};

}  // namespace lanlord
