// The UDP multicast Link: one socket bound to the group and port on one
// interface (transport/src/multicast_socket.hpp opens it).
#pragma once

#include <boost/asio/ip/udp.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "datagram_receiver.hpp"
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
  bool loopback() const override { return loopback_; }
  std::uint64_t wakeups() const override { return receiver_.wakeups(); }

 private:
  Strand strand_;
  boost::asio::ip::udp::socket socket_;
  DatagramReceiver receiver_;
  boost::asio::ip::udp::endpoint destination_;
  std::string description_;
  bool loopback_ = false;
  bool open_ = false;
};

}  // namespace lanlord::transport
