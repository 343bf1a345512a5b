// A partition for real sockets: two multicast groups on loopback, and a
// relay between them that the heal scenario switches on.
//
// Each half of the cluster runs on its own group and port, so the halves
// cannot hear each other. The bridge listens on both; until connect() it
// drops what it hears, afterwards it re-sends every datagram of one half
// to the other half's group, which for the nodes is the same as one
// network. It recognises its own re-sent copies by their source port and
// never relays them back.
//
// This is test scaffolding for the benchmark, not transport: it never
// decodes a datagram, and it only ever sends to the two loopback groups.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "lanlord/status.hpp"

namespace lanlord::bench {

struct GroupAddress {
  std::string group;  // an IPv4 multicast address, 239.x.y.z
  std::uint16_t port = 0;
};

class UdpBridge {
 public:
  // Handlers run on `io`, which must outlive the bridge and must not be
  // running when the bridge is destroyed (the driver stops it first).
  UdpBridge(boost::asio::io_context& io, GroupAddress a, GroupAddress b);
  UdpBridge(const UdpBridge&) = delete;
  UdpBridge& operator=(const UdpBridge&) = delete;

  // Opens the sockets on loopback and starts listening (and dropping).
  Status start();
  // From now on, relays in both directions. Any thread.
  void connect() { connected_.store(true); }

  std::uint64_t relayed() const { return relayed_.load(); }

 private:
  struct Side {
    GroupAddress address;
    boost::asio::ip::udp::socket rx;
    boost::asio::ip::udp::endpoint dest;
    std::array<std::uint8_t, 65536> buf{};
    boost::asio::ip::udp::endpoint from;
  };

  Status open_rx(Side& side);
  void arm(Side& from, Side& to);

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  Side a_, b_;
  boost::asio::ip::udp::socket tx_;
  std::uint16_t tx_port_ = 0;
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> relayed_{0};
};

// The partition for unicast mode (--unicast): the second half's nodes
// have this relay's port as an extra seed. Until connect() it drops what
// it hears; afterwards it re-sends it to one node of the first half, which
// learns the senders' advertised addresses (the nodes are keyed) and from
// then on talks to them directly, its digests introducing them to its
// half. Loopback only; it never decodes a datagram.
class UnicastRelay {
 public:
  // Handlers run on `io`, as for UdpBridge. `to`: a first-half node's port
  // on 127.0.0.1.
  UnicastRelay(boost::asio::io_context& io, std::uint16_t to);
  UnicastRelay(const UnicastRelay&) = delete;
  UnicastRelay& operator=(const UnicastRelay&) = delete;

  // Binds 127.0.0.1 on an ephemeral port and starts listening (and dropping).
  Status start();
  std::uint16_t port() const { return port_; }
  // From now on, relays. Any thread.
  void connect() { connected_.store(true); }

 private:
  void arm();

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::ip::udp::endpoint to_;
  boost::asio::ip::udp::endpoint from_;
  std::array<std::uint8_t, 65536> buf_{};
  std::uint16_t port_ = 0;
  std::atomic<bool> connected_{false};
};

}  // namespace lanlord::bench
