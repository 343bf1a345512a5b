#include "datagram_receiver.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

namespace lanlord::transport {

namespace asio = boost::asio;
using asio::ip::udp;

DatagramReceiver::DatagramReceiver(Strand strand, std::shared_ptr<NodeGuard> guard,
                                   udp::socket& socket)
    : strand_(std::move(strand)), guard_(std::move(guard)), socket_(socket) {
  Rx& rx = *rx_;
  for (std::size_t i = 0; i < kBatch; ++i) {
    rx.iov[i] = iovec{rx.data[i].data(), rx.data[i].size()};
    rx.headers[i] = mmsghdr{};
    rx.headers[i].msg_hdr.msg_name = &rx.from[i];
    rx.headers[i].msg_hdr.msg_iov = &rx.iov[i];
    rx.headers[i].msg_hdr.msg_iovlen = 1;
  }
}

void DatagramReceiver::start(Link::OnDatagram on_datagram, Link::OnError on_error) {
  on_datagram_ = std::move(on_datagram);
  on_error_ = std::move(on_error);
  active_ = true;
  arm();
}

// Waits for the socket to become readable, then reads everything queued
// with recvmmsg(): one wake-up and one system call for all the datagrams
// that arrived meanwhile, instead of one read per datagram plus a
// speculative one that finds the socket empty.
void DatagramReceiver::arm() {
  socket_.async_wait(
      udp::socket::wait_read,
      asio::bind_executor(strand_, [this, guard = guard_](const boost::system::error_code& ec) {
        std::lock_guard lock(guard->mutex);
        if (!guard->live || !active_ || ec == asio::error::operation_aborted) return;
        // Re-armed before reading: the socket reports readiness on each
        // arrival (edge-triggered), so a datagram that arrives after the
        // last read below completes this wait rather than waiting unread
        // for the next one. At worst a wake-up finds nothing to read.
        arm();
        if (ec) {
          if (on_error_) on_error_();
          return;
        }
        drain();
      }));
}

void DatagramReceiver::drain() {
  ++wakeups_;
  Rx& rx = *rx_;
  for (std::size_t batch = 0; batch < kBatchesPerWake; ++batch) {
    for (mmsghdr& h : rx.headers) {
      h.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      h.msg_hdr.msg_flags = 0;
      h.msg_len = 0;
    }
    const int n =
        ::recvmmsg(socket_.native_handle(), rx.headers.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK && on_error_) on_error_();
      return;
    }
    for (int i = 0; i < n; ++i) {
      udp::endpoint from;
      const socklen_t size = rx.headers[i].msg_hdr.msg_namelen;
      if (size <= from.capacity()) {
        std::memcpy(from.data(), &rx.from[i], size);
        from.resize(size);
      }
      // An oversized datagram was cut at kMaxDatagramSize + 1 bytes
      // (MSG_TRUNC): delivered so, decode() drops and counts it.
      on_datagram_(std::span<const std::uint8_t>(rx.data[i].data(), rx.headers[i].msg_len), from);
      if (!active_) return;  // the node stopped inside the callback
    }
    if (static_cast<std::size_t>(n) < kBatch) return;  // the socket was empty
  }
  // Still more queued: the wait armed above fires only for new arrivals,
  // so a follow-up reads the rest once the strand's other work has run.
  asio::post(strand_, [this, guard = guard_] {
    std::lock_guard lock(guard->mutex);
    if (guard->live && active_) drain();
  });
}

}  // namespace lanlord::transport
