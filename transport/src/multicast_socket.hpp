// Opening the UDP multicast socket: the interface by name or address, the
// group, reuse_address, TTL, loopback delivery. Every expected failure comes
// back as a Status a person can act on.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "lanlord/status.hpp"

namespace lanlord::transport {

// A multicast group address, or why the text is not one.
Result<boost::asio::ip::address> parse_group(const std::string& text);

// One network interface of this host (in the calling thread's network
// namespace).
struct InterfaceInfo {
  std::string name;
  unsigned index = 0;
  bool loopback = false;
  bool multicast = false;  // IFF_MULTICAST
  bool up = false;         // IFF_UP and IFF_RUNNING (administratively up, with a carrier)
  std::vector<boost::asio::ip::address> addresses;
};
std::vector<InterfaceInfo> list_interfaces();

// The interface called `spec`, or the one that has the address `spec`;
// "auto": the one interface that can carry `group` to other hosts
// (choose_automatically()). Unicast passes an address of the wanted family
// as `group` and need_multicast = false.
Result<InterfaceInfo> find_interface(const std::string& spec, const boost::asio::ip::address& group,
                                     bool need_multicast = true);

// What `--interface auto` picks among `all`: the one interface that is up,
// not loopback, multicast-capable and has a usable address of the group's
// family (IPv4; for IPv6 a global or unique-local address: link-local alone
// does not count), skipping container and VM plumbing by name (docker*,
// br-*, virbr*, veth*, cni*, flannel*, cali*, lxcbr*, lxdbr*, podman*,
// vnet*, tun*, tap*, wg*). None or several: an error that lists every
// interface and why it was not taken, or the candidates. need_multicast =
// false (unicast): the MULTICAST flag is not required.
Result<InterfaceInfo> choose_automatically(const std::vector<InterfaceInfo>& all,
                                           const boost::asio::ip::address& group,
                                           bool need_multicast = true);

// An address of `family`'s kind (IPv4, or IPv6) that other hosts can use:
// any IPv4 address; a global or unique-local (fc00::/7) IPv6 address.
bool usable_for(const boost::asio::ip::address& a, const boost::asio::ip::address& family);

// Opens `socket` (which must be closed) for `protocol`, close-on-exec, so
// a process the embedding service starts does not inherit it. On failure
// the socket is closed again and the status says why.
Status open_udp_socket(boost::asio::ip::udp::socket& socket, boost::asio::ip::udp protocol);

struct MulticastOptions {
  std::string group;
  std::uint16_t port = 0;
  std::string interface_name;
  int ttl = 1;
};

struct OpenedMulticast {
  boost::asio::ip::udp::endpoint destination;  // the group and port
  std::string description;                     // "239.255.76.76:7676 on lo (127.0.0.1)"
  bool loopback = false;                       // the interface is the loopback one
};

// Opens `socket` (which must be closed), binds it to the group and port
// with reuse_address, joins the group on the interface, sends through that
// interface only, with the TTL and loopback delivery (so nodes on one host
// hear each other), and makes it non-blocking. On failure `socket` is
// closed again.
Result<OpenedMulticast> open_multicast(boost::asio::ip::udp::socket& socket,
                                       const MulticastOptions& options);

}  // namespace lanlord::transport
