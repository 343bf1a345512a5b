// A link: how a Node's datagrams reach the other members and theirs reach
// it. Multicast today; a unicast or in-memory link plugs in beside it.
#pragma once

#include <boost/asio/ip/udp.hpp>

#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace lanlord::transport {

// Threading: used on its node's strand, under the node's lock.
class Link {
 public:
  // A datagram arrived from `from`. Runs on the node's strand under its lock.
  using OnDatagram = std::function<void(std::span<const std::uint8_t>,
                                        const boost::asio::ip::udp::endpoint& from)>;
  // A receive failed (not a drop: the socket reported an error).
  using OnError = std::function<void()>;

  virtual ~Link() = default;
  // Starts delivering datagrams until close(). Call once.
  virtual void start(OnDatagram on_datagram, OnError on_error) = 0;
  // Sends one datagram to every member; false when the socket refused it.
  virtual bool send(std::span<const std::uint8_t> datagram) = 0;
  // Stops receiving and closes; idempotent. Nothing is delivered after it.
  virtual void close() = 0;
  // "239.255.76.76:7676 on lo (127.0.0.1)".
  virtual const std::string& describe() const = 0;
};

// "203.0.113.5:7676", "[::1]:7676".
std::string format_endpoint(const boost::asio::ip::udp::endpoint& e);

}  // namespace lanlord::transport
