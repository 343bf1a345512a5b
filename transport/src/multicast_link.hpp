// The UDP multicast Link: one socket bound to the group and port on one
// interface (transport/src/multicast_socket.hpp opens it).
#pragma once

#include <sys/socket.h>
#include <boost/asio/ip/udp.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "lanlord/message.hpp"
#include "link.hpp"
#include "multicast_socket.hpp"
#include "strand_scheduler.hpp"

namespace lanlord::transport {

class MulticastLink final : public Link {
 public:
  // Datagrams one recvmmsg() reads at most. Heartbeats of many members
  // that arrive while the node sleeps or works are read in one system call.
  static constexpr std::size_t kBatch = 16;
  // Batches one wake-up reads before it lets the node's timers run; the
  // rest is read by a follow-up handler on the strand.
  static constexpr std::size_t kBatchesPerWake = 8;

  // Does not touch the network; open() does.
  MulticastLink(Strand strand, std::shared_ptr<NodeGuard> guard);
  ~MulticastLink() override { close(); }

  // Opens and binds the socket and joins the group; errors name the problem.
  Status open(const MulticastOptions& options);

  void start(OnDatagram on_datagram, OnError on_error) override;
  bool send(std::span<const std::uint8_t> datagram) override;
  void close() override;
  const std::string& describe() const override { return description_; }
  // After open(): whether the interface is the loopback one.
  bool loopback() const { return loopback_; }
  // Wake-ups that read the socket (each reads every datagram queued).
  std::uint64_t wakeups() const { return wakeups_; }

 private:
  // Receive storage for one batch. One byte beyond the limit per slot tells
  // an oversized datagram from one that fits exactly (the kernel cuts it
  // there and decode() drops it as too large). Only used inside a handler,
  // never by a pending operation, so the link may own it.
  struct Rx {
    std::array<std::array<std::uint8_t, kMaxDatagramSize + 1>, kBatch> data;
    std::array<sockaddr_storage, kBatch> from;
    std::array<iovec, kBatch> iov;
    std::array<mmsghdr, kBatch> headers;
  };
  void arm_receive();
  // Reads and delivers what is queued on the socket, up to kBatchesPerWake
  // batches; posts itself again when more may be queued.
  void drain();

  Strand strand_;
  std::shared_ptr<NodeGuard> guard_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::ip::udp::endpoint destination_;
  std::string description_;
  bool loopback_ = false;
  std::unique_ptr<Rx> rx_ = std::make_unique<Rx>();
  OnDatagram on_datagram_;
  OnError on_error_;
  bool open_ = false;
  std::uint64_t wakeups_ = 0;
};

}  // namespace lanlord::transport
