#include "lanlord/app/local_cluster.hpp"

#include <algorithm>
#include <utility>

namespace lanlord::app {

std::string local_node_id(std::size_t index, std::size_t count) {
  const std::string number = std::to_string(index + 1);
  const std::size_t width = std::max(std::to_string(count).size(), number.size());
  return "node-" + std::string(width - number.size(), '0') + number;
}

LocalCluster::LocalCluster(std::size_t io_threads) : work_(boost::asio::make_work_guard(io_)) {
  for (std::size_t i = 0; i < std::max<std::size_t>(io_threads, 1); ++i) {
    threads_.emplace_back([this] { io_.run(); });
  }
}

LocalCluster::~LocalCluster() {
  nodes_.clear();
  work_.reset();
  io_.stop();
  for (std::thread& t : threads_) t.join();
}

Node& LocalCluster::add_node(NodeConfig config, NodeCallbacks callbacks) {
  nodes_.push_back(std::make_unique<Node>(io_, std::move(config), std::move(callbacks)));
  return *nodes_.back();
}

Status LocalCluster::start_node(NodeConfig config, NodeCallbacks callbacks) {
  Status s = add_node(std::move(config), std::move(callbacks)).start();
  if (!s) nodes_.pop_back();  // the node just added, even if its id is not unique
  return s;
}

Status LocalCluster::start_nodes(std::size_t count, const NodeConfig& base) {
  for (std::size_t i = 0; i < count; ++i) {
    NodeConfig config = base;
    config.id = local_node_id(i, count);
    if (Status s = start_node(std::move(config)); !s) return s;
  }
  return Status::ok();
}

std::vector<std::unique_ptr<Node>>::iterator LocalCluster::position(std::string_view id) {
  return std::find_if(nodes_.begin(), nodes_.end(),
                      [id](const std::unique_ptr<Node>& n) { return n->config().id == id; });
}

Node* LocalCluster::find(std::string_view id) {
  const auto it = position(id);
  return it == nodes_.end() ? nullptr : it->get();
}

const Node* LocalCluster::find(std::string_view id) const {
  for (const auto& n : nodes_) {
    if (n->config().id == id) return n.get();
  }
  return nullptr;
}

std::vector<std::string> LocalCluster::ids() const {
  std::vector<std::string> out;
  for (const auto& n : nodes_) out.push_back(n->config().id);
  return out;
}

bool LocalCluster::crash(std::string_view id) {
  const auto it = position(id);
  if (it == nodes_.end()) return false;
  nodes_.erase(it);
  return true;
}

bool LocalCluster::stop(std::string_view id) {
  const auto it = position(id);
  if (it == nodes_.end()) return false;
  (*it)->stop();
  nodes_.erase(it);
  return true;
}

void LocalCluster::stop_all(const std::optional<PeerId>& last,
                            const std::function<void(const Node&)>& on_stopped) {
  if (last) {
    std::stable_partition(nodes_.begin(), nodes_.end(),
                          [&last](const auto& n) { return n->config().id != last->bytes(); });
  }
  for (const auto& n : nodes_) {
    n->stop();
    if (on_stopped) on_stopped(*n);
  }
  nodes_.clear();
}

std::optional<PeerId> LocalCluster::agreed_leader(const std::string& channel) const {
  std::optional<PeerId> agreed;
  std::size_t leading = 0;
  for (const auto& n : nodes_) {
    const std::optional<PeerId> leader = n->leader(channel);
    if (!leader || (agreed && *leader != *agreed)) return std::nullopt;
    agreed = leader;
    if (n->is_leader(channel)) ++leading;
  }
  if (leading != 1) return std::nullopt;
  return agreed;
}

std::optional<PeerId> LocalCluster::wait_for_agreement(const std::string& channel,
                                                       Clock::time_point deadline,
                                                       Duration poll) const {
  for (;;) {
    if (std::optional<PeerId> leader = agreed_leader(channel)) return leader;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace lanlord::app
