#include "metrics/listen_address.hpp"

#include <boost/asio/ip/address.hpp>

#include <charconv>
#include <system_error>

namespace lanlord::cli {

std::string ListenAddress::to_string() const {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

Status parse_listen_address(std::string_view text, ListenAddress& out) {
  const auto bad = [text](const std::string& why) {
    return Status::error("'" + std::string(text) + "' " + why +
                         " (ADDRESS:PORT, e.g. 127.0.0.1:9464 or [::1]:9464; port 0: any free)");
  };
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("has no port");
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.starts_with('[') != host.ends_with(']')) return bad("has an unbalanced bracket");
  const bool bracketed = host.starts_with('[');
  if (bracketed) host = host.substr(1, host.size() - 2);
  if (host.empty()) return bad("has no address (0.0.0.0 or [::] for every interface)");
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || n > 65535) {
    return bad("has no valid port (0-65535)");
  }
  boost::system::error_code error;
  const boost::asio::ip::address address = boost::asio::ip::make_address(std::string(host), error);
  if (error) return bad("has no IP address ('" + std::string(host) + "' is not one)");
  if (address.is_v6() && !bracketed) return bad("needs brackets around an IPv6 address");
  if (address.is_v4() && bracketed) return bad("has brackets around an IPv4 address");
  out.address = address.to_string();
  out.port = static_cast<std::uint16_t>(n);
  return Status::ok();
}

}  // namespace lanlord::cli
