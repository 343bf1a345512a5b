#include "unicast_link.hpp"

#include <boost/asio/buffer.hpp>

#include <algorithm>
#include <charconv>
#include <utility>

#include "multicast_socket.hpp"

namespace lanlord::transport {

namespace asio = boost::asio;
using asio::ip::address;
using asio::ip::udp;

std::optional<HostPort> split_host_port(const std::string& text) {
  HostPort out{text, "", false};
  if (!text.empty() && text.front() == '[') {  // "[v6]" or "[v6]:port"
    const std::size_t close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    out.host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return std::nullopt;
      out.port = text.substr(close + 2);
      out.has_port = true;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {  // "host:port"
    const std::size_t colon = text.find(':');
    out.host = text.substr(0, colon);
    out.port = text.substr(colon + 1);
    out.has_port = true;
  }  // else "host", or an IPv6 address without brackets (no port)
  return out;
}

std::optional<std::uint16_t> parse_port(const std::string& text) {
  unsigned port = 0;
  const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || err != std::errc() || end != text.data() + text.size() || port == 0 ||
      port > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(port);
}

std::optional<udp::endpoint> parse_endpoint(const std::string& text, std::uint16_t default_port) {
  const std::optional<HostPort> hp = split_host_port(text);
  if (!hp) return std::nullopt;
  boost::system::error_code ec;
  const address a = asio::ip::make_address(hp->host, ec);
  if (ec) return std::nullopt;
  const std::optional<std::uint16_t> port =
      hp->has_port ? parse_port(hp->port)
                   : (default_port != 0 ? std::optional(default_port) : std::nullopt);
  if (!port) return std::nullopt;
  return udp::endpoint(a, *port);
}

UnicastLink::UnicastLink(Strand strand, std::shared_ptr<NodeGuard> guard)
    : strand_(std::move(strand)), socket_(strand_), receiver_(strand_, std::move(guard), socket_) {}

namespace {

// The address to bind for `spec`, and the interface it is on (for the
// description and the loopback flag).
struct Local {
  address ip;
  std::string interface_name;
  bool loopback = false;
};

Result<Local> local_address(const std::string& spec) {
  boost::system::error_code ec;
  const address as_address = asio::ip::make_address(spec, ec);
  if (!ec) {
    // Bound as given: 127.0.0.2 is on lo although lo lists only 127.0.0.1,
    // and an address no interface has fails at bind with a clear error.
    Local out{as_address, "", as_address.is_loopback()};
    for (const InterfaceInfo& i : list_interfaces()) {
      for (const address& a : i.addresses) {
        if (a == as_address ||
            (i.loopback && as_address.is_loopback() && a.is_v4() == as_address.is_v4())) {
          out.interface_name = i.name;
          out.loopback = i.loopback;
        }
      }
    }
    return out;
  }
  // By name (or "auto"): the interface's IPv4 address, else a usable IPv6
  // one ("::1" on loopback).
  const address v4 = asio::ip::address_v4::any();
  const address v6 = asio::ip::address_v6::any();
  Result<InterfaceInfo> iface = find_interface(spec, v4, /*need_multicast=*/false);
  if (!iface && spec == "auto") {
    if (Result<InterfaceInfo> six = find_interface(spec, v6, false)) iface = six;
  }
  if (!iface) return iface.status();
  for (const address& family : {v4, v6}) {
    for (const address& a : iface->addresses) {
      if (usable_for(a, family) || (iface->loopback && a.is_loopback())) {
        if (a.is_v4() == family.is_v4()) return Local{a, iface->name, iface->loopback};
      }
    }
  }
  return Status::network("interface " + iface->name + " has no usable address for unicast");
}

}  // namespace

Status UnicastLink::open(const UnicastOptions& options) {
  const Result<Local> local = local_address(options.interface_name);
  if (!local) return local.status();
  if (Status s = open_udp_socket(socket_, local->ip.is_v4() ? udp::v4() : udp::v6()); !s) return s;
  const udp::endpoint bind_to(local->ip, options.port);
  const auto fail = [this](std::string message) {
    boost::system::error_code ignored;
    socket_.close(ignored);
    return Status::network(std::move(message));
  };
  boost::system::error_code ec;
  // No reuse_address (see open()'s contract).
  if (socket_.bind(bind_to, ec)) {
    const std::string where = format_endpoint(bind_to);
    if (ec == asio::error::address_in_use) {
      return fail(where +
                  " is in use (another unicast node on this host?): give each node on one host "
                  "its own --port or address");
    }
    if (ec == boost::system::errc::address_not_available) {
      return fail("cannot bind " + where + ": no interface of this host has the address " +
                  local->ip.to_string());
    }
    return fail(
        "cannot bind " + where + ": " + ec.message() +
        (options.port != 0 && options.port < 1024 ? " (ports below 1024 need privileges)" : ""));
  }
  // A full send buffer must not stall the node's strand: such a send fails
  // and is counted instead.
  if (socket_.non_blocking(true, ec)) {
    return fail("cannot make the socket non-blocking: " + ec.message());
  }
  local_ = socket_.local_endpoint(ec);
  if (ec) return fail("cannot read the bound address: " + ec.message());
  description_ = "unicast " + format_endpoint(local_) +
                 (local->interface_name.empty() ? "" : " on " + local->interface_name);
  loopback_ = local->loopback;
  open_ = true;
  return Status::ok();
}

void UnicastLink::start(OnDatagram on_datagram, OnError on_error) {
  receiver_.start(std::move(on_datagram), std::move(on_error));
}

bool UnicastLink::send_to(std::span<const std::uint8_t> datagram, const std::string& target) {
  if (!open_) return false;
  auto it = targets_.find(target);
  if (it == targets_.end()) {
    if (targets_.size() >= kMaxCachedTargets) targets_.clear();
    it = targets_.emplace(target, parse_endpoint(target)).first;
  }
  if (!it->second) return false;
  // Synchronous on a non-blocking socket, like the multicast link.
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(datagram.data(), datagram.size()), *it->second, 0, ec);
  return !ec;
}

void UnicastLink::close() {
  open_ = false;
  receiver_.stop();
  boost::system::error_code ignored;
  socket_.close(ignored);  // cancels the pending wait
}

}  // namespace lanlord::transport
