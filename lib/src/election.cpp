#include "lanlord/election.hpp"

#include "lanlord/epoch.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace lanlord {

namespace {

Status require_positive(Duration d, const char* name) {
  if (d <= Duration::zero()) {
    return Status::error(std::string("election config: ") + name + " must be positive");
  }
  return Status::ok();
}

}  // namespace

Status ElectionConfig::validate() const {
  for (const auto& [d, name] : {std::pair{startup_grace_period, "startup_grace_period"},
                                std::pair{membership_sample_interval, "membership_sample_interval"},
                                std::pair{leader_alive_threshold, "leader_alive_threshold"},
                                std::pair{leader_election_duration, "leader_election_duration"}}) {
    if (Status s = require_positive(d, name); !s) return s;
  }
  if (declaration_interval() <= Duration::zero()) {
    return Status::error("election config: leader_alive_threshold is too small to halve");
  }
  return Status::ok();
}

bool ElectionAdapter::is_alive(const PeerId& id) {
  const std::vector<PeerId> view = peers();
  return std::find(view.begin(), view.end(), id) != view.end();
}

LeaderElectionService::LeaderElectionService(ElectionAdapter& adapter, Scheduler& scheduler,
                                             PeerId id, ElectionConfig config,
                                             ElectionCallbacks callbacks)
    : adapter_(adapter),
      scheduler_(scheduler),
      id_(std::move(id)),
      config_(config),
      callbacks_(std::move(callbacks)),
      step_timer_(scheduler),
      yield_timer_(scheduler),
      repeat_timer_(scheduler),
      announce_timer_(scheduler) {
  if (id_.empty()) throw std::invalid_argument("LeaderElectionService: empty peer id");
  if (Status s = config_.validate(); !s) throw std::invalid_argument(s.message());
}

LeaderElectionService::~LeaderElectionService() {
  stop();
}

void LeaderElectionService::start() {
  if (phase_ != Phase::kCreated) throw std::logic_error("LeaderElectionService: start() twice");
  phase_ = Phase::kStartup;
  adapter_.accept([this](const ElectionMessage& msg) { on_message(msg); });
  // Fabric's waitForMembershipStabilization: sample the view size every
  // membership_sample_interval until two samples agree, a declaration
  // arrives, or the grace period is over.
  startup_view_size_ = adapter_.peers().size();
  startup_deadline_ = scheduler_.now() + config_.startup_grace_period;
  if (config_.fast_startup) {
    step_timer_.arm(config_.startup_discovery(), [this] { end_discovery(); });
    return;
  }
  step_timer_.arm(config_.membership_sample_interval, [this] { sample_membership(); });
}

void LeaderElectionService::end_discovery() {
  // Fast path (not Fabric's): no leader heard, and the lowest id in the
  // view is this peer, the one an election would pick: it leads now. The
  // others hear its declaration and follow. Otherwise Fabric's startup.
  const std::optional<PeerId> lowest = successor();
  if (!leader_exists_ && !yielding_ && (!lowest || id_ < *lowest)) {
    take_over();
    return;
  }
  if (leader_exists_) {
    steady_state();
    return;
  }
  startup_view_size_ = adapter_.peers().size();
  step_timer_.arm(config_.membership_sample_interval, [this] { sample_membership(); });
}

void LeaderElectionService::stop() {
  if (phase_ == Phase::kStopped) return;
  const bool subscribed = phase_ != Phase::kCreated;
  phase_ = Phase::kStopped;
  sleeping_ = false;
  step_timer_.cancel();
  yield_timer_.cancel();
  repeat_timer_.cancel();
  announce_timer_.cancel();
  if (subscribed) adapter_.accept({});
}

void LeaderElectionService::sample_membership() {
  const std::size_t size = adapter_.peers().size();
  if (size == startup_view_size_ || scheduler_.now() > startup_deadline_ || leader_exists_) {
    steady_state();
    return;
  }
  startup_view_size_ = size;
  step_timer_.arm(config_.membership_sample_interval, [this] { sample_membership(); });
}

ElectionMessage LeaderElectionService::message(bool is_declaration) {
  ElectionMessage m = adapter_.create_message(is_declaration);
  m.epoch = is_declaration ? epoch_ : highest_;
  return m;
}

void LeaderElectionService::on_message(const ElectionMessage& msg) {
  if (phase_ == Phase::kStopped || phase_ == Phase::kCreated) return;
  if (msg.sender == id_) return;
  // Not in the view: ignored, except the handoff of the leader whose leave
  // overtook it (it names the successor; the leave removed its sender).
  if (!adapter_.is_alive(msg.sender) && !(msg.is_handoff() && resigned(msg))) {
    // With fast startup, a declaration that overtook its sender's first
    // heartbeat (or whose heartbeat was lost) is kept, the latest one only,
    // and taken when the sender joins the view (peer_up()).
    if (config_.fast_startup && msg.is_declaration() && phase_ == Phase::kStartup) unheard_ = msg;
    return;
  }

  highest_ = std::max(highest_, msg.epoch);
  if (msg.is_handoff()) {
    on_handoff(msg);
  } else if (msg.is_proposal()) {
    proposals_.insert(msg.sender);
    // Peers electing while this one leads: if they know a newer epoch
    // (they ignore this leader's declarations as stale), a new term above
    // it, declared at once, brings them back.
    if (is_leader() && msg.epoch > epoch_) {
      start_new_term();
    } else if (is_leader() && config_.instant_handoff &&
               scheduler_.now() - declared_at_ >= config_.leader_election_duration / 4) {
      // Fast path (not Fabric's): a peer that has not heard this leader
      // yet (a newcomer whose startup ended between two declarations) is
      // electing; declare now, so its election ends without a second
      // leader. At most once per quarter election.
      interrupt();
    }
  } else {
    on_declaration(msg);
  }
}

void LeaderElectionService::on_declaration(const ElectionMessage& msg) {
  // Below an epoch already followed or held: a leader from before a change
  // (it starts a new term when it hears the newer one, or the proposals of
  // the peers that ignore it) or a forgery. A follower ignores it.
  const bool stale = msg.epoch < floor_;
  if (stale && !is_leader()) {
    ++stale_;
    // A leader exists that does not know the newer epoch: a yielding peer
    // takes part in elections again, so its next one (a proposal carrying
    // the newer epoch) makes that leader start a term above it.
    if (yielding_) stop_yielding();
    return;
  }
  leader_exists_ = true;
  interrupt();
  if (msg.sender < id_ && is_leader()) {
    // Resign to it: it learns that this leadership existed (a partition
    // healed) and starts a new term above both; with instant handoff this
    // peer's followers wait for that instead of electing.
    ElectionMessage m = message(false);
    m.epoch = epoch_;
    m.successor = msg.sender;
    adapter_.gossip(m);
    stop_being_leader();
    if (stale) {
      ++stale_;
      set_leader(std::nullopt);
    } else {
      floor_ = msg.epoch;
      set_leader(msg.sender, msg.epoch);
    }
  } else if (is_leader()) {
    // Two leaders: this one stays (the other has the higher id) and starts
    // a new term above both, so that what either did before is fenced.
    // Answered once per epoch heard; the interrupt declares it at once.
    if (absorb(msg.epoch)) start_new_term();
  } else {
    // A follower keeps the leader it heard in this window when a higher id
    // (one about to step down) also declares; otherwise the latest wins.
    // A newer epoch of anyone is a newer leadership and wins.
    const bool newer = leader_ && msg.epoch > epoch_ && *leader_ != msg.sender;
    if (!leader_ || msg.sender <= *leader_ || !leader_heard_ || newer) {
      floor_ = msg.epoch;
      set_leader(msg.sender, msg.epoch);
    }
    if (leader_ && *leader_ == msg.sender) leader_heard_ = true;
  }
}

void LeaderElectionService::on_handoff(const ElectionMessage& msg) {
  // Another leader resigned in this leader's favour: two leaderships
  // overlapped. A new term above both, once per epoch heard (every
  // profile: this changes the epoch, not who leads).
  if (is_leader() && msg.successor == id_) {
    if (absorb(msg.epoch)) start_new_term();
    return;
  }
  if (!config_.instant_handoff) return;
  // Only the followed leader can hand over its own, current leadership
  // (or the one just lost to its leave, when the leave came first).
  const bool current = leader_ && *leader_ == msg.sender && msg.epoch == epoch_;
  if (is_leader() || (!current && !resigned(msg))) return;
  left_.reset();
  ++handoffs_received_;
  if (msg.successor == id_) {
    take_over();
    return;
  }
  // The leadership ended: show none until the successor declares, and give
  // it one election's time before electing without it.
  set_leader(std::nullopt);
  leader_exists_ = false;
  leader_heard_ = false;
  if (phase_ == Phase::kFollowing) {
    const bool known = adapter_.is_alive(msg.successor);
    step_timer_.arm(known ? config_.leader_election_duration : Duration::zero(),
                    [this] { steady_state(); });
  }
}

void LeaderElectionService::take_over() {
  // Lead now, with the next epoch, and declare at once (no election).
  if (yielding_) stop_yielding();
  ++elections_;
  proposals_.clear();
  become_leader();
  if (phase_ == Phase::kStopped) return;
  leader_exists_ = true;
  lead();
}

bool LeaderElectionService::resigned(const ElectionMessage& msg) const {
  return !leader_ && left_ && left_->first == msg.sender && left_->second == msg.epoch;
}

bool LeaderElectionService::absorb(std::uint64_t epoch) {
  if (!absorbed_.insert(epoch).second) return false;
  // Bounded: forged declarations (without a key) may carry any number of
  // epochs; forgetting the lowest costs at most an extra term.
  if (absorbed_.size() > 64) absorbed_.erase(absorbed_.begin());
  return true;
}

void LeaderElectionService::start_new_term() {
  epoch_ = next_epoch(std::max(highest_, epoch_), id_, scheduler_.wall_now());
  highest_ = floor_ = epoch_;
  if (callbacks_.on_leader_changed) callbacks_.on_leader_changed(leader_);
  interrupt();  // declares it at once
}

std::optional<PeerId> LeaderElectionService::successor() const {
  return successor_excluding(id_);
}

std::optional<PeerId> LeaderElectionService::successor_excluding(const PeerId& gone) const {
  std::optional<PeerId> best;
  for (const PeerId& p : adapter_.peers()) {
    if (p != id_ && p != gone && (!best || p < *best)) best = p;
  }
  return best;
}

void LeaderElectionService::hand_off() {
  if (!config_.instant_handoff || phase_ == Phase::kStopped || !is_leader()) return;
  if (const std::optional<PeerId> next = successor()) {
    ElectionMessage m = message(false);
    m.epoch = epoch_;
    m.successor = *next;
    adapter_.gossip(m);
  }
}

void LeaderElectionService::step_down() {
  if (phase_ == Phase::kStopped || phase_ == Phase::kCreated || !is_leader()) return;
  sleeping_ = false;
  stop_being_leader();
  set_leader(std::nullopt);
  follow();
}

void LeaderElectionService::distrust_view(Duration stale_for) {
  view_trusted_at_ = std::max(view_trusted_at_, scheduler_.now() + stale_for);
}

void LeaderElectionService::steady_state() {
  if (phase_ == Phase::kStopped) return;
  if (!leader_exists_ && confirm_leader()) return;
  if (!leader_exists_) {
    if (!is_leader()) set_leader(std::nullopt);  // no declaration for a whole window
    begin_election();
    return;
  }
  after_election();
}

void LeaderElectionService::begin_election() {
  if (yielding_) {  // a yielding peer takes no part in elections
    after_election();
    return;
  }
  phase_ = Phase::kElecting;
  ++elections_;
  adapter_.gossip(message(false));
  sleep_interruptibly(config_.leader_election_duration, &LeaderElectionService::finish_election);
}

void LeaderElectionService::finish_election() {
  const bool lower_proposed =
      !proposals_.empty() && *proposals_.begin() < id_;  // the set is ordered
  if (!leader_exists_ && !yielding_ && !lower_proposed) {
    become_leader();
    if (phase_ == Phase::kStopped) return;
    leader_exists_ = true;
  }
  after_election();
}

void LeaderElectionService::after_election() {
  if (leader_exists_ && yielding_) stop_yielding();
  if (phase_ == Phase::kStopped) return;
  if (is_leader()) {
    lead();
  } else {
    follow();
  }
}

void LeaderElectionService::lead() {
  phase_ = Phase::kLeading;
  declared_at_ = scheduler_.now();
  adapter_.gossip(message(true));
  if (config_.repeat_declaration && epoch_ != repeated_) {
    // The first declaration of this leadership or term: twice more soon.
    repeated_ = epoch_;
    repeats_left_ = 2;
    repeat_timer_.arm(config_.leader_election_duration / 4, [this] { redeclare(); });
  }
  adapter_.report_metrics(true);
  sleep_interruptibly(config_.declaration_interval(), &LeaderElectionService::steady_state);
}

void LeaderElectionService::redeclare() {
  if (!is_leader() || epoch_ != repeated_ || phase_ != Phase::kLeading) return;
  adapter_.gossip(message(true));
  if (--repeats_left_ > 0) {
    repeat_timer_.arm(config_.leader_election_duration / 4, [this] { redeclare(); });
  }
}

bool LeaderElectionService::confirm_leader() {
  const bool ask = config_.confirm_leader && phase_ == Phase::kFollowing && !yielding_ && leader_ &&
                   !is_leader() && adapter_.is_alive(*leader_) &&
                   asks_ < ElectionConfig::kConfirmAsks;
  if (!ask) {
    asks_ = 0;
    return false;
  }
  // Still following (leader() unchanged): a declaration in answer ends
  // the asking at the next step, as after a window with a declaration.
  ++asks_;
  adapter_.gossip(message(false));
  step_timer_.arm(config_.leader_election_duration / 2, [this] { steady_state(); });
  return true;
}

void LeaderElectionService::follow() {
  asks_ = 0;
  phase_ = Phase::kFollowing;
  proposals_.clear();
  leader_exists_ = false;
  leader_heard_ = false;
  adapter_.report_metrics(false);
  // Unlike the leader's wait, a follower's is not cut short by declarations.
  // With confirm_leader, a follower that knows no leader (it lost an
  // election to a lower proposer whose declarations it has not heard, or
  // stepped down) proposes again after one election, not one window: the
  // leader answers a proposal with a declaration at once.
  const bool unknown = config_.confirm_leader && !leader_;
  step_timer_.arm(unknown ? config_.leader_election_duration : config_.leader_alive_threshold,
                  [this] { steady_state(); });
}

void LeaderElectionService::sleep_interruptibly(Duration d, void (LeaderElectionService::*next)()) {
  sleeping_ = true;
  wake_ = next;
  step_timer_.arm(d, [this] { wake(); });
}

void LeaderElectionService::wake() {
  sleeping_ = false;
  (this->*wake_)();
}

void LeaderElectionService::interrupt() {
  if (!sleeping_) return;
  // Like Fabric's interrupt channel: wake the waiting step once, after the
  // message handler has returned.
  step_timer_.arm(Duration::zero(), [this] { wake(); });
}

void LeaderElectionService::yield() {
  if (phase_ == Phase::kStopped || !is_leader() || yielding_) return;
  yielding_ = true;
  leader_exists_ = false;  // we were the leader we knew of
  // Stop yielding in any case after a while, even if no leader shows up.
  yield_timer_.arm(6 * config_.leader_alive_threshold, [this] { yielding_ = false; });
  hand_off();
  stop_being_leader();
  set_leader(std::nullopt);
}

void LeaderElectionService::peer_down(const PeerId& id) {
  if (phase_ == Phase::kStopped || phase_ == Phase::kCreated) return;
  if (is_leader() || !leader_ || *leader_ != id) return;
  left_ = std::pair{*leader_, epoch_};
  set_leader(std::nullopt);
  leader_exists_ = false;
  if (phase_ != Phase::kFollowing) return;
  // Fast path with instant handoff (not Fabric's): the lowest alive id is
  // the one an election would pick, so it declares at once; the others
  // elect as usual, and its declaration ends their elections.
  const std::optional<PeerId> lowest = successor_excluding(id);
  if (config_.instant_handoff && !yielding_ && (!lowest || id_ < *lowest) &&
      scheduler_.now() >= view_trusted_at_) {
    take_over();
    return;
  }
  step_timer_.arm(Duration::zero(), [this] { steady_state(); });
}

void LeaderElectionService::peer_up(const PeerId& id) {
  if (!config_.fast_startup || id == id_ || phase_ == Phase::kStopped ||
      phase_ == Phase::kCreated) {
    return;
  }
  if (phase_ != Phase::kStartup) unheard_.reset();  // only a starting node's view lags
  if (unheard_ && unheard_->sender == id) {
    const ElectionMessage msg = std::move(*unheard_);
    unheard_.reset();
    on_message(msg);
  }
  if (phase_ == Phase::kLeading && is_leader()) announce();
}

void LeaderElectionService::announce() {
  // At most once per quarter election; later joins in that window get one
  // declaration at its end.
  const Duration gap = config_.leader_election_duration / 4;
  const Duration since = scheduler_.now() - declared_at_;
  if (since >= gap) {
    announce_timer_.cancel();
    interrupt();  // lead() declares at once
    return;
  }
  if (announce_timer_.armed()) return;
  announce_timer_.arm(gap - since, [this] {
    if (phase_ == Phase::kLeading && is_leader()) announce();
  });
}

void LeaderElectionService::stop_yielding() {
  yielding_ = false;
  yield_timer_.cancel();
}

void LeaderElectionService::become_leader() {
  is_leader_ = true;
  const std::uint64_t e = next_epoch(std::max(highest_, floor_), id_, scheduler_.wall_now());
  highest_ = floor_ = e;
  absorbed_.clear();
  set_leader(id_, e);
  if (callbacks_.on_leadership) callbacks_.on_leadership(true);
}

void LeaderElectionService::stop_being_leader() {
  is_leader_ = false;
  if (callbacks_.on_leadership) callbacks_.on_leadership(false);
}

void LeaderElectionService::set_leader(std::optional<PeerId> leader, std::uint64_t epoch) {
  if (!leader) epoch = 0;
  if (leader_ == leader && (!leader_ || epoch_ == epoch)) return;
  leader_ = std::move(leader);
  epoch_ = epoch;
  if (callbacks_.on_leader_changed) callbacks_.on_leader_changed(leader_);
}

}  // namespace lanlord
