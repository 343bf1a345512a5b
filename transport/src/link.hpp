// A link: how a Node's datagrams reach the other members and theirs reach
// it: multicast (one send reaches the group) or unicast (one send per
// member address).
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
  // Multicast: sends one datagram to every member; false when the socket
  // refused it (a unicast link has no group: always false).
  virtual bool send(std::span<const std::uint8_t> datagram) = 0;
  // Unicast: sends one datagram to `target` ("203.0.113.5:7676", as
  // format_endpoint() writes it); false when the socket refused it or the
  // target is not an address (a multicast link: always false).
  virtual bool send_to(std::span<const std::uint8_t> /*datagram*/, const std::string& /*target*/) {
    return false;
  }
  // Stops receiving and closes; idempotent. Nothing is delivered after it.
  virtual void close() = 0;
  // "239.255.76.76:7676 on lo (127.0.0.1)", "unicast 127.0.0.1:7676 on lo".
  virtual const std::string& describe() const = 0;
  // After opening: whether the interface is the loopback one.
  virtual bool loopback() const = 0;
  // Wake-ups that read the socket (each reads every datagram queued).
  virtual std::uint64_t wakeups() const = 0;
};

// "203.0.113.5:7676", "[::1]:7676".
std::string format_endpoint(const boost::asio::ip::udp::endpoint& e);

}  // namespace lanlord::transport
