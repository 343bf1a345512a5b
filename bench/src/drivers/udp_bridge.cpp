#include "drivers/udp_bridge.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/multicast.hpp>

namespace lanlord::bench {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

// Network safety: the bridge only ever uses the loopback interface.
const asio::ip::address_v4 kLoopback = asio::ip::address_v4::loopback();

}  // namespace

UdpBridge::UdpBridge(asio::io_context& io, GroupAddress a, GroupAddress b)
    : strand_(asio::make_strand(io)),
      a_{std::move(a), udp::socket(strand_), {}, {}, {}},
      b_{std::move(b), udp::socket(strand_), {}, {}, {}},
      tx_(strand_) {}

Status UdpBridge::open_rx(Side& side) {
  boost::system::error_code ec;
  const auto group = asio::ip::make_address_v4(side.address.group, ec);
  if (ec || !group.is_multicast()) {
    return Status::error("bridge: " + side.address.group + " is not an IPv4 multicast group");
  }
  side.dest = udp::endpoint(group, side.address.port);
  side.rx.open(udp::v4(), ec);
  if (!ec) side.rx.set_option(udp::socket::reuse_address(true), ec);
  // Bound to the group, like a Node, so it hears only this group's datagrams.
  if (!ec) side.rx.bind(side.dest, ec);
  if (!ec) side.rx.set_option(asio::ip::multicast::join_group(group, kLoopback), ec);
  if (ec)
    return Status::error("bridge: cannot listen on " + side.address.group + ":" +
                         std::to_string(side.address.port) + ": " + ec.message());
  return Status::ok();
}

Status UdpBridge::start() {
  if (Status s = open_rx(a_); !s) return s;
  if (Status s = open_rx(b_); !s) return s;
  boost::system::error_code ec;
  tx_.open(udp::v4(), ec);
  if (!ec) tx_.set_option(asio::ip::multicast::outbound_interface(kLoopback), ec);
  if (!ec) tx_.set_option(asio::ip::multicast::hops(1), ec);
  if (!ec) tx_.set_option(asio::ip::multicast::enable_loopback(true), ec);
  if (!ec) tx_.bind(udp::endpoint(kLoopback, 0), ec);
  if (!ec) tx_port_ = tx_.local_endpoint(ec).port();
  if (ec) return Status::error("bridge: cannot open the relay socket: " + ec.message());
  asio::post(strand_, [this] {
    arm(a_, b_);
    arm(b_, a_);
  });
  return Status::ok();
}

void UdpBridge::arm(Side& from, Side& to) {
  // `this` outlives every handler: the driver stops the io_context before
  // destroying the bridge, and a stopped io_context runs no handler.
  from.rx.async_receive_from(
      asio::buffer(from.buf), from.from,
      asio::bind_executor(
          strand_, [this, &from, &to](const boost::system::error_code& ec, std::size_t n) {
            if (ec == asio::error::operation_aborted) return;
            const bool own_copy = from.from.port() == tx_port_ && from.from.address() == kLoopback;
            if (!ec && !own_copy && connected_.load()) {
              boost::system::error_code send_ec;
              tx_.send_to(asio::buffer(from.buf.data(), n), to.dest, 0, send_ec);
              if (!send_ec) relayed_.fetch_add(1);
            }
            arm(from, to);
          }));
}

UnicastRelay::UnicastRelay(asio::io_context& io, std::uint16_t to)
    : strand_(asio::make_strand(io)), socket_(strand_), to_(kLoopback, to) {}

Status UnicastRelay::start() {
  boost::system::error_code ec;
  socket_.open(udp::v4(), ec);
  if (!ec) socket_.bind(udp::endpoint(kLoopback, 0), ec);
  if (!ec) port_ = socket_.local_endpoint(ec).port();
  if (ec) return Status::error("relay: cannot open its socket: " + ec.message());
  asio::post(strand_, [this] { arm(); });
  return Status::ok();
}

void UnicastRelay::arm() {
  // `this` outlives every handler, as for UdpBridge::arm().
  socket_.async_receive_from(
      asio::buffer(buf_), from_,
      asio::bind_executor(strand_, [this](const boost::system::error_code& ec, std::size_t n) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec && connected_.load()) {
          boost::system::error_code send_ec;
          socket_.send_to(asio::buffer(buf_.data(), n), to_, 0, send_ec);
        }
        arm();
      }));
}

}  // namespace lanlord::bench
