#include "command_line/help.hpp"

#include <boost/program_options/value_semantic.hpp>

#include <sstream>
#include <vector>

#include "lanlord/app/timing_flags.hpp"
#include "lanlord/duration.hpp"
#include "lanlord/node.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/trust.hpp"

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
// `run`'s own options: what happens to the command.
po::options_description run_command_options() {
  const RunOptions d;
  po::options_description command = make_group("Command");
  command.add_options()
      ("kill-timeout", text("DURATION"), ("after SIGTERM to the command's process group, how "
                                          "long to wait before SIGKILL (default: " +
                                          format_duration(d.kill_timeout) + ")").c_str())
      ("on-exit", text("ACTION"), "when the command exits by itself: exit (leave the cluster; "
                                  "exit 0 if it succeeded, else 3), yield (give up leadership, "
                                  "stay a candidate) or restart (keep leading, restart it after "
                                  "1s, doubling to 30s) (default: exit)");
  return command;
}

po::options_description network_options(CommandKind cmd) {
  const NodeConfig d;
  po::options_description identity = make_group("Identity");
  if (cmd == CommandKind::kJoin || cmd == CommandKind::kRun) {
    identity.add_options()
        ("id", text("ID"), ("this node's id, unique in the cluster; the lowest id wins an "
                            "election (default: host name and a random suffix, e.g. " +
                            default_node_id() + ")").c_str())
        ("cluster", text("NAME"), ("the cluster; nodes of other clusters on the same group and "
                                   "port are ignored (default: " + d.cluster + ")").c_str())
        ("channel", text("NAME"), cmd == CommandKind::kRun
                                      ? "the channel whose leader runs the command (required, "
                                        "exactly one)"
                                      : "a channel to run an election in; repeat for several "
                                        "(default: default)")
        ("metadata", text("TEXT"), "application data carried in heartbeats, e.g. this "
                                   "service's address (default: empty)");
  } else if (cmd == CommandKind::kLeader) {
    identity.add_options()
        ("cluster", text("NAME"), ("the cluster to ask (default: " + d.cluster + ")").c_str())
        ("channel", text("NAME"), "the channel whose leader to print (default: every channel "
                                  "heard of)");
  } else {
    identity.add_options()
        ("cluster", text("NAME"), ("the cluster to watch (default: " + d.cluster + ")").c_str())
        ("channel", text("NAME"), "a channel that must have a leader for --once to succeed, "
                                  "besides those heard of; repeatable");
  }
  po::options_description network = make_group("Network");
  network.add_options()
      ("group", text("ADDRESS"), ("IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast group; "
                                  "not with --peers or --no-multicast (default: " + d.group +
                                  ")").c_str())
      ("port", text("PORT"), ("UDP port (default: " + std::to_string(d.port) + ")").c_str())
      ("peers", text("HOST:PORT,..."), "unicast mode, for networks without multicast: seed "
                                       "members to contact, comma-separated, repeatable; a HOST "
                                       "without :PORT uses --port; without --group this turns "
                                       "multicast off. With a key one seed is enough, without "
                                       "one list every member (default: none)")
      ("no-multicast", po::bool_switch(), "unicast mode even without --peers (a seed that waits "
                                          "to be contacted); not with --group")
      ("advertise", text("ADDR[:PORT]"), "unicast mode: the address members should send to, "
                                         "e.g. this host's public address behind one-to-one "
                                         "NAT; believed only with a key (default: the "
                                         "interface's address and --port)")
      ("max-unicast-targets", text("N"), ("unicast mode: the most addresses one message is sent "
                                          "to, 1-" + std::to_string(kMaxUnicastTargetsLimit) +
                                          " (default: " + std::to_string(d.max_unicast_targets) +
                                          ")").c_str())
      ("interface", text("NAME|ADDRESS|auto"),
       ("network interface by name (lo, eth0) or by one of its addresses; auto: the one "
        "up, multicast-capable, non-loopback interface with an address of the group's "
        "family, skipping docker*, virbr*, veth* and the like (default: " +
        d.interface_name + ": this host only)").c_str())
      ("ttl", text("N"), ("multicast hops, 0-255; 1 stays on the local link (default: " +
                          std::to_string(d.ttl) + ")").c_str());
  po::options_description etcd = make_group("etcd backend (see Backends)");
  etcd.add_options()
      ("backend", text("NAME"), "where elections run: udp (this program's own protocol, "
                                "multicast or --peers; no server) or etcd (an etcd v3 "
                                "cluster's leases and keys) (default: udp, or etcd when "
                                "--etcd-endpoints is given)")
      ("etcd-endpoints", text("URL,..."), "etcd client URLs, tried in turn, e.g. "
                                          "http://127.0.0.1:2379; comma-separated, repeatable; "
                                          "selects the etcd backend")
      ("lease-ttl", text("SECONDS"), ("the lease's TTL, whole seconds, 2-" +
                                      std::to_string(kMaxLeaseTtl) + "; a crashed leader is "
                                      "replaced within about this (default: from the profile: "
                                      "fast 2, lan 5, fabric 10)").c_str())
      ("etcd-cacert", text("FILE"), "PEM bundle of the CAs that sign the etcd servers' "
                                    "certificates (https endpoints; default: the system's)")
      ("etcd-cert", text("FILE"), "PEM client certificate, for servers that ask for one "
                                  "(with --etcd-key)")
      ("etcd-key", text("FILE"), "PEM private key of --etcd-cert")
      ("etcd-user", text("NAME"), "etcd user (etcd authentication; needs a password)")
      ("etcd-password", text("PASSWORD"), "the etcd user's password; prefer "
                                          "LANLORD_ETCD_PASSWORD or the config file (mode "
                                          "0600): a command line is visible in ps");
  po::options_description timing = make_group("Timing (DURATION: 250ms, 1.5s, 1m)");
  timing.add_options()
      ("profile", text("NAME"), ("timings for a kind of network: " + profile_list() +
                                 " (default: " + d.profile + "; see Profiles)").c_str());
  app::add_timing_options(timing);
  const TrustConfig t;
  po::options_description trust = make_group("Trust (keys: see Keys below)");
  trust.add_options()
      ("key-file", text("FILE"), "the cluster's keyring: one base64 key per line (lanlord "
                                 "keygen), the first signs, every one is accepted; mode 0600; "
                                 "SIGHUP re-reads it (default: LANLORD_KEY, else no key)")
      ("encrypt", po::bool_switch(), "also encrypt every datagram it sends (needs a key; "
                                     "keyed nodes read both kinds)")
      ("max-clock-skew", text("DURATION"), ("drop messages sent further than this from this "
                                            "host's clock (a replay, or a clock that is off); "
                                            "peers off by half of it are warned about "
                                            "(default: " + format_duration(t.max_clock_skew) +
                                            ")").c_str())
      ("max-members", text("N"), ("most peers held; when full, new ids are dropped unless a "
                                  "peer heard only once can make room, 1-" +
                                  std::to_string(kMaxMembersLimit) + " (default: " +
                                  std::to_string(t.max_members) + ")").c_str())
      ("new-ids-per-second", text("N"), ("new member ids admitted per second, beyond that "
                                         "they are dropped (a flood of made-up ids), 1-" +
                                         std::to_string(kMaxNewIdsPerSecond) + " (default: " +
                                         std::to_string(t.new_ids_per_second) + ")").c_str());
  po::options_description output = make_group("Output");
  if (cmd == CommandKind::kWatch) {
    output.add_options()
        ("once", po::bool_switch(), "listen for --wait, print the table of members and leaders, "
                                    "and exit 0 if every channel has exactly one leader, else 1")
        ("wait", text("DURATION"), "how long --once listens (default: the profile's "
                                   "alive-expiration, or idle heartbeat + heartbeat if longer, "
                                   "+ leader-alive/2)");
  }
  if (cmd == CommandKind::kLeader) {
    output.add_options()
        ("wait", text("DURATION"), "how long to listen before answering (default: the "
                                   "profile's alive-expiration, or idle heartbeat + heartbeat "
                                   "if longer, + leader-alive/2)");
  }
  if (cmd != CommandKind::kLeader) {
    output.add_options()
        ("metrics-listen", text("ADDRESS:PORT"), "serve Prometheus metrics at http://ADDRESS:"
                                                 "PORT/metrics, e.g. 127.0.0.1:9464 or "
                                                 "[::1]:9464; port 0 picks a free one, "
                                                 "printed in the metrics_listening event "
                                                 "(default: none)");
  }
  output.add_options()
      ("json", po::bool_switch(), "one JSON object per line (see Output)")
      ("verbose", po::bool_switch(), "also print every dropped datagram and why, each "
                                        "evicted member, and the counters on exit")
      ("config", text("FILE"), "read settings from FILE: 'key = value' lines, keys are the long "
                               "option names, '#' starts a comment line; the command line and "
                               "the environment win (default: LANLORD_CONFIG, else none)")
      ("help,h", "print this help");
  po::options_description all;
  if (cmd == CommandKind::kRun) all.add(run_command_options());
  all.add(identity).add(network).add(etcd).add(timing).add(trust).add(output);
  return all;
}

po::options_description keygen_options() {
  po::options_description all = make_group("Options");
  all.add_options()
      ("output", text("FILE"), "write the key to FILE, created with mode 0600, instead of "
                               "stdout")
      ("force", po::bool_switch(), "replace FILE if it exists (default: refuse)")
      ("help,h", "print this help");
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
    if (p.membership.rate_classes()) {
      // Not a knob (yet): members that neither lead nor are next in line.
      items.push_back("idle members heartbeat every " +
                      format_duration(p.membership.idle_heartbeat_interval));
    }
    s += "  " + p.name + ": " + p.description + "\n" + wrapped(items, "    ");
  }
  return s;
}

const char* const kDurationsHelp =
    "Durations: a decimal number and a unit, ms, s or m: 250ms, 5s, 1.5s, 1m.\n";

const char* const kEnvironmentHelp =
    "Environment: every option can also be set as LANLORD_<OPTION>, upper case,\n"
    "dashes to underscores: LANLORD_PROFILE=fast, LANLORD_ALIVE_EXPIRATION=300ms,\n"
    "LANLORD_JSON=true, LANLORD_CHANNEL=billing,jobs and\n"
    "LANLORD_PEERS=198.51.100.1:7676,198.51.100.2:7676 (comma-separated),\n"
    "LANLORD_ETCD_PASSWORD (kept out of ps, unlike --etcd-password).\n"
    "Precedence: command line > environment > config file > profile. Other\n"
    "LANLORD_* names are ignored; set but empty is an error.\n";

const char* const kOutputHelp =
    "Output: one line per event on stdout, flushed at once. Human lines start\n"
    "with an RFC 3339 UTC timestamp and the node's id. With --json each line is\n"
    "an object with at least \"ts\", \"event\" and \"node\"; events: started,\n"
    "member_joined, member_left, member_dead, member_restarted (+ \"member\",\n"
    "\"members\" = how many are alive), leader (+ \"channel\", \"leader\" = id or\n"
    "null, \"is_self\", \"epoch\" = the leadership's fencing epoch as a string of\n"
    "digits (64-bit, beyond a double's exact range), \"metadata\", \"new_term\" when\n"
    "the same leader has a new epoch), stopped; warning (+ \"kind\", \"message\",\n"
    "\"peer\"), id_conflict (+ \"from\", \"refuted\", \"duplicate\", \"stopped\"),\n"
    "keys_reloaded (+ \"file\", \"key_ids\"), metrics_listening (+ \"address\",\n"
    "\"url\"). Human lines go to stdout, except warnings and id conflicts, which\n"
    "go to stderr. See cli/README.md.\n";

const char* const kKeysHelp =
    "Keys: without a key anyone who can send to the group can forge members and\n"
    "leaders. With one (lanlord keygen --output FILE, copied to every host with\n"
    "mode 0600) every datagram is authenticated and others are dropped. The\n"
    "environment variable LANLORD_KEY may hold one base64 key instead; --key-file\n"
    "on the command line wins over it, and it wins over a config file's key-file.\n"
    "Rotation: add the new key as a second line everywhere, SIGHUP; make it the\n"
    "first line everywhere, SIGHUP; remove the old line, SIGHUP.\n";

std::string run_exit_codes_help(std::string s) {
  return s +
         ",\n     or another process with this --id is running\n"
         "  2  usage error (unknown option, bad value, no command after --, not\n"
         "     exactly one --channel), one line on stderr\n"
         "  3  --on-exit exit: the command failed (exited non-zero or was killed\n"
         "     by a signal); 0 when it exited 0\n";
}

const char* const kRunHelp =
    "Usage: lanlord run --channel NAME [OPTIONS] -- COMMAND [ARGS...]\n\n"
    "Join the cluster as `lanlord join` does and run COMMAND only while this\n"
    "node leads NAME. When leadership is lost, on SIGINT/SIGTERM, or when a new\n"
    "epoch of this node's leadership begins (the command restarts with it),\n"
    "the command's process group gets SIGTERM, then SIGKILL after --kill-timeout.\n"
    "Leadership is given up (a leave on SIGTERM, a yield) only after the command\n"
    "has exited. The command never outlives this process: a supervisor (a child\n"
    "of lanlord) kills its process group and every descendant the moment\n"
    "lanlord dies, even by SIGKILL. A lanlord that is frozen (SIGSTOP) cannot\n"
    "stop its command: fence the command's side effects with LANLORD_RUN_EPOCH.\n"
    "The command inherits stdin, stdout and stderr, and the environment plus:\n"
    "  LANLORD_RUN_CHANNEL  the channel (NAME)\n"
    "  LANLORD_RUN_EPOCH    the leadership's fencing epoch, in decimal\n"
    "  LANLORD_RUN_NODE_ID  this node's --id\n"
    "Events: command_started (+ \"pid\", \"epoch\"), command_stopping (+ \"reason\":\n"
    "lost_leadership, new_epoch or shutdown), command_exited (+ \"code\" or\n"
    "\"signal\", \"ran_ms\"), command_restart_scheduled (+ \"delay_ms\"), yielded,\n"
    "exiting (+ \"code\"), besides join's.\n\n"
    "Example: lanlord run --channel billing --profile fast --on-exit restart \\\n"
    "           -- /usr/bin/billing-worker --queue billing\n\n";

std::string exit_codes_help(CommandKind cmd) {
  if (cmd == CommandKind::kKeygen) {
    return "Environment: LANLORD_OUTPUT and LANLORD_FORCE set the options too; the\n"
           "command line wins.\n\n"
           "Exit codes:\n  0  success\n  1  the file cannot be written\n"
           "  2  usage error (unknown option, the file exists without --force)\n";
  }
  std::string s =
      "Exit codes:\n  0  success\n  1  runtime failure (cannot bind, no such interface)";
  if (cmd == CommandKind::kJoin) {
    s += ",\n     or another process with this --id is running and this one started\n"
         "     later (it stops at once)";
  }
  if (cmd == CommandKind::kWatch) {
    s += ",\n     or with --once: some channel has not exactly one leader, an id is\n"
         "     used twice, unauthenticated datagrams on a keyed cluster, or\n"
         "     messages outside the clock-skew window";
  }
  if (cmd == CommandKind::kDemo) s += ",\n     or no agreement within the deadline";
  if (cmd == CommandKind::kLeader) {
    s += ",\n     or not exactly one leader: none heard, or a split (two members\n"
         "     declaring leadership), in --channel or in some channel heard of,\n"
         "     or no channel heard at all";
  }
  if (cmd == CommandKind::kRun) return run_exit_codes_help(s);
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
           "it sends a leave, so the others elect a successor at once, and exits 0.\n"
           "SIGHUP re-reads --key-file (keys_reloaded; on an error the old keys stay).\n\n"
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
           "nothing was heard at all, or when it saw an id used twice, unauthenticated\n"
           "datagrams while keyed, or messages outside the clock-skew window; another\n"
           "cluster's traffic is only counted. SIGHUP re-reads --key-file.\n"
           "In unicast mode (--peers, --no-multicast) it heartbeats as an observer,\n"
           "never a candidate, so that members send to it. With the etcd backend it\n"
           "reads the election prefix, and --once judges as soon as etcd has reported\n"
           "every --channel (at most one request timeout per endpoint plus one).\n\n"
           "Example: lanlord watch --once --profile fast || echo 'no single leader'\n\n";
      break;
    case CommandKind::kKeygen:
      s << "Usage: lanlord keygen [--output FILE [--force]]\n\n"
           "Make a new random cluster key (32 bytes, base64) and print it on stdout,\n"
           "or write it to FILE, created with mode 0600 (an existing FILE is kept\n"
           "unless --force). The key's id, which logs show instead of the key, goes\n"
           "to stderr. A keyring file holds one key per line; the first signs.\n\n"
           "Example: lanlord keygen --output /etc/lanlord/cluster.key\n\n";
      s << describe(options) << "\n" << exit_codes_help(cmd);
      return s.str();
    case CommandKind::kRun:
      s << kRunHelp;
      break;
    case CommandKind::kLeader:
      s << "Usage: lanlord leader [--channel NAME] [--json] [--wait DURATION] [OPTIONS]\n\n"
           "Print who leads: listen passively (as watch --once: never a member, sends\n"
           "nothing) for one alive-expiration (lan, fast: one idle heartbeat interval\n"
           "and a heartbeat, if longer) plus one declaration interval (leader-alive/2),\n"
           "so every live member has heartbeated and every leader has declared\n"
           "(1.6s with fast, 8.5s with lan, 30s with fabric; --wait\n"
           "overrides it). It cannot answer sooner: only a whole declaration interval\n"
           "rules out a second leader. Then print, for --channel or for every channel\n"
           "heard of, one line: the leader's id, its epoch (the fencing token of its\n"
           "leadership), its metadata and how many members the channel has; or \"no\n"
           "leader\", or \"split\" with every member declaring leadership.\n"
           "With --json: one \"leaders\" object; epochs are strings of digits (64-bit).\n"
           "In unicast mode (--peers, --no-multicast) it heartbeats as an observer\n"
           "(never a candidate) so that members send to it, and listens one idle\n"
           "heartbeat interval longer, while the seeds pass its address on.\n"
           "With the etcd backend it reads the election prefix and answers as soon as\n"
           "etcd has reported --channel (or every channel), within one request timeout\n"
           "per endpoint plus one (2s with one endpoint; --wait overrides it).\n\n"
           "Example: lanlord leader --channel billing --profile fast --json |\n"
           "           jq -r '.channels[0].metadata'\n\n";
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
  if (cmd != CommandKind::kDemo) s << kDurationsHelp << "\n" << kKeysHelp << "\n";
  s << kEnvironmentHelp << "\n";
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
         "       lanlord --config FILE [OPTIONS]   (the command the file names: command = ...)\n"
         "       lanlord --version\n\n"
         "Commands:\n"
         "  join    become a node: take part in elections and print each event\n"
         "  watch   observe a cluster without taking part: members and leaders\n"
         "  leader  print who leads each channel, with its epoch, and exit 0 if one does\n"
         "  demo    run a local cluster, crash its leader and show the failover\n"
         "  keygen  make a new cluster key (for --key-file)\n"
         "  run     join, and run a command only while this node leads a channel\n\n"
         "Examples:\n"
         "  lanlord demo\n"
         "  lanlord join --id billing-1 --channel billing --profile fast --json\n"
         "  lanlord watch --once --profile fast && echo 'one leader per channel'\n\n"
         "Everything stays on this host (loopback) unless --interface names another.\n"
         "Beyond one network: --backend etcd --etcd-endpoints URL runs the same\n"
         "elections in an etcd cluster (see cli/README.md, \"With etcd\").\n";
}

po::options_description command_options(CommandKind command) {
  if (command == CommandKind::kDemo) return demo_options();
  if (command == CommandKind::kKeygen) return keygen_options();
  return network_options(command);
}

}  // namespace lanlord::cli
