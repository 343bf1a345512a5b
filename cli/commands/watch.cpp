// `lanlord watch`: a passive node that prints what it hears, or with
// --once judges the cluster after listening for a while.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "commands/commands.hpp"
#include "commands/health.hpp"
#include "commands/session.hpp"
#include "commands/watch.hpp"
#include "metrics/node_metrics.hpp"
#include "output/reporter.hpp"

namespace lanlord::cli {

namespace {

using LeadersHeard = std::map<std::string, std::set<PeerId>>;

Observation observe(const Node& node, const LeadersHeard& heard,
                    const std::vector<std::string>& warnings, const WatchOptions& options,
                    Duration listened) {
  Observation seen;
  seen.node_warnings = warnings;
  seen.members = node.members();
  seen.leaders_heard = heard;
  seen.expected_channels = options.expect_channels;
  seen.listened = listened;
  std::set<std::string> channels(options.expect_channels.begin(), options.expect_channels.end());
  for (const Member& m : seen.members) channels.insert(m.channels.begin(), m.channels.end());
  for (const ChannelStats& c : node.stats().channels) channels.insert(c.channel);
  for (const auto& [channel, ids] : heard) channels.insert(channel);
  for (const std::string& channel : channels) seen.leaders[channel] = node.leadership(channel);
  seen.stats = node.stats();
  seen.keyed = node.config().keys.has_value();
  seen.max_clock_skew = node.config().trust.max_clock_skew;
  return seen;
}

}  // namespace

int run_watch(const WatchOptions& options) {
  return run_passive(options,
                     [](EventPrinter& printer, std::string_view label, const Observation& seen) {
                       const Verdict verdict = judge(seen);
                       printer.table(label, verdict);
                       return verdict.ok ? kExitOk : kExitFailure;
                     });
}

int run_passive(const WatchOptions& options, const Conclusion& conclude) {
  boost::asio::io_context io;
  EventPrinter printer(std::cout, options.output.json ? Format::kJson : Format::kHuman,
                       &WallClock::now, &std::cerr);
  // --once is for scripts: the table is its output, the events only with
  // --verbose.
  const bool events = !options.once || options.output.verbose;
  ReportFilter filter{.joins_and_leaves = events,
                      .deaths = events,
                      .leaders = events,
                      .drops = options.output.verbose,
                      .each_eviction = options.output.verbose,
                      .warnings = events};
  // The passive node has no id of its own; this names it in the output.
  NodeReporter reporter(printer, "watch-" + default_node_id(), filter, /*passive=*/true);
  // Before the node starts: its signal handlers are installed here.
  NodeSession session(io, printer, reporter, options.key_origin, std::cerr);

  LeadersHeard heard;                 // touched only on the io thread (handlers and callbacks)
  std::vector<std::string> warnings;  // the node's, for the --once table
  NodeCallbacks callbacks = session.callbacks(reporter.callbacks());
  callbacks.on_warning = [&warnings, print = std::move(callbacks.on_warning)](const Warning& w) {
    warnings.push_back(w.message);
    print(w);
  };
  // The etcd backend reports every leader right after its first read of
  // the prefix: --once answers then (posted, so that the rest of that
  // read's reports come first) instead of listening for a UDP interval.
  const bool answer_early = options.once && options.node.backend == Backend::kEtcd;
  std::set<std::string> reported;  // channels the backend has reported (io thread)
  std::function<void()> answer;    // set below, once the node exists
  callbacks.on_leadership = [&heard, &reported, &answer, &io, &options, answer_early,
                             print = std::move(callbacks.on_leadership)](const std::string& channel,
                                                                         const LeaderInfo& info) {
    if (info.leader) heard[channel].insert(*info.leader);
    print(channel, info);
    reported.insert(channel);
    if (!answer_early) return;
    const bool complete =
        std::all_of(options.expect_channels.begin(), options.expect_channels.end(),
                    [&reported](const std::string& c) { return reported.contains(c); });
    if (complete) boost::asio::post(io, [&answer] { answer(); });
  };
  Node node(io, options.node, std::move(callbacks));
  NodeMetrics metrics(io, node, reporter.label());
  Status s = metrics.listen(options.metrics_listen);
  if (s) s = node.start();
  if (!s) {
    std::cerr << "lanlord: " << s.message() << "\n";
    return exit_code_for(s);
  }
  reporter.announce(node, events);
  metrics.start(printer);

  int exit_code = kExitOk;
  boost::asio::steady_timer verdict_timer(io);
  bool answered = false;
  session.start(node, [&node, &printer, &reporter, &exit_code, &options, events] {
    if (events && options.output.verbose) printer.stats(reporter.label(), node.stats());
    node.stop();
    if (events) printer.stopped(reporter.label());
    if (options.once) {
      std::cerr << "lanlord: interrupted before the verdict\n";
      exit_code = kExitFailure;
    }
  });
  if (options.once) {
    const Clock::time_point began = Clock::now();
    answer = [&node, &heard, &warnings, &options, began, &printer, &reporter, &exit_code, &io,
              &conclude, &answered, &verdict_timer] {
      if (answered) return;
      answered = true;
      verdict_timer.cancel();
      const Observation seen = observe(node, heard, warnings, options, Clock::now() - began);
      node.stop();
      exit_code = conclude(printer, reporter.label(), seen);
      io.stop();
    };
    verdict_timer.expires_after(once_wait(options));
    verdict_timer.async_wait([&answer](const boost::system::error_code& ec) {
      if (!ec) answer();
    });
  }
  io.run();
  return session.halted_exit().value_or(exit_code);
}

}  // namespace lanlord::cli
