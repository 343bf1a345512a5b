#include "lanlord/node.hpp"

#include <unistd.h>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <numeric>
#include <utility>

#include "gossip_adapter.hpp"
#include "multicast_socket.hpp"
#include "strand_scheduler.hpp"

namespace lanlord {

namespace asio = boost::asio;
using asio::ip::udp;
using transport::GossipAdapter;
using transport::NodeGuard;
using transport::StrandScheduler;

std::uint64_t NodeStats::dropped_total() const {
  return std::accumulate(drops.begin(), drops.end(), std::uint64_t{0});
}

std::string default_node_id() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  const std::string name = host[0] != '\0' ? host.data() : "host";
  return name + "-" + std::to_string(::getpid());
}

ResolvedProfile resolve_profile(const NodeConfig& config) {
  return resolve_profile(config.profile, config.timings);
}

namespace {

Status too_long(const std::string& what, std::size_t size, std::size_t limit) {
  return Status::error(what + " is " + std::to_string(size) + " bytes; at most " +
                       std::to_string(limit) + " are allowed");
}

}  // namespace

Status validate_config(const NodeConfig& c) {
  if (!c.passive && c.id.empty()) {
    return Status::error("id is empty: give every node a unique id (default: <host>-<pid>)");
  }
  if (c.id.size() > wire::kMaxIdSize) return too_long("id", c.id.size(), wire::kMaxIdSize);
  if (c.cluster.empty()) return Status::error("cluster name is empty");
  if (c.cluster.size() > wire::kMaxClusterSize) {
    return too_long("cluster name", c.cluster.size(), wire::kMaxClusterSize);
  }
  if (!c.passive) {
    if (c.channels.empty()) return Status::error("no channels: a node needs at least one");
    if (c.channels.size() > wire::kMaxChannels) {
      return Status::error(std::to_string(c.channels.size()) + " channels; at most " +
                           std::to_string(wire::kMaxChannels) + " are allowed");
    }
    for (const std::string& ch : c.channels) {
      if (ch.empty()) return Status::error("a channel name is empty");
      if (ch.size() > wire::kMaxChannelSize) {
        return too_long("channel name '" + ch + "'", ch.size(), wire::kMaxChannelSize);
      }
    }
  }
  if (c.metadata.size() > wire::kMaxMetadataSize) {
    return too_long("metadata", c.metadata.size(), wire::kMaxMetadataSize);
  }
  if (Status s = transport::parse_group(c.group).status; !s) return s;
  if (c.port == 0) return Status::error("port 0: name the UDP port the cluster shares");
  if (c.ttl < 0 || c.ttl > 255) {
    return Status::error("ttl " + std::to_string(c.ttl) + " is outside 0..255");
  }
  if (c.interface_name.empty()) {
    return Status::error("interface is empty: name one (e.g. lo, eth0) or give its address");
  }
  if (Status s = resolve_profile(c).status; !s) return s;
  if (!c.passive) {
    // The largest message a node sends is its heartbeat: it must fit.
    wire::Message probe;
    probe.cluster = c.cluster;
    probe.sender = PeerId(c.id);
    probe.time = {~std::uint64_t{0}, ~std::uint64_t{0}};
    probe.body = wire::Heartbeat{c.channels, c.metadata};
    if (wire::Encoded e = wire::encode(probe); !e.status) {
      return Status::error("the heartbeat does not fit in a datagram: " + e.status.message());
    }
  }
  return Status::ok();
}

// Lock discipline: every entry point, and every completion handler, holds
// guard_->mutex for its whole run; handlers run on strand_. The mutex lets
// other threads call in; the strand keeps the node's own work in order. It
// is recursive so that callbacks, which run under it, may call the node.
class Node::Impl {
 public:
  Impl(asio::io_context& io, NodeConfig config, NodeCallbacks callbacks)
      : strand_(asio::make_strand(io)),
        guard_(std::make_shared<NodeGuard>()),
        config_(std::move(config)),
        callbacks_(std::move(callbacks)),
        scheduler_(strand_, guard_),
        socket_(strand_),
        housekeeping_(scheduler_) {}

  ~Impl() {
    std::lock_guard lock(guard_->mutex);
    guard_->live = false;  // from now on no handler touches this object
    if (state_ == State::kRunning) {
      // Abrupt, like a crash: no leave. The members' destructors would
      // stop these too; doing it here keeps them quiet while we unwind.
      for (auto& [name, ch] : channels_) ch.service->stop();
      membership_->stop();
    }
    state_ = State::kStopped;
    close_socket();
    scheduler_.shutdown();
  }

  Status start();
  void stop();
  void yield(const std::string& channel);

  bool running() const {
    std::lock_guard lock(guard_->mutex);
    return state_ == State::kRunning;
  }
  bool is_leader(const std::string& channel) const;
  std::optional<PeerId> leader(const std::string& channel) const;
  std::vector<Member> members() const;
  NodeStats stats() const;
  const NodeConfig& config() const { return config_; }  // immutable after construction
  Profile profile() const {
    std::lock_guard lock(guard_->mutex);
    return profile_;
  }
  std::uint64_t incarnation() const {
    std::lock_guard lock(guard_->mutex);
    return incarnation_;
  }
  std::string describe_endpoint() const {
    std::lock_guard lock(guard_->mutex);
    return description_;
  }

 private:
  enum class State { kCreated, kRunning, kStopping, kStopped };

  // One channel's election.
  struct Channel {
    ChannelStats stats;
    std::unique_ptr<GossipAdapter> adapter;
    std::unique_ptr<LeaderElectionService> service;
  };
  // A channel a passive node hears of: the leader from declarations.
  struct Watched {
    ChannelStats stats;
    TimePoint heard{};  // the leader's latest declaration
  };
  // Receive storage, shared with the pending receive so that it outlives
  // the node if the node goes first. One byte beyond the limit tells an
  // oversized datagram from one that fits exactly.
  struct Rx {
    std::array<std::uint8_t, wire::kMaxDatagramSize + 1> data;
    udp::endpoint from;
  };

  void arm_receive();
  void on_datagram(std::span<const std::uint8_t> datagram, const udp::endpoint& from);
  void on_leadership(const PeerId& from, const wire::Leadership& msg);
  void on_watched_leadership(const PeerId& from, const wire::Leadership& msg);
  void on_member_event(MembershipEvent event, const Member& member);
  void housekeeping();
  void send(wire::Body body);
  void drop(DropReason reason, const udp::endpoint& from);
  void notify_leader(const std::string& channel, const std::optional<PeerId>& leader);
  void set_watched_leader(const std::string& channel, Watched& w, std::optional<PeerId> leader);
  void close_socket() {
    boost::system::error_code ignored;
    socket_.close(ignored);  // cancels the pending receive
  }
  bool notifying() const { return state_ == State::kRunning; }

  transport::Strand strand_;
  std::shared_ptr<NodeGuard> guard_;
  const NodeConfig config_;
  NodeCallbacks callbacks_;

  State state_ = State::kCreated;
  PeerId self_;
  std::uint64_t incarnation_ = 0;
  std::uint64_t seq_ = 0;  // PeerTime sequence: grows with every message sent
  Profile profile_;
  std::string description_;
  udp::endpoint destination_;
  NodeStats counters_;  // the datagram counters; channel stats live with the channels

  // Declared in dependency order: everything below uses scheduler_, and is
  // destroyed before it.
  StrandScheduler scheduler_;
  udp::socket socket_;
  std::shared_ptr<Rx> rx_ = std::make_shared<Rx>();
  std::optional<wire::Inbox> inbox_;
  std::unique_ptr<Membership> membership_;
  std::map<std::string, Channel> channels_;  // map: node addresses are stable
  std::map<std::string, Watched> watched_;   // passive only
  Timer housekeeping_;
};

Status Node::Impl::start() {
  std::lock_guard lock(guard_->mutex);
  if (state_ == State::kRunning) return Status::error("the node is already running");
  if (state_ != State::kCreated) {
    return Status::error("the node was stopped; a stopped node cannot restart: create a new one");
  }
  if (Status s = validate_config(config_); !s) return s;
  profile_ = resolve_profile(config_).profile;
  self_ = PeerId(config_.id.empty() ? "watch-" + default_node_id() : config_.id);

  const transport::OpenedMulticast opened = transport::open_multicast(
      socket_, {config_.group, config_.port, config_.interface_name, config_.ttl});
  if (!opened.status) return opened.status;
  destination_ = opened.destination;
  description_ = opened.description;

  // Fabric's incarnation: the start time, so a restarted process is a new
  // life of the same id. Wall-clock time, as it must grow across restarts.
  incarnation_ = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  // A passive node has no voice, so nothing it hears can be its own.
  inbox_.emplace(config_.cluster, config_.passive ? PeerId() : self_, incarnation_);

  MembershipCallbacks mcb;
  mcb.send_heartbeat = [this] {
    if (config_.passive) return;
    const Member me = membership_->self();
    send(wire::Heartbeat{me.channels, me.metadata});
  };
  mcb.on_event = [this](MembershipEvent e, const Member& m) { on_member_event(e, m); };
  membership_ =
      std::make_unique<Membership>(scheduler_, self_, incarnation_,
                                   config_.passive ? std::vector<std::string>{} : config_.channels,
                                   config_.metadata, profile_.membership, std::move(mcb));

  if (!config_.passive) {
    for (const std::string& name : config_.channels) {
      auto [it, inserted] = channels_.try_emplace(name);
      if (!inserted) continue;  // a channel named twice runs once
      Channel& ch = it->second;
      ch.stats.channel = name;
      ch.adapter = std::make_unique<GossipAdapter>(
          name, self_, *membership_, [this](const wire::Leadership& m) { send(m); }, ch.stats);
      ElectionCallbacks ecb;
      ecb.on_leader_changed = [this, name](const std::optional<PeerId>& leader) {
        ++channels_.at(name).stats.leader_changes;
        notify_leader(name, leader);
      };
      ch.service = std::make_unique<LeaderElectionService>(*ch.adapter, scheduler_, self_,
                                                           profile_.election, std::move(ecb));
    }
  }

  state_ = State::kRunning;
  arm_receive();
  membership_->start();  // sends the first heartbeat now
  for (auto& [name, ch] : channels_) ch.service->start();
  housekeeping_.arm(profile_.election.declaration_interval(), [this] { housekeeping(); });
  return Status::ok();
}

void Node::Impl::stop() {
  std::lock_guard lock(guard_->mutex);
  if (state_ != State::kRunning) return;
  state_ = State::kStopping;  // callbacks are off from here on
  for (auto& [name, ch] : channels_) ch.service->stop();
  membership_->stop();
  housekeeping_.cancel();
  // The leave lets peers drop us at once and, with fast failover, elect a
  // successor without waiting for our heartbeats to expire.
  if (!config_.passive) send(wire::Leave{});
  state_ = State::kStopped;
  close_socket();
  scheduler_.shutdown();
}

void Node::Impl::yield(const std::string& channel) {
  // On the strand, so the leadership callbacks it causes run there too.
  asio::post(strand_, [this, guard = guard_, channel] {
    std::lock_guard lock(guard->mutex);
    if (!guard->live || state_ != State::kRunning) return;
    if (auto it = channels_.find(channel); it != channels_.end()) it->second.service->yield();
  });
}

void Node::Impl::arm_receive() {
  socket_.async_receive_from(
      asio::buffer(rx_->data), rx_->from,
      asio::bind_executor(strand_, [this, guard = guard_, rx = rx_](
                                       const boost::system::error_code& ec, std::size_t n) {
        std::lock_guard lock(guard->mutex);
        if (!guard->live || state_ != State::kRunning) return;
        if (ec == asio::error::operation_aborted) return;
        if (ec) {
          ++counters_.receive_errors;
        } else {
          on_datagram(std::span<const std::uint8_t>(rx->data.data(), n), rx->from);
        }
        // Re-armed from its own handler: one receive in flight at a time.
        if (state_ == State::kRunning) arm_receive();
      }));
}

void Node::Impl::on_datagram(std::span<const std::uint8_t> datagram, const udp::endpoint& from) {
  ++counters_.datagrams_in;
  counters_.bytes_in += datagram.size();
  wire::Inbox::Result r = inbox_->admit(datagram, scheduler_.now());
  if (!r.ok) {
    drop(r.reason, from);
    return;
  }
  wire::Message& m = r.message;
  if (auto* hb = std::get_if<wire::Heartbeat>(&m.body)) {
    membership_->on_heartbeat(m.sender, m.time.incarnation, std::move(hb->channels),
                              std::move(hb->metadata));
  } else if (const auto* ld = std::get_if<wire::Leadership>(&m.body)) {
    if (config_.passive) {
      on_watched_leadership(m.sender, *ld);
    } else {
      auto it = channels_.find(ld->channel);
      if (it == channels_.end()) {
        drop(DropReason::kUnknownChannel, from);
        return;
      }
      it->second.adapter->deliver(m.sender, ld->declaration);
    }
  } else {
    membership_->on_leave(m.sender, m.time.incarnation);
  }
}

void Node::Impl::on_watched_leadership(const PeerId& from, const wire::Leadership& msg) {
  auto [it, inserted] = watched_.try_emplace(msg.channel);
  Watched& w = it->second;
  if (inserted) w.stats.channel = msg.channel;
  ++(msg.declaration ? w.stats.declarations_received : w.stats.proposals_received);
  // Like an election follower: only declarations of members in the view.
  if (!msg.declaration || !membership_->is_alive(from)) return;
  const TimePoint now = scheduler_.now();
  const bool current = w.stats.leader && now - w.heard <= profile_.election.leader_alive_threshold;
  // While two leaders overlap the higher id is about to step down, so the
  // lower one is the leader to show.
  if (!current || from <= *w.stats.leader) {
    w.heard = now;
    set_watched_leader(msg.channel, w, from);
  }
}

void Node::Impl::set_watched_leader(const std::string& channel, Watched& w,
                                    std::optional<PeerId> leader) {
  if (w.stats.leader == leader) return;
  w.stats.leader = std::move(leader);
  ++w.stats.leader_changes;
  notify_leader(channel, w.stats.leader);
}

void Node::Impl::on_member_event(MembershipEvent event, const Member& member) {
  if (notifying() && callbacks_.on_membership) callbacks_.on_membership(event, member);
  if (event == MembershipEvent::kJoined) return;
  // Dead, left or restarted: if it led a channel, that leadership is over.
  if (profile_.fast_failover) {
    for (auto& [name, ch] : channels_) ch.service->peer_down(member.id);
  }
  for (auto& [name, w] : watched_) {
    if (w.stats.leader == member.id) set_watched_leader(name, w, std::nullopt);
  }
}

void Node::Impl::housekeeping() {
  const TimePoint now = scheduler_.now();
  // Senders silent for longer than membership remembers the dead.
  inbox_->forget_older_than(now - profile_.membership.alive_expiration -
                            profile_.membership.forget_after);
  // A passive node forgets a leader that stopped declaring, as a follower does.
  for (auto& [name, w] : watched_) {
    if (w.stats.leader && now - w.heard > profile_.election.leader_alive_threshold) {
      set_watched_leader(name, w, std::nullopt);
    }
  }
  if (state_ == State::kRunning) {
    housekeeping_.arm(profile_.election.declaration_interval(), [this] { housekeeping(); });
  }
}

void Node::Impl::send(wire::Body body) {
  if (config_.passive) return;  // a passive node never sends
  if (state_ != State::kRunning && state_ != State::kStopping) return;
  wire::Message m;
  m.cluster = config_.cluster;
  m.sender = self_;
  m.time = {incarnation_, ++seq_};
  m.body = std::move(body);
  const wire::Encoded e = wire::encode(m);
  if (!e.status) {  // validate_config() makes this unreachable
    ++counters_.send_errors;
    return;
  }
  // A synchronous send on a non-blocking socket: datagrams are small and
  // rare, and a full buffer fails fast (counted) instead of queueing.
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(e.datagram), destination_, 0, ec);
  if (ec) {
    ++counters_.send_errors;
    return;
  }
  ++counters_.datagrams_out;
  counters_.bytes_out += e.datagram.size();
}

void Node::Impl::drop(DropReason reason, const udp::endpoint& from) {
  ++counters_.drops[static_cast<std::size_t>(reason)];
  if (notifying() && callbacks_.on_drop) {
    const std::string addr = from.address().to_string();
    callbacks_.on_drop(reason, (from.address().is_v6() ? "[" + addr + "]" : addr) + ":" +
                                   std::to_string(from.port()));
  }
}

void Node::Impl::notify_leader(const std::string& channel, const std::optional<PeerId>& leader) {
  if (!notifying() || !callbacks_.on_leader_changed) return;
  callbacks_.on_leader_changed(channel, leader, leader && *leader == self_ && !config_.passive);
}

bool Node::Impl::is_leader(const std::string& channel) const {
  std::lock_guard lock(guard_->mutex);
  if (state_ != State::kRunning) return false;
  auto it = channels_.find(channel);
  return it != channels_.end() && it->second.service->is_leader();
}

std::optional<PeerId> Node::Impl::leader(const std::string& channel) const {
  std::lock_guard lock(guard_->mutex);
  if (state_ != State::kRunning) return std::nullopt;
  if (auto it = channels_.find(channel); it != channels_.end()) return it->second.service->leader();
  if (auto it = watched_.find(channel); it != watched_.end()) return it->second.stats.leader;
  return std::nullopt;
}

std::vector<Member> Node::Impl::members() const {
  std::lock_guard lock(guard_->mutex);
  std::vector<Member> out;
  if (!membership_) return out;
  if (!config_.passive) {
    Member me = membership_->self();
    me.alive = state_ == State::kRunning;
    out.push_back(std::move(me));
  }
  for (Member& m : membership_->members()) out.push_back(std::move(m));
  return out;
}

NodeStats Node::Impl::stats() const {
  std::lock_guard lock(guard_->mutex);
  NodeStats out = counters_;
  const bool up = state_ == State::kRunning;
  for (const auto& [name, ch] : channels_) {
    ChannelStats s = ch.stats;
    s.is_leader = up && ch.service->is_leader();
    s.leader = up ? ch.service->leader() : std::nullopt;
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

Node::Node(asio::io_context& io, NodeConfig config, NodeCallbacks callbacks)
    : impl_(std::make_unique<Impl>(io, std::move(config), std::move(callbacks))) {}
Node::~Node() = default;
Status Node::start() {
  return impl_->start();
}
void Node::stop() {
  impl_->stop();
}
bool Node::running() const {
  return impl_->running();
}
void Node::yield(const std::string& channel) { impl_->yield(channel); }

bool Node::is_leader(const std::string& channel) const {
  return impl_->is_leader(channel);
}
std::optional<PeerId> Node::leader(const std::string& channel) const {
  return impl_->leader(channel);
}
std::vector<Member> Node::members() const {
  return impl_->members();
}
NodeStats Node::stats() const {
  return impl_->stats();
}
const NodeConfig& Node::config() const {
  return impl_->config();
}
Profile Node::profile() const {
  return impl_->profile();
}
std::uint64_t Node::incarnation() const {
  return impl_->incarnation();
}
std::string Node::describe_endpoint() const {
  return impl_->describe_endpoint();
}

}  // namespace lanlord
