// LocalCluster: N lanlord Nodes in this process, on one io_context, for
// the demo and the benchmark. The nodes talk over real UDP multicast on the
// group, port and interface their configs name (loopback unless a config
// says otherwise); crash() and stop() take one away abruptly or gracefully.
//
//   lanlord::app::LocalCluster cluster;
//   lanlord::NodeConfig base{.cluster = "bench-42", .profile = "fast"};
//   if (Status s = cluster.start_nodes(5, base); !s) ...;
//   auto leader = cluster.wait_for_agreement("default", Clock::now() + 10s);
//   if (leader) cluster.crash(leader->bytes());
//
// Threading: a LocalCluster's methods are called from one thread at a time
// (the caller's "story" thread); the nodes' callbacks run on the cluster's
// io threads. Node methods are thread-safe, so the story may read nodes
// through find() while they run.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lanlord/node.hpp"
#include "lanlord/peer_id.hpp"
#include "lanlord/status.hpp"
#include "lanlord/time.hpp"

namespace lanlord::app {

// "node-1" .. "node-N" for index 0 .. count-1, zero-padded so that byte
// order (which decides elections) is numeric order: node-02 < node-10.
std::string local_node_id(std::size_t index, std::size_t count);

class LocalCluster {
 public:
  // Starts `io_threads` (at least 1) threads that run the io_context until
  // destruction.
  explicit LocalCluster(std::size_t io_threads = 1);
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;
  // Destroys the remaining nodes without stop() (call stop_all() first for
  // a graceful end), then stops and joins the io threads.
  ~LocalCluster();

  boost::asio::io_context& io() { return io_; }

  // Creates a node with `config` and `callbacks` on the cluster's
  // io_context, without starting it (the caller may wire the node into
  // whatever its callbacks report to, then call start()). The reference is
  // valid until the node is crashed, stopped or the cluster destroyed.
  // Ids must be unique in the cluster.
  Node& add_node(NodeConfig config, NodeCallbacks callbacks = {});
  // add_node() and start(); on failure the node is removed again.
  Status start_node(NodeConfig config, NodeCallbacks callbacks = {});
  // Starts `count` nodes that share `base` (profile, group, port, cluster,
  // channels...), with ids local_node_id(i, count). Stops at the first
  // failure; nodes started before it keep running.
  Status start_nodes(std::size_t count, const NodeConfig& base);

  // The node with `id`, or nullptr.
  Node* find(std::string_view id);
  const Node* find(std::string_view id) const;
  // The nodes' ids, in the order they were added.
  std::vector<std::string> ids() const;
  std::size_t size() const { return nodes_.size(); }

  // Destroys `id`'s node without stop(): no leave is sent, its socket just
  // goes quiet, as when a process is killed. False if there is no such node.
  bool crash(std::string_view id);
  // Stops `id`'s node gracefully (it sends a leave) and removes it.
  bool stop(std::string_view id);
  // Stops every node gracefully, `last` last (if given) so that the others
  // do not re-elect on the way out, calling `on_stopped` after each stop().
  void stop_all(const std::optional<PeerId>& last = std::nullopt,
                const std::function<void(const Node&)>& on_stopped = {});

  // The leader of `channel` every node agrees on, if they do: each knows
  // the same leader and exactly one of them says it leads. Empty when they
  // do not, or when there are no nodes.
  std::optional<PeerId> agreed_leader(const std::string& channel) const;
  // Polls agreed_leader() every `poll` until it is not empty or `deadline`
  // passes (then empty). The returned agreement is at most `poll` late.
  std::optional<PeerId> wait_for_agreement(const std::string& channel, Clock::time_point deadline,
                                           Duration poll = std::chrono::milliseconds(2)) const;

 private:
  std::vector<std::unique_ptr<Node>>::iterator position(std::string_view id);

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace lanlord::app
