#include "lanlord/sim/cluster.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <utility>

namespace lanlord::sim {

namespace {
constexpr std::size_t kFrozenBuffer = 4096;  // datagrams a frozen node's socket holds
}  // namespace

namespace {

// A process that can be frozen (SIGSTOP, a VM pause): a timer that falls
// due while it is frozen fires when it thaws, late.
class FreezableScheduler final : public Scheduler {
 public:
  explicit FreezableScheduler(Scheduler& inner) : inner_(inner) {}
  FreezableScheduler(const FreezableScheduler&) = delete;
  FreezableScheduler& operator=(const FreezableScheduler&) = delete;
  ~FreezableScheduler() override {
    for (const auto& [id, inner] : live_) inner_.cancel(inner);
  }

  TimePoint now() const override { return inner_.now(); }
  WallTime wall_now() const override { return inner_.wall_now(); }
  TimePoint pause_clock_now() const override { return inner_.pause_clock_now(); }
  TimerId call_after(Duration delay, std::function<void()> fn) override {
    const TimerId id = ++next_;
    post(id, delay, std::make_shared<std::function<void()>>(std::move(fn)));
    return id;
  }
  void cancel(TimerId id) override {
    const auto it = live_.find(id);
    if (it == live_.end()) return;
    inner_.cancel(it->second);
    live_.erase(it);
  }

  void freeze_until(TimePoint t) { frozen_until_ = std::max(frozen_until_, t); }
  bool frozen() const { return inner_.now() < frozen_until_; }
  TimePoint frozen_until() const { return frozen_until_; }

 private:
  void post(TimerId id, Duration delay, std::shared_ptr<std::function<void()>> fn) {
    live_[id] = inner_.call_after(delay, [this, id, fn] {
      if (frozen()) {
        post(id, frozen_until_ - inner_.now(), fn);
        return;
      }
      live_.erase(id);
      (*fn)();
    });
  }

  Scheduler& inner_;
  std::map<TimerId, TimerId> live_;  // this layer's id -> the inner timer's
  TimerId next_ = 0;
  TimePoint frozen_until_{};
};

}  // namespace

// One simulated process: a production NodeCore behind a scheduler that
// carries its wall-clock offset, can be frozen, and hands its outputs to
// the cluster after every timer.
class SimCluster::Node {
 public:
  Node(SimCluster& cluster, std::size_t index, PeerId id, std::vector<std::string> channels)
      : id_(std::move(id)),
        channels_(std::move(channels)),
        freezable_(cluster.sched_),
        scheduler_(freezable_, [&cluster, index] { cluster.flush(index); }) {}

  void start(const SimClusterOptions& options) {
    NodeCoreConfig c;
    c.id = id_;
    c.cluster = options.cluster;
    c.channels = channels_;
    c.profile = options.profile;
    c.authenticated = options.authenticated;
    c.passive = passive_;
    if (options.unicast) {
      c.unicast.enabled = true;
      c.unicast.address = address_;
      c.unicast.seeds = seeds_;
      c.unicast.max_targets = options.max_unicast_targets;
    }
    core_ = std::make_unique<NodeCore>(scheduler_, std::move(c));
    core_->start();
  }
  void crash() {
    core_.reset();
    held_.clear();
  }

  FreezableScheduler& freezable() { return freezable_; }
  // Datagrams that arrived while frozen, delivered when it thaws.
  std::vector<std::pair<std::size_t, Payload>>& held() { return held_; }
  void set_address(std::string address) { address_ = std::move(address); }
  void set_passive() { passive_ = true; }
  void set_seeds(std::vector<std::string> seeds) {
    seeds_ = seeds;
    if (core_) core_->set_seeds(std::move(seeds));
  }

  const PeerId& id() const { return id_; }
  NodeCore* core() const { return core_.get(); }
  HookedScheduler& scheduler() { return scheduler_; }
  NodeRecord& record() { return record_; }

 private:
  PeerId id_;
  std::vector<std::string> channels_;
  FreezableScheduler freezable_;
  HookedScheduler scheduler_;
  std::vector<std::pair<std::size_t, Payload>> held_;  // (sender, payload)
  bool passive_ = false;
  std::string address_;             // unicast mode
  std::vector<std::string> seeds_;  // unicast mode
  std::unique_ptr<NodeCore> core_;  // empty while crashed
  NodeRecord record_;
};

SimCluster::SimCluster(SimClusterOptions options)
    : options_(std::move(options)), rng_(options_.seed), net_(sched_, rng_) {
  if (Status s = options_.profile.validate(); !s) throw std::invalid_argument(s.message());
  if (options_.channels.empty()) throw std::invalid_argument("SimCluster: no channels");
  if (options_.codec && (!options_.codec->encode || !options_.codec->decode)) {
    throw std::invalid_argument("SimCluster: a codec needs both encode and decode");
  }
  net_.set_default_faults(options_.faults);
}

SimCluster::~SimCluster() {
  // Cores first: their destructors cancel timers that point into them.
  for (auto& n : nodes_) n->crash();
}

std::size_t SimCluster::spawn_passive(const std::string& id) {
  return spawn(id, {}, true);
}

std::size_t SimCluster::spawn(const std::string& id, std::vector<std::string> channels) {
  return spawn(id, std::move(channels), false);
}

std::size_t SimCluster::spawn(const std::string& id, std::vector<std::string> channels,
                              bool passive) {
  PeerId pid(id);
  if (index_of_.count(pid)) throw std::invalid_argument("SimCluster: duplicate id " + id);
  const std::size_t i = nodes_.size();
  nodes_.push_back(
      std::make_unique<Node>(*this, i, pid, channels.empty() ? options_.channels : channels));
  index_of_.emplace(pid, i);
  if (passive) nodes_[i]->set_passive();
  const EndpointIndex e = net_.add_endpoint(
      [this, i](EndpointIndex from, const Payload& payload) { deliver(i, from, payload); });
  (void)e;  // endpoint index == node index
  if (options_.unicast) {
    nodes_[i]->set_address(address(i));
    node_at_.emplace(address(i), i);
    std::vector<std::size_t> seeds;
    for (std::size_t k = 0; seeds.size() < options_.unicast_seeds; ++k) {
      if (k != i) seeds.push_back(k);
    }
    std::vector<std::string> named;
    for (std::size_t k : seeds) named.push_back(address(k));
    nodes_[i]->set_seeds(std::move(named));
  }
  nodes_[i]->start(options_);
  flush(i);
  return i;
}

void SimCluster::crash(std::size_t i) {
  nodes_.at(i)->crash();
  net_.set_up(i, false);
}

void SimCluster::restart(std::size_t i) {
  nodes_.at(i)->crash();
  net_.set_up(i, true);
  nodes_[i]->start(options_);
  flush(i);
}

void SimCluster::leave(std::size_t i) {
  if (NodeCore* c = nodes_.at(i)->core()) {
    c->stop();
    flush(i);
  }
}

void SimCluster::yield(std::size_t i, const std::string& channel) {
  core(i).yield(channel.empty() ? this->channel() : channel);
  flush(i);
}

void SimCluster::freeze(std::size_t i, Duration d) {
  Node& n = *nodes_.at(i);
  n.freezable().freeze_until(now() + d);
  sched_.call_after(d, [this, i] {
    Node& node = *nodes_.at(i);
    if (node.freezable().frozen()) return;  // frozen again for longer: a later thaw
    std::vector<std::pair<std::size_t, Payload>> held = std::move(node.held());
    node.held().clear();
    for (const auto& [from, p] : held) deliver(i, from, p);
  });
}

bool SimCluster::frozen(std::size_t i) const {
  return nodes_.at(i)->freezable().frozen();
}

void SimCluster::set_wall_offset(std::size_t i, Duration offset) {
  nodes_.at(i)->scheduler().set_wall_offset(offset);
}

void SimCluster::inject(std::size_t i, const Message& message) {
  if (options_.codec) {
    Bytes bytes;
    if (Status s = options_.codec->encode(message, bytes); !s) {
      throw std::invalid_argument("SimCluster::inject: " + s.message());
    }
    deliver(i, kNoSender, Payload{std::move(bytes)});
  } else {
    deliver(i, kNoSender, Payload{message});
  }
}

void SimCluster::inject_bytes(std::size_t i, const Bytes& datagram) {
  if (!options_.codec) throw std::logic_error("SimCluster::inject_bytes needs a codec");
  deliver(i, kNoSender, Payload{datagram});
}

std::string SimCluster::address(std::size_t i) {
  // 198.18.0.0/15 (benchmarking addresses): 131,072 nodes at most.
  return "198." + std::to_string(18 + (i + 1) / 65536) + "." + std::to_string((i + 1) / 256 % 256) +
         "." + std::to_string((i + 1) % 256) + ":7676";
}

void SimCluster::set_seeds(std::size_t i, const std::vector<std::size_t>& seeds) {
  std::vector<std::string> named;
  for (std::size_t k : seeds) named.push_back(address(k));
  nodes_.at(i)->set_seeds(std::move(named));
  flush(i);
}

// Hands one copy to node i's core, checks the safety rule, and sends what
// the core wants sent.
void SimCluster::deliver(std::size_t i, std::size_t from, const Payload& payload) {
  NodeCore* c = nodes_.at(i)->core();
  if (c == nullptr) return;
  if (nodes_[i]->freezable().frozen()) {
    // The socket buffer holds them (a bounded one: the rest is lost).
    if (nodes_[i]->held().size() < kFrozenBuffer) nodes_[i]->held().emplace_back(from, payload);
    return;
  }
  // Unicast nodes learn addresses from where a datagram came from.
  const std::string origin = options_.unicast && from != kNoSender ? address(from) : "sim";
  const Message* m = std::get_if<Message>(&payload);
  Message decoded;
  if (const auto* bytes = std::get_if<Bytes>(&payload)) {
    if (const auto reason = options_.codec->decode(*bytes, decoded)) {
      c->drop(*reason, origin);
      flush(i);
      return;
    }
    m = &decoded;
  }
  const bool admitted = c->step(*m, origin);
  if (observers_.received) observers_.received(i, *m, admitted);
  // Safety: after accepting a declaration from a lower id, no claim to lead.
  const auto* ld = std::get_if<Leadership>(&m->body);
  if (admitted && ld && ld->declaration && ld->channel == channel() && m->sender < c->id() &&
      c->is_leader(channel()) && c->membership().is_alive(m->sender, channel())) {
    violations_.push_back(c->id().bytes() + " still leads after a declaration from " +
                          m->sender.bytes() +
                          " at t=" + std::to_string(now().time_since_epoch().count()) + "ns");
  }
  flush(i);
}

// Takes node i's outputs: records them, and broadcasts its messages.
void SimCluster::flush(std::size_t i) {
  Node& n = *nodes_.at(i);
  NodeCore* c = n.core();
  if (c == nullptr || !c->has_ready()) return;
  Ready r = c->ready();
  NodeRecord& rec = n.record();
  for (const NodeEvent& e : r.events) {
    if (observers_.event) observers_.event(i, e);
    if (const auto* lc = std::get_if<LeadershipChanged>(&e)) {
      if (lc->channel != channel()) continue;
      rec.callback_invoked = true;
      rec.leader_from_callback = lc->is_leader;
    } else if (const auto* ld = std::get_if<LeaderChanged>(&e)) {
      if (ld->channel == channel()) ++rec.leader_changes;
    } else if (const auto* mc = std::get_if<MemberChanged>(&e)) {
      switch (mc->event) {
        case MembershipEvent::kJoined:
          ++rec.peers_joined;
          break;
        case MembershipEvent::kLeft:
          ++rec.peers_left;
          break;
        case MembershipEvent::kDead:
          ++rec.peers_dead;
          break;
        case MembershipEvent::kRestarted:
          ++rec.peers_restarted;
          break;
        case MembershipEvent::kEvicted:
          ++rec.peers_evicted;
          break;
      }
    } else if (std::holds_alternative<Dropped>(e)) {
      ++rec.drops;
    } else if (const auto* ic = std::get_if<IdConflict>(&e)) {
      ++rec.id_conflicts;
      if (ic->stopped) rec.stopped_as_duplicate = true;
    } else if (std::holds_alternative<Warning>(e)) {
      ++rec.warnings;
    }
  }
  for (Message& m : r.messages) {
    if (const auto* ld = std::get_if<Leadership>(&m.body)) {
      ++rec.gossiped;
      ++(ld->declaration ? rec.declarations : rec.proposals);
      if (ld->declaration && ld->channel == channel()) rec.declaration_times.push_back(now());
    } else if (std::holds_alternative<Heartbeat>(m.body)) {
      ++rec.heartbeats;
    }
    if (options_.codec) {
      Bytes bytes;
      if (Status s = options_.codec->encode(m, bytes); !s) {
        throw std::logic_error("SimCluster: a node produced an unencodable message: " +
                               s.message());
      }
      if (observers_.sent) observers_.sent(i, m, &bytes);
      transmit(i, *c, Payload{std::move(bytes)});
    } else {
      if (observers_.sent) observers_.sent(i, m, nullptr);
      transmit(i, *c, Payload{std::move(m)});
    }
  }
  // Unicast: messages for some addresses only (reconnect heartbeats).
  for (Addressed& a : r.direct) {
    if (std::holds_alternative<Heartbeat>(a.message.body)) ++rec.heartbeats;
    std::vector<EndpointIndex> to;
    for (const std::string& address : a.to) {
      const auto it = node_at_.find(address);
      if (it == node_at_.end()) {
        ++unroutable_;
      } else {
        to.push_back(it->second);
      }
    }
    if (options_.codec) {
      Bytes bytes;
      if (Status s = options_.codec->encode(a.message, bytes); !s) {
        throw std::logic_error("SimCluster: a node produced an unencodable message: " +
                               s.message());
      }
      if (observers_.sent) observers_.sent(i, a.message, &bytes);
      net_.send(i, Payload{std::move(bytes)}, to);
    } else {
      if (observers_.sent) observers_.sent(i, a.message, nullptr);
      net_.send(i, Payload{std::move(a.message)}, to);
    }
  }
}

void SimCluster::transmit(std::size_t i, const NodeCore& core, Payload payload) {
  if (!options_.unicast) {
    net_.broadcast(i, std::move(payload));
    return;
  }
  std::vector<EndpointIndex> to;
  for (const std::string& target : core.unicast_targets()) {
    const auto it = node_at_.find(target);
    if (it == node_at_.end()) {
      ++unroutable_;
      continue;
    }
    to.push_back(it->second);
  }
  net_.send(i, std::move(payload), to);
}

const PeerId& SimCluster::id(std::size_t i) const {
  return nodes_.at(i)->id();
}

std::optional<std::size_t> SimCluster::index_of(const std::string& id) const {
  const auto it = index_of_.find(PeerId(id));
  if (it == index_of_.end()) return std::nullopt;
  return it->second;
}

bool SimCluster::running(std::size_t i) const {
  const NodeCore* c = nodes_.at(i)->core();
  return net_.is_up(i) && c != nullptr && c->running();
}

NodeCore& SimCluster::core(std::size_t i) {
  NodeCore* c = nodes_.at(i)->core();
  if (c == nullptr) throw std::logic_error("SimCluster: node " + id(i).bytes() + " is crashed");
  return *c;
}

const NodeCore& SimCluster::core(std::size_t i) const {
  return const_cast<SimCluster*>(this)->core(i);
}

const NodeRecord& SimCluster::record(std::size_t i) const {
  return nodes_.at(i)->record();
}

void SimCluster::reset_callback_invoked(std::size_t i) {
  nodes_.at(i)->record().callback_invoked = false;
}

std::vector<std::size_t> SimCluster::leaders(const std::string& channel) const {
  const std::string& ch = channel.empty() ? this->channel() : channel;
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (running(i) && nodes_[i]->core()->is_leader(ch)) out.push_back(i);
  }
  return out;
}

std::vector<std::string> SimCluster::leader_ids(const std::string& channel) const {
  std::vector<std::string> out;
  for (std::size_t i : leaders(channel)) out.push_back(id(i).bytes());
  return out;
}

std::vector<std::vector<std::size_t>> SimCluster::components() const {
  std::map<std::size_t, std::vector<std::size_t>> by_group;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (running(i)) by_group[net_.group_of(i)].push_back(i);
  }
  std::vector<std::vector<std::size_t>> out;
  for (auto& [g, members] : by_group) out.push_back(std::move(members));
  return out;
}

}  // namespace lanlord::sim
