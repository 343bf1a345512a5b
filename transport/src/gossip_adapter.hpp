// The core's ElectionAdapter over the node's multicast socket, for one
// channel: gossip is a multicast send, the channel's leadership messages
// from the wire go to its election, its peers are the channel's membership
// view, and its metrics land in counters and gauges the application reads
// through Node::stats().
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "lanlord/election.hpp"
#include "lanlord/membership.hpp"
#include "lanlord/node.hpp"
#include "lanlord/wire.hpp"

namespace lanlord::transport {

// Everything runs on the node's strand with its lock held.
class GossipAdapter final : public ElectionAdapter {
 public:
  using Send = std::function<void(const wire::Leadership&)>;

  // `membership` and `metrics` must outlive the adapter.
  GossipAdapter(std::string channel, PeerId self, const Membership& membership, Send send,
                ChannelStats& metrics);

  void gossip(const ElectionMessage& msg) override;
  void accept(MessageHandler handler) override { handler_ = std::move(handler); }
  ElectionMessage create_message(bool is_declaration) override { return {self_, is_declaration}; }
  std::vector<PeerId> peers() override { return membership_.alive_peers(channel_); }
  bool is_alive(const PeerId& id) override { return membership_.is_alive(id, channel_); }
  void report_metrics(bool is_leader) override { metrics_.is_leader = is_leader; }

  // A leadership message of this channel from the wire.
  void deliver(const PeerId& from, bool declaration);

  const std::string& channel() const { return channel_; }

 private:
  const std::string channel_;
  const PeerId self_;
  const Membership& membership_;
  Send send_;
  ChannelStats& metrics_;
  MessageHandler handler_;
};

}  // namespace lanlord::transport
