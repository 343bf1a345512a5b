#include "lanlord/node_core.hpp"

#include "lanlord/epoch.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <stdexcept>
#include <unordered_set>
#include <utility>

namespace lanlord {

namespace {

Status too_long(const std::string& what, std::size_t size, std::size_t limit) {
  return Status::error(what + " is " + std::to_string(size) + " bytes; at most " +
                       std::to_string(limit) + " are allowed");
}

void normalize(std::vector<std::string>& names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
}

Status check_channel_name(const std::string& ch) {
  if (ch.empty()) return Status::error("a channel name is empty");
  if (ch.size() > kMaxChannelSize) {
    return too_long("channel name '" + ch + "'", ch.size(), kMaxChannelSize);
  }
  return Status::ok();
}

std::int64_t ns_of(Duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

Duration abs_of(Duration d) {
  return d < Duration::zero() ? -d : d;
}

// An id for a message: as text when it is printable ASCII, else in hex.
std::string name_of(const PeerId& id) {
  const std::string& b = id.bytes();
  const bool text = std::all_of(b.begin(), b.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  return text ? "'" + b + "'" : id.hex();
}

std::string show(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

}  // namespace

const char* warning_kind_name(WarningKind kind) {
  switch (kind) {
    case WarningKind::kUnauthenticated:
      return "unauthenticated";
    case WarningKind::kTaggedWithoutKey:
      return "tagged_without_key";
    case WarningKind::kAlone:
      return "alone";
    case WarningKind::kTimingsDiffer:
      return "timings_differ";
    case WarningKind::kClockOffset:
      return "clock_offset";
    case WarningKind::kPaused:
      return "paused";
    case WarningKind::kSeedUnresolved:
      return "seed_unresolved";
    case WarningKind::kEtcdUnreachable:
      return "etcd_unreachable";
  }
  return "unknown";
}

std::uint64_t NodeStats::dropped_total() const {
  return std::accumulate(drops.begin(), drops.end(), std::uint64_t{0});
}

Status NodeCoreConfig::validate() const {
  if (id.empty()) {
    return Status::error("id is empty: give every node a unique id (default: <host>-<pid>)");
  }
  if (id.bytes().size() > kMaxIdSize) return too_long("id", id.bytes().size(), kMaxIdSize);
  if (cluster.empty()) return Status::error("cluster name is empty");
  if (cluster.size() > kMaxClusterSize) {
    return too_long("cluster name", cluster.size(), kMaxClusterSize);
  }
  if (!passive) {
    if (channels.empty()) return Status::error("no channels: a node needs at least one");
    if (channels.size() > kMaxChannels) {
      return Status::error(std::to_string(channels.size()) + " channels; at most " +
                           std::to_string(kMaxChannels) + " are allowed");
    }
    for (const std::string& ch : channels) {
      if (Status s = check_channel_name(ch); !s) return s;
    }
  }
  if (metadata.size() > kMaxMetadataSize) {
    return too_long("metadata", metadata.size(), kMaxMetadataSize);
  }
  if (Status s = trust.validate(); !s) return s;
  if (unicast.enabled) {
    if (unicast.address.empty()) {
      return Status::error("unicast mode needs this node's own address (UnicastConfig::address)");
    }
    if (unicast.address.size() > kMaxAddressSize) {
      return too_long("unicast address", unicast.address.size(), kMaxAddressSize);
    }
    if (unicast.max_targets == 0) return Status::error("unicast max_targets must be at least 1");
    for (const std::string& seed : unicast.seeds) {
      if (seed.empty()) return Status::error("a unicast seed address is empty");
    }
  }
  return profile.validate();
}

// One channel's election, and the ElectionAdapter that connects it to the
// node: gossip is a queued message, the view is the channel's membership.
class NodeCore::Channel final : public ElectionAdapter {
 public:
  Channel(NodeCore& core, std::string name) : core_(core) {
    stats.channel = std::move(name);
    ElectionCallbacks cb;
    cb.on_leader_changed = [this](const std::optional<PeerId>& leader) {
      ++stats.leader_changes;
      failover_step(leader);
      core_.rate_dirty_ = true;
      core_.emit(LeaderChanged{stats.channel, leader, leader && *leader == core_.id(),
                               service->epoch(), core_.metadata_of(leader)});
    };
    cb.on_leadership = [this](bool is_leader) {
      core_.rate_dirty_ = true;
      core_.emit(LeadershipChanged{stats.channel, is_leader, service->epoch()});
    };
    service = std::make_unique<LeaderElectionService>(
        *this, *core_.pause_watch_, core_.id(), core_.config_.profile.election, std::move(cb));
  }

  void gossip(const ElectionMessage& msg) override {
    ++(msg.is_handoff()  ? stats.handoffs_sent
       : msg.declaration ? stats.declarations_sent
                         : stats.proposals_sent);
    core_.send(Leadership{stats.channel, msg.declaration, msg.epoch, msg.successor});
  }
  void accept(MessageHandler handler) override { handler_ = std::move(handler); }
  ElectionMessage create_message(bool is_declaration) override {
    return {core_.id(), is_declaration, 0, {}};
  }
  std::vector<PeerId> peers() override { return core_.membership_->alive_peers(stats.channel); }
  bool is_alive(const PeerId& id) override {
    return core_.membership_->is_alive(id, stats.channel);
  }
  void report_metrics(bool is_leader) override { stats.is_leader = is_leader; }

  // A leadership message of this channel, admitted.
  void deliver(const PeerId& from, const Leadership& msg) {
    if (!msg.is_handoff()) {
      ++(msg.declaration ? stats.declarations_received : stats.proposals_received);
    }
    if (!handler_) return;
    // A copy: the handler may replace itself (the service stops inside it).
    const MessageHandler handler = handler_;
    handler(ElectionMessage{from, msg.declaration, msg.epoch, msg.successor});
  }

  void failover_step(const std::optional<PeerId>& leader) {
    core_.failover_step(stats.failovers, known_, lost_, leader);
  }

  ChannelStats stats;
  // Rate classes: an alive member of the channel with a lower id than this
  // node's, not the leader, when one was found: this node is not the
  // likely successor while it stays so (checked before the table is
  // scanned again).
  std::optional<PeerId> blocker;

 private:
  NodeCore& core_;
  MessageHandler handler_;         // declared before `service`, which unregisters on destruction
  std::optional<PeerId> known_;    // the leader known, for the failover histogram
  std::optional<TimePoint> lost_;  // when the known leader was lost, until one is known again

 public:
  std::unique_ptr<LeaderElectionService> service;
};

// The scheduler the node's components see: it forwards to the caller's,
// and before each timer callback checks whether the node was frozen
// (check_pause), so a paused leader steps down before anything else it
// does. A callback whose timer check_pause() cancelled does not run. After
// each callback, the node settles what the callback changed (its rate).
class NodeCore::PauseWatch final : public Scheduler {
 public:
  PauseWatch(NodeCore& core, Scheduler& inner) : core_(core), inner_(inner) {}

  TimePoint now() const override { return inner_.now(); }
  WallTime wall_now() const override { return inner_.wall_now(); }
  TimePoint pause_clock_now() const override { return inner_.pause_clock_now(); }
  TimerId call_after(Duration delay, std::function<void()> fn) override {
    auto self = std::make_shared<TimerId>(0);
    const TimerId id = inner_.call_after(delay, [this, self, fn = std::move(fn)] {
      checking_ = true;
      cancelled_ = false;
      watched_ = *self;
      core_.check_pause();
      checking_ = false;
      if (!cancelled_) fn();
      core_.settle();
    });
    *self = id;
    return id;
  }
  void cancel(TimerId id) override {
    if (checking_ && id == watched_) cancelled_ = true;
    inner_.cancel(id);
  }

 private:
  NodeCore& core_;
  Scheduler& inner_;
  bool checking_ = false;
  bool cancelled_ = false;
  TimerId watched_ = 0;
};

NodeCore::NodeCore(Scheduler& scheduler, NodeCoreConfig config)
    : scheduler_(scheduler),
      pause_watch_(std::make_unique<PauseWatch>(*this, scheduler)),
      config_(std::move(config)),
      housekeeping_(*pause_watch_),
      alone_check_(*pause_watch_),
      welcome_timer_(*pause_watch_),
      reconnect_timer_(*pause_watch_) {
  if (Status s = config_.validate(); !s) throw std::invalid_argument("NodeCore: " + s.message());
  if (config_.passive) config_.channels.clear();
  normalize(config_.channels);
  timings_ = timings_fingerprint(config_.profile);
}

NodeCore::~NodeCore() {
  // A crash: nothing more is queued or sent. Elections go before the
  // membership their adapters read.
  state_ = State::kStopped;
  housekeeping_.cancel();
  channels_.clear();
  membership_.reset();
}

void NodeCore::start() {
  if (state_ != State::kCreated) return;
  incarnation_ = config_.incarnation;
  if (incarnation_ == 0) incarnation_ = wall_ns();
  instance_ = incarnation_;
  state_ = State::kRunning;
  id_tokens_ = config_.trust.new_ids_per_second;
  id_tokens_at_ = scheduler_.now();

  MembershipCallbacks mcb;
  mcb.send_heartbeat = [this] { send_heartbeat(); };
  mcb.on_event = [this](MembershipEvent e, const Member& m) { on_member_event(e, m); };
  mcb.send_suspects = [this](const std::vector<PeerId>& peers) {
    if (config_.passive) return;  // a passive node never sends
    ++counters_.suspects_sent;
    send(Suspect{peers});
  };
  last_awake_ = scheduler_.pause_clock_now();
  membership_ =
      std::make_unique<Membership>(*pause_watch_, config_.id, incarnation_, config_.channels,
                                   config_.metadata, config_.profile.membership, std::move(mcb));
  for (const std::string& name : config_.channels) add_channel(name);
  membership_->start();  // queues the first heartbeat
  for (auto& [name, ch] : channels_) ch->service->start();
  rate_dirty_ = true;
  settle();
  housekeeping_.arm(config_.profile.election.declaration_interval(), [this] { housekeeping(); });
  if (!config_.authenticated) {
    warn(WarningKind::kUnauthenticated,
         "traffic is not authenticated: anyone who can send to the group can forge members, "
         "leaders and leaves; give every node the same key (lanlord keygen, --key-file)");
  }
  if (config_.unicast.enabled && !config_.passive) {
    alone_check_.arm(config_.profile.election.startup_grace_period, [this] {
      if (running() && !heard_peer_) {
        warn(WarningKind::kAlone,
             config_.unicast.seeds.empty()
                 ? "this node runs unicast with no seeds and no member has contacted it yet: "
                   "it waits for one; other nodes must name it (--peers " +
                       config_.unicast.address + ")"
                 : "this node runs unicast and no member has answered: check that a seed "
                   "(--peers) is reachable, runs unicast on that port, and has the same "
                   "cluster name and key");
      }
    });
  } else if (config_.loopback && !config_.passive) {
    alone_check_.arm(config_.profile.election.startup_grace_period, [this] {
      if (running() && !heard_peer_) {
        warn(WarningKind::kAlone,
             "this node is on a loopback interface and has heard no other member: other hosts "
             "cannot hear it; name the LAN interface (--interface eth0) to join them");
      }
    });
  }
}

void NodeCore::stop() {
  if (state_ != State::kRunning) return;
  // Leaders name their successors first (instant handoff), then go.
  for (auto& [name, ch] : channels_) ch->service->hand_off();
  for (auto& [name, ch] : channels_) ch->service->stop();
  membership_->stop();
  housekeeping_.cancel();
  alone_check_.cancel();
  welcome_timer_.cancel();
  reconnect_timer_.cancel();
  // The leave lets peers drop this node at once and, with fast failover,
  // elect a successor without waiting for its heartbeats to expire.
  send(Leave{});
  state_ = State::kStopped;
}

NodeCore::Channel& NodeCore::add_channel(const std::string& name) {
  auto [it, inserted] = channels_.try_emplace(name);
  if (inserted) it->second = std::make_unique<Channel>(*this, name);
  return *it->second;
}

Status NodeCore::join_channel(const std::string& channel) {
  if (config_.passive) return Status::error("a passive node takes part in no channel");
  if (!running()) return Status::error("the node is not running");
  if (channels_.count(channel) != 0) return Status::ok();
  if (Status s = check_channel_name(channel); !s) return s;
  if (channels_.size() >= kMaxChannels) {
    return Status::error("already in " + std::to_string(channels_.size()) + " channels; at most " +
                         std::to_string(kMaxChannels) + " are allowed");
  }
  add_channel(channel).service->start();
  membership_->set_channels(heartbeat_channels());
  rate_dirty_ = true;
  settle();
  return Status::ok();
}

void NodeCore::leave_channel(std::string_view channel) {
  const auto it = channels_.find(channel);
  if (it == channels_.end()) return;
  it->second->service->stop();
  channels_.erase(it);
  if (membership_) membership_->set_channels(heartbeat_channels());
  rate_dirty_ = true;
  settle();
}

std::vector<std::string> NodeCore::heartbeat_channels() const {
  std::vector<std::string> out;
  out.reserve(channels_.size());
  for (const auto& [name, ch] : channels_) out.push_back(name);
  return out;
}

bool NodeCore::step(const Message& m, std::string_view origin) {
  const bool admitted = take(m, origin);
  settle();
  return admitted;
}

bool NodeCore::take(const Message& m, std::string_view origin) {
  if (!running()) return false;
  check_pause();
  if (!running()) return false;
  ++counters_.messages_in;
  if (!admit(m, origin)) return false;
  if (const auto* hb = std::get_if<Heartbeat>(&m.body)) {
    Sender& s = senders_.find(m.sender)->second;
    if (s.left) {
      // Admission ordered this heartbeat after the leave recorded for its
      // life: the leave was forged, or refuted by its subject. Believe the
      // newer message.
      s.left = false;
      membership_->forget(m.sender, false);
    }
    if (hb->timings != 0 && hb->timings != timings_ && !s.timings_warned) {
      s.timings_warned = true;
      warn(WarningKind::kTimingsDiffer,
           "peer " + name_of(m.sender) +
               " runs different timings (another profile or timing flags): members will flap "
               "between joined and dead; give every node the same profile and timings",
           m.sender);
    }
    learn_addresses(m.sender, *hb, origin);
    same_process_ = m.instance != 0 && s.instance_before == m.instance;
    membership_->on_heartbeat(m.sender, m.time.incarnation, hb->channels, hb->metadata,
                              std::chrono::milliseconds(hb->interval));
    same_process_ = false;
  } else if (const auto* ld = std::get_if<Leadership>(&m.body)) {
    // Suspicion: a declaration or proposal is proof of life as well (the
    // leader's declarations keep it alive through lost heartbeats).
    membership_->on_activity(m.sender, m.time.incarnation);
    on_leadership(m.sender, *ld, origin);
  } else if (const auto* su = std::get_if<Suspect>(&m.body)) {
    membership_->on_activity(m.sender, m.time.incarnation);
    on_suspect(*su);
  } else {
    senders_.find(m.sender)->second.left = true;
    membership_->on_leave(m.sender, m.time.incarnation);
  }
  return true;
}

void NodeCore::check_pause() {
  if (!running() || config_.passive) return;
  const TimePoint now = scheduler_.pause_clock_now();
  const Duration gap = now - last_awake_;
  last_awake_ = now;
  // Timers fire at least every heartbeat interval (this node's own: the
  // idle one at the idle rate), so a longer silence means this process (or
  // its host) was frozen. Past the expiration its peers apply to it (by the
  // interval it announced; alive_expiration at the fast rate) they have
  // declared it dead and may have elected another leader: give up every
  // leadership before doing anything else. A leader is always fast.
  const Duration expiration = membership_->self_expiration();
  if (gap <= expiration) return;
  ++counters_.pauses;
  std::string led;
  for (auto& [name, ch] : channels_) {
    // Fresh once every live member has heartbeated since: within
    // alive_expiration, or an idle interval and a heartbeat (rate classes).
    const MembershipConfig& mc = config_.profile.membership;
    ch->service->distrust_view(
        std::max(mc.alive_expiration, mc.max_interval() + mc.heartbeat_interval));
    if (!ch->service->is_leader()) continue;
    led += (led.empty() ? "" : ", ") + name;
    ch->service->step_down();
  }
  emit(Warning{WarningKind::kPaused,
               "this node was frozen for " + show(gap) + ", longer than its peers' expiration (" +
                   show(expiration) + ")" +
                   (led.empty() ? "" : "; it gave up the leadership of " + led) +
                   ": a stopped process (SIGSTOP), a VM pause or an overloaded host",
               std::nullopt});
}

std::string NodeCore::metadata_of(const std::optional<PeerId>& id) const {
  if (!id) return {};
  if (*id == config_.id) return config_.metadata;
  if (!membership_) return {};
  const std::optional<Member> m = membership_->find(*id);
  return m ? m->metadata : std::string();
}

LeaderInfo NodeCore::leadership(std::string_view channel) const {
  LeaderInfo out;
  if (!running()) return out;
  if (const auto it = channels_.find(channel); it != channels_.end()) {
    out.leader = it->second->service->leader();
    out.epoch = it->second->service->epoch();
    out.is_self = it->second->service->is_leader();
  } else if (const auto w = watched_.find(channel); w != watched_.end()) {
    out.leader = w->second.stats.leader;
    out.epoch = w->second.stats.epoch;
  }
  out.metadata = metadata_of(out.leader);
  return out;
}

void NodeCore::drop(DropReason reason, std::string_view origin) {
  if (!running()) return;
  count_drop(reason, origin);
  if (reason == DropReason::kForeignKey && !config_.authenticated) {
    warn(WarningKind::kTaggedWithoutKey,
         "datagrams authenticated with a cluster key arrive from " + std::string(origin) +
             " and this node has no key: they are ignored; give this node the cluster's key "
             "(--key-file) to join that cluster");
  }
}

std::uint64_t NodeCore::wall_ns() const {
  const std::int64_t t = ns_of(scheduler_.wall_now().time_since_epoch());
  return t < 0 ? 0 : static_cast<std::uint64_t>(t);
}

void NodeCore::warn(WarningKind kind, std::string message, std::optional<PeerId> peer) {
  if (!peer) {
    bool& done = warned_[static_cast<std::size_t>(kind)];
    if (done) return;
    done = true;
  }
  emit(Warning{kind, std::move(message), std::move(peer)});
}

bool NodeCore::admit(const Message& m, std::string_view origin) {
  if (m.version != kProtocolVersion) {
    count_drop(DropReason::kUnknownVersion, origin);
    return false;
  }
  if (!check_message(m)) {  // a codec checks this too; values from elsewhere may not be
    count_drop(DropReason::kMalformed, origin);
    return false;
  }
  if (m.cluster != config_.cluster) {
    count_drop(DropReason::kForeignCluster, origin);
    return false;
  }
  const TrustConfig& trust = config_.trust;
  const std::uint64_t now_wall = wall_ns();
  const auto skew = static_cast<std::uint64_t>(ns_of(trust.max_clock_skew));
  // Freshness: sent within the skew window of this node's clock. With a key
  // the send time is authentic, so a recording replayed later fails here
  // even after the sender has been forgotten.
  const std::uint64_t distance = m.sent_at < now_wall ? now_wall - m.sent_at : m.sent_at - now_wall;
  if (distance > skew) {
    count_drop(DropReason::kClockSkew, origin);
    return false;
  }
  // Plausibility: no life starts in the future, and no sender sends faster
  // than max_send_rate (plus slack) since its life began. Such a claim is
  // neither adopted nor refuted: it could never be overtaken honestly.
  const std::uint64_t horizon_wall = now_wall + skew;
  const double life_s = m.time.incarnation >= horizon_wall
                            ? 0.0
                            : static_cast<double>(horizon_wall - m.time.incarnation) / 1e9;
  if (m.time.incarnation > horizon_wall ||
      static_cast<double>(m.time.seq) >
          static_cast<double>(trust.seq_slack) + trust.max_send_rate * life_s) {
    count_drop(DropReason::kImplausible, origin);
    return false;
  }
  const auto* ld = std::get_if<Leadership>(&m.body);
  // An epoch no honest leader can hold yet (epoch.hpp): adopting it would
  // make the real leader's epochs look stale.
  if (ld && !epoch_plausible(ld->epoch, scheduler_.wall_now(), trust.max_clock_skew)) {
    count_drop(DropReason::kImplausible, origin);
    return false;
  }
  if (!config_.passive && m.sender == config_.id) {
    on_own_id(m, origin);
    return false;
  }
  // Only channels this node runs get a stream, so an outsider cannot grow
  // the table with made-up names (a passive node: at most kMaxChannels
  // streams per sender).
  if (ld && !config_.passive && channels_.find(ld->channel) == channels_.end()) {
    count_drop(DropReason::kUnknownChannel, origin);
    return false;
  }
  auto it = senders_.find(m.sender);
  if (it == senders_.end()) {
    if (!make_room(origin)) return false;
    it = senders_.try_emplace(m.sender).first;
    unconfirmed_.push_back(m.sender);
  }
  Sender& s = it->second;
  const bool suspect = std::holds_alternative<Suspect>(m.body);
  const auto stream = [ld, suspect](Sender& sender) -> PeerTime* {
    // Suspects have a stream of their own: one overtaking a heartbeat in
    // flight must not make the heartbeat stale.
    if (suspect) return &sender.suspicion;
    if (!ld) return &sender.membership;
    auto e = std::find_if(sender.leadership.begin(), sender.leadership.end(),
                          [ld](const auto& x) { return x.first == ld->channel; });
    if (e == sender.leadership.end()) {
      if (sender.leadership.size() >= kMaxChannels) return nullptr;
      e = sender.leadership.insert(sender.leadership.end(), {ld->channel, {}});
    }
    return &e->second;
  };
  PeerTime* last = stream(s);
  if (last == nullptr) {
    count_drop(DropReason::kUnknownChannel, origin);
    return false;
  }
  const TimePoint now = scheduler_.now();
  // Fabric's rule, per stream: a higher incarnation is a new life and wins;
  // within one, only a higher sequence number is news. Equal is a duplicate.
  if (m.time.incarnation < s.incarnation || m.time <= *last) {
    // Without a key a forged claim may have raised this sender above its
    // real PeerTime. An honest sender follows its last message within a
    // heartbeat interval; when nothing newer than the claim has come for
    // one and a half intervals while older messages keep coming, the claim
    // is void and the sender's messages are believed again. "Newer than the
    // claim" is across streams: a claim that raised one stream (a forged
    // proposal) leaves the others admitting the sender's real, older
    // messages, which confirm nothing. With a key every admitted claim is
    // the sender's own, so this never applies.
    if (config_.authenticated ||
        now - s.newest_at <= membership_->interval_of_peer(m.sender) * 3 / 2) {
      count_drop(DropReason::kStale, origin);
      return false;
    }
    // When the claim reached membership (a forged life), take the entry back
    // to this life quietly: the member never went away. After a forged
    // leave it starts afresh. Otherwise it stays as it is, so that the
    // message at hand, a declaration perhaps, counts at once.
    const std::optional<Member> entry = membership_->find(m.sender);
    if (!entry) {
      membership_->forget(m.sender, false);
    } else if (entry->incarnation != m.time.incarnation) {
      membership_->rebase(m.sender, m.time.incarnation);
    }
    Sender fresh;
    fresh.admitted = s.admitted;
    fresh.timings_warned = s.timings_warned;
    fresh.offset_warned = s.offset_warned;
    s = std::move(fresh);
    last = stream(s);
    ++counters_.stale_resets;
  } else if (m.time.incarnation == s.newest.incarnation && m.time.seq > s.newest.seq) {
    // Within one life the sequence grows at most as fast as the sender can
    // send. A sender that refuted claims this node never heard jumps by
    // their sum, though: once its stream has not advanced for one and a
    // half heartbeat intervals, a jump within the absolute bound above is
    // believed, as a void claim is.
    const double since_s = std::chrono::duration<double>(now - s.heard).count();
    if (static_cast<double>(m.time.seq - s.newest.seq) >
            static_cast<double>(trust.seq_slack) + trust.max_send_rate * since_s &&
        now - s.newest_at <= membership_->interval_of_peer(m.sender) * 3 / 2) {
      count_drop(DropReason::kImplausible, origin);
      return false;
    }
  }
  heard_peer_ = true;
  s.instance_before = s.instance;
  s.instance = m.instance;
  s.incarnation = m.time.incarnation;
  *last = m.time;
  if (m.time > s.newest) {
    s.newest = m.time;
    s.newest_at = now;
  }
  s.heard = now;
  if (s.admitted < 2) ++s.admitted;
  s.clock_offset = std::chrono::nanoseconds(static_cast<std::int64_t>(m.sent_at - now_wall));
  if (abs_of(s.clock_offset) > trust.max_clock_skew / 2 && !s.offset_warned) {
    s.offset_warned = true;
    warn(WarningKind::kClockOffset,
         "peer " + name_of(m.sender) + "'s clock is off by " + show(s.clock_offset) +
             ", more than half the clock-skew window (" + show(trust.max_clock_skew) +
             "): fix time synchronisation (NTP) before it drifts out of the window",
         m.sender);
  }
  return true;
}

bool NodeCore::make_room(std::string_view origin) {
  const TrustConfig& trust = config_.trust;
  const TimePoint now = scheduler_.now();
  // A token bucket holding one second's worth of new ids.
  const double rate = trust.new_ids_per_second;
  id_tokens_ = std::min(
      rate, id_tokens_ + rate * std::chrono::duration<double>(now - id_tokens_at_).count());
  id_tokens_at_ = now;
  if (id_tokens_ < 1.0) {
    count_drop(DropReason::kRateLimited, origin);
    return false;
  }
  if (senders_.size() >= trust.max_members) {
    // Full: the oldest never-confirmed sender makes room. Confirmed
    // members (heard twice or more) are never evicted for a newcomer.
    bool evicted = false;
    while (!evicted && !unconfirmed_.empty()) {
      const PeerId victim = std::move(unconfirmed_.front());
      unconfirmed_.pop_front();
      const auto v = senders_.find(victim);
      if (v == senders_.end() || v->second.admitted >= 2) continue;
      senders_.erase(v);
      membership_->forget(victim, true);
      ++counters_.evictions;
      evicted = true;
    }
    if (!evicted) {
      count_drop(DropReason::kMemberCap, origin);
      return false;
    }
  }
  id_tokens_ -= 1.0;
  return true;
}

void NodeCore::on_own_id(const Message& m, std::string_view origin) {
  const PeerTime mine{incarnation_, seq_};
  const bool own_instance = m.instance == instance_;
  if (own_instance && m.time <= mine) {
    // Our own multicast comes back (loopback delivery is on, so that nodes
    // on one host hear each other).
    count_drop(DropReason::kSelf, origin);
    return;
  }
  // A claim within this life further ahead than seq_slack is one the
  // peers that heard this node lately drop as implausible (their jump
  // check); adopting it would make them drop this node's real messages
  // instead, until the jump became plausible with time.
  if (m.time.incarnation == incarnation_ && m.time.seq > seq_ &&
      m.time.seq - seq_ > config_.trust.seq_slack) {
    count_drop(DropReason::kImplausible, origin);
    return;
  }
  // Someone else used our id: another process, a forger, or a replay.
  count_drop(DropReason::kIdConflict, origin);
  const TimePoint now = scheduler_.now();
  IdConflict ev{std::string(origin), m.time, m.instance};
  if (!own_instance && m.instance != 0) {
    bool duplicate = false;
    if (config_.authenticated) {
      // The key proves it is a process of this cluster; sent after this
      // node started, it is not a replay of an earlier life of this node.
      duplicate = m.sent_at >= instance_;
    } else {
      // Unauthenticated evidence alone is not enough: the same other
      // process must keep talking, from one address, for three heartbeats
      // (sightings further apart than six are not "keeping talking": a
      // forger's occasional copies never add up). Heartbeats at the
      // interval it announces (rate classes), clamped as for any member.
      const MembershipConfig& mc = config_.profile.membership;
      const bool same =
          conflict_ && conflict_->instance == m.instance && conflict_->origin == origin;
      Duration period = same ? conflict_->interval : mc.heartbeat_interval;
      if (const auto* hb = std::get_if<Heartbeat>(&m.body)) {
        period = mc.interval_of(std::chrono::milliseconds(hb->interval));
      }
      if (!same || now - conflict_->first > 6 * period) {
        conflict_ = Conflict{m.instance, std::string(origin), now, 0, false};
      }
      conflict_->interval = period;
      ++conflict_->count;
      duplicate = conflict_->count >= 3 && now - conflict_->first >= 3 * period;
    }
    if (duplicate) {
      ev.duplicate = true;
      counters_.duplicate_id = true;
      // The newer process gives way; the older keeps running.
      ev.stopped = instance_ > m.instance;
    }
  }
  // A newer claim about this node (a forged "restarted" or "left", or the
  // other process's messages) is answered at once with a newer PeerTime, so
  // peers keep believing this node.
  if (!ev.stopped && m.time > mine) {
    refute(m.time);
    ev.refuted = true;
  }
  const bool first_duplicate =
      ev.duplicate && !(conflict_ && conflict_->reported) && !reported_duplicate_;
  if (ev.stopped || first_duplicate || conflict_reported_ == TimePoint{} ||
      now - conflict_reported_ >= config_.profile.membership.heartbeat_interval) {
    conflict_reported_ = now;
    if (ev.duplicate) {
      reported_duplicate_ = true;
      if (conflict_) conflict_->reported = true;
    }
    emit(ev);
  }
  if (ev.stopped) halt();
}

void NodeCore::refute(const PeerTime& claim) {
  if (claim.incarnation > incarnation_) {
    incarnation_ = claim.incarnation;
    seq_ = claim.seq;
    membership_->set_self_incarnation(incarnation_);
  } else {
    seq_ = std::max(seq_, claim.seq);
  }
  ++counters_.refutations;
  // Announce at once, but at most twice a heartbeat interval: two processes
  // with one id would otherwise out-bid each other without end.
  const TimePoint now = scheduler_.now();
  if (!refuted_once_ || now - refuted_at_ >= config_.profile.membership.heartbeat_interval / 2) {
    refuted_once_ = true;
    refuted_at_ = now;
    send(heartbeat());
    // A leader also declares at once: peers that believed the claim may be
    // electing a successor right now.
    for (auto& [name, ch] : channels_) {
      if (ch->service->is_leader()) {
        ch->gossip(ElectionMessage{config_.id, true, ch->service->epoch(), {}});
      }
    }
  }
}

void NodeCore::on_suspect(const Suspect& msg) {
  ++counters_.suspects_received;
  const MembershipConfig& mc = config_.profile.membership;
  if (!mc.suspicion || config_.passive) return;
  if (std::find(msg.peers.begin(), msg.peers.end(), config_.id) == msg.peers.end()) return;
  // A peer has not heard this node lately: a heartbeat now, which every
  // member hears. At most one per (nearly) a probe interval, which is how
  // often an honest peer asks: forged Suspects at any rate cost at most
  // heartbeat_interval / probe_interval extra heartbeats per interval.
  const TimePoint now = scheduler_.now();
  if (answered_once_ && now - answered_at_ < mc.probe_interval() * 3 / 4) {
    ++counters_.suspicions_limited;
    return;
  }
  answered_once_ = true;
  answered_at_ = now;
  ++counters_.suspicions_answered;
  send(heartbeat());
}

void NodeCore::halt() {
  // Like stop(), but silent: a leave carrying this id would remove the
  // other process, which keeps it.
  if (state_ != State::kRunning) return;
  for (auto& [name, ch] : channels_) ch->service->stop();
  membership_->stop();
  housekeeping_.cancel();
  alone_check_.cancel();
  welcome_timer_.cancel();
  state_ = State::kStopped;
}

void NodeCore::on_leadership(const PeerId& from, const Leadership& msg, std::string_view origin) {
  if (config_.passive) {
    on_watched_leadership(from, msg);
    return;
  }
  const auto it = channels_.find(msg.channel);
  if (it == channels_.end()) {
    count_drop(DropReason::kUnknownChannel, origin);
    return;
  }
  it->second->deliver(from, msg);
}

void NodeCore::on_watched_leadership(const PeerId& from, const Leadership& msg) {
  auto [it, inserted] = watched_.try_emplace(msg.channel);
  Watched& w = it->second;
  if (inserted) w.stats.channel = msg.channel;
  if (!msg.is_handoff()) {
    ++(msg.declaration ? w.stats.declarations_received : w.stats.proposals_received);
  }
  // Like an election follower: only members in the view.
  if (!membership_->is_alive(from)) return;
  if (msg.is_handoff()) {
    ++w.stats.handoffs_received;
    w.declaring.erase(from);
    if (w.stats.leader == from && w.stats.epoch == msg.epoch) {
      set_watched_leader(msg.channel, w, std::nullopt, 0);
    }
    return;
  }
  if (!msg.declaration) return;
  const TimePoint now = scheduler_.now();
  // Bounded: a channel has one leader, two in a split; a few more only
  // while a partition heals.
  if (w.declaring.size() < kMaxChannels || w.declaring.count(from) != 0) w.declaring[from] = now;
  const bool current =
      w.stats.leader && now - w.heard <= config_.profile.election.leader_alive_threshold;
  // The newest leadership (the highest epoch) is the one to show; while two
  // overlap the older is about to end.
  if (!current || *w.stats.leader == from || msg.epoch > w.stats.epoch) {
    w.heard = now;
    set_watched_leader(msg.channel, w, from, msg.epoch);
  }
}

void NodeCore::set_watched_leader(const std::string& channel, Watched& w,
                                  std::optional<PeerId> leader, std::uint64_t epoch) {
  if (!leader) epoch = 0;
  if (w.stats.leader == leader && w.stats.epoch == epoch) return;
  std::optional<PeerId> known = w.stats.leader;
  failover_step(w.stats.failovers, known, w.lost, leader);
  w.stats.leader = std::move(leader);
  w.stats.epoch = epoch;
  ++w.stats.leader_changes;
  emit(LeaderChanged{channel, w.stats.leader, false, epoch, metadata_of(w.stats.leader)});
}

void NodeCore::on_member_event(MembershipEvent event, const Member& member) {
  // A higher incarnation from the same process (same instance) is no
  // restart: the member raised its PeerTime to refute a claim about it, or
  // a forger raised it. Its elections and leadership go on.
  if (event == MembershipEvent::kRestarted && same_process_) return;
  rate_dirty_ = true;     // who is the likely successor may have changed
  targets_dirty_ = true;  // alive members go first among the unicast targets
  if (event == MembershipEvent::kLeft || event == MembershipEvent::kEvicted) {
    const auto a = addresses_.find(member.id);
    if (a != addresses_.end()) {
      if (a->second.introduced) --introduced_;
      addresses_.erase(a);
    }
  }
  emit(MemberChanged{event, member});
  if (event == MembershipEvent::kJoined) {
    if (config_.profile.election.fast_startup) {
      welcome();
      for (auto& [name, ch] : channels_) ch->service->peer_up(member.id);
    }
    return;
  }
  // Dead, left or restarted: if it led a channel, that leadership is over.
  if (config_.profile.fast_failover) {
    for (auto& [name, ch] : channels_) ch->service->peer_down(member.id);
  }
  for (auto& [name, w] : watched_) {
    w.declaring.erase(member.id);
    if (w.stats.leader == member.id) set_watched_leader(name, w, std::nullopt, 0);
  }
}

void NodeCore::housekeeping() {
  const TimePoint now = scheduler_.now();
  const MembershipConfig& m = config_.profile.membership;
  // Senders silent for longer than membership remembers the dead, and at
  // least twice the clock-skew window: until then a recording of their
  // messages can pass the freshness check (sent up to one window ahead of
  // this clock, accepted up to one window late), and with a key only the
  // PeerTimes kept here stop it bringing a departed node back. Older
  // recordings fail the freshness check.
  const TimePoint horizon = now - std::max(m.expiration_for(m.max_interval()) + m.forget_after,
                                           2 * config_.trust.max_clock_skew);
  std::erase_if(senders_, [horizon](const auto& kv) { return kv.second.heard < horizon; });
  // The eviction queue: drop what is confirmed or gone from its front, and
  // compact it when skipped entries pile up behind an unconfirmed one.
  const auto settled = [this](const PeerId& id) {
    const auto it = senders_.find(id);
    return it == senders_.end() || it->second.admitted >= 2;
  };
  while (!unconfirmed_.empty() && settled(unconfirmed_.front())) unconfirmed_.pop_front();
  if (unconfirmed_.size() > 2 * config_.trust.max_members) std::erase_if(unconfirmed_, settled);
  // A passive node forgets a leader that stopped declaring, as a follower does.
  for (auto& [name, w] : watched_) {
    if (w.stats.leader && now - w.heard > config_.profile.election.leader_alive_threshold) {
      set_watched_leader(name, w, std::nullopt, 0);
    }
    std::erase_if(w.declaring,
                  [this, now](const auto& kv) { return !declaring_now(kv.second, now); });
  }
  // A member's channels can change without an event: look again now and then.
  rate_dirty_ = true;
  prune_addresses();
  if (running()) {
    housekeeping_.arm(config_.profile.election.declaration_interval(), [this] { housekeeping(); });
  }
}

void NodeCore::welcome() {
  // fast_startup: a newcomer learns this member in one round trip instead
  // of one heartbeat interval, so its startup can end early. At most one
  // extra heartbeat per quarter heartbeat interval; joins within one get a
  // single heartbeat at its end.
  if (config_.passive || !running()) return;
  const Duration gap = config_.profile.membership.heartbeat_interval / 4;
  const Duration since = scheduler_.now() - welcomed_at_;
  if (since >= gap) {
    welcome_timer_.cancel();
    welcomed_at_ = scheduler_.now();
    send_heartbeat();
    return;
  }
  if (!welcome_timer_.armed()) welcome_timer_.arm(gap - since, [this] { welcome(); });
}

void NodeCore::send_heartbeat() {
  send(heartbeat());
}

Heartbeat NodeCore::heartbeat() {
  const Member me = membership_->self();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(membership_->announced_interval())
          .count();  // at most 24 h (MembershipConfig::validate)
  Heartbeat hb;
  hb.channels = me.channels;
  hb.metadata = me.metadata;
  hb.timings = timings_;
  hb.interval = static_cast<std::uint32_t>(ms);
  if (config_.unicast.enabled) {
    hb.address = config_.unicast.address;
    hb.observer = config_.passive;
    if (config_.authenticated) fill_digest(hb);
  }
  return hb;
}

void NodeCore::learn_addresses(const PeerId& from, const Heartbeat& hb, std::string_view origin) {
  const UnicastConfig& u = config_.unicast;
  if (!u.enabled) return;
  const TimePoint now = scheduler_.now();
  // With a key the advertised address is the member's own word (it may be
  // behind one-to-one NAT); without one, only where the datagram came from
  // is believed, so a forger cannot point this node at a third party.
  const std::string_view address =
      config_.authenticated && !hb.address.empty() ? std::string_view(hb.address) : origin;
  if (!address.empty() && address != u.address) {
    auto [it, inserted] = addresses_.try_emplace(from);
    Address& a = it->second;
    if (inserted || a.introduced || a.address != address) {
      if (!inserted && a.introduced) --introduced_;
      a.address = std::string(address);
      a.learned = now;
      a.introduced = false;
      ++counters_.addresses_learned;
      targets_dirty_ = true;
      if (const auto l = lost_.find(a.address); l != lost_.end()) lost_.erase(l);
    }
  }
  // Digests only with a key: without one, another member's word about
  // where a third party is would make this node a traffic reflector.
  if (!config_.authenticated) return;
  for (const PeerAddress& p : hb.digest) {
    if (p.id == config_.id || p.address == u.address || p.id == from) continue;
    if (introduced_ >= u.max_targets) break;
    // A member heard from itself says where it is; a digest cannot move it.
    if (!addresses_.try_emplace(p.id, Address{p.address, now, true}).second) continue;
    ++introduced_;
    ++counters_.introductions;
    targets_dirty_ = true;
  }
}

void NodeCore::fill_digest(Heartbeat& hb) {
  // Members heard from themselves and alive: the newest learned first (a
  // newcomer is announced to everyone at once), then the rest in turn, so
  // that every member is named within a few heartbeats at any cluster size.
  std::vector<const std::pair<const PeerId, Address>*> known;
  known.reserve(addresses_.size());
  for (const auto& kv : addresses_) {
    if (!kv.second.introduced && membership_->is_alive(kv.first)) known.push_back(&kv);
  }
  if (known.empty()) return;
  std::sort(known.begin(), known.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  const TimePoint recent = scheduler_.now() - 2 * config_.profile.membership.heartbeat_interval;
  std::vector<const std::pair<const PeerId, Address>*> fresh;
  for (const auto* kv : known) {
    if (kv->second.learned >= recent) fresh.push_back(kv);
  }
  std::stable_sort(fresh.begin(), fresh.end(), [](const auto* a, const auto* b) {
    return a->second.learned > b->second.learned;
  });
  const auto named = [&hb](const PeerId& id) {
    return std::any_of(hb.digest.begin(), hb.digest.end(),
                       [&id](const PeerAddress& p) { return p.id == id; });
  };
  for (const auto* kv : fresh) {
    if (hb.digest.size() >= kMaxDigest) break;
    hb.digest.push_back(PeerAddress{kv->first, kv->second.address});
  }
  const std::size_t n = known.size();
  for (std::size_t k = 0; k < n && hb.digest.size() < kMaxDigest; ++k) {
    const auto* kv = known[(digest_cursor_ + k) % n];
    if (named(kv->first)) continue;
    hb.digest.push_back(PeerAddress{kv->first, kv->second.address});
  }
  digest_cursor_ = (digest_cursor_ + kMaxDigest) % n;
}

void NodeCore::lose_address(const PeerId& id, std::string address) {
  const UnicastConfig& u = config_.unicast;
  lost_.insert_or_assign(std::move(address), Lost{id, scheduler_.now()});
  while (lost_.size() > u.max_targets) {
    const auto oldest =
        std::min_element(lost_.begin(), lost_.end(),
                         [](const auto& a, const auto& b) { return a.second.at < b.second.at; });
    lost_.erase(oldest);
  }
  if (!reconnect_timer_.armed()) {
    reconnect_timer_.arm(config_.profile.membership.max_interval(), [this] { reconnect(); });
  }
}

void NodeCore::reconnect() {
  const TimePoint now = scheduler_.now();
  const Duration keep = config_.unicast.reconnect_for;
  std::erase_if(lost_, [now, keep](const auto& kv) { return now - kv.second.at > keep; });
  if (!running() || lost_.empty()) return;
  // One heartbeat to every lost address: a member that is there again
  // learns this node from it and answers, and the two meet again.
  const std::size_t before = ready_.messages.size();
  send_heartbeat();
  if (ready_.messages.size() > before) {
    Addressed a;
    a.message = std::move(ready_.messages.back());
    ready_.messages.pop_back();
    for (const auto& [address, l] : lost_) a.to.push_back(address);
    counters_.reconnects += a.to.size();
    ready_.direct.push_back(std::move(a));
  }
  reconnect_timer_.arm(config_.profile.membership.max_interval(), [this] { reconnect(); });
}

void NodeCore::prune_addresses() {
  if (addresses_.empty()) return;
  const MembershipConfig& mc = config_.profile.membership;
  // An introduced member that never showed up within twice the longest
  // expiration is given up; a member membership no longer holds (left, or
  // dead and forgotten) needs no address.
  const TimePoint stale = scheduler_.now() - 2 * mc.expiration_for(mc.max_interval());
  for (auto it = addresses_.begin(); it != addresses_.end();) {
    const bool drop = it->second.introduced ? it->second.learned < stale
                                            : !membership_->find(it->first).has_value();
    if (drop) {
      if (it->second.introduced) {
        --introduced_;
      } else if (config_.authenticated) {
        lose_address(it->first, std::move(it->second.address));  // died and was forgotten
      }
      it = addresses_.erase(it);
      targets_dirty_ = true;
    } else {
      ++it;
    }
  }
}

void NodeCore::settle() {
  if (!rate_dirty_) return;
  rate_dirty_ = false;
  if (!running() || !config_.profile.membership.rate_classes()) return;
  if (config_.passive) {
    // An observer's liveness matters to no election.
    if (config_.unicast.enabled) membership_->set_idle(true);
    return;
  }
  membership_->set_idle(!needs_fast());
}

bool NodeCore::needs_fast() {
  // Fast: a node whose liveness matters, in any of its channels. The
  // leader's (its crash is what failover measures) and the likely
  // successor's (the lowest alive id but the leader's: it declares at once
  // when the leader dies, so when it is dead too, the next id must learn it
  // in time), and that of a node that knows no leader (startup, elections).
  for (auto& [name, ch] : channels_) {
    const LeaderElectionService& svc = *ch->service;
    const std::optional<PeerId>& leader = svc.leader();
    if (!leader || svc.is_leader()) return true;
    if (ch->blocker && *ch->blocker != *leader && membership_->is_alive(*ch->blocker, name)) {
      continue;
    }
    ch->blocker = membership_->alive_below(config_.id, name, leader);
    if (!ch->blocker) return true;
  }
  return false;
}

void NodeCore::send(Body body) {
  if (state_ != State::kRunning) return;
  // A passive node sends nothing, except in unicast mode, where it
  // heartbeats as an observer (and says goodbye) so that members send to it.
  if (config_.passive && !(config_.unicast.enabled && (std::holds_alternative<Heartbeat>(body) ||
                                                       std::holds_alternative<Leave>(body)))) {
    return;
  }
  Message m;
  m.cluster = config_.cluster;
  m.sender = config_.id;
  m.time = {incarnation_, ++seq_};
  m.sent_at = wall_ns();
  m.instance = instance_;
  m.body = std::move(body);
  ready_.messages.push_back(std::move(m));
}

void NodeCore::count_drop(DropReason reason, std::string_view origin) {
  ++counters_.drops[static_cast<std::size_t>(reason)];
  emit(Dropped{reason, std::string(origin)});
}

void NodeCore::emit(NodeEvent event) {
  if (state_ == State::kRunning) ready_.events.push_back(std::move(event));
}

void NodeCore::set_seeds(std::vector<std::string> seeds) {
  std::erase_if(seeds, [](const std::string& s) { return s.empty(); });
  if (seeds == config_.unicast.seeds) return;
  config_.unicast.seeds = std::move(seeds);
  targets_dirty_ = true;
}

const std::vector<std::string>& NodeCore::unicast_targets() const {
  if (!targets_dirty_) return targets_;
  targets_dirty_ = false;
  targets_.clear();
  const UnicastConfig& u = config_.unicast;
  if (!u.enabled) return targets_;
  // Alive members first, then the seeds, then introduced members, then
  // (with a key) the dead not yet forgotten, so the two halves of a healed
  // partition find each other again; each group in address order, never
  // twice, never this node, at most max_targets.
  std::vector<const std::string*> alive, introduced, dead;
  for (const auto& [id, a] : addresses_) {
    if (a.introduced) {
      introduced.push_back(&a.address);
    } else if (membership_ && membership_->is_alive(id)) {
      alive.push_back(&a.address);
    } else if (config_.authenticated) {
      // Without a key a dead member's address may have been a forger's
      // choice (a spoofed source): it gets nothing more once it stops, so
      // one forged heartbeat costs at most what an alive member gets until
      // it expires. Unkeyed clusters list every member as a seed instead.
      dead.push_back(&a.address);
    }
  }
  std::vector<const std::string*> seeds;
  for (const std::string& seed : u.seeds) seeds.push_back(&seed);
  std::unordered_set<std::string_view> seen{std::string_view(u.address)};
  std::uint64_t capped = 0;
  for (auto* group : {&alive, &seeds, &introduced, &dead}) {
    if (group != &seeds) {
      std::sort(group->begin(), group->end(),
                [](const std::string* a, const std::string* b) { return *a < *b; });
    }
    for (const std::string* address : *group) {
      if (!seen.insert(*address).second) continue;
      if (targets_.size() >= u.max_targets) {
        ++capped;
        continue;
      }
      targets_.push_back(*address);
    }
  }
  targets_capped_ = capped;
  return targets_;
}

Ready NodeCore::ready() {
  Ready out = std::move(ready_);
  ready_ = Ready{};
  counters_.messages_out += out.messages.size() + out.direct.size();
  return out;
}

void NodeCore::yield(std::string_view channel) {
  if (!running()) return;
  if (const auto it = channels_.find(channel); it != channels_.end()) it->second->service->yield();
  settle();
}

bool NodeCore::is_leader(std::string_view channel) const {
  if (!running()) return false;
  const auto it = channels_.find(channel);
  return it != channels_.end() && it->second->service->is_leader();
}

std::optional<PeerId> NodeCore::leader(std::string_view channel) const {
  if (!running()) return std::nullopt;
  if (const auto it = channels_.find(channel); it != channels_.end()) {
    return it->second->service->leader();
  }
  if (const auto it = watched_.find(channel); it != watched_.end()) return it->second.stats.leader;
  return std::nullopt;
}

std::vector<std::string> NodeCore::channels() const {
  if (!config_.passive) return heartbeat_channels();
  std::vector<std::string> out;
  for (const auto& [name, w] : watched_) out.push_back(name);
  return out;
}

std::vector<Member> NodeCore::members() const {
  std::vector<Member> out;
  if (!membership_) return out;
  if (!config_.passive) {
    Member me = membership_->self();
    me.alive = running();
    out.push_back(std::move(me));
  }
  for (Member& m : membership_->members()) {
    if (const auto it = senders_.find(m.id); it != senders_.end()) {
      m.clock_offset = it->second.clock_offset;
    }
    out.push_back(std::move(m));
  }
  return out;
}

// The failover histogram's clock: losing the known leader starts a
// failover, knowing the next ends it; a change from one leader to another
// with no gap between is a failover of 0s.
void NodeCore::failover_step(FailoverHistogram& h, std::optional<PeerId>& known,
                             std::optional<TimePoint>& lost,
                             const std::optional<PeerId>& leader) const {
  const TimePoint now = scheduler_.now();
  if (!leader && known) lost = now;
  if (leader && lost) {
    h.observe(now - *lost);
    lost.reset();
  } else if (leader && known && *known != *leader) {
    h.observe(Duration::zero());
  }
  known = leader;
}

void FailoverHistogram::observe(Duration took) {
  const double seconds = std::chrono::duration<double>(took).count();
  const auto bound =
      std::find_if(kBounds.begin(), kBounds.end(), [seconds](double b) { return seconds <= b; });
  ++counts[static_cast<std::size_t>(bound - kBounds.begin())];
  sum_seconds += seconds;
  ++count;
}

NodeStats NodeCore::stats() const {
  NodeStats out = counters_;
  const MembershipConfig& mc = config_.profile.membership;
  const TimePoint recent = scheduler_.now() - mc.expiration_for(mc.max_interval());
  for (const auto& [id, s] : senders_) {
    out.admission_streams += 1 + (s.suspicion != PeerTime{} ? 1 : 0) + s.leadership.size();
    if (s.heard >= recent) {
      out.max_clock_offset = std::max(out.max_clock_offset, abs_of(s.clock_offset));
    }
  }
  out.peers = senders_.size();
  out.unicast_targets = unicast_targets().size();
  out.targets_capped = targets_capped_;
  out.lost_addresses = lost_.size();
  const bool up = running();
  for (const auto& [name, ch] : channels_) {
    ChannelStats s = ch->stats;
    s.is_leader = up && ch->service->is_leader();
    s.leader = up ? ch->service->leader() : std::nullopt;
    s.epoch = up ? ch->service->epoch() : 0;
    s.handoffs_received = ch->service->handoffs_received();
    s.stale_declarations = ch->service->stale_declarations();
    s.elections = ch->service->elections();
    s.alive_peers = membership_->alive_peers(name).size() + 1;  // and this node
    out.channels.push_back(std::move(s));
  }
  for (const auto& [name, w] : watched_) {
    ChannelStats s = w.stats;
    if (!up) {
      s.leader.reset();
      s.epoch = 0;
    }
    const TimePoint now = scheduler_.now();
    for (const auto& [id, at] : w.declaring) {
      if (up && declaring_now(at, now)) s.declaring.push_back(id);
    }
    s.alive_peers = membership_->alive_peers(name).size();
    out.channels.push_back(std::move(s));
  }
  return out;
}

bool NodeCore::declaring_now(TimePoint heard, TimePoint now) const {
  // Leaders declare every declaration interval: one that has not for one
  // and a half has stopped (or its declarations are being lost).
  return now - heard <= config_.profile.election.declaration_interval() * 3 / 2;
}

const LeaderElectionService* NodeCore::election(std::string_view channel) const {
  const auto it = channels_.find(channel);
  return it == channels_.end() ? nullptr : it->second->service.get();
}

}  // namespace lanlord
