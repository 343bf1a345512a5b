// What join, watch and run share while their node runs: SIGINT and SIGTERM
// stop it, and so does a closed stdout (EPIPE: the reader of `lanlord join
// --json | head -1` went away); SIGHUP re-reads its key file; evictions are
// summarised every second; and a node that halted as the newer of two
// processes with one id ends the command with exit code 1. Under systemd
// it tells the service manager (systemd_notify.hpp).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <optional>
#include <ostream>

#include "command_line/command_line.hpp"
#include "commands/systemd_notify.hpp"
#include "output/event_printer.hpp"
#include "output/reporter.hpp"

namespace lanlord::cli {

// Lives on the stack of a command, beside the node, the printer and the
// reporter it refers to; everything runs on the one thread that runs `io`.
class NodeSession {
 public:
  // Installs the signal handlers at once, so that a signal that arrives
  // while the node starts is queued for the session instead of killing
  // the process (SIGHUP's default action is to terminate). `err` gets
  // error lines ("lanlord: ...").
  NodeSession(boost::asio::io_context& io, EventPrinter& printer, NodeReporter& reporter,
              KeyOrigin keys, std::ostream& err);
  NodeSession(const NodeSession&) = delete;
  NodeSession& operator=(const NodeSession&) = delete;

  // `callbacks` with the session's hook on id conflicts added (it still
  // calls the given one first).
  NodeCallbacks callbacks(NodeCallbacks callbacks);

  // After node.start(): handles the signals and summarises evictions.
  // `stop` runs on SIGINT/SIGTERM (it stops the node and prints); the
  // session stops `io` after it.
  void start(Node& node, std::function<void()> stop);

  // For a stop that takes a while (`run`: its command exits first):
  // `stop` runs on SIGINT/SIGTERM and calls `done` when it has finished;
  // the session then stops `io`. A second signal calls `stop` again (it
  // may hurry).
  using AsyncStop = std::function<void(std::function<void()> done)>;
  void start_async(Node& node, AsyncStop stop);

  // After io.run() returned: the exit code for a node halted by an id
  // conflict (with its message written to `err`), or nothing.
  std::optional<int> halted_exit();

 private:
  void wait_for_stop();
  // A stop signal, or stdout closed: stop gracefully (leave, exit 0).
  void stop_requested();
  void wait_for_hangup();
  void arm_flush();
  void reload_keys();

  boost::asio::io_context& io_;
  EventPrinter& printer_;
  NodeReporter& reporter_;
  const KeyOrigin keys_;
  std::ostream& err_;
  boost::asio::signal_set stop_signals_;
  boost::asio::signal_set hangup_;
  boost::asio::steady_timer flush_;
  Node* node_ = nullptr;
  std::function<void()> stop_;
  AsyncStop async_stop_;
  std::optional<IdConflict> halted_;
  SystemdNotifier systemd_;
};

}  // namespace lanlord::cli
