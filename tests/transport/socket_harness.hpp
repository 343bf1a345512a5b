// Helpers for the real-socket tests: a fresh group and port per test, an
// io_context on its own thread, a set of Nodes with fast timings on
// loopback, and waiting on conditions with a generous deadline, stretched
// under sanitizers by the test command's one factor (../time_scale.hpp).
#pragma once

#include <doctest/doctest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../time_scale.hpp"
#include "lanlord/node.hpp"

namespace lanlord::test {

using namespace std::chrono_literals;

inline std::mt19937_64& test_rng() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  return rng;
}

// Where one test's nodes meet: a random group in 239.0.0.0/8 (never the
// default 239.255.76.76), a random port, a random cluster name, so tests
// running side by side never hear each other.
struct Net {
  std::string group;
  std::uint16_t port = 0;
  std::string cluster;
};

inline Net fresh_net() {
  auto& rng = test_rng();
  std::uniform_int_distribution<int> octet(1, 254);
  std::uniform_int_distribution<int> port(20000, 59999);
  Net n;
  n.group = "239." + std::to_string(octet(rng)) + "." + std::to_string(octet(rng)) + "." +
            std::to_string(octet(rng));
  n.port = static_cast<std::uint16_t>(port(rng));
  n.cluster = "test-" + std::to_string(rng() % 1000000);
  return n;
}

// The fast profile on loopback (interface lo, outgoing 127.0.0.1, TTL 0:
// nothing can leave the host).
inline NodeConfig fast_config(const Net& net, std::string id,
                              std::vector<std::string> channels = {"default"}) {
  NodeConfig c;
  c.id = std::move(id);
  c.cluster = net.cluster;
  c.channels = std::move(channels);
  c.group = net.group;
  c.port = net.port;
  c.interface_name = "lo";
  c.ttl = 0;
  c.profile = "fast";
  return c;
}

// An io_context run by one background thread for the test's lifetime.
class IoThread {
 public:
  IoThread() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~IoThread() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

// Polls `done` until it holds or `limit` (times the factor) passes. Tests
// state outcomes, never how fast they came.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + scaled(limit);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

// Polls `holds` until it has been true without a break for `span` (times
// the factor); false if that has not happened when `limit` (times the
// factor) passes. For outcomes that must last, not just happen once.
inline bool holds_for(const std::function<bool()>& holds, std::chrono::milliseconds span,
                      std::chrono::milliseconds limit = 10s) {
  const auto now = [] { return std::chrono::steady_clock::now(); };
  const auto deadline = now() + scaled(limit);
  // A flag beside the time point, not a std::optional: GCC 12 at -O1 (the
  // test bodies' level) reports the optional's value as maybe-uninitialized.
  bool holding = false;
  std::chrono::steady_clock::time_point since{};
  while (now() < deadline) {
    if (!holds()) {
      holding = false;
    } else if (!holding) {
      holding = true;
      since = now();
    } else if (now() - since >= scaled(span)) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// Everything the callbacks of one node reported, safe to read from the test.
struct Recorder {
  std::mutex mutex;
  std::vector<std::pair<MembershipEvent, Member>> membership;
  std::vector<std::tuple<std::string, std::optional<PeerId>, bool>> leaders;
  std::vector<std::pair<DropReason, std::string>> drops;

  NodeCallbacks callbacks() {
    NodeCallbacks cb;
    cb.on_membership = [this](MembershipEvent e, const Member& m) {
      std::lock_guard lock(mutex);
      membership.emplace_back(e, m);
    };
    cb.on_leader_changed = [this](const std::string& ch, const std::optional<PeerId>& l,
                                  bool self) {
      std::lock_guard lock(mutex);
      leaders.emplace_back(ch, l, self);
    };
    cb.on_drop = [this](DropReason r, const std::string& from) {
      std::lock_guard lock(mutex);
      drops.emplace_back(r, from);
    };
    return cb;
  }
  bool saw(MembershipEvent e, const std::string& id) {
    std::lock_guard lock(mutex);
    for (const auto& [ev, m] : membership) {
      if (ev == e && m.id == PeerId(id)) return true;
    }
    return false;
  }
};

// Nodes of one test, on one io_context.
class Nodes {
 public:
  Nodes(boost::asio::io_context& io, Net net) : io_(io), net_(std::move(net)) {}

  // Starts a node with fast_config(); REQUIREs that start() succeeds.
  std::size_t spawn(const std::string& id, std::vector<std::string> channels = {"default"}) {
    return spawn(fast_config(net_, id, std::move(channels)));
  }
  std::size_t spawn(NodeConfig config) {
    auto rec = std::make_unique<Recorder>();
    auto node = std::make_unique<Node>(io_, std::move(config), rec->callbacks());
    const Status s = node->start();
    REQUIRE_MESSAGE(s.is_ok(), s.message());
    nodes_.push_back(std::move(node));
    recorders_.push_back(std::move(rec));
    return nodes_.size() - 1;
  }

  Node& node(std::size_t i) { return *nodes_.at(i); }
  Recorder& recorder(std::size_t i) { return *recorders_.at(i); }
  bool up(std::size_t i) const { return nodes_.at(i) && nodes_[i]->running(); }
  std::size_t size() const { return nodes_.size(); }
  const Net& net() const { return net_; }

  // Destroys node i without a leave, like a crash.
  void crash(std::size_t i) { nodes_.at(i).reset(); }

  // Index of the node with id `id` among the running ones.
  std::optional<std::size_t> index_of(const PeerId& id) const {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (up(i) && PeerId(nodes_[i]->config().id) == id) return i;
    }
    return std::nullopt;
  }

  // The leader of `channel` if exactly one of `among` (default: every
  // running node) claims it and all of them name it.
  std::optional<PeerId> agreed_leader(const std::string& channel,
                                      std::vector<std::size_t> among = {}) const {
    if (among.empty()) {
      for (std::size_t i = 0; i < nodes_.size(); ++i) {
        if (up(i)) among.push_back(i);
      }
    }
    std::optional<PeerId> leader;
    int claims = 0;
    for (std::size_t i : among) {
      if (!up(i)) return std::nullopt;
      if (nodes_[i]->is_leader(channel)) {
        ++claims;
        leader = PeerId(nodes_[i]->config().id);
      }
    }
    if (claims != 1) return std::nullopt;
    for (std::size_t i : among) {
      if (nodes_[i]->leader(channel) != leader) return std::nullopt;
    }
    return leader;
  }

  // Whether node i lists exactly `count` alive members (itself included).
  bool sees_alive(std::size_t i, std::size_t count) const {
    std::size_t alive = 0;
    for (const Member& m : nodes_.at(i)->members()) alive += m.alive ? 1 : 0;
    return alive == count;
  }

 private:
  boost::asio::io_context& io_;
  Net net_;
  // Recorders first: nodes (whose callbacks write to them) go before them.
  std::vector<std::unique_ptr<Recorder>> recorders_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace lanlord::test
