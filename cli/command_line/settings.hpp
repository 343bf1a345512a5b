// Settings: one value for one option, from the command line or a config
// file, applied in order to a command's options (so the last one wins).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "command_line/command_line.hpp"
#include "lanlord/status.hpp"

namespace lanlord::cli {

enum class CommandKind { kJoin, kWatch, kDemo, kKeygen, kLeader, kRun };

// "join", "watch", "demo", "keygen", "leader", "run".
const char* command_name(CommandKind command);

// The demo runs up to this many nodes in one process.
inline constexpr std::size_t kMaxDemoNodes = 64;

// Upper bounds of --max-members and --new-ids-per-second: far beyond any
// LAN, low enough that a typo (an extra zero or three) is caught.
inline constexpr std::uint64_t kMaxMembersLimit = 1000000;
inline constexpr std::uint64_t kMaxNewIdsPerSecond = 1000000;
// Upper bound of --max-unicast-targets: one heartbeat to this many
// addresses is already far more than a LAN's worth of datagrams.
inline constexpr std::uint64_t kMaxUnicastTargetsLimit = 65536;
// Bounds of --lease-ttl, in seconds: etcd's leases are whole seconds, and
// a TTL under 2 s leaves no room for one missed keep-alive (issue 14); a
// day is far beyond any failover anyone waits for (a typo is caught).
inline constexpr std::uint64_t kMinLeaseTtl = 2;
inline constexpr std::uint64_t kMaxLeaseTtl = 86400;

struct Setting {
  std::string key;    // the long option name without "--"
  std::string value;  // empty for a flag given on the command line
  std::string where;  // "file:line", or empty for the command line
  bool from_command_line() const { return where.empty(); }
};

using CommandOptions = std::variant<std::monostate, JoinOptions, WatchOptions, DemoOptions,
                                    KeygenOptions, RunOptions, LeaderOptions>;

// `command`'s defaults with `settings` applied in order. Keys must be the
// command's options (the parser has checked). `channel` is repeatable: the
// first one replaces the default list. The message names the setting as
// the user wrote it: "--port: '0' is not a port (1-65535)" or
// "node.conf:3: port: ...".
Status apply_settings(CommandKind command, const std::vector<Setting>& settings,
                      CommandOptions& out);

// A unicast address as written for --peers and --advertise: "HOST:PORT",
// "HOST", "[IPV6]:PORT" or a bare IPv6 address. HOST is an IP address or
// a host name (resolved later, by the library).
struct HostPort {
  std::string host;  // without brackets
  std::optional<std::uint16_t> port;
  bool ipv6 = false;     // an IPv6 literal
  bool literal = false;  // an IP address, not a host name
  // "host:port" or "[v6]:port", with `fallback` when no port was given.
  std::string with_port(std::uint16_t fallback) const;
};
// The message names `text` and what is wrong with it.
Status parse_host_port(std::string_view text, HostPort& out);

// The mode rules, once every setting is applied: --peers without --group
// turns multicast off; --peers or --no-multicast with a --group (from any
// source) is refused, as is --advertise in multicast mode; each peer
// without a port gets node.port ("host" -> "host:7676").
Status resolve_unicast(const std::vector<Setting>& settings, NodeConfig& node);

// An etcd client URL as written for --etcd-endpoints: "http://HOST:PORT"
// or "https://HOST:PORT" (HOST a name, an IPv4 address or [IPv6]; a
// trailing '/' allowed). The message names `text` and what is wrong.
Status check_etcd_endpoint(std::string_view text);

// The backend rules, once every setting is applied, before
// resolve_unicast() and the keys: --etcd-endpoints without --backend
// selects etcd (as --peers selects unicast); the etcd backend needs
// endpoints and refuses the UDP settings that would mean something else
// to it (network, unicast, cluster key, protocol timings) from any source,
// `key_in_environment` (LANLORD_KEY) included; it ignores the trust caps
// (--max-clock-skew, --max-members, --new-ids-per-second: nothing arrives
// to limit). The udp backend refuses the etcd settings; --etcd-cert needs
// --etcd-key and --etcd-user a password (and the reverse). Each message
// names both settings as the user wrote them.
Status resolve_backend(const std::vector<Setting>& settings, bool key_in_environment,
                       NodeConfig& node);

// `run --on-exit`'s words: "exit", "yield", "restart".
const char* on_exit_name(RunOptions::OnExit on_exit);

// "fabric, lan or fast".
std::string profile_list();

}  // namespace lanlord::cli
