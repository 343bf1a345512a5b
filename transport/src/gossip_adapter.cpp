#include "gossip_adapter.hpp"

#include <utility>

namespace lanlord::transport {

GossipAdapter::GossipAdapter(std::string channel, PeerId self, const Membership& membership,
                             Send send, ChannelStats& metrics)
    : channel_(std::move(channel)),
      self_(std::move(self)),
      membership_(membership),
      send_(std::move(send)),
      metrics_(metrics) {}

void GossipAdapter::gossip(const ElectionMessage& msg) {
  ++(msg.declaration ? metrics_.declarations_sent : metrics_.proposals_sent);
  send_(wire::Leadership{channel_, msg.declaration});
}

void GossipAdapter::deliver(const PeerId& from, bool declaration) {
  ++(declaration ? metrics_.declarations_received : metrics_.proposals_received);
  if (!handler_) return;
  // A copy: the handler may replace itself (the service stops inside it).
  const MessageHandler handler = handler_;
  handler(ElectionMessage{from, declaration});
}

}  // namespace lanlord::transport
