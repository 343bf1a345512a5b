// `lanlord demo`: a whole cluster in one process on loopback, told as a
// story: the nodes start, agree on a leader, the leader crashes, the
// survivors agree on a new one, and everyone stops.
#include <unistd.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "reporter.hpp"

namespace lanlord::cli {

namespace {

using namespace std::chrono_literals;

const std::string kChannel = "default";
// How often the story checks whether the nodes agree. The measured times
// are at most this late.
constexpr Duration kPoll = 2ms;

// node-1 .. node-N, zero-padded so that byte order (which decides the
// election) is numeric order: node-02 < node-10.
std::string node_id(std::size_t index, std::size_t count) {
  std::string number = std::to_string(index + 1);
  const std::size_t width = std::to_string(count).size();
  return "node-" + std::string(width - number.size(), '0') + number;
}

// The nodes, their reporters and the thread that runs their io_context.
// The story runs on the main thread and only calls Node methods, which are
// thread-safe; the nodes' callbacks run on the io thread and print.
class LocalCluster {
 public:
  LocalCluster() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // Every exit path: nodes first (abruptly if still running), then the thread.
  ~LocalCluster() {
    nodes_.clear();
    work_.reset();
    io_.stop();
    thread_.join();
  }

  Status start_node(const NodeConfig& config, EventPrinter& printer, ReportFilter filter) {
    auto entry = std::make_unique<Entry>();
    entry->reporter = std::make_unique<NodeReporter>(printer, config.id, filter);
    entry->node = std::make_unique<Node>(io_, config, entry->reporter->callbacks());
    entry->reporter->attach(*entry->node);
    if (Status s = entry->node->start(); !s) return s;
    printer.started(started_info(*entry->node, config.id));
    nodes_.push_back(std::move(entry));
    return Status::ok();
  }

  // The leader every node agrees on, if they do: each knows the same
  // leader and exactly one of them says it leads.
  std::optional<PeerId> agreed_leader() const {
    std::optional<PeerId> agreed;
    std::size_t leading = 0;
    for (const auto& e : nodes_) {
      const std::optional<PeerId> leader = e->node->leader(kChannel);
      if (!leader || (agreed && *leader != *agreed)) return std::nullopt;
      agreed = leader;
      if (e->node->is_leader(kChannel)) ++leading;
    }
    if (leading != 1) return std::nullopt;
    return agreed;
  }

  std::optional<PeerId> wait_for_agreement(Clock::time_point deadline) const {
    for (;;) {
      if (std::optional<PeerId> leader = agreed_leader()) return leader;
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(kPoll);
    }
  }

  // Destroys `id`'s node without stop(): no leave is sent, its socket just
  // goes quiet, as when a process is killed.
  void crash(const PeerId& id) {
    std::erase_if(nodes_, [&id](const auto& e) { return e->node->config().id == id.bytes(); });
  }

  // Graceful stops, `last` last so the others do not re-elect on the way out.
  void stop_all(const PeerId& last, EventPrinter& printer) {
    std::stable_partition(nodes_.begin(), nodes_.end(),
                          [&last](const auto& e) { return e->node->config().id != last.bytes(); });
    for (const auto& e : nodes_) {
      e->node->stop();
      printer.stopped(e->reporter->label());
    }
    nodes_.clear();
  }

  std::size_t size() const { return nodes_.size(); }

 private:
  struct Entry {
    std::unique_ptr<NodeReporter> reporter;
    std::unique_ptr<Node> node;  // declared after its reporter: destroyed first
  };

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::vector<std::unique_ptr<Entry>> nodes_;
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
  const Profile profile = resolve_profile(base).profile;  // the parser checked it
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
  LocalCluster cluster;
  const Clock::time_point started = Clock::now();
  for (std::size_t i = 0; i < options.nodes; ++i) {
    NodeConfig config = base;
    config.id = node_id(i, options.nodes);
    if (Status s = cluster.start_node(config, printer, filter); !s) {
      std::cerr << "lanlord: " << s.message() << "\n";
      return kExitFailure;
    }
  }

  const std::optional<PeerId> first = cluster.wait_for_agreement(started + election_deadline);
  if (!first) {
    printer.demo_timeout("election", Clock::now() - started);
    return kExitFailure;
  }
  printer.demo_agreed(*first, kChannel, cluster.size(), Clock::now() - started);

  printer.demo_crash(*first);
  const Clock::time_point crashed = Clock::now();
  cluster.crash(*first);
  const std::optional<PeerId> second = cluster.wait_for_agreement(crashed + failover_deadline);
  if (!second) {
    printer.demo_timeout("failover", Clock::now() - crashed);
    return kExitFailure;
  }
  printer.demo_failover(*second, kChannel, cluster.size(), Clock::now() - crashed, failover_bound);

  cluster.stop_all(*second, printer);
  printer.demo_done();
  return kExitOk;
}

}  // namespace lanlord::cli
