// Helpers of the hostile real-socket tests (hostile_test.cpp,
// flood_test.cpp): timings stretched by the test factor, an injector that
// sends to the group no faster than the nodes read (so no socket buffer
// overflows and every datagram is accounted for), and what the nodes
// reported after a point in time.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "group_socket.hpp"
#include "socket_harness.hpp"

namespace lanlord::test {

// fast_config() with every timing of the fast profile stretched by the test
// factor: the same profile as written at factor 1, no flakes at 5.
inline NodeConfig scaled_fast_config(const Net& net, const std::string& id) {
  NodeConfig c = fast_config(net, id);
  const int k = time_scale();
  if (k > 1) {
    const Profile p = *resolve_profile(std::string_view("fast"), TimingOverrides{});
    c.timings.heartbeat_interval = p.membership.heartbeat_interval * k;
    c.timings.alive_expiration = p.membership.alive_expiration * k;
    c.timings.forget_after = p.membership.forget_after * k;
    c.timings.startup_grace = p.election.startup_grace_period * k;
    c.timings.sample_interval = p.election.membership_sample_interval * k;
    c.timings.leader_alive = p.election.leader_alive_threshold * k;
    c.timings.election_duration = p.election.leader_election_duration * k;
  }
  return c;
}

// An id as text when it is printable ASCII, else in hex.
inline std::string shown(const PeerId& id) {
  const std::string& b = id.bytes();
  const bool text = std::all_of(b.begin(), b.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  return text ? b : "0x" + id.hex();
}

// How many callbacks each node had reported at one moment; what came after.
struct EventMark {
  std::vector<std::size_t> leaders;
  std::vector<std::size_t> membership;

  static EventMark of(Nodes& nodes) {
    EventMark m;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      std::lock_guard lock(nodes.recorder(i).mutex);
      m.leaders.push_back(nodes.recorder(i).leaders.size());
      m.membership.push_back(nodes.recorder(i).membership.size());
    }
    return m;
  }
  // "3 joined, 2 dead, 1 leader change" for node i since the mark.
  std::string count(Nodes& nodes, std::size_t i) const {
    Recorder& r = nodes.recorder(i);
    std::lock_guard lock(r.mutex);
    std::map<std::string, std::size_t> by_event;
    for (std::size_t k = membership.at(i); k < r.membership.size(); ++k) {
      ++by_event[std::string(to_string(r.membership[k].first))];
    }
    std::string out;
    for (const auto& [event, n] : by_event) out += std::to_string(n) + " " + event + ", ";
    return out + std::to_string(r.leaders.size() - leaders.at(i)) + " leader changes";
  }
  // "member dead n1; leader of default: none; ..." for node i since the mark. leader
  // of default: none, ..." for node i since the mark.
  std::string since(Nodes& nodes, std::size_t i) const {
    Recorder& r = nodes.recorder(i);
    std::lock_guard lock(r.mutex);
    std::string out;
    for (std::size_t k = membership.at(i); k < r.membership.size(); ++k) {
      out += "member " + std::string(to_string(r.membership[k].first)) + " " +
             shown(r.membership[k].second.id) + "; ";
    }
    for (std::size_t k = leaders.at(i); k < r.leaders.size(); ++k) {
      const auto& [channel, leader, self] = r.leaders[k];
      out += "leader of " + channel + ": " + (leader ? shown(*leader) : "none") + "; ";
    }
    return out;
  }
};

// Sends datagrams to the nodes' group from its own port and keeps count.
// Never more than `window` datagrams ahead of what the slowest node has
// received, so no receive buffer overflows: every datagram sent is one
// the nodes see, and the drop counts can be compared with exact numbers.
class Injector {
 public:
  explicit Injector(const Net& net, std::size_t window = 48)
      : sender_(net.group, net.port), window_(window) {}

  // Call once the nodes run, before the first send().
  void begin(Nodes& nodes) {
    nodes_ = &nodes;
    in_.clear();
    out_.clear();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const NodeStats s = nodes.node(i).stats();
      in_.push_back(s.datagrams_in);
      out_.push_back(s.datagrams_out);
    }
  }

  // Sends one datagram; REQUIREs that the nodes keep up.
  void send(const Bytes& datagram) {
    if (sent_ >= window_ && sent_ % 16 == 0) {
      REQUIRE_MESSAGE(wait_until([this] { return slowest_received() + window_ >= sent_; }),
                      "the nodes stopped reading (" << stopped() << "): " << slowest_received()
                                                    << " of " << sent_);
    }
    // A full send buffer is rare on loopback; wait for room.
    REQUIRE(wait_until([&] { return sender_.send(datagram); }));
    ++sent_;
  }

  // Of the injected datagrams, how many the slowest node has received: its
  // datagrams in, less every node's own datagrams out (each node hears
  // every node, itself included). Datagrams in flight make it a slight
  // overestimate, so the bound it gives the window is loose by a few.
  std::uint64_t slowest_received() const {
    std::uint64_t out_total = 0;
    std::vector<std::uint64_t> in;
    for (std::size_t i = 0; i < nodes_->size(); ++i) {
      const NodeStats s = nodes_->node(i).stats();
      out_total += s.datagrams_out - out_.at(i);
      in.push_back(s.datagrams_in - in_.at(i));
    }
    std::uint64_t slowest = ~std::uint64_t{0};
    for (std::uint64_t n : in) slowest = std::min(slowest, n > out_total ? n - out_total : 0);
    return slowest;
  }

  // The drops node i reported for datagrams from this injector, in the
  // order it received them.
  std::vector<DropReason> drops(std::size_t i) const {
    Recorder& r = nodes_->recorder(i);
    std::lock_guard lock(r.mutex);
    std::vector<DropReason> out;
    const std::string origin = sender_.origin();
    for (const auto& [reason, from] : r.drops) {
      if (from == origin) out.push_back(reason);
    }
    return out;
  }

  // The ids of the nodes no longer running ("none").
  std::string stopped() const {
    std::string out;
    for (std::size_t i = 0; i < nodes_->size(); ++i) {
      if (!nodes_->node(i).running())
        out += (out.empty() ? "" : ", ") + nodes_->node(i).config().id;
    }
    return out.empty() ? "none stopped" : out + " stopped";
  }

  std::uint64_t sent() const { return sent_; }
  const std::string origin() const { return sender_.origin(); }

 private:
  GroupSender sender_;
  std::size_t window_;
  Nodes* nodes_ = nullptr;
  std::vector<std::uint64_t> in_;
  std::vector<std::uint64_t> out_;
  std::uint64_t sent_ = 0;
};

}  // namespace lanlord::test
