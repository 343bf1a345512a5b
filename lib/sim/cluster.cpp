#include "lanlord/sim/cluster.hpp"

#include <map>
#include <stdexcept>
#include <utility>

namespace lanlord::sim {

Bytes encode_sim_message(const ElectionMessage& msg) {
  Bytes out;
  out.reserve(1 + msg.sender.bytes().size());
  out.push_back(msg.declaration ? 2 : 1);
  out.insert(out.end(), msg.sender.bytes().begin(), msg.sender.bytes().end());
  return out;
}

std::optional<ElectionMessage> decode_sim_message(const Bytes& datagram) {
  if (datagram.size() < 2 || (datagram[0] != 1 && datagram[0] != 2)) return std::nullopt;
  return ElectionMessage{PeerId(std::string(datagram.begin() + 1, datagram.end())),
                         datagram[0] == 2};
}

// One simulated process: its adapter, its service, and what was seen of it.
class SimCluster::Node final : public ElectionAdapter {
 public:
  Node(SimCluster& cluster, std::size_t index, PeerId id)
      : cluster_(cluster), index_(index), id_(std::move(id)) {}

  void start_service() {
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

  void destroy_service() { service_.reset(); }

  // Called by the network for every datagram that reaches this node.
  void receive(const Bytes& datagram) {
    const auto msg = decode_sim_message(datagram);
    if (!msg || !handler_) return;
    handler_(*msg);
    // Safety: after accepting a declaration from a lower id, no claim to lead.
    if (msg->is_declaration() && msg->sender < id_ && service_ && service_->is_leader() &&
        is_alive(msg->sender)) {
      cluster_.violations_.push_back(id_.bytes() + " still leads after a declaration from " +
                                     msg->sender.bytes() + " at t=" +
                                     std::to_string(cluster_.now().time_since_epoch().count()) +
                                     "ns");
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
    std::vector<PeerId> out;
    for (std::size_t j = 0; j < cluster_.nodes_.size(); ++j) {
      if (cluster_.net_.reachable(index_, j)) out.push_back(cluster_.nodes_[j]->id_);
    }
    return out;
  }
  bool is_alive(const PeerId& id) override {
    const auto it = cluster_.index_of_.find(id);
    return it != cluster_.index_of_.end() && cluster_.net_.reachable(index_, it->second);
  }
  void report_metrics(bool is_leader) override {
    ++(is_leader ? record_.metrics_true : record_.metrics_false);
  }

  const PeerId& id() const { return id_; }
  LeaderElectionService* service() { return service_.get(); }
  NodeRecord& record() { return record_; }

 private:
  SimCluster& cluster_;
  std::size_t index_;
  PeerId id_;
  std::unique_ptr<LeaderElectionService> service_;
  MessageHandler handler_;
  NodeRecord record_;
};

SimCluster::SimCluster(SimClusterOptions options)
    : options_(std::move(options)), rng_(options_.seed), net_(sched_, rng_) {
  if (Status s = options_.election.validate(); !s) throw std::invalid_argument(s.message());
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

const PeerId& SimCluster::id(std::size_t i) const { return nodes_.at(i)->id(); }

bool SimCluster::running(std::size_t i) const {
  auto* s = nodes_.at(i)->service();
  return net_.is_up(i) && s != nullptr && s->phase() != LeaderElectionService::Phase::kStopped;
}

LeaderElectionService& SimCluster::service(std::size_t i) {
  auto* s = nodes_.at(i)->service();
  if (s == nullptr) throw std::logic_error("SimCluster: node " + id(i).bytes() + " is crashed");
  return *s;
}

const NodeRecord& SimCluster::record(std::size_t i) const { return nodes_.at(i)->record(); }

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
