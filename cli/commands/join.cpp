// `lanlord join`: one node, its events, a graceful stop on a signal.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <iostream>

#include "commands/commands.hpp"
#include "output/reporter.hpp"

namespace lanlord::cli {

int run_join(const JoinOptions& options) {
  boost::asio::io_context io;
  // Installed first, so a signal that arrives while the node starts is
  // queued for the handler below instead of killing the process.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  EventPrinter printer(std::cout, options.output.json ? Format::kJson : Format::kHuman);
  NodeReporter reporter(printer, options.node.id, {.drops = options.output.verbose});
  Node node(io, options.node, reporter.callbacks());
  reporter.attach(node);
  if (Status s = node.start(); !s) {
    std::cerr << "lanlord: " << s.message() << "\n";
    return kExitFailure;
  }
  printer.started(started_info(node, reporter.label()));

  // Asio delivers the signal as an ordinary handler on this thread, so the
  // stop runs between two node events, never inside one.
  signals.async_wait([&node, &printer, &reporter, &io](const boost::system::error_code& ec, int) {
    if (ec) return;
    node.stop();  // sends the leave before it returns
    printer.stopped(reporter.label());
    io.stop();
  });
  io.run();
  return kExitOk;
}

}  // namespace lanlord::cli
