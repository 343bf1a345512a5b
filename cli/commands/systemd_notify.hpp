// systemd's readiness protocol for the commands that keep a node running
// (join, watch, run) under a Type=notify unit (cli/systemd/lanlord@.service):
//   READY=1     once the node has started and every channel has a known
//               leader, or the profile's startup grace has passed;
//   STATUS=...  the leader of each channel, on every change (shown by
//               `systemctl status`);
//   STOPPING=1  when a graceful stop begins (a signal, a closed stdout);
//   WATCHDOG=1  every half WatchdogSec, when the unit sets one: the pings
//               come from the node's io thread, so a stuck loop misses them
//               and systemd restarts the service.
// Without NOTIFY_SOCKET (not under systemd) every call does nothing.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <string>

#include "lanlord/node.hpp"

namespace lanlord::cli {

class SystemdNotifier {
 public:
  explicit SystemdNotifier(boost::asio::io_context& io);
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // All on the io thread. start(): after node.start(); arms the startup
  // grace and the watchdog.
  void start(const Node& node);
  // The node's view of some channel's leadership changed.
  void changed();
  void stopping();

 private:
  void update();
  void ping();
  // What systemctl status shows: "billing: node-a (this node), epoch 7;
  // jobs: no leader yet".
  std::string status() const;
  void send(const std::string& state);

  const bool enabled_;
  const Node* node_ = nullptr;
  bool ready_ = false;
  bool grace_over_ = false;
  bool stopping_ = false;
  std::string last_status_;
  boost::asio::steady_timer grace_;
  boost::asio::steady_timer watchdog_;
  std::chrono::microseconds watchdog_interval_{0};
};

}  // namespace lanlord::cli
