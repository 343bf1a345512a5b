// The leader election service: Hyperledger Fabric's gossip election
// algorithm as a sans-IO state machine.
//
// The algorithm (Fabric, gossip/election/election.go):
//   Startup:      wait until the membership view stops changing (two equal
//                 samples), a leadership declaration arrives, or the startup
//                 grace period ends.
//   Steady state: if no leader is known, run an election; a leader declares
//                 every leader_alive_threshold / 2 and steps down when it
//                 hears a declaration from a lower id; a follower forgets
//                 the leader after leader_alive_threshold without one.
//   Election:     gossip a proposal, collect messages for
//                 leader_election_duration; stop if a declaration arrived or
//                 a lower id proposed; otherwise become the leader.
// Messages from peers outside the alive view are ignored.
//
// Additions beyond Fabric (none changes who may lead):
//   Epochs:       every leadership has a fencing epoch (lanlord/epoch.hpp),
//                 above every epoch this peer has heard in the channel. A
//                 follower does not follow a declaration whose epoch is
//                 below the highest it has followed (a leader from before a
//                 change); a leader that hears another leader's declaration
//                 starts a new term above both, once per epoch heard.
//   Handoff:      with instant_handoff, a leader that yields or stops names
//                 its successor (the lowest alive id but its own); the
//                 successor declares at once and the others wait for it
//                 instead of electing.
//                 A leader also declares at once when it hears a proposal,
//                 so a newcomer that missed its declarations does not lead
//                 beside it.
//   Step down:    step_down() gives up leadership at once (a pause).
//   Fast startup: with fast_startup, startup first waits only
//                 startup_discovery() (members answer a newcomer's first
//                 heartbeat at once, so its view is complete by then); if no
//                 leader was heard and this peer is the lowest id in its
//                 view, it declares at once, without an election (the one
//                 an election would pick). Otherwise Fabric's startup goes
//                 on. A leader also declares at once (at most once per
//                 quarter election) when a member joins (peer_up()), so a
//                 newcomer learns the leader within a round trip.
#pragma once

#include "lanlord/export.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "lanlord/peer_id.hpp"
#include "lanlord/status.hpp"
#include "lanlord/time.hpp"

namespace lanlord {

// Fabric's timing constants (DefStartupGracePeriod & co.).
struct LANLORD_EXPORT ElectionConfig {
  Duration startup_grace_period = std::chrono::seconds(15);
  Duration membership_sample_interval = std::chrono::seconds(1);
  Duration leader_alive_threshold = std::chrono::seconds(10);
  Duration leader_election_duration = std::chrono::seconds(5);
  // Addition (not Fabric's, off by default): hand leadership to a named
  // successor on yield() and hand_off().
  bool instant_handoff = false;
  // Addition (off by default): the first declaration of a leadership or
  // of a new term (after an election, a takeover, a new term) is sent
  // twice more, leader_election_duration / 4 apart, so that a lost
  // datagram does not leave a follower electing beside it, or following an
  // older term, until the next declaration interval.
  bool repeat_declaration = false;
  // Addition (off by default): a follower whose window passed without a
  // declaration, while the leader is still in the alive view (its
  // heartbeats arrive: only its declarations were lost), keeps following it
  // and asks it to declare (a proposal, which a leader answers at once)
  // up to kConfirmAsks times, leader_election_duration / 2 apart, before
  // it elects. Lost declarations then no longer make a second leader.
  // Also, a follower that knows no leader (it lost an election to a lower
  // proposer whose declaration it missed) proposes again after one
  // election instead of one leader_alive_threshold.
  bool confirm_leader = false;
  static constexpr int kConfirmAsks = 4;
  // Addition (not Fabric's, off by default): see "Fast startup" above.
  bool fast_startup = false;

  // With fast_startup, how long startup waits before a peer that is the
  // lowest id in its view declares: half an election.
  Duration startup_discovery() const { return leader_election_duration / 2; }
  // Leaders declare every leader_alive_threshold / 2, as in Fabric.
  Duration declaration_interval() const { return leader_alive_threshold / 2; }

  // Every duration must be positive. The message names the first bad field.
  Status validate() const;
};

// A leadership message from a peer: a proposal, a declaration, or a
// handoff (a leader resigning in favour of `successor`).
struct LANLORD_EXPORT ElectionMessage {
  PeerId sender;
  bool declaration = false;
  // A declaration's leadership epoch; a proposal's highest epoch heard; a
  // handoff's ending epoch. 0: none.
  std::uint64_t epoch = 0;
  PeerId successor{};  // set only in a handoff

  bool is_handoff() const { return !successor.empty(); }
  bool is_proposal() const { return !declaration && !is_handoff(); }
  bool is_declaration() const { return declaration; }
};

// What the service needs from the network and the membership layer
// (Fabric's LeaderElectionAdapter). All methods are called on the
// scheduler's thread.
class LANLORD_EXPORT ElectionAdapter {
 public:
  using MessageHandler = std::function<void(const ElectionMessage&)>;

  virtual ~ElectionAdapter() = default;

  // Sends `msg` to the other peers of the channel (best effort).
  virtual void gossip(const ElectionMessage& msg) = 0;

  // Registers the function that receives messages from remote peers
  // (Fabric's Accept()). The service registers on start() and registers an
  // empty handler on stop(); the adapter must not call a handler after it
  // has been replaced.
  virtual void accept(MessageHandler handler) = 0;

  // A proposal or declaration from this peer.
  virtual ElectionMessage create_message(bool is_declaration) = 0;

  // The peers currently considered alive (this peer may be included).
  virtual std::vector<PeerId> peers() = 0;

  // Whether `id` is in the alive view. The default scans peers(); adapters
  // with an index override it.
  virtual bool is_alive(const PeerId& id);

  // Reports this peer's leadership status to metrics.
  virtual void report_metrics(bool is_leader) = 0;
};

// Observers of the service. Both run on the scheduler's thread, after the
// state has changed; they may call is_leader(), leader() and yield(), but
// not destroy the service.
struct LANLORD_EXPORT ElectionCallbacks {
  // Fabric's leadership callback: this peer became (true) or stopped being
  // (false) the leader.
  std::function<void(bool is_leader)> on_leadership;
  // Addition: the leader this peer knows of, or its epoch (epoch()),
  // changed (empty: none known).
  std::function<void(const std::optional<PeerId>& leader)> on_leader_changed;
};

// Fabric's LeaderElectionService.
//
// Threading: none. Everything, the getters included, on the scheduler's
// thread (NodeCore's callers keep whatever they promise other threads at
// their own boundary).
class LANLORD_EXPORT LeaderElectionService {
 public:
  enum class Phase { kCreated, kStartup, kElecting, kLeading, kFollowing, kStopped };

  // Throws std::invalid_argument when `id` is empty or `config` is invalid.
  // `adapter` and `scheduler` must outlive the service.
  LeaderElectionService(ElectionAdapter& adapter, Scheduler& scheduler, PeerId id,
                        ElectionConfig config, ElectionCallbacks callbacks = {});
  LeaderElectionService(const LeaderElectionService&) = delete;
  LeaderElectionService& operator=(const LeaderElectionService&) = delete;
  ~LeaderElectionService();

  // Subscribes to messages and begins the startup phase. Call once.
  void start();

  // Stops the service: cancels its timers and unsubscribes; nothing is
  // gossiped after it returns. Idempotent. Like Fabric, it does not change
  // is_leader() or call the callbacks.
  void stop();

  // Relinquishes leadership: this peer stops being the leader and takes no
  // part in elections until it hears a leader or 6 x leader_alive_threshold
  // passes. A no-op unless this peer is the leader and not already yielding.
  void yield();

  // Fast path beyond Fabric: the membership layer reports that `id` is dead
  // or left. If it is the leader this peer follows, the leader is forgotten
  // and an election starts now instead of after leader_alive_threshold.
  // A no-op otherwise (and before startup has finished).
  void peer_down(const PeerId& id);

  // Addition: the membership layer reports that `id` joined. With
  // fast_startup, a leader declares at once (at most once per quarter
  // election, the rest coalesced into one declaration at the end of it),
  // so the newcomer follows it instead of electing; and a declaration of
  // `id` that arrived before `id` was in the view (it overtook the first
  // heartbeat, or that was lost) is taken now. A no-op otherwise.
  void peer_up(const PeerId& id);

  // Addition: with instant_handoff, if this peer leads, gossips a handoff
  // naming the lowest alive id other than its own (nothing when there is
  // none). It does not change is_leader(): call it just before stop().
  void hand_off();

  // Addition: gives up leadership at once (this peer was frozen and its
  // peers have moved on), without yielding: it follows whoever declares
  // next, and takes part in elections as usual. A no-op unless leading.
  void step_down();

  // Addition: this peer was frozen, so its view of who is alive is stale
  // until `stale_for` of fresh traffic has been heard (the backlog it reads
  // on waking can say the leader left before it says who is back). Until
  // then peer_down() elects as usual instead of taking over at once.
  void distrust_view(Duration stale_for);

  bool is_leader() const { return is_leader_; }
  // The leader this peer knows of: itself when leading, else the sender of
  // the latest declaration; empty when none is known.
  const std::optional<PeerId>& leader() const { return leader_; }
  // The known leader's epoch; 0 when none is known.
  std::uint64_t epoch() const { return leader_ ? epoch_ : 0; }
  // The highest epoch heard or held in the channel.
  std::uint64_t highest_epoch() const { return highest_; }
  // Declarations not followed because their epoch was below one followed.
  std::uint64_t stale_declarations() const { return stale_; }
  // Handoffs of the followed leader acted on.
  std::uint64_t handoffs_received() const { return handoffs_received_; }
  // Elections this peer took part in or started: each round in which it
  // proposed itself and waited leader_election_duration (Fabric's election;
  // every peer that finds no leader runs one, so one failover counts once on
  // each candidate; a yielding peer takes no part), plus each time it took
  // the leadership without a round (fast startup as the lowest id, a
  // handoff naming it, instant handoff on the leader's death). Proposals
  // that only ask a live leader to confirm itself are not elections.
  std::uint64_t elections() const { return elections_; }

  const PeerId& id() const { return id_; }
  const ElectionConfig& config() const { return config_; }
  Phase phase() const { return phase_; }
  bool is_yielding() const { return yielding_; }

 private:
  void on_message(const ElectionMessage& msg);
  void on_declaration(const ElectionMessage& msg);
  void on_handoff(const ElectionMessage& msg);
  void start_new_term();
  bool absorb(std::uint64_t epoch);
  bool resigned(const ElectionMessage& msg) const;
  void take_over();
  std::optional<PeerId> successor() const;
  std::optional<PeerId> successor_excluding(const PeerId& gone) const;
  ElectionMessage message(bool is_declaration);
  void sample_membership();
  void end_discovery();
  void announce();
  void steady_state();
  void begin_election();
  void finish_election();
  void after_election();
  void lead();
  void follow();
  void redeclare();
  bool confirm_leader();
  void sleep_interruptibly(Duration d, void (LeaderElectionService::*next)());
  void interrupt();
  void wake();  // ends an interruptible wait: runs the step it was waiting for
  void become_leader();
  void stop_being_leader();
  void stop_yielding();
  void set_leader(std::optional<PeerId> leader, std::uint64_t epoch = 0);

  ElectionAdapter& adapter_;
  Scheduler& scheduler_;
  const PeerId id_;
  const ElectionConfig config_;
  ElectionCallbacks callbacks_;

  Phase phase_ = Phase::kCreated;
  std::set<PeerId> proposals_;
  bool leader_exists_ = false;
  bool yielding_ = false;
  bool sleeping_ = false;      // in an interruptible wait (Fabric's waitForInterrupt)
  bool leader_heard_ = false;  // the known leader declared in this follower window
  int asks_ = 0;               // confirm_leader's proposals since the window ended
  void (LeaderElectionService::*wake_)() = nullptr;
  std::size_t startup_view_size_ = 0;
  TimePoint startup_deadline_{};

  Timer step_timer_;
  Timer yield_timer_;
  Timer repeat_timer_;          // repeat_declaration's extra declarations
  std::uint64_t repeated_ = 0;  // the epoch they are for
  int repeats_left_ = 0;
  Timer announce_timer_;  // a coalesced declaration for newcomers (fast_startup)

  bool is_leader_ = false;
  std::optional<PeerId> leader_;
  std::uint64_t epoch_ = 0;    // the leader's epoch (meaningful while leader_ is set)
  std::uint64_t highest_ = 0;  // the highest epoch heard or held
  std::uint64_t floor_ = 0;    // the highest epoch followed or held: below it is stale
  // Other leaderships a new term of this one answered (each once; cleared
  // when this peer becomes leader anew, so bounded by the overlaps of one
  // leadership).
  std::set<std::uint64_t> absorbed_;
  // The leader (and epoch) peer_down() last forgot: its handoff may arrive
  // after its leave.
  std::optional<std::pair<PeerId, std::uint64_t>> left_;
  TimePoint declared_at_{};      // this leader's latest declaration
  TimePoint view_trusted_at_{};  // distrust_view(): no instant take-over before
  // fast_startup: the latest declaration from a sender not (yet) in the view.
  std::optional<ElectionMessage> unheard_;
  std::uint64_t stale_ = 0;
  std::uint64_t handoffs_received_ = 0;
  std::uint64_t elections_ = 0;
};

}  // namespace lanlord
