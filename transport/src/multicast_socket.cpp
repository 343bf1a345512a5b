#include "multicast_socket.hpp"

#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/v6_only.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string_view>

namespace lanlord::transport {

namespace asio = boost::asio;
using asio::ip::address;
using asio::ip::udp;

Result<address> parse_group(const std::string& text) {
  boost::system::error_code ec;
  const address group = asio::ip::make_address(text, ec);
  if (ec) return Status::error("group '" + text + "' is not an IP address");
  if (!group.is_multicast()) {
    return Status::error("group " + text +
                         " is not a multicast address (IPv4 224.0.0.0/4, e.g. "
                         "239.255.76.76, or IPv6 ff00::/8)");
  }
  return group;
}

std::vector<InterfaceInfo> list_interfaces() {
  ifaddrs* raw = nullptr;
  if (::getifaddrs(&raw) != 0) return {};
  std::unique_ptr<ifaddrs, void (*)(ifaddrs*)> list(raw, ::freeifaddrs);
  // getifaddrs lists one entry per address; gather them per interface.
  std::map<std::string, InterfaceInfo> by_name;
  for (const ifaddrs* it = list.get(); it != nullptr; it = it->ifa_next) {
    if (it->ifa_name == nullptr) continue;
    InterfaceInfo& info = by_name[it->ifa_name];
    info.name = it->ifa_name;
    info.index = ::if_nametoindex(it->ifa_name);
    info.loopback = (it->ifa_flags & IFF_LOOPBACK) != 0;
    info.multicast = (it->ifa_flags & IFF_MULTICAST) != 0;
    info.up = (it->ifa_flags & IFF_UP) != 0 && (it->ifa_flags & IFF_RUNNING) != 0;
    if (it->ifa_addr == nullptr) continue;
    if (it->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
      info.addresses.push_back(asio::ip::address_v4(ntohl(sin->sin_addr.s_addr)));
    } else if (it->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(it->ifa_addr);
      asio::ip::address_v6::bytes_type bytes;
      std::copy(std::begin(sin6->sin6_addr.s6_addr), std::end(sin6->sin6_addr.s6_addr),
                bytes.begin());
      info.addresses.push_back(asio::ip::address_v6(bytes, sin6->sin6_scope_id));
    }
  }
  std::vector<InterfaceInfo> out;
  for (auto& [name, info] : by_name) out.push_back(std::move(info));
  return out;
}

namespace {

std::string names_of(const std::vector<InterfaceInfo>& all) {
  std::string names;
  for (const InterfaceInfo& i : all) names += (names.empty() ? "" : ", ") + i.name;
  return names.empty() ? "none found" : names;
}

// Addresses compare without their IPv6 scope id: "fe80::1" names the
// interface whose link-local address it is.
bool same_address(const address& a, const address& b) {
  if (a.is_v6() && b.is_v6()) return a.to_v6().to_bytes() == b.to_v6().to_bytes();
  return a == b;
}

std::string describe(const InterfaceInfo& i, const std::optional<address>& used) {
  return i.name + (used ? " (" + used->to_string() + ")" : "");
}

// Names of container and VM plumbing: bridges and veth ends that carry no
// LAN. A container's own eth0 is a veth too, but it is the container's LAN,
// so only these names are skipped, not veth devices as such.
bool plumbing(const std::string& name) {
  static constexpr std::string_view kPrefixes[] = {"docker",  "br-",  "virbr", "veth",  "cni",
                                                   "flannel", "cali", "lxcbr", "lxdbr", "podman",
                                                   "vnet",    "tun",  "tap",   "wg"};
  return std::any_of(std::begin(kPrefixes), std::end(kPrefixes),
                     [&name](std::string_view p) { return name.starts_with(p); });
}

}  // namespace

bool usable_for(const address& a, const address& group) {
  if (group.is_v4()) return a.is_v4();
  if (!a.is_v6()) return false;
  const asio::ip::address_v6 v6 = a.to_v6();
  return !v6.is_link_local() && !v6.is_loopback() && !v6.is_unspecified() && !v6.is_multicast() &&
         !v6.is_v4_mapped();
}

Result<InterfaceInfo> choose_automatically(const std::vector<InterfaceInfo>& all,
                                           const address& group, bool need_multicast) {
  const char* family = group.is_v4() ? "an IPv4 address" : "a global or unique-local IPv6 address";
  std::vector<const InterfaceInfo*> chosen;
  std::string why_not;  // "lo (loopback), eth1 (down), ..."
  for (const InterfaceInfo& i : all) {
    std::optional<address> usable;
    for (const address& a : i.addresses) {
      if (usable_for(a, group)) {
        usable = a;
        break;
      }
    }
    const char* reason = i.loopback                       ? "loopback"
                         : plumbing(i.name)               ? "container or VM plumbing"
                         : !i.up                          ? "down or no carrier"
                         : need_multicast && !i.multicast ? "no MULTICAST flag"
                         : !usable.has_value()            ? (group.is_v4() ? "no IPv4 address"
                                                                           : "no global or unique-local IPv6 "
                                                                             "address")
                                                          : nullptr;
    if (reason == nullptr) {
      chosen.push_back(&i);
    } else {
      why_not += (why_not.empty() ? "" : ", ") + i.name + " (" + reason + ")";
    }
  }
  if (chosen.size() == 1) return *chosen.front();
  if (chosen.empty()) {
    return Status::network(std::string("--interface auto: no interface is up, ") +
                           (need_multicast ? "multicast-capable, " : "") + "not loopback and has " +
                           family + " (" + (why_not.empty() ? "no interfaces found" : why_not) +
                           "); name one with --interface");
  }
  std::string names;
  for (const InterfaceInfo* i : chosen) {
    names += (names.empty() ? "" : ", ") + i->name;
  }
  return Status::network("--interface auto: several interfaces qualify (" + names +
                         "); name one with --interface");
}

Result<InterfaceInfo> find_interface(const std::string& spec, const address& group,
                                     bool need_multicast) {
  const std::vector<InterfaceInfo> all = list_interfaces();
  if (spec == "auto") return choose_automatically(all, group, need_multicast);
  boost::system::error_code ec;
  const address as_address = asio::ip::make_address(spec, ec);
  for (const InterfaceInfo& i : all) {
    const bool match =
        ec ? i.name == spec
           : std::any_of(i.addresses.begin(), i.addresses.end(),
                         [&as_address](const address& a) { return same_address(a, as_address); });
    if (match) return i;
  }
  return Status::network(ec ? "unknown interface '" + spec +
                                  "' (interfaces on this host: " + names_of(all) + ")"
                            : "no interface has the address " + spec +
                                  " (interfaces on this host: " + names_of(all) + ")");
}

namespace {

Status fail(udp::socket& socket, Status why) {
  boost::system::error_code ignored;
  socket.close(ignored);
  return why;
}

Status fail(udp::socket& socket, std::string message) {
  return fail(socket, Status::network(std::move(message)));
}

}  // namespace

Status open_udp_socket(udp::socket& socket, udp protocol) {
  boost::system::error_code ec;
  if (socket.open(protocol, ec)) return fail(socket, "cannot open a UDP socket: " + ec.message());
  // Close-on-exec: a process the embedding service starts (`lanlord run`'s
  // command) must not inherit the node's socket.
  if (const int flags = ::fcntl(socket.native_handle(), F_GETFD);
      flags < 0 || ::fcntl(socket.native_handle(), F_SETFD, flags | FD_CLOEXEC) < 0) {
    return fail(socket, "cannot make the UDP socket close-on-exec");
  }
  return Status::ok();
}

Result<OpenedMulticast> open_multicast(udp::socket& socket, const MulticastOptions& options) {
  const Result<address> group = parse_group(options.group);
  if (!group) return fail(socket, group.status());
  const Result<InterfaceInfo> iface = find_interface(options.interface_name, group.value());
  if (!iface) return fail(socket, iface.status());
  const InterfaceInfo& info = *iface;
  if (options.ttl < 0 || options.ttl > 255) {
    return fail(socket, Status::error("ttl " + std::to_string(options.ttl) + " is outside 0..255"));
  }

  std::optional<address> local;  // the interface address used for IPv4
  if (group.value().is_v4()) {
    for (const address& a : info.addresses) {
      if (a.is_v4()) {
        local = a;
        break;
      }
    }
    if (!local) {
      return fail(socket, "interface " + info.name + " has no IPv4 address, which the IPv4 group " +
                              options.group + " needs");
    }
  } else if (!info.multicast) {
    return fail(socket, "interface " + info.name +
                            " cannot carry IPv6 multicast (no MULTICAST flag; Linux does not "
                            "deliver IPv6 multicast over loopback): name another interface");
  }

  const std::string where = (group.value().is_v6() ? "[" + options.group + "]" : options.group) +
                            ":" + std::to_string(options.port) + " on " + describe(info, local);
  boost::system::error_code ec;
  if (Status s = open_udp_socket(socket, group.value().is_v4() ? udp::v4() : udp::v6()); !s) {
    return s;
  }
  // reuse_address: several nodes (and a `lanlord watch`) share a host and port.
  if (socket.set_option(udp::socket::reuse_address(true), ec)) {
    return fail(socket, "cannot set SO_REUSEADDR: " + ec.message());
  }
#ifdef IP_MULTICAST_ALL
  // Linux otherwise hands this socket datagrams of every group any socket
  // on the host joined on this port; we want our group only. Best effort.
  if (group.value().is_v4()) {
    const int off = 0;
    (void)::setsockopt(socket.native_handle(), IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof off);
  }
#endif
  // Bound to the group address, not the wildcard: only this group's
  // datagrams reach the socket, whatever else is joined on the host.
  udp::endpoint bind_to(group.value(), options.port);
  if (group.value().is_v6()) {
    auto v6 = group.value().to_v6();
    v6.scope_id(info.index);  // required for link-local groups, harmless otherwise
    bind_to = udp::endpoint(v6, options.port);
  }
  if (socket.bind(bind_to, ec)) {
    return fail(socket, "cannot bind UDP port " + std::to_string(options.port) + " on " +
                            options.group + ": " + ec.message() +
                            (options.port < 1024 ? " (ports below 1024 need privileges)" : ""));
  }

  if (group.value().is_v4()) {
    socket.set_option(asio::ip::multicast::join_group(group.value().to_v4(), local->to_v4()), ec);
  } else {
    socket.set_option(asio::ip::multicast::join_group(group.value().to_v6(), info.index), ec);
  }
  if (ec) return fail(socket, "cannot join group " + where + ": " + ec.message());

  // Outgoing datagrams leave through the named interface only.
  if (group.value().is_v4()) {
    socket.set_option(asio::ip::multicast::outbound_interface(local->to_v4()), ec);
  } else {
    socket.set_option(asio::ip::multicast::outbound_interface(info.index), ec);
  }
  if (ec) return fail(socket, "cannot send through interface " + info.name + ": " + ec.message());
  if (socket.set_option(asio::ip::multicast::hops(options.ttl), ec)) {
    return fail(socket, "cannot set the multicast TTL to " + std::to_string(options.ttl) + ": " +
                            ec.message());
  }
  if (socket.set_option(asio::ip::multicast::enable_loopback(true), ec)) {
    return fail(socket, "cannot enable multicast loopback: " + ec.message());
  }
  // A full send buffer must not stall the node's strand: such a send fails
  // and is counted instead.
  if (socket.non_blocking(true, ec)) {
    return fail(socket, "cannot make the socket non-blocking: " + ec.message());
  }

  OpenedMulticast out;
  out.destination = bind_to;
  out.description = where;
  out.loopback = info.loopback;
  return out;
}

}  // namespace lanlord::transport
