// `lanlord join`: one node, its events, a graceful stop on a signal.
#include <boost/asio/io_context.hpp>

#include <iostream>

#include "commands/commands.hpp"
#include "commands/session.hpp"
#include "metrics/node_metrics.hpp"
#include "output/reporter.hpp"

namespace lanlord::cli {

int run_join(const JoinOptions& options) {
  boost::asio::io_context io;
  EventPrinter printer(std::cout, options.output.json ? Format::kJson : Format::kHuman,
                       &WallClock::now, &std::cerr);
  NodeReporter reporter(printer, options.node.id,
                        {.drops = options.output.verbose, .each_eviction = options.output.verbose});
  // Before the node starts: its signal handlers are installed here.
  NodeSession session(io, printer, reporter, options.key_origin, std::cerr);
  Node node(io, options.node, session.callbacks(reporter.callbacks()));
  NodeMetrics metrics(io, node, reporter.label());
  // The metrics port first: when it is taken, the node never joins.
  Status s = metrics.listen(options.metrics_listen);
  if (s) s = node.start();
  if (!s) {
    std::cerr << "lanlord: " << s.message() << "\n";
    return exit_code_for(s);
  }
  reporter.announce(node);
  metrics.start(printer);

  session.start(node, [&node, &printer, &reporter, &options] {
    if (options.output.verbose) printer.stats(reporter.label(), node.stats());
    node.stop();  // sends the leave before it returns
    printer.stopped(reporter.label());
  });
  io.run();
  return session.halted_exit().value_or(kExitOk);
}

}  // namespace lanlord::cli
