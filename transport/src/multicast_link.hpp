// The UDP multicast Link: one socket bound to the group and port on one
// interface (transport/src/multicast_socket.hpp opens it).
#pragma once

#include <boost/asio/ip/udp.hpp>

#include <array>
#include <memory>
#include <string>

#include "lanlord/message.hpp"
#include "link.hpp"
#include "multicast_socket.hpp"
#include "strand_scheduler.hpp"

namespace lanlord::transport {

class MulticastLink final : public Link {
 public:
  // Does not touch the network; open() does.
  MulticastLink(Strand strand, std::shared_ptr<NodeGuard> guard);
  ~MulticastLink() override { close(); }

  // Opens and binds the socket and joins the group; errors name the problem.
  Status open(const MulticastOptions& options);

  void start(OnDatagram on_datagram, OnError on_error) override;
  bool send(std::span<const std::uint8_t> datagram) override;
  void close() override;
  const std::string& describe() const override { return description_; }

 private:
  // Receive storage, shared with the pending receive so that it outlives
  // the link if the link goes first. One byte beyond the limit tells an
  // oversized datagram from one that fits exactly.
  struct Rx {
    std::array<std::uint8_t, kMaxDatagramSize + 1> data;
    boost::asio::ip::udp::endpoint from;
  };
  void arm_receive();

  Strand strand_;
  std::shared_ptr<NodeGuard> guard_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::ip::udp::endpoint destination_;
  std::string description_;
  std::shared_ptr<Rx> rx_ = std::make_shared<Rx>();
  OnDatagram on_datagram_;
  OnError on_error_;
  bool open_ = false;
};

}  // namespace lanlord::transport
