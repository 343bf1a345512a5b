// Reading a UDP socket on a node's strand: wait for readability, then read
// everything queued with recvmmsg() in batches. Shared by every UDP link
// (multicast, unicast); the link owns the socket and opens and closes it.
#pragma once

#include <sys/socket.h>
#include <boost/asio/ip/udp.hpp>

#include <array>
#include <cstdint>
#include <memory>

#include "lanlord/message.hpp"
#include "link.hpp"
#include "strand_scheduler.hpp"

namespace lanlord::transport {

// Threading: used on its node's strand, under the node's lock, like its link.
class DatagramReceiver {
 public:
  // Datagrams one recvmmsg() reads at most. Heartbeats of many members
  // that arrive while the node sleeps or works are read in one system call.
  static constexpr std::size_t kBatch = 16;
  // Batches one wake-up reads before it lets the node's timers run; the
  // rest is read by a follow-up handler on the strand.
  static constexpr std::size_t kBatchesPerWake = 8;

  // `socket` must outlive the receiver (the link owns both).
  DatagramReceiver(Strand strand, std::shared_ptr<NodeGuard> guard,
                   boost::asio::ip::udp::socket& socket);
  DatagramReceiver(const DatagramReceiver&) = delete;
  DatagramReceiver& operator=(const DatagramReceiver&) = delete;

  // Starts delivering datagrams from the (open) socket until stop().
  void start(Link::OnDatagram on_datagram, Link::OnError on_error);
  // Nothing is delivered after it, even from a handler already running;
  // the link then closes the socket, which cancels the pending wait.
  void stop() { active_ = false; }
  // Wake-ups that read the socket (each reads every datagram queued).
  std::uint64_t wakeups() const { return wakeups_; }

 private:
  // Receive storage for one batch. One byte beyond the limit per slot tells
  // an oversized datagram from one that fits exactly (the kernel cuts it
  // there and decode() drops it as too large). Only used inside a handler,
  // never by a pending operation, so the receiver may own it.
  struct Rx {
    std::array<std::array<std::uint8_t, kMaxDatagramSize + 1>, kBatch> data;
    std::array<sockaddr_storage, kBatch> from;
    std::array<iovec, kBatch> iov;
    std::array<mmsghdr, kBatch> headers;
  };
  void arm();
  // Reads and delivers what is queued on the socket, up to kBatchesPerWake
  // batches; posts itself again when more may be queued.
  void drain();

  Strand strand_;
  std::shared_ptr<NodeGuard> guard_;
  boost::asio::ip::udp::socket& socket_;
  std::unique_ptr<Rx> rx_ = std::make_unique<Rx>();
  Link::OnDatagram on_datagram_;
  Link::OnError on_error_;
  bool active_ = false;
  std::uint64_t wakeups_ = 0;
};

}  // namespace lanlord::transport
