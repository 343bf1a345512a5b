#include "command_line/settings.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <system_error>
#include <utility>

#include <arpa/inet.h>

#include "lanlord/app/timing_flags.hpp"
#include "lanlord/duration.hpp"
#include "lanlord/profile.hpp"

namespace lanlord::cli {

const char* command_name(CommandKind c) {
  switch (c) {
    case CommandKind::kJoin:
      return "join";
    case CommandKind::kWatch:
      return "watch";
    case CommandKind::kDemo:
      return "demo";
    case CommandKind::kKeygen:
      return "keygen";
    case CommandKind::kLeader:
      return "leader";
    case CommandKind::kRun:
      return "run";
  }
  return "";
}

const char* on_exit_name(RunOptions::OnExit on_exit) {
  switch (on_exit) {
    case RunOptions::OnExit::kExit:
      return "exit";
    case RunOptions::OnExit::kYield:
      return "yield";
    case RunOptions::OnExit::kRestart:
      return "restart";
  }
  return "";
}

std::string profile_list() {
  std::string names;
  const auto all = profile_names();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i > 0) names += i + 1 == all.size() ? " or " : ", ";
    names += all[i];
  }
  return names;
}

namespace {

// "--port: ..." for the command line, "node.conf:3: port: ..." for a file.
Status bad(const Setting& s, const std::string& problem) {
  if (s.from_command_line()) return Status::error("--" + s.key + ": " + problem);
  return Status::error(s.where + ": " + s.key + ": " + problem);
}

Status parse_unsigned(const Setting& s, std::uint64_t min, std::uint64_t max, const char* what,
                      std::uint64_t& out) {
  const std::string& v = s.value;
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n < min || n > max) {
    return bad(s, "'" + v + "' is not " + what + " (" + std::to_string(min) + "-" +
                      std::to_string(max) + ")");
  }
  out = n;
  return Status::ok();
}

Status parse_flag(const Setting& s, bool& out) {
  if (s.from_command_line()) {
    out = true;
    return Status::ok();
  }
  static const std::map<std::string, bool, std::less<>> kWords = {
      {"true", true},   {"yes", true}, {"on", true},   {"1", true},
      {"false", false}, {"no", false}, {"off", false}, {"0", false}};
  const auto it = kWords.find(s.value);
  if (it == kWords.end()) return bad(s, "'" + s.value + "' is not true or false");
  out = it->second;
  return Status::ok();
}

Status parse_duration_setting(const Setting& s, std::optional<Duration>& out) {
  Duration d{};
  if (Status st = lanlord::parse_duration(s.value, d); !st) return bad(s, st.message());
  out = d;
  return Status::ok();
}

// A timing knob's value, into its override; generated from the knob table.
Status parse_timing(const Setting& s, const TimingKnob& knob, TimingOverrides& out) {
  if (Status st = app::apply_timing_value(knob, s.value, out); !st) return bad(s, st.message());
  return Status::ok();
}

Status parse_profile(const Setting& s, std::string& out) {
  if (!find_profile(s.value)) {
    return bad(s, "unknown profile '" + s.value + "' (choose " + profile_list() + ")");
  }
  out = s.value;
  return Status::ok();
}

// `--peers`' value: one or more addresses separated by commas, each
// checked now (the bare hosts get --port later, in resolve_unicast, once
// every setting is known).
Status add_peers(const Setting& s, std::vector<std::string>& out) {
  std::size_t start = 0;
  const std::string& v = s.value;
  while (start <= v.size()) {
    const std::size_t comma = std::min(v.find(',', start), v.size());
    const std::string item = v.substr(start, comma - start);
    if (item.empty()) return bad(s, "an empty address in '" + v + "' (HOST:PORT[,HOST:PORT...])");
    HostPort hp;
    if (Status st = parse_host_port(item, hp); !st) return bad(s, st.message());
    out.push_back(item);
    start = comma + 1;
  }
  return Status::ok();
}

// `--etcd-endpoints`' value: one or more URLs separated by commas.
Status add_endpoints(const Setting& s, std::vector<std::string>& out) {
  std::size_t start = 0;
  const std::string& v = s.value;
  while (start <= v.size()) {
    const std::size_t comma = std::min(v.find(',', start), v.size());
    const std::string item = v.substr(start, comma - start);
    if (item.empty()) return bad(s, "an empty URL in '" + v + "' (URL[,URL...])");
    if (Status st = check_etcd_endpoint(item); !st) return bad(s, st.message());
    out.push_back(item);
    start = comma + 1;
  }
  return Status::ok();
}

// `--lease-ttl`: whole seconds ("5", or "5s" as a duration would be
// written), kMinLeaseTtl..kMaxLeaseTtl.
Status parse_lease_ttl(const Setting& s, int& out) {
  std::string_view v = s.value;
  if (v.ends_with('s')) v.remove_suffix(1);
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n < kMinLeaseTtl ||
      n > kMaxLeaseTtl) {
    return bad(s, "'" + s.value + "' is not a whole number of seconds (" +
                      std::to_string(kMinLeaseTtl) + "-" + std::to_string(kMaxLeaseTtl) +
                      "): etcd's lease TTLs are whole seconds, and one under 2 s leaves no room "
                      "for a missed keep-alive");
  }
  out = static_cast<int>(n);
  return Status::ok();
}

// A value that must not be empty (a file, a user name, a password).
Status non_empty(const Setting& s, const char* what, std::string& out) {
  if (s.value.empty()) return bad(s, std::string("name ") + what);
  out = s.value;
  return Status::ok();
}

// The etcd backend's options (resolve_backend checks them together).
Status apply_etcd(const Setting& s, NodeConfig& c, bool& handled) {
  handled = true;
  const std::string& k = s.key;
  if (k == "backend") {
    const std::optional<Backend> b = parse_backend(s.value);
    if (!b) return bad(s, "unknown backend '" + s.value + "' (choose udp or etcd)");
    c.backend = *b;
  } else if (k == "etcd-endpoints") {
    return add_endpoints(s, c.etcd.endpoints);
  } else if (k == "lease-ttl") {
    return parse_lease_ttl(s, c.etcd.lease_ttl);
  } else if (k == "etcd-cacert") {
    return non_empty(s, "the CA bundle file", c.etcd.cacert);
  } else if (k == "etcd-cert") {
    return non_empty(s, "the client certificate file", c.etcd.cert);
  } else if (k == "etcd-key") {
    return non_empty(s, "the client key file", c.etcd.key);
  } else if (k == "etcd-user") {
    return non_empty(s, "the etcd user", c.etcd.user);
  } else if (k == "etcd-password") {
    // Never echoed: the message names the setting only.
    return non_empty(s, "the password (or leave it out)", c.etcd.password);
  } else {
    handled = false;
  }
  return Status::ok();
}

// The options join and watch share: where the group is and how it is timed.
Status apply_network(const Setting& s, NodeConfig& c, bool& handled) {
  if (Status st = apply_etcd(s, c, handled); !st || handled) return st;
  handled = true;
  const std::string& k = s.key;
  std::uint64_t n = 0;
  if (k == "key-file") {
    // Read after all settings (parse.cpp, resolve_keys), which knows
    // whether it came from the command line, the environment or a file.
  } else if (k == "cluster") {
    c.cluster = s.value;
  } else if (k == "group") {
    c.group = s.value;
  } else if (k == "port") {
    if (Status st = parse_unsigned(s, 1, 65535, "a port", n); !st) return st;
    c.port = static_cast<std::uint16_t>(n);
  } else if (k == "interface") {
    c.interface_name = s.value;
  } else if (k == "peers") {
    return add_peers(s, c.peers);
  } else if (k == "no-multicast") {
    bool off = false;
    if (Status st = parse_flag(s, off); !st) return st;
    c.multicast = !off;
  } else if (k == "advertise") {
    HostPort hp;
    if (Status st = parse_host_port(s.value, hp); !st) return bad(s, st.message());
    if (!hp.literal) return bad(s, "'" + s.value + "' is not an IP address (ADDR or ADDR:PORT)");
    c.advertise = s.value;
  } else if (k == "max-unicast-targets") {
    if (Status st = parse_unsigned(s, 1, kMaxUnicastTargetsLimit, "a count", n); !st) return st;
    c.max_unicast_targets = static_cast<std::size_t>(n);
  } else if (k == "ttl") {
    if (Status st = parse_unsigned(s, 0, 255, "a TTL", n); !st) return st;
    c.ttl = static_cast<int>(n);
  } else if (k == "profile") {
    return parse_profile(s, c.profile);
  } else if (const TimingKnob* knob = find_timing_knob(k)) {
    return parse_timing(s, *knob, c.timings);
  } else if (k == "encrypt") {
    return parse_flag(s, c.encrypt);
  } else if (k == "max-clock-skew") {
    std::optional<Duration> d;
    if (Status st = parse_duration_setting(s, d); !st) return st;
    c.trust.max_clock_skew = *d;
  } else if (k == "max-members") {
    if (Status st = parse_unsigned(s, 1, kMaxMembersLimit, "a member count", n); !st) return st;
    c.trust.max_members = static_cast<std::size_t>(n);
  } else if (k == "new-ids-per-second") {
    if (Status st = parse_unsigned(s, 1, kMaxNewIdsPerSecond, "a rate", n); !st) return st;
    c.trust.new_ids_per_second = static_cast<std::uint32_t>(n);
  } else {
    handled = false;
  }
  return Status::ok();
}

Status parse_metrics_listen(const Setting& s, std::optional<ListenAddress>& out) {
  ListenAddress a;
  if (Status st = parse_listen_address(s.value, a); !st) return bad(s, st.message());
  out = a;
  return Status::ok();
}

Status apply_output(const Setting& s, OutputOptions& o, bool& handled) {
  handled = true;
  if (s.key == "json") return parse_flag(s, o.json);
  if (s.key == "verbose") return parse_flag(s, o.verbose);
  handled = false;
  return Status::ok();
}

// `channel` is repeatable: the first occurrence replaces the default list.
void add_channel(const std::string& name, bool& replaced_default, std::vector<std::string>& out) {
  if (!replaced_default) out.clear();
  replaced_default = true;
  if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
}

struct JoinApplier {
  JoinOptions o = [] {
    JoinOptions defaults;
    defaults.node.id = default_node_id();
    return defaults;
  }();
  bool channels_given = false;
  Status apply(const Setting& s) {
    bool handled = false;
    if (Status st = apply_network(s, o.node, handled); !st || handled) return st;
    if (Status st = apply_output(s, o.output, handled); !st || handled) return st;
    if (s.key == "id") {
      o.node.id = s.value;
    } else if (s.key == "metadata") {
      o.node.metadata = s.value;
    } else if (s.key == "channel") {
      add_channel(s.value, channels_given, o.node.channels);
    } else if (s.key == "metrics-listen") {
      return parse_metrics_listen(s, o.metrics_listen);
    }
    return Status::ok();
  }
};

struct WatchApplier {
  WatchOptions o;
  bool channels_given = false;
  Status apply(const Setting& s) {
    bool handled = false;
    if (Status st = apply_network(s, o.node, handled); !st || handled) return st;
    if (Status st = apply_output(s, o.output, handled); !st || handled) return st;
    if (s.key == "channel") {
      add_channel(s.value, channels_given, o.expect_channels);
    } else if (s.key == "once") {
      return parse_flag(s, o.once);
    } else if (s.key == "wait") {
      return parse_duration_setting(s, o.wait);
    } else if (s.key == "metrics-listen") {
      return parse_metrics_listen(s, o.metrics_listen);
    }
    return Status::ok();
  }
};

struct DemoApplier {
  DemoOptions o;
  Status apply(const Setting& s) {
    bool handled = false;
    if (Status st = apply_output(s, o.output, handled); !st || handled) return st;
    std::uint64_t n = 0;
    if (s.key == "nodes") {
      // Two at least: the demo crashes the leader and needs a survivor.
      if (Status st = parse_unsigned(s, 2, kMaxDemoNodes, "a node count", n); !st) return st;
      o.nodes = static_cast<std::size_t>(n);
    } else if (s.key == "profile") {
      return parse_profile(s, o.profile);
    } else if (s.key == "group") {
      o.group = s.value;
    } else if (s.key == "port") {
      if (Status st = parse_unsigned(s, 1, 65535, "a port", n); !st) return st;
      o.port = static_cast<std::uint16_t>(n);
    }
    return Status::ok();
  }
};

struct KeygenApplier {
  KeygenOptions o;
  Status apply(const Setting& s) {
    if (s.key == "output") {
      if (s.value.empty()) return bad(s, "name a file (or leave --output out for stdout)");
      o.output = s.value;
    } else if (s.key == "force") {
      return parse_flag(s, o.force);
    }
    return Status::ok();
  }
};

// `lanlord leader`: watch's network, key and output options, one channel.
struct LeaderApplier {
  LeaderOptions o;
  Status apply(const Setting& s) {
    bool handled = false;
    if (Status st = apply_network(s, o.node, handled); !st || handled) return st;
    if (Status st = apply_output(s, o.output, handled); !st || handled) return st;
    if (s.key == "channel") {
      // One channel, or none for all: a second one is more likely a
      // mistake than a wish for the last.
      if (!o.channel.empty() && o.channel != s.value) {
        return bad(s, "one channel only ('" + o.channel +
                          "' already given); leave --channel "
                          "out for every channel");
      }
      if (s.value.empty()) return bad(s, "name a channel (or leave --channel out for every one)");
      o.channel = s.value;
    } else if (s.key == "wait") {
      return parse_duration_setting(s, o.wait);
    }
    return Status::ok();
  }
};

// `run` is `join` plus what to do with the command: every join setting
// goes through the JoinApplier, so the two cannot drift apart. The
// command itself comes from after "--" (parse.cpp), not from settings.
struct RunApplier {
  JoinApplier join;
  RunOptions run;
  Status apply(const Setting& s) {
    if (s.key == "kill-timeout") {
      std::optional<Duration> d;
      if (Status st = parse_duration_setting(s, d); !st) return st;
      run.kill_timeout = *d;
      return Status::ok();
    }
    if (s.key == "on-exit") {
      for (const auto choice :
           {RunOptions::OnExit::kExit, RunOptions::OnExit::kYield, RunOptions::OnExit::kRestart}) {
        if (s.value == on_exit_name(choice)) {
          run.on_exit = choice;
          return Status::ok();
        }
      }
      return bad(s, "'" + s.value + "' is not an action (choose yield, exit or restart)");
    }
    return join.apply(s);
  }
  // The options, once every setting is applied; `channels_given` says
  // whether a channel was named (run has no default channel).
  RunOptions result() {
    run.node = std::move(join.o.node);
    run.output = join.o.output;
    run.key_origin = std::move(join.o.key_origin);
    run.metrics_listen = join.o.metrics_listen;
    if (!join.channels_given) run.node.channels.clear();
    return std::move(run);
  }
};

Status apply_run(const std::vector<Setting>& settings, CommandOptions& out) {
  RunApplier applier;
  for (const Setting& s : settings) {
    if (Status st = applier.apply(s); !st) return st;
  }
  out = applier.result();
  return Status::ok();
}

template <class Applier>
Status apply_all(const std::vector<Setting>& settings, CommandOptions& out) {
  Applier applier;
  for (const Setting& s : settings) {
    if (Status st = applier.apply(s); !st) return st;
  }
  out = std::move(applier.o);
  return Status::ok();
}

}  // namespace

Status parse_host_port(std::string_view text, HostPort& out) {
  const std::string quoted = "'" + std::string(text) + "'";
  const auto is_v4 = [](const std::string& h) {
    in_addr a{};
    return ::inet_pton(AF_INET, h.c_str(), &a) == 1;
  };
  const auto is_v6 = [](const std::string& h) {
    in6_addr a{};
    return ::inet_pton(AF_INET6, h.c_str(), &a) == 1;
  };
  HostPort hp;
  std::string_view port;
  bool has_port = false;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos)
      return Status::error(quoted + ": no ']' after the IPv6 address");
    hp.host = std::string(text.substr(1, close - 1));
    if (!is_v6(hp.host))
      return Status::error(quoted + ": '" + hp.host + "' is not an IPv6 address");
    hp.ipv6 = true;
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Status::error(quoted + ": expected ':PORT' after ']'");
      port = rest.substr(1);
      has_port = true;
    }
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    // A bare IPv6 address: no port (write [ADDR]:PORT for one).
    hp.host = std::string(text);
    if (!is_v6(hp.host)) {
      return Status::error(quoted +
                           " is not HOST:PORT (an IPv6 address with a port is [ADDR]:PORT)");
    }
    hp.ipv6 = true;
  } else {
    const std::size_t colon = text.find(':');
    hp.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      has_port = true;
    }
  }
  if (hp.host.empty()) return Status::error(quoted + ": the host is missing (HOST:PORT)");
  if (hp.ipv6) {
    hp.literal = true;
  } else if (hp.host.find_first_not_of("0123456789.") == std::string::npos) {
    if (!is_v4(hp.host))
      return Status::error(quoted + ": '" + hp.host + "' is not an IPv4 address");
    hp.literal = true;
  } else {
    const bool name_chars = std::all_of(hp.host.begin(), hp.host.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '-' || ch == '.' || ch == '_';
    });
    if (!name_chars || hp.host.size() > 253 || hp.host.front() == '-' || hp.host.front() == '.') {
      return Status::error(quoted + ": '" + hp.host + "' is neither an IP address nor a host name");
    }
  }
  if (has_port) {
    std::uint32_t n = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || n < 1 ||
        n > 65535) {
      return Status::error(quoted + ": '" + std::string(port) + "' is not a port (1-65535)");
    }
    hp.port = static_cast<std::uint16_t>(n);
  }
  out = std::move(hp);
  return Status::ok();
}

std::string HostPort::with_port(std::uint16_t fallback) const {
  const std::string p = std::to_string(port.value_or(fallback));
  return ipv6 ? "[" + host + "]:" + p : host + ":" + p;
}

Status resolve_unicast(const std::vector<Setting>& settings, NodeConfig& node) {
  const Setting* group = nullptr;
  const Setting* unicast = nullptr;  // the last --peers or --no-multicast that asks for unicast
  const Setting* advertise = nullptr;
  for (const Setting& s : settings) {
    if (s.key == "group") group = &s;
    if (s.key == "peers" || s.key == "advertise") {
      (s.key == "peers" ? unicast : advertise) = &s;
    }
    if (s.key == "no-multicast" && !node.multicast) unicast = &s;
  }
  const auto named = [](const Setting& s) {
    return s.from_command_line() ? "--" + s.key : s.where + ": " + s.key;
  };
  if (!node.peers.empty()) node.multicast = false;  // --peers without --group: unicast
  if (group != nullptr && !node.multicast) {
    return Status::error(named(*group) + " and " + named(unicast != nullptr ? *unicast : *group) +
                         ": a node is either multicast (--group) or unicast (--peers/"
                         "--no-multicast); a multicast node and a unicast node never hear each "
                         "other");
  }
  if (advertise != nullptr && node.multicast) {
    return Status::error(named(*advertise) +
                         ": only for unicast mode (add --peers or --no-multicast)");
  }
  for (std::string& peer : node.peers) {
    HostPort hp;
    if (Status st = parse_host_port(peer, hp); !st) return st;  // checked when applied
    peer = hp.with_port(node.port);
  }
  return Status::ok();
}

Status check_etcd_endpoint(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  std::string_view rest = text;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else {
    return Status::error(quoted +
                         " is not an etcd URL: give http://HOST:PORT or https://HOST:PORT");
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    return Status::error(quoted + ": an etcd URL has no path (http://HOST:PORT)");
  }
  HostPort hp;
  if (Status st = parse_host_port(rest, hp); !st)
    return Status::error(quoted + ": " + st.message());
  if (!hp.port) return Status::error(quoted + ": give the port (etcd's client port is 2379)");
  return Status::ok();
}

namespace {

// How a rule's message names a setting: "--group", "node.conf:3: group"
// or "LANLORD_GROUP: group", as the user wrote it.
std::string named(const Setting& s) {
  return s.from_command_line() ? "--" + s.key : s.where + ": " + s.key;
}

// The same with its value: "--backend etcd", "node.conf:2: backend = etcd".
std::string named_with_value(const Setting& s) {
  return s.from_command_line() ? "--" + s.key + " " + s.value
                               : s.where + ": " + s.key + " = " + s.value;
}

bool is_etcd_setting(std::string_view key) {
  return key.starts_with("etcd-") || key == "lease-ttl";
}

// Why a setting is refused with the etcd backend (empty: it is not).
std::string refused_with_etcd(std::string_view key) {
  static const char* const kUdp[] = {"group", "port",         "interface", "ttl",
                                     "peers", "no-multicast", "advertise", "max-unicast-targets"};
  for (const char* k : kUdp) {
    if (key == k) {
      return "the UDP network settings have no meaning with the etcd backend: its nodes talk "
             "only to etcd (--etcd-endpoints)";
    }
  }
  if (key == "key-file" || key == "encrypt") {
    return "a cluster key signs and encrypts UDP datagrams; the etcd backend sends none: secure "
           "it with TLS (https endpoints, --etcd-cacert, --etcd-cert) and etcd's "
           "authentication (--etcd-user)";
  }
  if (find_timing_knob(key) != nullptr) {
    return "the UDP protocol's timings have no meaning with the etcd backend: a crashed "
           "leader is replaced within --lease-ttl (default from --profile)";
  }
  return {};
}

}  // namespace

Status resolve_backend(const std::vector<Setting>& settings, bool key_in_environment,
                       NodeConfig& node) {
  const Setting* backend = nullptr;    // the last --backend
  const Setting* endpoints = nullptr;  // the last --etcd-endpoints
  const Setting* etcd = nullptr;       // the first etcd setting
  for (const Setting& s : settings) {
    if (s.key == "backend") backend = &s;
    if (s.key == "etcd-endpoints") endpoints = &s;
    if (etcd == nullptr && is_etcd_setting(s.key)) etcd = &s;
  }
  // Like --peers for unicast: the endpoints are the one thing every etcd
  // deployment names, and they mean nothing else.
  if (backend == nullptr && !node.etcd.endpoints.empty()) node.backend = Backend::kEtcd;
  if (node.backend == Backend::kUdp) {
    if (etcd == nullptr) return Status::ok();
    if (backend != nullptr) {
      return Status::error(named(*etcd) + " and " + named_with_value(*backend) +
                           ": the etcd settings are for the etcd backend only");
    }
    return Status::error(named(*etcd) +
                         ": only for the etcd backend (add --etcd-endpoints URL, which selects "
                         "it, or --backend etcd)");
  }
  // The setting that chose etcd, to name in the messages.
  const std::string chosen = backend != nullptr ? named_with_value(*backend) : named(*endpoints);
  if (node.etcd.endpoints.empty()) {
    return Status::error(chosen +
                         " needs --etcd-endpoints URL[,URL...], e.g. http://127.0.0.1:2379");
  }
  for (const Setting& s : settings) {
    const std::string why = refused_with_etcd(s.key);
    if (!why.empty()) return Status::error(named(s) + " and " + chosen + ": " + why);
  }
  if (key_in_environment) {
    return Status::error(std::string("LANLORD_KEY and ") + chosen + ": " +
                         refused_with_etcd("key-file"));
  }
  const auto last = [&settings](std::string_view key) {
    const Setting* found = nullptr;
    for (const Setting& s : settings) {
      if (s.key == key) found = &s;
    }
    return found;
  };
  const EtcdConfig& e = node.etcd;
  if (e.cert.empty() != e.key.empty()) {
    return Status::error(e.cert.empty() ? named(*last("etcd-key")) +
                                              " without --etcd-cert: give both the "
                                              "client certificate and its key"
                                        : named(*last("etcd-cert")) +
                                              " without --etcd-key: give both the "
                                              "client certificate and its key");
  }
  if (e.user.empty() != e.password.empty()) {
    return Status::error(
        e.user.empty()
            ? named(*last("etcd-password")) + " without --etcd-user: give both, or neither"
            : named(*last("etcd-user")) +
                  " without a password: set LANLORD_ETCD_PASSWORD or etcd-password in the "
                  "config file (mode 0600), or give --etcd-password");
  }
  return Status::ok();
}

Status apply_settings(CommandKind command, const std::vector<Setting>& settings,
                      CommandOptions& out) {
  switch (command) {
    case CommandKind::kJoin:
      return apply_all<JoinApplier>(settings, out);
    case CommandKind::kWatch:
      return apply_all<WatchApplier>(settings, out);
    case CommandKind::kDemo:
      return apply_all<DemoApplier>(settings, out);
    case CommandKind::kKeygen:
      return apply_all<KeygenApplier>(settings, out);
    case CommandKind::kLeader:
      return apply_all<LeaderApplier>(settings, out);
    case CommandKind::kRun:
      return apply_run(settings, out);
  }
  return Status::error("unknown command");
}

}  // namespace lanlord::cli
