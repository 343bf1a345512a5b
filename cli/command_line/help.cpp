#include "command_line/help.hpp"

#include <boost/program_options/value_semantic.hpp>

#include <sstream>
#include <vector>

#include "lanlord/app/timing_flags.hpp"
#include "lanlord/node.hpp"
#include "lanlord/profile.hpp"

namespace lanlord::cli {

namespace po = boost::program_options;

namespace {

constexpr unsigned kHelpWidth = 80;
constexpr unsigned kHelpDescriptionColumn = 32;

po::options_description make_group(const char* caption) {
  return po::options_description(caption, kHelpWidth, kHelpWidth - kHelpDescriptionColumn);
}

po::typed_value<std::string>* text(const char* name) {
  return po::value<std::string>()->value_name(name);
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
                                 " (default: " + d.profile + "; see Profiles)").c_str());
  app::add_timing_options(timing);
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

// "    a, b, c,\n    d": `items` joined by ", ", wrapped before kHelpWidth.
std::string wrapped(const std::vector<std::string>& items, std::string_view indent) {
  std::string out;
  std::size_t column = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string item = items[i] + (i + 1 < items.size() ? "," : "");
    if (column == 0) {
      out += indent;
      column = indent.size();
    } else if (column + 1 + item.size() > kHelpWidth - 1) {
      out += "\n";
      out += indent;
      column = indent.size();
    } else {
      out += ' ';
      ++column;
    }
    out += item;
    column += item.size();
  }
  return out + "\n";
}

std::string profiles_help() {
  std::string s = "Profiles:\n";
  for (std::string_view name : profile_names()) {
    const Profile p = *find_profile(name);
    std::vector<std::string> items = app::describe_timings(p);
    items.push_back(p.fast_failover ? "fast failover" : "no fast failover (as Fabric)");
    s += "  " + p.name + ": " + p.description + "\n" + wrapped(items, "    ");
  }
  return s;
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

}  // namespace

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

po::options_description command_options(CommandKind command) {
  return command == CommandKind::kDemo ? demo_options() : network_options(command);
}

}  // namespace lanlord::cli
