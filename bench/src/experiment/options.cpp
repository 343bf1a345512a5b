#include "experiment/options.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>

#include "experiment/fabric_model.hpp"
#include "lanlord/app/timing_flags.hpp"
#ifdef LANLORD_BENCH_HAVE_UDP
// etcd_detail::find_in_path: whether a private etcd can be started at all.
#include "etcd_server.hpp"
#endif

namespace po = boost::program_options;

namespace lanlord::bench {

namespace {

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const std::string& item : items) {
    std::string cur;
    for (char c : item + ",") {
      if (c == ',') {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
      } else if (!std::isspace(static_cast<unsigned char>(c))) {
        cur.push_back(c);
      }
    }
  }
  return out;
}

const char* kUsage =
    "Usage: lanlord-bench [options]\n\n"
    "Measures how long lanlord takes to agree on a leader, per scenario and\n"
    "cluster size, on the deterministic simulator (virtual time) or on real\n"
    "UDP multicast over loopback, and sets every figure against Fabric's own\n"
    "algorithm on the same timings. Results go to stdout (a table, or JSON\n"
    "lines with --json); progress goes to stderr.\n";

const char* kEpilogue =
    "\nScenarios (--scenario, comma list; default: all):\n"
    "  startup        N nodes start together; time until one agreed leader\n"
    "  failover       the agreed leader crashes (no leave); time until the\n"
    "                 survivors agree on a new one\n"
    "  handoff        both of: handoff-yield (the leader calls yield()) and\n"
    "                 handoff-stop (the leader stops gracefully: a leave)\n"
    "  heal           two halves, each with its own leader, are joined; time\n"
    "                 until one agreed leader (not on etcd: a node cut off\n"
    "                 from etcd loses its lease, which failover measures;\n"
    "                 the rows say skipped)\n"
    "  churn          nodes leave, crash (--churn-crash) and rejoin at\n"
    "                 --churn-rate for --churn-duration; reports leader\n"
    "                 changes, time without an agreed leader (each episode is\n"
    "                 a sample; a newcomer that has not heard the leader yet\n"
    "                 counts), time without exactly one leader (newcomers do\n"
    "                 not count, a node following a departed leader does),\n"
    "                 and false deaths (peers declared dead while running)\n"
    "  freeze         the agreed leader is frozen for --freeze-duration (sim:\n"
    "                 SimCluster::freeze; --procs: SIGSTOP, then SIGCONT; not\n"
    "                 in-process udp); p50.. = freeze -> the survivors agree on\n"
    "                 another; also thaw -> the frozen leader no longer claims\n"
    "                 to lead (stepdown_*), and how often it acted as leader\n"
    "                 with its old epoch after the thaw (stale_claims)\n"
    "  'Agreed': every live node's leader() names the same node with the same\n"
    "  epoch, that node is live and leads, and no other live node leads (in\n"
    "  each half while the halves are apart). A new epoch of the same leader\n"
    "  is a change (--procs: the epochs of `lanlord join --json`'s leader\n"
    "  events).\n"
    "\nTransports (--transport, comma list; default: sim):\n"
    "  sim            the deterministic simulator in heartbeat-membership mode;\n"
    "                 virtual time, reproducible from --seed; N up to 1000s\n"
    "  udp            real lanlord::Node objects on one io_context and one\n"
    "                 thread, multicast on loopback (a random 239.x.y.z group\n"
    "                 and port per run); with --procs, one `lanlord join`\n"
    "                 process per node instead; with --unicast, unicast\n"
    "                 (rows: udp-unicast); with --backend etcd, the same\n"
    "                 in-process Nodes electing through etcd (rows: udp-etcd)\n"
    "\netcd (--backend etcd): every node holds a lease (--lease-ttl; fast 2 s,\n"
    "  lan 5 s) and a candidate key; a crash leaves its lease to expire on the\n"
    "  server (failover), a graceful stop revokes it (handoff-stop), a yield\n"
    "  deletes the key. Without --etcd-endpoints the bench starts its own etcd\n"
    "  (etcd from PATH on 127.0.0.1, two free ports, a temporary --data-dir),\n"
    "  on the same machine as the nodes, and stops and removes it at the end.\n"
    "  With --etcd-endpoints, each run writes keys under /lanlord/<random\n"
    "  cluster>/ on that etcd, all on the nodes' leases: revoked as the nodes\n"
    "  stop at the end of the run, or expired within the TTL (crashed nodes).\n"
    "\nFigures per scenario and N:\n"
    "  p50/p95/p99/max  convergence time in ms, nearest-rank percentiles over\n"
    "                   the successful runs (rank ceil(p/100*n))\n"
    "  failed           runs that never agreed within the timeout\n"
    "  fabric           Fabric's algorithm on the same timings (below)\n"
    "  bound            lanlord's own worst case (profile.hpp), when stated\n"
    "  traffic          datagrams and bytes per node per second, sent and\n"
    "                   received, over the steady window after agreement\n"
    "                   (churn: over the churn window); udp bytes are on the\n"
    "                   wire, --auth's trailer included (UDP/IP headers not);\n"
    "                   none on etcd\n"
    "  etcd req/s/node  etcd only: HTTP requests to etcd per node per second\n"
    "                   over the same window (a watch stream counts once; in\n"
    "                   a steady cluster, the lease keep-alives: 3 per TTL)\n"
    "  cpu              udp only: CPU per node, % of one core (in-process:\n"
    "                   getrusage of the whole bench process / N / window)\n"
    "  peak             udp only: peak resident memory (ru_maxrss, whole\n"
    "                   process so far; --procs: largest child's VmHWM)\n"
    "\nAnalytic figures:\n";

const char* kEpilogue2 =
    "\nOutput:\n"
    "  --json prints one JSON object per scenario and N on stdout with at\n"
    "  least: scenario nodes runs profile transport p50_ms p95_ms p99_ms max_ms\n"
    "  failed, and also min_ms mean_ms stddev_ms fabric_ms bound_ms\n"
    "  dgrams_out_per_node_s dgrams_in_per_node_s bytes_out_per_node_s\n"
    "  bytes_in_per_node_s cpu_pct_per_node peak_rss_mb wall_s virtual_s seed\n"
    "  auth (none, mac, encrypt: --auth; none on sim and in rows saved before it)\n"
    "  (churn adds leader_changes unagreed_pct leaderless_pct false_deaths\n"
    "  false_deaths_per_hour deaths churn_events; sim adds deliveries\n"
    "  ns_per_delivery: the simulator's wall time per message handed to a\n"
    "  node), suspicion, and on etcd rows etcd_requests_per_node_s\n"
    "  etcd_errors_per_node_s etcd_keepalives_per_node_s\n"
    "  etcd_watch_events_per_node_s lease_ttl_s etcd_leases_lost (per run);\n"
    "  a figure that does not apply is null.\n"
    "\nReproducing a run: run r of a scenario and N uses seed (--seed + r), so\n"
    "  `--seed S+r --runs 1` replays it on the simulator.\n"
    "\nExamples:\n"
    "  lanlord-bench --transport sim --nodes 3,8,32,128,1000 --runs 20\n"
    "  lanlord-bench --transport udp --nodes 32 --scenario failover --runs 50\n"
    "  lanlord-bench --transport sim --profile fast --no-fast-failover --json\n"
    "  lanlord-bench --transport udp --profile lan --nodes 5,20 --scenario startup --auth mac\n"
    "  lanlord-bench --transport udp --backend etcd --nodes 3,16 --scenario startup,failover\n"
    "  scripts/bench.sh   (the standard matrix behind bench/README.md)\n";

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  const std::string number(text.substr(0, i));
  const std::string_view unit = text.substr(i);
  if (number.empty()) return std::nullopt;
  double value = 0;
  try {
    std::size_t used = 0;
    value = std::stod(number, &used);
    if (used != number.size()) return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
  double ns_per_unit = 0;
  if (unit.empty() || unit == "ms")
    ns_per_unit = 1e6;
  else if (unit == "us")
    ns_per_unit = 1e3;
  else if (unit == "ns")
    ns_per_unit = 1;
  else if (unit == "s")
    ns_per_unit = 1e9;
  else if (unit == "m" || unit == "min")
    ns_per_unit = 60e9;
  else
    return std::nullopt;
  const double ns = value * ns_per_unit;
  if (!std::isfinite(ns) || ns < 0 || ns > 1e18) return std::nullopt;
  return std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(std::llround(ns)));
}

std::optional<std::vector<std::size_t>> parse_size_list(std::string_view text) {
  std::vector<std::size_t> out;
  for (const std::string& item : split_list({std::string(text)})) {
    std::size_t v = 0;
    const auto r = std::from_chars(item.data(), item.data() + item.size(), v);
    if (r.ec != std::errc() || r.ptr != item.data() + item.size()) return std::nullopt;
    out.push_back(v);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

bool any_override(const TimingOverrides& t) {
  for (const TimingKnob& k : timing_knobs()) {
    if (t.*k.override) return true;
  }
  return false;
}

Status resolve_profile(const std::string& name, const Options& o, Profile& out) {
  auto p = find_profile(name);
  if (!p) return Status::error("unknown profile '" + name + "' (known: fabric, lan, fast)");
  apply_overrides(o.timings, *p);
  if (o.fast_failover) p->fast_failover = *o.fast_failover;
  if (o.suspicion) {
    p->membership.suspicion = *o.suspicion;
    p->election.repeat_declaration = *o.suspicion;
    p->election.confirm_leader = *o.suspicion;
  }
  if (o.rate_classes && !*o.rate_classes) p->membership.idle_heartbeat_interval = Duration::zero();
  // Timings named as the options that set them, then the configs' own rules.
  if (Status s = validate_timings(*p, KnobNames::kFlags); !s) {
    return Status::error("profile " + name + ": " + s.message());
  }
  if (Status s = p->validate(); !s) return s;
  out = *p;
  return Status::ok();
}

namespace {

// The command line as typed, before it is checked and converted.
struct RawOptions {
  std::vector<std::string> scenarios, transports, nodes, profiles;
  std::string delay, jitter, timeout, churn_duration, auth, freeze_duration, steady_window;
  std::vector<std::string> etcd_endpoints;
  bool freeze_named = false;  // --scenario freeze (not through "all")
  bool fast_failover = false, no_fast_failover = false;
  bool suspicion = false, no_suspicion = false;
  bool one_rate = false;
};

// A problem with the command line, as the message to print; empty: none.
using Problem = std::optional<std::string>;

// The option groups, in --help order. Each binds its options to `o` (what
// needs no checking) or to `raw` (what is checked after parsing).
// One option per line reads better than the packed chain clang-format makes.
// clang-format off
po::options_description general_options(Options& o, RawOptions& raw) {
  po::options_description general("General");
  general.add_options()
      ("help,h", "print this help and exit")
      ("scenario,s", po::value(&raw.scenarios)->composing(),
       "scenarios, comma list: startup, failover, handoff (= handoff-yield + handoff-stop), "
       "handoff-yield, handoff-stop, heal, churn, freeze, all (default: all)")
      ("transport,t", po::value(&raw.transports)->composing(),
       "transports, comma list: sim, udp (default: sim)")
      ("nodes,n", po::value(&raw.nodes)->composing(),
       "cluster sizes, comma list, e.g. 3,8,32,128 (default: 3,8,32)")
      ("runs,r", po::value(&o.runs)->default_value(10), "runs per scenario and size")
      ("profile,p", po::value(&raw.profiles)->composing(),
       "timing profiles, comma list: fabric, lan, fast (default: fast)")
      ("seed", po::value(&o.seed)->default_value(1),
       "seed of run 0; run r uses seed + r (sim: the whole simulation; udp: the random "
       "settle times and churn, while groups and ports also mix in the process id)")
      ("timeout", po::value(&raw.timeout),
       "longest wait for agreement in any one step of a run, e.g. 10s (default: Fabric's "
       "figure for the scenario x 2 + 2s, at least 5s; etcd: at least 2 x the lease TTL + 2s "
       "after a fault); a run that waits longer fails")
      ("steady-window", po::value(&raw.steady_window),
       "how long the traffic, CPU and etcd request figures are measured after agreement, e.g. "
       "5s (default: whole heartbeat intervals covering one declaration interval; etcd: one "
       "lease TTL, three keep-alive intervals)");
  return general;
}

// The timing overrides are generated from the knob table, as the CLI's are.
po::options_description timing_options(RawOptions& raw) {
  po::options_description timing("Timing overrides (applied to every --profile)");
  app::add_timing_options(timing);
  timing.add_options()
      ("fast-failover", po::bool_switch(&raw.fast_failover),
       "sim only: act on membership deaths and leaves (peer_down) even if the profile does not")
      ("no-fast-failover", po::bool_switch(&raw.no_fast_failover),
       "sim only: run Fabric's algorithm as is: ignore membership deaths and leaves")
      ("suspicion", po::bool_switch(&raw.suspicion),
       "sim only: suspect quiet members and let them refute it, even if the profile does not")
      ("no-suspicion", po::bool_switch(&raw.no_suspicion),
       "sim only: the plain failure detector (dead after alive-expiration of silence) and one "
       "declaration per takeover: the loss handling before suspicion")
      ("one-rate", po::bool_switch(&raw.one_rate),
       "sim only: every member heartbeats at --heartbeat (rate classes off, as before they "
       "came; fabric always has one rate)");
  return timing;
}

po::options_description sim_options(Options& o, RawOptions& raw) {
  po::options_description simopts("Simulated network (sim transport)");
  simopts.add_options()
      ("loss", po::value(&o.loss)->default_value(0.0), "probability a datagram copy is lost")
      ("delay", po::value(&raw.delay), "one-way delay of every copy (default: 1ms)")
      ("jitter", po::value(&raw.jitter),
       "extra delay per copy, uniform in [0, jitter], so copies reorder (default: 0, which "
       "lets the simulator deliver a broadcast's copies as one event: much faster at large N)");
  return simopts;
}

po::options_description udp_options(Options& o, RawOptions& raw) {
  po::options_description udpopts("Real network (udp transport)");
  udpopts.add_options()
      ("procs", po::bool_switch(&o.procs),
       "run each node as its own `lanlord join --json` process instead of in-process Nodes")
      ("lanlord", po::value(&o.lanlord_path),
       "path of the lanlord CLI for --procs (default: the one built with this bench)")
      ("io-threads", po::value(&o.io_threads)->default_value(1),
       "in-process udp: threads that run the nodes' shared io_context (each node has its "
       "own strand); one thread for all nodes saturates first at large N")
      ("auth", po::value(&raw.auth),
       "in-process udp: none (default); mac: every node holds one cluster key made for the "
       "run and every datagram carries a 20-byte MAC trailer; encrypt: also XChaCha20-"
       "Poly1305, a 44-byte trailer. Not with --procs (this lanlord CLI takes no key yet) "
       "nor with sim (no bytes to protect)")
      ("unicast", po::bool_switch(&o.unicast),
       "in-process udp: unicast mode (NodeConfig::multicast off): node i on 127.0.0.1 port "
       "P+i, node 0 as every other node's only seed (node 0's: node 2), a key made for the "
       "run unless --auth gives one (members learn each other from keyed digests); rows say "
       "udp-unicast. Heal: each half seeds its own first node, and a relay that the heal "
       "switches on carries the second half's datagrams to node 0")
      ("backend", po::value(&o.backend)->default_value("udp"),
       "in-process udp: udp (default) or etcd: the Nodes elect through etcd "
       "(NodeConfig::backend); rows say udp-etcd; implies --transport udp")
      ("etcd-endpoints", po::value(&raw.etcd_endpoints)->composing(),
       "--backend etcd: the etcd client URLs to use, comma list (default: a private etcd that "
       "the bench starts and removes). A benchmark writes keys under /lanlord/<random "
       "cluster>/ there, on the nodes' leases, and they go as the nodes stop (revoked) or "
       "within the TTL (crashed nodes)")
      ("lease-ttl", po::value(&o.lease_ttl)->default_value(0),
       "--backend etcd: the nodes' lease TTL in whole seconds, at least 2 (default 0: the "
       "profile's: fast 2, lan 5)");
  return udpopts;
}

po::options_description churn_options(Options& o, RawOptions& raw) {
  po::options_description churnopts("Churn");
  churnopts.add_options()
      ("churn-rate", po::value(&o.churn_rate)->default_value(1.0),
       "churn events (a departure or a rejoin) per second, Poisson")
      ("churn-duration", po::value(&raw.churn_duration),
       "how long churn lasts per run (default: 10s)")
      ("churn-crash", po::value(&o.churn_crash)->default_value(0.5),
       "fraction of departures that are crashes; the others are graceful leaves")
      ("freeze-duration", po::value(&raw.freeze_duration),
       "freeze scenario: how long the leader stays frozen, e.g. 900ms (default: 3 x "
       "alive_expiration of the profile); the survivors must agree within it");
  return churnopts;
}

po::options_description output_options(Options& o) {
  po::options_description output("Output");
  output.add_options()
      ("json", po::bool_switch(&o.json), "JSON lines on stdout instead of the table")
      ("csv", po::value(&o.csv_path), "also write the rows as CSV to this file")
      ("plot", po::value(&o.plot_path),
       "also draw convergence time against N as an SVG (needs gnuplot; the .gp script is "
       "kept next to it)")
      ("input", po::value(&o.inputs)->composing(),
       "run nothing: read rows from this file of --json lines (repeat for several) and print "
       "the table, --json, --csv and --plot from them, e.g. to combine several runs")
      ("quiet,q", po::bool_switch(&o.quiet), "no progress on stderr");
  return output;
}
// clang-format on

Problem read_scenarios(RawOptions& raw, Options& o) {
  std::vector<std::string> names = split_list(raw.scenarios);
  if (names.empty()) names = {"all"};
  for (const std::string& n : names) {
    if (n == "all") {
      for (Scenario s : all_scenarios()) o.scenarios.push_back(s);
    } else if (n == "handoff") {
      o.scenarios.push_back(Scenario::kHandoffYield);
      o.scenarios.push_back(Scenario::kHandoffStop);
    } else if (auto s = parse_scenario(n)) {
      o.scenarios.push_back(*s);
      if (*s == Scenario::kFreeze) raw.freeze_named = true;
    } else {
      return "unknown scenario '" + n + "' (see --help)";
    }
  }
  return std::nullopt;
}

Problem read_transports(const RawOptions& raw, Options& o) {
  o.transports = split_list(raw.transports);
  // The etcd backend runs in-process Nodes: it needs no --transport.
  if (o.transports.empty()) o.transports = {o.backend == "etcd" ? "udp" : "sim"};
  for (const std::string& t : o.transports) {
    if (t != "sim" && t != "udp") return "unknown transport '" + t + "' (sim, udp)";
#ifndef LANLORD_BENCH_HAVE_UDP
    if (t == "udp") {
      return std::string(
          "this lanlord-bench was built without the udp transport (lanlord_transport "
          "was not available at build time)");
    }
#endif
  }
  return std::nullopt;
}

Problem read_sizes(const RawOptions& raw, Options& o) {
  std::vector<std::string> nodes = raw.nodes;
  if (nodes.empty()) nodes = {"3,8,32"};
  for (const std::string& n : split_list(nodes)) {
    const auto v = parse_size_list(n);
    if (!v || v->front() == 0 || v->front() > 9999) {
      return "bad --nodes item '" + n + "': a size from 1 to 9999";
    }
    o.nodes.push_back(v->front());
  }
  if (o.runs < 1) return std::string("--runs must be at least 1");
  return std::nullopt;
}

// Every duration option that was given, parsed into `o`: the timing
// overrides in lanlord's duration grammar (lanlord/duration.hpp), the
// others in the bench's (parse_duration above, which also takes 0 and a
// bare number of milliseconds).
Problem read_durations(const RawOptions& raw, const po::variables_map& vm, Options& o) {
  if (Status s = app::apply_timing_options(vm, o.timings); !s) return s.message();
  struct DurOpt {
    const std::string& text;
    const char* name;
    std::optional<Duration>* target;
  };
  std::optional<Duration> delay_v, jitter_v, churn_v, freeze_v;
  for (const DurOpt& d :
       {DurOpt{raw.delay, "delay", &delay_v}, DurOpt{raw.jitter, "jitter", &jitter_v},
        DurOpt{raw.timeout, "timeout", &o.timeout},
        DurOpt{raw.churn_duration, "churn-duration", &churn_v},
        DurOpt{raw.freeze_duration, "freeze-duration", &freeze_v},
        DurOpt{raw.steady_window, "steady-window", &o.steady_window}}) {
    if (!vm.count(d.name)) continue;
    *d.target = parse_duration(d.text);
    if (!*d.target)
      return "bad --" + std::string(d.name) + " '" + d.text +
             "': a duration such as 250ms, 1.5s, 100us";
  }
  if (delay_v) o.delay = *delay_v;
  if (jitter_v) o.jitter = *jitter_v;
  if (churn_v) o.churn_duration = *churn_v;
  if (freeze_v) {
    if (*freeze_v <= Duration::zero()) return std::string("--freeze-duration must be positive");
    o.freeze_duration = *freeze_v;
  }
  if (o.steady_window && *o.steady_window <= Duration::zero()) {
    return std::string("--steady-window must be positive");
  }
  return std::nullopt;
}

// Profiles, the failover mode, and every profile resolved once so that a
// bad override is reported before anything runs.
Problem read_profiles(const RawOptions& raw, Options& o) {
  o.profiles = split_list(raw.profiles);
  if (o.profiles.empty()) o.profiles = {"fast"};
  if (raw.fast_failover && raw.no_fast_failover) {
    return std::string("--fast-failover and --no-fast-failover contradict each other");
  }
  if (raw.fast_failover) o.fast_failover = true;
  if (raw.no_fast_failover) o.fast_failover = false;
  if (raw.suspicion && raw.no_suspicion) {
    return std::string("--suspicion and --no-suspicion contradict each other");
  }
  if (raw.suspicion) o.suspicion = true;
  if (raw.no_suspicion) o.suspicion = false;
  if (raw.one_rate) o.rate_classes = false;
  for (const std::string& name : o.profiles) {
    Profile p;
    if (Status s = resolve_profile(name, o, p); !s) return s.message();
  }
  return std::nullopt;
}

Problem read_auth(const RawOptions& raw, const po::variables_map& vm, Options& o) {
  if (!vm.count("auth")) return std::nullopt;
  const auto a = parse_auth(raw.auth);
  if (!a) return "unknown --auth '" + raw.auth + "' (none, mac, encrypt)";
  o.auth = *a;
  return std::nullopt;
}

// What each value alone allows, and which options go together.
Problem check_consistency(const RawOptions& raw, Options& o) {
  if (o.loss < 0 || o.loss >= 1) return std::string("--loss must be in [0, 1)");
  if (o.churn_rate <= 0) return std::string("--churn-rate must be positive");
  if (o.churn_crash < 0 || o.churn_crash > 1) return std::string("--churn-crash must be in [0, 1]");
  if (o.churn_duration <= Duration::zero()) {
    return std::string("--churn-duration must be positive");
  }
  const bool has_udp =
      std::find(o.transports.begin(), o.transports.end(), "udp") != o.transports.end();
  if (o.fast_failover && has_udp) {
    return std::string(
        "--fast-failover/--no-fast-failover apply to the sim transport only (a Node "
        "takes fast_failover from its profile)");
  }
  if (o.rate_classes && has_udp) {
    return std::string(
        "--one-rate applies to the sim transport only (a Node takes its heartbeat rates from "
        "its profile)");
  }
  if (o.suspicion && has_udp) {
    return std::string(
        "--suspicion/--no-suspicion apply to the sim transport only (a Node takes suspicion "
        "from its profile)");
  }
  if (o.procs && !has_udp) return std::string("--procs applies to the udp transport");
  if (o.unicast && (!has_udp || o.procs || o.transports.size() > 1)) {
    return std::string(
        "--unicast applies to the in-process udp transport only (not sim, not --procs)");
  }
  if (raw.freeze_named && has_udp && !o.procs) {
    return std::string(
        "the freeze scenario needs the sim transport or --procs: in-process udp nodes share "
        "their io threads, and pausing one node's strand would not pause its socket or its "
        "clocks the way SIGSTOP pauses a process");
  }
  if (o.io_threads < 1 || o.io_threads > 64) return std::string("--io-threads must be in 1..64");
  if (o.auth != Auth::kNone) {
    const bool has_sim =
        std::find(o.transports.begin(), o.transports.end(), "sim") != o.transports.end();
    if (has_sim) {
      return std::string(
          "--auth applies to the udp transport only: the simulator carries message values, "
          "not datagrams, so there are no bytes to authenticate");
    }
    if (o.procs) {
      return std::string(
          "--auth is not supported with --procs yet: the lanlord CLI built here takes no "
          "cluster key (run the nodes in-process: drop --procs)");
    }
  }
  if (o.procs && o.lanlord_path.empty()) {
#ifdef LANLORD_BENCH_CLI_PATH
    o.lanlord_path = LANLORD_BENCH_CLI_PATH;
#else
    return std::string("--procs needs --lanlord PATH (no lanlord CLI was built with this bench)");
#endif
  }
  return std::nullopt;
}

// --backend, --etcd-endpoints and --lease-ttl: the etcd backend runs the
// in-process udp driver's Nodes, and needs an etcd.
Problem read_backend(const RawOptions& raw, const po::variables_map& vm, Options& o) {
  if (o.backend != "udp" && o.backend != "etcd") {
    return "unknown --backend '" + o.backend + "' (udp, etcd)";
  }
  o.etcd_endpoints = split_list(raw.etcd_endpoints);
  if (o.backend != "etcd") {
    if (!o.etcd_endpoints.empty()) return std::string("--etcd-endpoints applies to --backend etcd");
    if (!vm["lease-ttl"].defaulted()) return std::string("--lease-ttl applies to --backend etcd");
    return std::nullopt;
  }
  if (o.transports != std::vector<std::string>{"udp"} || o.procs) {
    return std::string(
        "--backend etcd runs in-process Nodes: --transport udp only (not sim, not --procs)");
  }
  if (o.unicast) {
    return std::string(
        "--backend etcd and --unicast exclude each other: etcd nodes send no "
        "datagrams");
  }
  if (o.auth != Auth::kNone) {
    return std::string(
        "--auth protects datagrams, and etcd nodes send none (they talk to etcd "
        "over HTTP)");
  }
  if (o.lease_ttl != 0 && o.lease_ttl < 2) {
    return "bad --lease-ttl " + std::to_string(o.lease_ttl) + ": whole seconds, at least 2";
  }
  for (const std::string& e : o.etcd_endpoints) {
    if (e.rfind("http://", 0) != 0 && e.rfind("https://", 0) != 0) {
      return "bad --etcd-endpoints item '" + e +
             "': an etcd client URL such as http://127.0.0.1:2379";
    }
  }
#ifdef LANLORD_BENCH_HAVE_UDP
  if (o.etcd_endpoints.empty() && testing::etcd_detail::find_in_path("etcd").empty()) {
    return std::string(
        "etcd not found: run scripts/install-deps.sh (or give --etcd-endpoints URL)");
  }
#endif
  return std::nullopt;
}

}  // namespace

ParsedOptions parse_options(int argc, const char* const* argv) {
  ParsedOptions result;
  Options& o = result.options;
  RawOptions raw;
  // Descriptions start in column 28, as they did before the timing options
  // came from the knob table; an option wider than that ("--election-duration
  // DURATION") has its description on the next line.
  po::options_description all(po::options_description::m_default_line_length, 52);
  all.add(general_options(o, raw))
      .add(timing_options(raw))
      .add(sim_options(o, raw))
      .add(udp_options(o, raw))
      .add(churn_options(o, raw))
      .add(output_options(o));

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, all), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    result.action = ParsedOptions::Action::kError;
    result.message = e.what();
    return result;
  }
  if (vm.count("help")) {
    std::ostringstream s;
    s << kUsage << "\n" << all << kEpilogue << fabric_formulas_text() << kEpilogue2;
    result.action = ParsedOptions::Action::kHelp;
    result.message = s.str();
    return result;
  }
  // In this order, so that the first problem reported is the same as ever.
  Problem problem = read_scenarios(raw, o);
  if (!problem) problem = read_transports(raw, o);
  if (!problem) problem = read_sizes(raw, o);
  if (!problem) problem = read_durations(raw, vm, o);
  if (!problem) problem = read_profiles(raw, o);
  if (!problem) problem = read_auth(raw, vm, o);
  if (!problem) problem = check_consistency(raw, o);
  if (!problem) problem = read_backend(raw, vm, o);
  if (problem) {
    result.action = ParsedOptions::Action::kError;
    result.message = std::move(*problem);
  }
  return result;
}

}  // namespace lanlord::bench
