#include "multicast_link.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>

#include <mutex>
#include <utility>

namespace lanlord::transport {

namespace asio = boost::asio;
using asio::ip::udp;

std::string format_endpoint(const udp::endpoint& e) {
  const std::string addr = e.address().to_string();
  return (e.address().is_v6() ? "[" + addr + "]" : addr) + ":" + std::to_string(e.port());
}

MulticastLink::MulticastLink(Strand strand, std::shared_ptr<NodeGuard> guard)
    : strand_(std::move(strand)), guard_(std::move(guard)), socket_(strand_) {}

Status MulticastLink::open(const MulticastOptions& options) {
  const Result<OpenedMulticast> opened = open_multicast(socket_, options);
  if (!opened) return opened.status();
  destination_ = opened->destination;
  description_ = opened->description;
  open_ = true;
  return Status::ok();
}

void MulticastLink::start(OnDatagram on_datagram, OnError on_error) {
  on_datagram_ = std::move(on_datagram);
  on_error_ = std::move(on_error);
  arm_receive();
}

void MulticastLink::arm_receive() {
  socket_.async_receive_from(
      asio::buffer(rx_->data), rx_->from,
      asio::bind_executor(strand_, [this, guard = guard_, rx = rx_](
                                       const boost::system::error_code& ec, std::size_t n) {
        std::lock_guard lock(guard->mutex);
        if (!guard->live || !open_ || ec == asio::error::operation_aborted) return;
        if (ec) {
          if (on_error_) on_error_();
        } else {
          on_datagram_(std::span<const std::uint8_t>(rx->data.data(), n), rx->from);
        }
        // Re-armed from its own handler: one receive in flight at a time.
        if (open_) arm_receive();
      }));
}

bool MulticastLink::send(std::span<const std::uint8_t> datagram) {
  if (!open_) return false;
  // A synchronous send on a non-blocking socket: datagrams are small and
  // rare, and a full buffer fails fast (counted) instead of queueing.
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(datagram.data(), datagram.size()), destination_, 0, ec);
  return !ec;
}

void MulticastLink::close() {
  open_ = false;
  boost::system::error_code ignored;
  socket_.close(ignored);  // cancels the pending receive
}

}  // namespace lanlord::transport
