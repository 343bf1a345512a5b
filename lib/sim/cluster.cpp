#include "lanlord/sim/cluster.hpp"

#include <map>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace lanlord::sim {

namespace {

// Datagram type bytes. 1 and 2 are the election messages as they always were.
constexpr std::uint8_t kProposal = 1;
constexpr std::uint8_t kDeclaration = 2;
constexpr std::uint8_t kHeartbeat = 3;
constexpr std::uint8_t kLeave = 4;

void put_u64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_string(Bytes& out, std::string_view s) {
  // A 16-bit length is plenty for ids, channel names and sim metadata.
  if (s.size() > 0xffff) throw std::invalid_argument("sim datagram: field longer than 65535");
  out.push_back(static_cast<std::uint8_t>(s.size()));
  out.push_back(static_cast<std::uint8_t>(s.size() >> 8));
  out.insert(out.end(), s.begin(), s.end());
}

// Reads fields off a datagram; any overrun makes ok() false instead of
// reading past the end, so a truncated datagram decodes to nothing.
class Reader {
 public:
  explicit Reader(const Bytes& d) : d_(d) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == d_.size(); }
  std::uint8_t u8() {
    if (!need(1)) return 0;
    return d_[pos_++];
  }
  std::uint64_t u64() {
    if (!need(8)) return 0;
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t{d_[pos_++]} << (8 * i);
    return v;
  }
  std::string str() {
    if (!need(2)) return {};
    const std::size_t n = d_[pos_] | (std::size_t{d_[pos_ + 1]} << 8);
    pos_ += 2;
    if (!need(n)) return {};
    std::string s(d_.begin() + static_cast<std::ptrdiff_t>(pos_),
                  d_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
    return s;
  }

 private:
  bool need(std::size_t n) {
    if (!ok_ || d_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  const Bytes& d_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

Bytes encode_sim_message(const ElectionMessage& msg) {
  Bytes out;
  out.reserve(1 + msg.sender.bytes().size());
  out.push_back(msg.declaration ? kDeclaration : kProposal);
  out.insert(out.end(), msg.sender.bytes().begin(), msg.sender.bytes().end());
  return out;
}

std::optional<ElectionMessage> decode_sim_message(const Bytes& datagram) {
  if (datagram.size() < 2 || (datagram[0] != kProposal && datagram[0] != kDeclaration)) {
    return std::nullopt;
  }
  return ElectionMessage{PeerId(std::string(datagram.begin() + 1, datagram.end())),
                         datagram[0] == kDeclaration};
}

Bytes encode_sim_heartbeat(const SimHeartbeat& hb) {
  Bytes out{kHeartbeat};
  put_u64(out, hb.incarnation);
  put_string(out, hb.sender.bytes());
  put_u64(out, hb.channels.size());
  for (const auto& c : hb.channels) put_string(out, c);
  put_string(out, hb.metadata);
  return out;
}

std::optional<SimHeartbeat> decode_sim_heartbeat(const Bytes& datagram) {
  Reader r(datagram);
  if (r.u8() != kHeartbeat) return std::nullopt;
  SimHeartbeat hb;
  hb.incarnation = r.u64();
  hb.sender = PeerId(r.str());
  const std::uint64_t n = r.u64();
  for (std::uint64_t i = 0; r.ok() && i < n; ++i) hb.channels.push_back(r.str());
  hb.metadata = r.str();
  if (!r.ok() || !r.at_end() || hb.sender.empty()) return std::nullopt;
  return hb;
}

Bytes encode_sim_leave(const SimLeave& leave) {
  Bytes out{kLeave};
  put_u64(out, leave.incarnation);
  put_string(out, leave.sender.bytes());
  return out;
}

std::optional<SimLeave> decode_sim_leave(const Bytes& datagram) {
  Reader r(datagram);
  if (r.u8() != kLeave) return std::nullopt;
  SimLeave leave;
  leave.incarnation = r.u64();
  leave.sender = PeerId(r.str());
  if (!r.ok() || !r.at_end() || leave.sender.empty()) return std::nullopt;
  return leave;
}

// One simulated process: its adapter, its service, and what was seen of it.
class SimCluster::Node final : public ElectionAdapter {
 public:
  Node(SimCluster& cluster, std::size_t index, PeerId id)
      : cluster_(cluster), index_(index), id_(std::move(id)) {}

  void start_service() {
    if (cluster_.options_.membership) start_membership();
    ElectionCallbacks cb;
    cb.on_leadership = [this](bool is_leader) {
      record_.callback_invoked = true;
      record_.leader_from_callback = is_leader;
    };
    cb.on_leader_changed = [this](const std::optional<PeerId>&) { ++record_.leader_changes; };
    service_ = std::make_unique<LeaderElectionService>(*this, cluster_.sched_, id_,
                                                       cluster_.options_.election, std::move(cb));
    service_->start();
  }

  // The service goes first: it calls into the adapter, hence the membership.
  void destroy_service() {
    service_.reset();
    membership_.reset();
  }

  // Graceful departure: the goodbye goes out before the node falls silent.
  void leave() {
    if (!membership_) return;
    if (membership_->running()) {
      cluster_.net_.broadcast(index_, encode_sim_leave(SimLeave{id_, incarnation_}));
    }
    if (service_) service_->stop();
    membership_->stop();
  }

  // Called by the network for every datagram that reaches this node.
  void receive(const Bytes& datagram) {
    if (!datagram.empty() && (datagram[0] == kHeartbeat || datagram[0] == kLeave)) {
      receive_membership(datagram);
      return;
    }
    const auto msg = decode_sim_message(datagram);
    if (!msg || !handler_) return;
    handler_(*msg);
    // Safety: after accepting a declaration from a lower id, no claim to lead.
    if (msg->is_declaration() && msg->sender < id_ && service_ && service_->is_leader() &&
        is_alive(msg->sender)) {
      cluster_.violations_.push_back(
          id_.bytes() + " still leads after a declaration from " + msg->sender.bytes() +
          " at t=" + std::to_string(cluster_.now().time_since_epoch().count()) + "ns");
    }
  }

  // ElectionAdapter
  void gossip(const ElectionMessage& msg) override {
    ++record_.gossiped;
    cluster_.net_.broadcast(index_, encode_sim_message(msg));
  }
  void accept(MessageHandler handler) override { handler_ = std::move(handler); }
  ElectionMessage create_message(bool is_declaration) override {
    return ElectionMessage{id_, is_declaration};
  }
  std::vector<PeerId> peers() override {
    if (membership_) {
      std::vector<PeerId> out = membership_->alive_peers();
      out.push_back(id_);  // the reachability view includes self too
      return out;
    }
    std::vector<PeerId> out;
    for (std::size_t j = 0; j < cluster_.nodes_.size(); ++j) {
      if (cluster_.net_.reachable(index_, j)) out.push_back(cluster_.nodes_[j]->id_);
    }
    return out;
  }
  bool is_alive(const PeerId& id) override {
    if (membership_) return id == id_ || membership_->is_alive(id);
    const auto it = cluster_.index_of_.find(id);
    return it != cluster_.index_of_.end() && cluster_.net_.reachable(index_, it->second);
  }
  void report_metrics(bool is_leader) override {
    ++(is_leader ? record_.metrics_true : record_.metrics_false);
  }

  const PeerId& id() const { return id_; }
  LeaderElectionService* service() { return service_.get(); }
  const Membership* membership() const { return membership_.get(); }
  NodeRecord& record() { return record_; }

 private:
  void start_membership() {
    // Each life gets a higher incarnation, so peers tell it from the last one.
    ++incarnation_;
    MembershipCallbacks cb;
    cb.send_heartbeat = [this] {
      cluster_.net_.broadcast(index_,
                              encode_sim_heartbeat(SimHeartbeat{id_, incarnation_, {}, {}}));
    };
    cb.on_event = [this](MembershipEvent e, const Member& m) { on_membership_event(e, m); };
    membership_ =
        std::make_unique<Membership>(cluster_.sched_, id_, incarnation_, std::vector<std::string>{},
                                     std::string{}, *cluster_.options_.membership, std::move(cb));
    membership_->start();
  }

  void on_membership_event(MembershipEvent e, const Member& m) {
    switch (e) {
      case MembershipEvent::kJoined:
        ++record_.peers_joined;
        return;
      case MembershipEvent::kLeft:
        ++record_.peers_left;
        break;
      case MembershipEvent::kDead:
        ++record_.peers_dead;
        break;
      case MembershipEvent::kRestarted:
        ++record_.peers_restarted;
        break;
    }
    if (cluster_.options_.fast_failover && service_) {
      ++record_.peer_down_calls;
      service_->peer_down(m.id);
    }
  }

  void receive_membership(const Bytes& datagram) {
    if (!membership_) return;
    if (auto hb = decode_sim_heartbeat(datagram)) {
      membership_->on_heartbeat(hb->sender, hb->incarnation, std::move(hb->channels),
                                std::move(hb->metadata));
    } else if (auto leave = decode_sim_leave(datagram)) {
      membership_->on_leave(leave->sender, leave->incarnation);
    }
  }

  SimCluster& cluster_;
  std::size_t index_;
  PeerId id_;
  std::unique_ptr<Membership> membership_;  // membership mode only
  std::uint64_t incarnation_ = 0;           // of the current life; 0 before the first
  std::unique_ptr<LeaderElectionService> service_;
  MessageHandler handler_;
  NodeRecord record_;
};

SimCluster::SimCluster(SimClusterOptions options)
    : options_(std::move(options)), rng_(options_.seed), net_(sched_, rng_) {
  if (Status s = options_.election.validate(); !s) throw std::invalid_argument(s.message());
  if (options_.membership) {
    if (Status s = options_.membership->validate(); !s) throw std::invalid_argument(s.message());
  } else if (options_.fast_failover) {
    throw std::invalid_argument("SimCluster: fast_failover needs membership mode");
  }
  net_.set_default_faults(options_.faults);
}

SimCluster::~SimCluster() {
  // Services first: their destructors cancel timers that point into nodes.
  for (auto& n : nodes_) n->destroy_service();
}

std::size_t SimCluster::spawn(const std::string& id) {
  PeerId pid(id);
  if (index_of_.count(pid)) throw std::invalid_argument("SimCluster: duplicate id " + id);
  const std::size_t i = nodes_.size();
  nodes_.push_back(std::make_unique<Node>(*this, i, pid));
  index_of_.emplace(pid, i);
  const EndpointIndex e =
      net_.add_endpoint([this, i](EndpointIndex, const Bytes& d) { nodes_[i]->receive(d); });
  (void)e;  // endpoint index == node index
  nodes_[i]->start_service();
  return i;
}

void SimCluster::crash(std::size_t i) {
  nodes_.at(i)->destroy_service();
  net_.set_up(i, false);
}

void SimCluster::restart(std::size_t i) {
  nodes_.at(i)->destroy_service();
  net_.set_up(i, true);
  nodes_[i]->start_service();
}

void SimCluster::stop(std::size_t i) {
  if (auto* s = nodes_.at(i)->service()) s->stop();
}

void SimCluster::leave(std::size_t i) {
  if (!membership_mode()) throw std::logic_error("SimCluster::leave needs membership mode");
  nodes_.at(i)->leave();
}

const Membership* SimCluster::membership(std::size_t i) const {
  return nodes_.at(i)->membership();
}

const PeerId& SimCluster::id(std::size_t i) const {
  return nodes_.at(i)->id();
}

bool SimCluster::running(std::size_t i) const {
  auto* s = nodes_.at(i)->service();
  return net_.is_up(i) && s != nullptr && s->phase() != LeaderElectionService::Phase::kStopped;
}

LeaderElectionService& SimCluster::service(std::size_t i) {
  auto* s = nodes_.at(i)->service();
  if (s == nullptr) throw std::logic_error("SimCluster: node " + id(i).bytes() + " is crashed");
  return *s;
}

const NodeRecord& SimCluster::record(std::size_t i) const {
  return nodes_.at(i)->record();
}

void SimCluster::reset_callback_invoked(std::size_t i) {
  nodes_.at(i)->record().callback_invoked = false;
}

std::vector<std::size_t> SimCluster::leaders() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (running(i) && nodes_[i]->service()->is_leader()) out.push_back(i);
  }
  return out;
}

std::vector<std::string> SimCluster::leader_ids() const {
  std::vector<std::string> out;
  for (std::size_t i : leaders()) out.push_back(id(i).bytes());
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
