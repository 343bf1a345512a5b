// `lanlord demo`: a whole cluster in one process on loopback, told as a
// story: the nodes start, agree on a leader, the leader crashes, the
// survivors agree on a new one, and everyone stops.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include "commands/commands.hpp"
#include "lanlord/app/local_cluster.hpp"
#include "lanlord/duration.hpp"
#include "output/reporter.hpp"

namespace lanlord::cli {

namespace {

using namespace std::chrono_literals;

const std::string kChannel = "default";
// How often the story checks whether the nodes agree. The measured times
// are at most this late.
constexpr Duration kPoll = 2ms;

// The nodes and the reporters that print their events. Reporters must
// outlive their nodes, so they are declared first (destroyed last). The
// story runs on the main thread and only calls Node methods, which are
// thread-safe; the nodes' callbacks run on the cluster's io thread and print.
struct DemoCluster {
  std::vector<std::unique_ptr<NodeReporter>> reporters;
  app::LocalCluster nodes;

  Status start_node(const NodeConfig& config, EventPrinter& printer, ReportFilter filter) {
    NodeReporter& reporter =
        *reporters.emplace_back(std::make_unique<NodeReporter>(printer, config.id, filter));
    Node& node = nodes.add_node(config, reporter.callbacks());
    if (Status s = node.start(); !s) return s;
    reporter.announce(node);
    return Status::ok();
  }
};

std::string describe_timings(const Profile& p) {
  return "heartbeat " + format_duration(p.membership.heartbeat_interval) + ", dead after " +
         format_duration(p.membership.alive_expiration) + ", startup grace " +
         format_duration(p.election.startup_grace_period) + ", election " +
         format_duration(p.election.leader_election_duration);
}

}  // namespace

int run_demo(const DemoOptions& options) {
  EventPrinter printer(std::cout, options.output.json ? Format::kJson : Format::kHuman);
  NodeConfig base;
  // A cluster name of its own: another lanlord on the same group and port
  // (a `join` in another terminal, a second demo) neither disturbs the
  // demo nor is disturbed by it.
  base.cluster = "demo-" + std::to_string(::getpid());
  base.channels = {kChannel};
  base.group = options.group;
  base.port = options.port;
  base.profile = options.profile;
  const Result<Profile> resolved = resolve_profile(base);  // the parser checked it
  const Profile profile = resolved ? *resolved : default_profile();
  const Duration failover_bound = profile.crash_failover_bound(Duration::zero());

  // Generous: a loaded machine (or a sanitizer build) may be several
  // times slower than the profile's own bounds.
  const Duration election_deadline =
      10s + 3 * (profile.election.startup_grace_period + profile.election.leader_alive_threshold +
                 profile.election.leader_election_duration);
  const Duration failover_deadline = 10s + 3 * failover_bound;

  printer.demo_plan({.nodes = options.nodes,
                     .profile = profile.name,
                     .endpoint = options.group + ":" + std::to_string(options.port),
                     .timings = describe_timings(profile),
                     .failover_bound = failover_bound});

  const ReportFilter filter{.joins_and_leaves = options.output.verbose,
                            .deaths = true,
                            .leaders = true,
                            .drops = options.output.verbose};
  DemoCluster cluster;
  const Clock::time_point started = Clock::now();
  for (std::size_t i = 0; i < options.nodes; ++i) {
    NodeConfig config = base;
    config.id = app::local_node_id(i, options.nodes);
    if (Status s = cluster.start_node(config, printer, filter); !s) {
      std::cerr << "lanlord: " << s.message() << "\n";
      return exit_code_for(s);
    }
  }

  const std::optional<PeerId> first =
      cluster.nodes.wait_for_agreement(kChannel, started + election_deadline, kPoll);
  if (!first) {
    printer.demo_timeout("election", Clock::now() - started);
    return kExitFailure;
  }
  printer.demo_agreed(*first, kChannel, cluster.nodes.size(), Clock::now() - started);

  printer.demo_crash(*first);
  const Clock::time_point crashed = Clock::now();
  cluster.nodes.crash(first->bytes());
  const std::optional<PeerId> second =
      cluster.nodes.wait_for_agreement(kChannel, crashed + failover_deadline, kPoll);
  if (!second) {
    printer.demo_timeout("failover", Clock::now() - crashed);
    return kExitFailure;
  }
  printer.demo_failover(*second, kChannel, cluster.nodes.size(), Clock::now() - crashed,
                        failover_bound);

  cluster.nodes.stop_all(*second, [&printer](const Node& n) { printer.stopped(n.config().id); });
  printer.demo_done();
  return kExitOk;
}

}  // namespace lanlord::cli
