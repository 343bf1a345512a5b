// Raw sockets on a test's multicast group, for the hostile tests and the
// flood tool: a sender that injects datagrams on loopback, a capture socket
// that records what the nodes send, and forged messages. No doctest here,
// so the flood tool (tests/tools) can use it too.
//
// Network safety: the sender is bound to 127.0.0.1, sends through the
// loopback interface with TTL 0 and only ever to the group it was given;
// nothing it sends can leave the host.
#pragma once

#include <netinet/in.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lanlord/message.hpp"
#include "lanlord/wire.hpp"

namespace lanlord::test {

using Bytes = std::vector<std::uint8_t>;

inline const boost::asio::ip::address_v4& loopback_v4() {
  static const auto a = boost::asio::ip::make_address_v4("127.0.0.1");
  return a;
}

// Sends datagrams to an IPv4 group through loopback only. Its port (bound
// at construction) names it in the nodes' drop reports ("127.0.0.1:PORT").
class GroupSender {
 public:
  GroupSender(const std::string& group, std::uint16_t port)
      : socket_(io_), group_(boost::asio::ip::make_address_v4(group), port) {
    if (!group_.address().is_multicast()) {
      throw std::invalid_argument("GroupSender: " + group + " is not a multicast group");
    }
    namespace mc = boost::asio::ip::multicast;
    socket_.open(boost::asio::ip::udp::v4());
    socket_.bind({loopback_v4(), 0});
    socket_.set_option(mc::outbound_interface(loopback_v4()));
    socket_.set_option(mc::hops(0));
    socket_.set_option(mc::enable_loopback(true));
  }
  // Whether the kernel took the datagram (a full send buffer refuses it).
  bool send(const Bytes& datagram) {
    boost::system::error_code ec;
    socket_.send_to(boost::asio::buffer(datagram), group_, 0, ec);
    return !ec;
  }
  std::uint16_t port() const { return socket_.local_endpoint().port(); }
  // The origin the nodes report for this sender, e.g. "127.0.0.1:40123".
  std::string origin() const { return "127.0.0.1:" + std::to_string(port()); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::ip::udp::endpoint group_;
};

// Joins an IPv4 group on loopback like a node (reuse_address, bound to the
// group) and records every datagram on a thread of its own until stop().
class GroupCapture {
 public:
  GroupCapture(const std::string& group, std::uint16_t port) : socket_(io_) {
    namespace mc = boost::asio::ip::multicast;
    const auto g = boost::asio::ip::make_address_v4(group);
    socket_.open(boost::asio::ip::udp::v4());
    socket_.set_option(boost::asio::ip::udp::socket::reuse_address(true));
#ifdef IP_MULTICAST_ALL
    const int off = 0;
    (void)::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof off);
#endif
    socket_.bind({g, port});
    socket_.set_option(mc::join_group(g, loopback_v4()));
    socket_.non_blocking(true);
    thread_ = std::thread([this] { run(); });
  }
  ~GroupCapture() {
    stop();
  }
  GroupCapture(const GroupCapture&) = delete;
  GroupCapture& operator=(const GroupCapture&) = delete;

  std::size_t count() {
    std::lock_guard lock(mutex_);
    return captured_.size();
  }
  // Stops capturing, closes the socket and hands over what was recorded.
  std::vector<Bytes> stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
    boost::system::error_code ignored;
    socket_.close(ignored);
    std::lock_guard lock(mutex_);
    return std::move(captured_);
  }

 private:
  void run() {
    std::array<std::uint8_t, 65536> buffer{};
    while (!done_) {
      boost::system::error_code ec;
      boost::asio::ip::udp::endpoint from;
      const std::size_t n = socket_.receive_from(boost::asio::buffer(buffer), from, 0, ec);
      if (ec) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      std::lock_guard lock(mutex_);
      captured_.emplace_back(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
    }
  }

  boost::asio::io_context io_;
  boost::asio::ip::udp::socket socket_;
  std::atomic<bool> done_{false};
  std::mutex mutex_;
  std::vector<Bytes> captured_;
  std::thread thread_;
};

// The system clock in ns since the Unix epoch, as nodes stamp sent_at.
inline std::uint64_t wall_now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// A message as a node of `cluster` would send it now, from `sender` at
// `time` (the body is the caller's).
inline Message forged(const std::string& cluster, const std::string& sender, PeerTime time,
                      Body body) {
  Message m;
  m.cluster = cluster;
  m.sender = PeerId(sender);
  m.time = time;
  m.sent_at = wall_now_ns();
  m.instance = time.incarnation;
  m.body = std::move(body);
  return m;
}

// The datagram for `m`, plain or protected as `security` says; throws when
// the message breaks a limit (a bug in the test).
inline Bytes datagram_of(const Message& m, const wire::Security& security = {}) {
  wire::Encoded e = wire::encode(m, security);
  if (!e.status) throw std::logic_error("datagram_of: " + e.status.message());
  return std::move(e.datagram);
}

}  // namespace lanlord::test
