#include "multicast_link.hpp"

#include <boost/asio/buffer.hpp>

#include <utility>

namespace lanlord::transport {

namespace asio = boost::asio;
using asio::ip::udp;

std::string format_endpoint(const udp::endpoint& e) {
  const std::string addr = e.address().to_string();
  return (e.address().is_v6() ? "[" + addr + "]" : addr) + ":" + std::to_string(e.port());
}

MulticastLink::MulticastLink(Strand strand, std::shared_ptr<NodeGuard> guard)
    : strand_(std::move(strand)), socket_(strand_), receiver_(strand_, std::move(guard), socket_) {}

Status MulticastLink::open(const MulticastOptions& options) {
  const Result<OpenedMulticast> opened = open_multicast(socket_, options);
  if (!opened) return opened.status();
  destination_ = opened->destination;
  description_ = opened->description;
  loopback_ = opened->loopback;
  open_ = true;
  return Status::ok();
}

void MulticastLink::start(OnDatagram on_datagram, OnError on_error) {
  receiver_.start(std::move(on_datagram), std::move(on_error));
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
  receiver_.stop();
  boost::system::error_code ignored;
  socket_.close(ignored);  // cancels the pending wait
}

}  // namespace lanlord::transport
