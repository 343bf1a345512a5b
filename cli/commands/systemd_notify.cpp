#include "commands/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "output/event_printer.hpp"

namespace lanlord::cli {

SystemdNotifier::SystemdNotifier(boost::asio::io_context& io)
    // NOLINTNEXTLINE(concurrency-mt-unsafe): read before any thread starts
    : enabled_(std::getenv("NOTIFY_SOCKET") != nullptr), grace_(io), watchdog_(io) {}

void SystemdNotifier::start(const Node& node) {
  if (!enabled_) return;
  node_ = &node;
  const Profile profile = node.profile();
  grace_.expires_after(profile.election.startup_grace_period);
  grace_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    grace_over_ = true;
    update();
  });
  std::uint64_t usec = 0;
  // > 0: the unit has WatchdogSec and the pings are for this process.
  if (::sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
    send("WATCHDOG=1");
    ping();
  }
  update();
}

void SystemdNotifier::changed() {
  if (enabled_ && node_ != nullptr && !stopping_) update();
}

void SystemdNotifier::stopping() {
  if (!enabled_ || stopping_) return;
  stopping_ = true;
  grace_.cancel();
  send("STOPPING=1\nSTATUS=stopping: handing over and leaving");
}

void SystemdNotifier::update() {
  if (stopping_) return;
  std::string state;
  const std::string now = status();
  if (now != last_status_) {
    state = "STATUS=" + now;
    last_status_ = now;
  }
  if (!ready_) {
    // Every channel led; a watcher that has heard of no channel yet waits
    // for the grace like a node whose channel has no leader.
    const std::vector<ChannelStats> channels = node_->stats().channels;
    const bool all_led = !channels.empty() &&
                         std::all_of(channels.begin(), channels.end(),
                                     [](const ChannelStats& c) { return c.leader.has_value(); });
    if (all_led || grace_over_) {
      ready_ = true;
      grace_.cancel();
      state = "READY=1\n" + (state.empty() ? "STATUS=" + now : state);
    }
  }
  if (!state.empty()) send(state);
}

void SystemdNotifier::ping() {
  watchdog_.expires_after(watchdog_interval_);
  watchdog_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    send("WATCHDOG=1");
    ping();
  });
}

std::string SystemdNotifier::status() const {
  std::string out;
  for (const ChannelStats& c : node_->stats().channels) {
    if (!out.empty()) out += "; ";
    out += printable(c.channel) + ": ";
    if (!c.leader) {
      out += ready_ || grace_over_ ? "no leader" : "no leader yet";
      continue;
    }
    out += printable(c.leader->bytes());
    if (c.is_leader) out += " (this node)";
    out += ", epoch " + std::to_string(c.epoch);
  }
  return out.empty() ? "no channel heard of yet" : out;
}

void SystemdNotifier::send(const std::string& state) {
  (void)::sd_notify(0, state.c_str());
}

}  // namespace lanlord::cli
