#include "lanlord/node_core.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <stdexcept>
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

}  // namespace

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
      core_.emit(LeaderChanged{stats.channel, leader, leader && *leader == core_.id()});
    };
    cb.on_leadership = [this](bool is_leader) {
      core_.emit(LeadershipChanged{stats.channel, is_leader});
    };
    service = std::make_unique<LeaderElectionService>(
        *this, core_.scheduler_, core_.id(), core_.config_.profile.election, std::move(cb));
  }

  void gossip(const ElectionMessage& msg) override {
    ++(msg.declaration ? stats.declarations_sent : stats.proposals_sent);
    core_.send(Leadership{stats.channel, msg.declaration});
  }
  void accept(MessageHandler handler) override { handler_ = std::move(handler); }
  ElectionMessage create_message(bool is_declaration) override {
    return {core_.id(), is_declaration};
  }
  std::vector<PeerId> peers() override { return core_.membership_->alive_peers(stats.channel); }
  bool is_alive(const PeerId& id) override {
    return core_.membership_->is_alive(id, stats.channel);
  }
  void report_metrics(bool is_leader) override { stats.is_leader = is_leader; }

  // A leadership message of this channel, admitted.
  void deliver(const PeerId& from, bool declaration) {
    ++(declaration ? stats.declarations_received : stats.proposals_received);
    if (!handler_) return;
    // A copy: the handler may replace itself (the service stops inside it).
    const MessageHandler handler = handler_;
    handler(ElectionMessage{from, declaration});
  }

  ChannelStats stats;

 private:
  NodeCore& core_;
  MessageHandler handler_;  // declared before `service`, which unregisters on destruction

 public:
  std::unique_ptr<LeaderElectionService> service;
};

NodeCore::NodeCore(Scheduler& scheduler, NodeCoreConfig config)
    : scheduler_(scheduler), config_(std::move(config)), housekeeping_(scheduler) {
  if (Status s = config_.validate(); !s) throw std::invalid_argument("NodeCore: " + s.message());
  if (config_.passive) config_.channels.clear();
  normalize(config_.channels);
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
  if (incarnation_ == 0) {
    incarnation_ = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                  scheduler_.wall_now().time_since_epoch())
                                                  .count());
  }
  state_ = State::kRunning;

  MembershipCallbacks mcb;
  mcb.send_heartbeat = [this] {
    const Member me = membership_->self();
    send(Heartbeat{me.channels, me.metadata});
  };
  mcb.on_event = [this](MembershipEvent e, const Member& m) { on_member_event(e, m); };
  membership_ =
      std::make_unique<Membership>(scheduler_, config_.id, incarnation_, config_.channels,
                                   config_.metadata, config_.profile.membership, std::move(mcb));
  for (const std::string& name : config_.channels) add_channel(name);
  membership_->start();  // queues the first heartbeat
  for (auto& [name, ch] : channels_) ch->service->start();
  housekeeping_.arm(config_.profile.election.declaration_interval(), [this] { housekeeping(); });
}

void NodeCore::stop() {
  if (state_ != State::kRunning) return;
  for (auto& [name, ch] : channels_) ch->service->stop();
  membership_->stop();
  housekeeping_.cancel();
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
  return Status::ok();
}

void NodeCore::leave_channel(std::string_view channel) {
  const auto it = channels_.find(channel);
  if (it == channels_.end()) return;
  it->second->service->stop();
  channels_.erase(it);
  if (membership_) membership_->set_channels(heartbeat_channels());
}

std::vector<std::string> NodeCore::heartbeat_channels() const {
  std::vector<std::string> out;
  out.reserve(channels_.size());
  for (const auto& [name, ch] : channels_) out.push_back(name);
  return out;
}

bool NodeCore::step(const Message& m, std::string_view origin) {
  if (!running()) return false;
  ++counters_.messages_in;
  if (!admit(m, origin)) return false;
  if (const auto* hb = std::get_if<Heartbeat>(&m.body)) {
    membership_->on_heartbeat(m.sender, m.time.incarnation, hb->channels, hb->metadata);
  } else if (const auto* ld = std::get_if<Leadership>(&m.body)) {
    on_leadership(m.sender, *ld, origin);
  } else {
    membership_->on_leave(m.sender, m.time.incarnation);
  }
  return true;
}

void NodeCore::drop(DropReason reason, std::string_view origin) {
  if (running()) count_drop(reason, origin);
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
  if (!config_.passive && m.sender == config_.id) {
    // Our own multicast comes back (loopback delivery is on, so that nodes
    // on one host hear each other). Another incarnation is another process
    // using our id: a misconfiguration worth its own counter.
    count_drop(m.time.incarnation == incarnation_ ? DropReason::kSelf : DropReason::kIdConflict,
               origin);
    return false;
  }
  // Fabric's rule, per stream: a higher incarnation is a new life and wins;
  // within one, only a higher sequence number is news. Equal is a duplicate.
  Sender& s = senders_[m.sender];
  PeerTime* last = &s.membership;
  if (const auto* ld = std::get_if<Leadership>(&m.body)) {
    // Only channels this node runs get a stream, so an outsider cannot
    // grow the table with made-up names (a passive node: at most
    // kMaxChannels streams per sender).
    if (!config_.passive && channels_.find(ld->channel) == channels_.end()) {
      count_drop(DropReason::kUnknownChannel, origin);
      return false;
    }
    auto it = std::find_if(s.leadership.begin(), s.leadership.end(),
                           [ld](const auto& e) { return e.first == ld->channel; });
    if (it == s.leadership.end()) {
      if (s.leadership.size() >= kMaxChannels) {
        count_drop(DropReason::kUnknownChannel, origin);
        return false;
      }
      it = s.leadership.insert(s.leadership.end(), {ld->channel, {}});
    }
    last = &it->second;
  }
  if (m.time.incarnation < s.incarnation || m.time <= *last) {
    count_drop(DropReason::kStale, origin);
    return false;
  }
  s.incarnation = m.time.incarnation;
  *last = m.time;
  s.heard = scheduler_.now();
  return true;
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
  it->second->deliver(from, msg.declaration);
}

void NodeCore::on_watched_leadership(const PeerId& from, const Leadership& msg) {
  auto [it, inserted] = watched_.try_emplace(msg.channel);
  Watched& w = it->second;
  if (inserted) w.stats.channel = msg.channel;
  ++(msg.declaration ? w.stats.declarations_received : w.stats.proposals_received);
  // Like an election follower: only declarations of members in the view.
  if (!msg.declaration || !membership_->is_alive(from)) return;
  const TimePoint now = scheduler_.now();
  const bool current =
      w.stats.leader && now - w.heard <= config_.profile.election.leader_alive_threshold;
  // While two leaders overlap the higher id is about to step down, so the
  // lower one is the leader to show.
  if (!current || from <= *w.stats.leader) {
    w.heard = now;
    set_watched_leader(msg.channel, w, from);
  }
}

void NodeCore::set_watched_leader(const std::string& channel, Watched& w,
                                  std::optional<PeerId> leader) {
  if (w.stats.leader == leader) return;
  w.stats.leader = std::move(leader);
  ++w.stats.leader_changes;
  emit(LeaderChanged{channel, w.stats.leader, false});
}

void NodeCore::on_member_event(MembershipEvent event, const Member& member) {
  emit(MemberChanged{event, member});
  if (event == MembershipEvent::kJoined) return;
  // Dead, left or restarted: if it led a channel, that leadership is over.
  if (config_.profile.fast_failover) {
    for (auto& [name, ch] : channels_) ch->service->peer_down(member.id);
  }
  for (auto& [name, w] : watched_) {
    if (w.stats.leader == member.id) set_watched_leader(name, w, std::nullopt);
  }
}

void NodeCore::housekeeping() {
  const TimePoint now = scheduler_.now();
  const MembershipConfig& m = config_.profile.membership;
  // Senders silent for longer than membership remembers the dead. A message
  // replayed from before a forgotten entry is admitted again; without
  // authentication a forger can do worse anyway.
  const TimePoint horizon = now - m.alive_expiration - m.forget_after;
  std::erase_if(senders_, [horizon](const auto& kv) { return kv.second.heard < horizon; });
  // A passive node forgets a leader that stopped declaring, as a follower does.
  for (auto& [name, w] : watched_) {
    if (w.stats.leader && now - w.heard > config_.profile.election.leader_alive_threshold) {
      set_watched_leader(name, w, std::nullopt);
    }
  }
  if (running()) {
    housekeeping_.arm(config_.profile.election.declaration_interval(), [this] { housekeeping(); });
  }
}

void NodeCore::send(Body body) {
  if (config_.passive || state_ != State::kRunning) return;
  Message m;
  m.cluster = config_.cluster;
  m.sender = config_.id;
  m.time = {incarnation_, ++seq_};
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

Ready NodeCore::ready() {
  Ready out = std::move(ready_);
  ready_ = Ready{};
  counters_.messages_out += out.messages.size();
  return out;
}

void NodeCore::yield(std::string_view channel) {
  if (!running()) return;
  if (const auto it = channels_.find(channel); it != channels_.end()) it->second->service->yield();
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
  for (Member& m : membership_->members()) out.push_back(std::move(m));
  return out;
}

NodeStats NodeCore::stats() const {
  NodeStats out = counters_;
  for (const auto& [id, s] : senders_) out.admission_streams += 1 + s.leadership.size();
  const bool up = running();
  for (const auto& [name, ch] : channels_) {
    ChannelStats s = ch->stats;
    s.is_leader = up && ch->service->is_leader();
    s.leader = up ? ch->service->leader() : std::nullopt;
    s.alive_peers = membership_->alive_peers(name).size() + 1;  // and this node
    out.channels.push_back(std::move(s));
  }
  for (const auto& [name, w] : watched_) {
    ChannelStats s = w.stats;
    if (!up) s.leader.reset();
    s.alive_peers = membership_->alive_peers(name).size();
    out.channels.push_back(std::move(s));
  }
  return out;
}

const LeaderElectionService* NodeCore::election(std::string_view channel) const {
  const auto it = channels_.find(channel);
  return it == channels_.end() ? nullptr : it->second->service.get();
}

}  // namespace lanlord
