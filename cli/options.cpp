#include "options.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>
#include <utility>

namespace lanlord::cli {

namespace po = boost::program_options;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------
// Durations

namespace {

// Longer is surely a typo (fabric, the slowest profile, counts in seconds),
// and the bound keeps the arithmetic below far from overflow.
constexpr Duration kMaxDuration = std::chrono::hours(24);
constexpr std::size_t kMaxFractionDigits = 6;

const char* const kDurationSyntax =
    "expected a number and a unit (ms, s or m), e.g. 250ms, 1.5s, 1m";

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

Status parse_duration(std::string_view text, Duration& out) {
  const std::string quoted = "'" + std::string(text) + "'";
  std::size_t i = 0;
  while (i < text.size() && is_digit(text[i])) ++i;
  const std::string_view whole = text.substr(0, i);
  std::string_view fraction;
  if (i < text.size() && text[i] == '.') {
    const std::size_t start = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    fraction = text.substr(start, i - start);
    if (fraction.empty()) return Status::error("bad duration " + quoted + ": " + kDurationSyntax);
  }
  const std::string_view unit = text.substr(i);
  if (whole.empty()) return Status::error("bad duration " + quoted + ": " + kDurationSyntax);
  if (unit.empty()) {
    return Status::error("bad duration " + quoted + ": missing unit (ms, s or m), e.g. " +
                         std::string(text) + "ms");
  }
  std::int64_t unit_ns = 0;
  if (unit == "ms") {
    unit_ns = 1'000'000;
  } else if (unit == "s") {
    unit_ns = 1'000'000'000;
  } else if (unit == "m") {
    unit_ns = 60'000'000'000;
  } else {
    return Status::error("bad duration " + quoted + ": unknown unit '" + std::string(unit) +
                         "' (use ms, s or m)");
  }
  if (fraction.size() > kMaxFractionDigits) {
    return Status::error("bad duration " + quoted + ": at most " +
                         std::to_string(kMaxFractionDigits) + " decimals");
  }
  // Leading zeros are fine ("0250ms"); more than 8 significant digits in
  // the whole part is beyond kMaxDuration in every unit.
  const std::size_t first_nonzero = whole.find_first_not_of('0');
  if (first_nonzero != std::string_view::npos && whole.size() - first_nonzero > 8) {
    return Status::error("bad duration " + quoted + ": longer than 24 hours");
  }
  std::int64_t whole_value = 0;
  std::from_chars(whole.data(), whole.data() + whole.size(), whole_value);
  std::int64_t fraction_value = 0;
  std::int64_t fraction_scale = 1;
  for (char c : fraction) {
    fraction_value = fraction_value * 10 + (c - '0');
    fraction_scale *= 10;
  }
  const std::int64_t ns = whole_value * unit_ns + fraction_value * unit_ns / fraction_scale;
  if (ns <= 0) return Status::error("bad duration " + quoted + ": must be positive");
  if (Duration(std::chrono::nanoseconds(ns)) > kMaxDuration) {
    return Status::error("bad duration " + quoted + ": longer than 24 hours");
  }
  out = std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(ns));
  return Status::ok();
}

namespace {

// `value / unit` as a decimal with trailing zeros dropped: 1500/1000 -> "1.5".
std::string decimal(std::int64_t value, std::int64_t unit) {
  std::string s = std::to_string(value / unit);
  std::int64_t rest = value % unit;
  if (rest == 0) return s;
  std::string digits;
  for (std::int64_t scale = unit / 10; scale > 0 && rest > 0; scale /= 10) {
    digits += static_cast<char>('0' + rest / scale);
    rest %= scale;
  }
  return s + "." + digits;
}

}  // namespace

std::string format_duration(Duration d) {
  const std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  if (ns < 1'000'000'000) return decimal(ns, 1'000'000) + "ms";
  if (ns % 60'000'000'000 == 0) return std::to_string(ns / 60'000'000'000) + "m";
  return decimal(ns, 1'000'000'000) + "s";
}

// ---------------------------------------------------------------------------
// Config files

namespace {

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

Status parse_config_text(std::string_view text, std::string_view filename,
                         std::vector<ConfigEntry>& out) {
  out.clear();
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    const std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = std::string(filename) + ":" + std::to_string(line_number);
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::error(where + ": expected 'key = value', got '" + std::string(line) + "'");
    }
    const std::string_view key = trim(line.substr(0, eq));
    if (key.empty()) return Status::error(where + ": missing key before '='");
    if (key.starts_with("-")) {
      return Status::error(where + ": write the key without dashes, e.g. 'port = 7676'");
    }
    out.push_back({std::string(key), std::string(trim(line.substr(eq + 1))), line_number});
  }
  return Status::ok();
}

Status read_file(const std::string& path, std::string& contents) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error("cannot read config file " + path + ": " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Status::error("cannot read config file " + path);
  contents = buffer.str();
  return Status::ok();
}

// ---------------------------------------------------------------------------
// Settings: one value for one option, from the command line or a file

namespace {

enum class CommandKind { kJoin, kWatch, kDemo };

const char* command_name(CommandKind c) {
  switch (c) {
    case CommandKind::kJoin:
      return "join";
    case CommandKind::kWatch:
      return "watch";
    case CommandKind::kDemo:
      return "demo";
  }
  return "";
}

struct Setting {
  std::string key;
  std::string value;  // empty for a flag given on the command line
  std::string where;  // "file:line", or empty for the command line
  bool from_command_line() const { return where.empty(); }
};

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

Status parse_timing(const Setting& s, std::optional<Duration>& out) {
  Duration d{};
  if (Status st = parse_duration(s.value, d); !st) return bad(s, st.message());
  out = d;
  return Status::ok();
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

Status parse_profile(const Setting& s, std::string& out) {
  if (!find_profile(s.value)) {
    return bad(s, "unknown profile '" + s.value + "' (choose " + profile_list() + ")");
  }
  out = s.value;
  return Status::ok();
}

// The options join and watch share: where the group is and how it is timed.
Status apply_network(const Setting& s, NodeConfig& c, bool& handled) {
  handled = true;
  const std::string& k = s.key;
  std::uint64_t n = 0;
  if (k == "cluster") {
    c.cluster = s.value;
  } else if (k == "group") {
    c.group = s.value;
  } else if (k == "port") {
    if (Status st = parse_unsigned(s, 1, 65535, "a port", n); !st) return st;
    c.port = static_cast<std::uint16_t>(n);
  } else if (k == "interface") {
    c.interface_name = s.value;
  } else if (k == "ttl") {
    if (Status st = parse_unsigned(s, 0, 255, "a TTL", n); !st) return st;
    c.ttl = static_cast<int>(n);
  } else if (k == "profile") {
    return parse_profile(s, c.profile);
  } else if (k == "heartbeat") {
    return parse_timing(s, c.timings.heartbeat_interval);
  } else if (k == "alive-expiration") {
    return parse_timing(s, c.timings.alive_expiration);
  } else if (k == "startup-grace") {
    return parse_timing(s, c.timings.startup_grace);
  } else if (k == "sample-interval") {
    return parse_timing(s, c.timings.sample_interval);
  } else if (k == "leader-alive") {
    return parse_timing(s, c.timings.leader_alive);
  } else if (k == "election-duration") {
    return parse_timing(s, c.timings.election_duration);
  } else {
    handled = false;
  }
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
      return parse_timing(s, o.wait);
    }
    return Status::ok();
  }
};

// The demo runs up to this many nodes in one process.
constexpr std::size_t kMaxDemoNodes = 64;

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

// ---------------------------------------------------------------------------
// Help texts and option descriptions

constexpr unsigned kHelpWidth = 80;
constexpr unsigned kHelpDescriptionColumn = 32;

po::options_description make_group(const char* caption) {
  return po::options_description(caption, kHelpWidth, kHelpWidth - kHelpDescriptionColumn);
}

po::typed_value<std::string>* text(const char* name) {
  return po::value<std::string>()->value_name(name);
}

std::string timing_help(const char* what) {
  return std::string(what) + " (default: the profile's)";
}

// Program_options chains read best one option per line.
// clang-format off
po::options_description network_options(CommandKind cmd) {
  const NodeConfig d;
  po::options_description identity = make_group("Identity");
  if (cmd == CommandKind::kJoin) {
    identity.add_options()
        ("id", text("ID"), ("this node's id, unique in the cluster; the lowest id wins an "
                            "election (default: host name and pid, e.g. " +
                            default_node_id() + ")").c_str())
        ("cluster", text("NAME"), ("the cluster; nodes of other clusters on the same group and "
                                   "port are ignored (default: " + d.cluster + ")").c_str())
        ("channel", text("NAME"), "a channel to run an election in; repeat for several "
                                  "(default: default)")
        ("metadata", text("TEXT"), "application data carried in heartbeats, e.g. this "
                                   "service's address (default: empty)");
  } else {
    identity.add_options()
        ("cluster", text("NAME"), ("the cluster to watch (default: " + d.cluster + ")").c_str())
        ("channel", text("NAME"), "a channel that must have a leader for --once to succeed, "
                                  "besides those heard of; repeatable");
  }
  po::options_description network = make_group("Network");
  network.add_options()
      ("group", text("ADDRESS"), ("IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast group "
                                  "(default: " + d.group + ")").c_str())
      ("port", text("PORT"), ("UDP port (default: " + std::to_string(d.port) + ")").c_str())
      ("interface", text("NAME|ADDRESS"), ("network interface by name (lo, eth0) or by one of "
                                           "its addresses (default: " + d.interface_name +
                                           ": this host only)").c_str())
      ("ttl", text("N"), ("multicast hops, 0-255; 1 stays on the local link (default: " +
                          std::to_string(d.ttl) + ")").c_str());
  po::options_description timing = make_group("Timing (DURATION: 250ms, 1.5s, 1m)");
  timing.add_options()
      ("profile", text("NAME"), ("timings for a kind of network: " + profile_list() +
                                 " (default: " + d.profile + "; see Profiles)").c_str())
      ("heartbeat", text("DURATION"), timing_help("how often to heartbeat").c_str())
      ("alive-expiration", text("DURATION"),
       timing_help("silence after which a member is dead").c_str())
      ("startup-grace", text("DURATION"),
       timing_help("longest wait for the view to settle before the first election").c_str())
      ("sample-interval", text("DURATION"),
       timing_help("how often the view is sampled during startup").c_str())
      ("leader-alive", text("DURATION"),
       timing_help("silence after which followers forget the leader; the leader declares "
                   "every half of it").c_str())
      ("election-duration", text("DURATION"),
       timing_help("how long an election collects proposals").c_str());
  po::options_description output = make_group("Output");
  if (cmd == CommandKind::kWatch) {
    output.add_options()
        ("once", po::bool_switch(), "listen for --wait, print the table of members and leaders, "
                                    "and exit 0 if every channel has exactly one leader, else 1")
        ("wait", text("DURATION"), "how long --once listens (default: the profile's "
                                   "alive-expiration + leader-alive/2)");
  }
  output.add_options()
      ("json", po::bool_switch(), "one JSON object per line (see Output)")
      ("verbose", po::bool_switch(), "also print every dropped datagram and why")
      ("config", text("FILE"), "read settings from FILE: 'key = value' lines, keys are the long "
                               "option names, '#' starts a comment line; the command line wins")
      ("help,h", "print this help");
  po::options_description all;
  all.add(identity).add(network).add(timing).add(output);
  return all;
}

po::options_description demo_options() {
  const NodeConfig d;
  po::options_description all = make_group("Options");
  all.add_options()
      ("nodes", text("N"), ("how many nodes to run, 2-" + std::to_string(kMaxDemoNodes) +
                            " (default: 5)").c_str())
      ("profile", text("NAME"), ("timings: " + profile_list() + " (default: fast)").c_str())
      ("group", text("ADDRESS"), ("multicast group (default: " + d.group + ")").c_str())
      ("port", text("PORT"), ("UDP port (default: " + std::to_string(d.port) + ")").c_str())
      ("json", po::bool_switch(), "one JSON object per line")
      ("verbose", po::bool_switch(), "also print membership events and dropped datagrams")
      ("help,h", "print this help");
  return all;
}

// clang-format on

// Program_options pads wrapped lines with trailing blanks; drop them.
std::string describe(const po::options_description& d) {
  std::ostringstream s;
  s << d;
  std::string out;
  std::istringstream lines(s.str());
  for (std::string line; std::getline(lines, line);) {
    line.erase(line.find_last_not_of(' ') + 1);
    if (out.empty() && line.empty()) continue;  // the untitled outer group's blank line
    out += line + "\n";
  }
  return out;
}

std::string profiles_help() {
  std::ostringstream s;
  s << "Profiles:\n";
  for (std::string_view name : profile_names()) {
    const Profile p = *find_profile(name);
    s << "  " << p.name << ": " << p.description << "\n"
      << "    heartbeat " << format_duration(p.membership.heartbeat_interval)
      << ", alive-expiration " << format_duration(p.membership.alive_expiration)
      << ", startup-grace " << format_duration(p.election.startup_grace_period)
      << ", sample-interval " << format_duration(p.election.membership_sample_interval)
      << ",\n    leader-alive " << format_duration(p.election.leader_alive_threshold)
      << ", election-duration " << format_duration(p.election.leader_election_duration)
      << (p.fast_failover ? ", fast failover" : ", no fast failover (as Fabric)") << "\n";
  }
  return s.str();
}

const char* const kDurationsHelp =
    "Durations: a decimal number and a unit, ms, s or m: 250ms, 5s, 1.5s, 1m.\n";

const char* const kOutputHelp =
    "Output: one line per event on stdout, flushed at once. Human lines start\n"
    "with an RFC 3339 UTC timestamp and the node's id. With --json each line is\n"
    "an object with at least \"ts\", \"event\" and \"node\"; events: started,\n"
    "member_joined, member_left, member_dead, member_restarted (+ \"member\",\n"
    "\"members\" = how many are alive), leader (+ \"channel\", \"leader\" = id or\n"
    "null, \"is_self\"), stopped. See cli/README.md.\n";

std::string exit_codes_help(CommandKind cmd) {
  std::string s =
      "Exit codes:\n  0  success\n  1  runtime failure (cannot bind, no such interface)";
  if (cmd == CommandKind::kWatch)
    s += ",\n     or with --once: some channel has not exactly one leader";
  if (cmd == CommandKind::kDemo) s += ",\n     or no agreement within the deadline";
  return s + "\n  2  usage error (unknown option, bad value), one line on stderr\n";
}

std::string command_help(CommandKind cmd, const po::options_description& options) {
  std::ostringstream s;
  switch (cmd) {
    case CommandKind::kJoin:
      s << "Usage: lanlord join [OPTIONS]\n\n"
           "Become a node: take part in the leader election of each --channel and\n"
           "print one line per event (started, member joined/left/dead/restarted,\n"
           "leader changed, stopped). SIGINT or SIGTERM stops the node gracefully:\n"
           "it sends a leave, so the others elect a successor at once, and exits 0.\n\n"
           "Example: lanlord join --id billing-1 --channel billing --profile fast\n\n";
      break;
    case CommandKind::kWatch:
      s << "Usage: lanlord watch [OPTIONS]\n\n"
           "Observe a cluster passively: listen on the group, send nothing (never a\n"
           "member, no influence on elections) and print the members and each\n"
           "channel's leader as they change, until SIGINT or SIGTERM.\n"
           "With --once: listen for one alive-expiration plus one declaration\n"
           "interval (leader-alive/2), so every live member has heartbeated and every\n"
           "leader has declared; print the table; exit 0 if every channel heard of\n"
           "(and every --channel) has exactly one leader, 1 otherwise, and 1 if\n"
           "nothing was heard at all.\n\n"
           "Example: lanlord watch --once --profile fast || echo 'no single leader'\n\n";
      break;
    case CommandKind::kDemo:
      s << "Usage: lanlord demo [OPTIONS]\n\n"
           "Run N nodes in this process on loopback, show their election, crash the\n"
           "leader (no leave sent), show the survivors' failover and how long it\n"
           "took, then stop everything gracefully. Sends nothing beyond this host.\n\n"
           "Example: lanlord demo --nodes 5 --profile fast\n\n";
      break;
  }
  s << describe(options) << "\n";
  if (cmd != CommandKind::kDemo) s << kDurationsHelp << "\n";
  s << profiles_help() << "\n";
  s << kOutputHelp << "\n" << exit_codes_help(cmd);
  return s.str();
}

std::string main_help(std::string_view version) {
  return "lanlord " + std::string(version) +
         ": automatic leader election for services on a LAN\n"
         "(Hyperledger Fabric's election over UDP multicast, with heartbeat membership)\n\n"
         "Usage: lanlord COMMAND [OPTIONS]\n"
         "       lanlord COMMAND --help\n"
         "       lanlord --version\n\n"
         "Commands:\n"
         "  join    become a node: take part in elections and print each event\n"
         "  watch   observe a cluster without taking part: members and leaders\n"
         "  demo    run a local cluster, crash its leader and show the failover\n\n"
         "Examples:\n"
         "  lanlord demo\n"
         "  lanlord join --id billing-1 --channel billing --profile fast --json\n"
         "  lanlord watch --once --profile fast && echo 'one leader per channel'\n\n"
         "Everything stays on this host (loopback) unless --interface names another.\n";
}

Invocation usage_error(std::string problem, std::string hint) {
  Invocation inv;
  inv.action = Invocation::Action::kUsageError;
  inv.text = std::move(problem);
  inv.help_hint = std::move(hint);
  return inv;
}

Invocation print(std::string text) {
  Invocation inv;
  inv.action = Invocation::Action::kPrint;
  inv.text = std::move(text);
  return inv;
}

// Parses one command's arguments into settings: the config file's first,
// then the command line's, so that applying them in order lets the command
// line win. Repeated `channel` lines are the exception: any --channel on
// the command line replaces the file's list instead of adding to it.
template <class Applier>
Invocation parse_command(CommandKind cmd, const std::vector<std::string>& args,
                         const ReadFile& read) {
  const std::string hint = std::string("lanlord ") + command_name(cmd) + " --help";
  const po::options_description visible =
      cmd == CommandKind::kDemo ? demo_options() : network_options(cmd);
  po::options_description all = visible;
  all.add_options()("unexpected-argument", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("unexpected-argument", -1);

  po::parsed_options parsed(&all);
  try {
    // No guessing of abbreviated options: scripts should break loudly
    // rather than change meaning when an option is added.
    parsed = po::command_line_parser(args)
                 .options(all)
                 .positional(positional)
                 .style(po::command_line_style::unix_style ^ po::command_line_style::allow_guessing)
                 .run();
  } catch (const po::error& e) {
    return usage_error(e.what(), hint);
  }

  std::vector<Setting> command_line;
  std::string config_path;
  for (const po::option& o : parsed.options) {
    if (o.string_key == "help") return print(command_help(cmd, visible));
    if (o.string_key == "unexpected-argument") {
      return usage_error("unexpected argument '" + o.value.front() + "'", hint);
    }
    if (o.string_key == "config") {
      config_path = o.value.front();
      continue;
    }
    command_line.push_back({o.string_key, o.value.empty() ? std::string() : o.value.front(), {}});
  }

  std::vector<Setting> settings;
  if (!config_path.empty()) {
    std::string contents;
    if (Status s = read(config_path, contents); !s) return usage_error(s.message(), hint);
    std::vector<ConfigEntry> entries;
    if (Status s = parse_config_text(contents, config_path, entries); !s) {
      return usage_error(s.message(), hint);
    }
    const bool channels_on_command_line =
        std::any_of(command_line.begin(), command_line.end(),
                    [](const Setting& s) { return s.key == "channel"; });
    for (const ConfigEntry& e : entries) {
      const std::string where = config_path + ":" + std::to_string(e.line);
      if (e.key == "config" || e.key == "help" || visible.find_nothrow(e.key, false) == nullptr) {
        return usage_error(where + ": unknown key '" + e.key + "'", hint);
      }
      if (e.key == "channel" && channels_on_command_line) continue;
      settings.push_back({e.key, e.value, where});
    }
  }
  settings.insert(settings.end(), command_line.begin(), command_line.end());

  Applier applier;
  for (const Setting& s : settings) {
    if (Status st = applier.apply(s); !st) return usage_error(st.message(), hint);
  }
  Invocation inv;
  inv.action = Invocation::Action::kRun;
  inv.options = std::move(applier.o);
  return inv;
}

// The library names its timing fields; a person typed the options.
std::string in_option_names(std::string message) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"heartbeat_interval", "--heartbeat"},
      {"alive_expiration", "--alive-expiration"},
      {"startup_grace_period", "--startup-grace"},
      {"membership_sample_interval", "--sample-interval"},
      {"leader_alive_threshold", "--leader-alive"},
      {"leader_election_duration", "--election-duration"},
  };
  for (const auto& [field, option] : kNames) {
    for (auto at = message.find(field); at != std::string::npos;
         at = message.find(field, at + option.size())) {
      message.replace(at, field.size(), option);
    }
  }
  return message;
}

// Settings that are fine one by one may still be wrong together (a group
// that is not multicast, alive-expiration not above heartbeat): the
// library's own check says which, without touching the network.
Invocation checked(Invocation inv, const NodeConfig& config, CommandKind cmd) {
  if (Status s = validate_config(config); !s) {
    return usage_error(in_option_names(s.message()),
                       std::string("lanlord ") + command_name(cmd) + " --help");
  }
  return inv;
}

}  // namespace

Invocation parse_command_line(const std::vector<std::string>& args, std::string_view version,
                              const ReadFile& read) {
  if (args.empty()) return usage_error("missing command (join, watch or demo)", "lanlord --help");
  const std::string& first = args.front();
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (first == "--help" || first == "-h" || first == "help") {
    if (first == "help" && !rest.empty())
      return parse_command_line({rest.front(), "--help"}, version, read);
    return print(main_help(version));
  }
  if (first == "--version" || first == "-V") return print("lanlord " + std::string(version) + "\n");
  if (first == "join") {
    Invocation inv = parse_command<JoinApplier>(CommandKind::kJoin, rest, read);
    auto* o = std::get_if<JoinOptions>(&inv.options);
    if (o == nullptr) return inv;
    const NodeConfig config = o->node;
    return checked(std::move(inv), config, CommandKind::kJoin);
  }
  if (first == "watch") {
    Invocation inv = parse_command<WatchApplier>(CommandKind::kWatch, rest, read);
    auto* o = std::get_if<WatchOptions>(&inv.options);
    if (o == nullptr) return inv;
    o->node.passive = true;
    const NodeConfig config = o->node;
    return checked(std::move(inv), config, CommandKind::kWatch);
  }
  if (first == "demo") {
    Invocation inv = parse_command<DemoApplier>(CommandKind::kDemo, rest, read);
    const auto* o = std::get_if<DemoOptions>(&inv.options);
    if (o == nullptr) return inv;
    NodeConfig probe;  // what every demo node shares
    probe.id = "demo";
    probe.group = o->group;
    probe.port = o->port;
    probe.profile = o->profile;
    return checked(std::move(inv), probe, CommandKind::kDemo);
  }
  if (first.starts_with("-"))
    return usage_error("unknown option '" + first + "'", "lanlord --help");
  return usage_error("unknown command '" + first + "' (join, watch or demo)", "lanlord --help");
}

Duration once_wait(const WatchOptions& options) {
  if (options.wait) return *options.wait;
  const Profile p = resolve_profile(options.node).profile;
  return p.membership.alive_expiration + p.election.declaration_interval();
}

}  // namespace lanlord::cli
