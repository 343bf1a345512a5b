// The UDP unicast Link, for networks that drop multicast: one socket bound
// to the interface's address and the node's port, sending each datagram to
// one member address at a time.
#pragma once

#include <boost/asio/ip/udp.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "datagram_receiver.hpp"
#include "lanlord/status.hpp"
#include "link.hpp"
#include "strand_scheduler.hpp"

namespace lanlord::transport {

struct UnicastOptions {
  // An interface name ("eth0": its IPv4 address, else its first usable
  // IPv6 one), an address of this host ("127.0.0.2"), or "auto" (the
  // interface choose_automatically() picks, multicast not required).
  std::string interface_name;
  // 0: an ephemeral port (a passive node beside a member on one host).
  std::uint16_t port = 0;
};

// "host:port", "[v6]:port", "[v6]", "host", or an IPv6 address without
// brackets (no port): the host and the port's text (empty: none given);
// nothing when brackets or the colon are misplaced.
struct HostPort {
  std::string host;
  std::string port;
  bool has_port = false;
};
std::optional<HostPort> split_host_port(const std::string& text);
// "1".."65535" (0 and anything else: nothing).
std::optional<std::uint16_t> parse_port(const std::string& text);

// "203.0.113.5:7676", "[2001:db8::7]:7676" (and with `default_port`, a
// bare address): the endpoint, or nothing when the text is not one.
std::optional<boost::asio::ip::udp::endpoint> parse_endpoint(const std::string& text,
                                                             std::uint16_t default_port = 0);

class UnicastLink final : public Link {
 public:
  // Parsed targets kept; the cache is emptied when full (targets are
  // capped by the core, so this is rare).
  static constexpr std::size_t kMaxCachedTargets = 1024;

  // Does not touch the network; open() does.
  UnicastLink(Strand strand, std::shared_ptr<NodeGuard> guard);
  ~UnicastLink() override { close(); }

  // Opens the socket and binds it (no SO_REUSEADDR: Linux would hand a
  // unicast datagram to only one of two sockets sharing an address and
  // port, so a taken port is an error); errors name the problem.
  Status open(const UnicastOptions& options);

  void start(OnDatagram on_datagram, OnError on_error) override;
  bool send(std::span<const std::uint8_t> /*datagram*/) override { return false; }
  bool send_to(std::span<const std::uint8_t> datagram, const std::string& target) override;
  void close() override;
  const std::string& describe() const override { return description_; }
  bool loopback() const override { return loopback_; }
  std::uint64_t wakeups() const override { return receiver_.wakeups(); }
  // After open(): the address and port bound (the port chosen when 0).
  const boost::asio::ip::udp::endpoint& local() const { return local_; }

 private:
  Strand strand_;
  boost::asio::ip::udp::socket socket_;
  DatagramReceiver receiver_;
  boost::asio::ip::udp::endpoint local_;
  std::string description_;
  bool loopback_ = false;
  bool open_ = false;
  // Target text -> endpoint (nullopt: not an address), so a heartbeat to
  // every member costs no parsing.
  std::unordered_map<std::string, std::optional<boost::asio::ip::udp::endpoint>> targets_;
};

}  // namespace lanlord::transport
