// --metrics-listen ADDR:PORT: where `join`, `run` and `watch` serve their
// Prometheus metrics.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lanlord/status.hpp"

namespace lanlord::cli {

struct ListenAddress {
  std::string address;     // an IPv4 or IPv6 address, without brackets
  std::uint16_t port = 0;  // 0: any free port (the one chosen is reported)
  // "127.0.0.1:9464", "[::1]:9464".
  std::string to_string() const;
};

// Parses "IPV4:PORT" or "[IPV6]:PORT"; the address must be a literal (no
// host names: nothing is looked up), the port 0-65535. The message says
// what is wrong and shows the form.
Status parse_listen_address(std::string_view text, ListenAddress& out);

}  // namespace lanlord::cli
