#include "commands/session.hpp"

#include <boost/asio/post.hpp>

#include <csignal>
#include <utility>

#include "lanlord/keyring.hpp"

namespace lanlord::cli {

NodeSession::NodeSession(boost::asio::io_context& io, EventPrinter& printer, NodeReporter& reporter,
                         KeyOrigin keys, std::ostream& err)
    : io_(io),
      printer_(printer),
      reporter_(reporter),
      keys_(std::move(keys)),
      err_(err),
      stop_signals_(io, SIGINT, SIGTERM),
      hangup_(io, SIGHUP),
      flush_(io),
      systemd_(io) {
  // Any thread may find stdout closed; the stop runs on the io thread,
  // once the session has started (a post before io.run() waits for it).
  printer_.on_output_closed([this] { boost::asio::post(io_, [this] { stop_requested(); }); });
}

NodeCallbacks NodeSession::callbacks(NodeCallbacks callbacks) {
  callbacks.on_id_conflict =
      [this, print = std::move(callbacks.on_id_conflict)](const IdConflict& conflict) {
        if (print) print(conflict);
        if (!conflict.stopped) return;
        // The node has halted (no leave: it would remove the other process,
        // which keeps the id). Runs on the io thread: nothing else is running.
        halted_ = conflict;
        io_.stop();
      };
  // Called under the node's lock: the notifier reads the node afterwards.
  callbacks.on_leadership = [this, print = std::move(callbacks.on_leadership)](
                                const std::string& channel, const LeaderInfo& info) {
    if (print) print(channel, info);
    boost::asio::post(io_, [this] { systemd_.changed(); });
  };
  return callbacks;
}

void NodeSession::start(Node& node, std::function<void()> stop) {
  node_ = &node;
  stop_ = std::move(stop);
  wait_for_stop();
  wait_for_hangup();
  flush_.expires_after(kEvictionSummary);
  arm_flush();
  systemd_.start(node);
}

void NodeSession::start_async(Node& node, AsyncStop stop) {
  async_stop_ = std::move(stop);
  start(node, nullptr);
}

// Asio delivers the signals as ordinary handlers on the io thread, so the
// stop and the reload run between two node events, never inside one.
void NodeSession::wait_for_stop() {
  stop_signals_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    stop_requested();
    if (async_stop_) wait_for_stop();  // a second signal may hurry the stop
  });
}

void NodeSession::stop_requested() {
  systemd_.stopping();
  reporter_.flush_evictions();
  if (async_stop_) {
    async_stop_([this] { io_.stop(); });
    return;
  }
  if (stop_) stop_();
  io_.stop();
}

void NodeSession::wait_for_hangup() {
  hangup_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    reload_keys();
    wait_for_hangup();
  });
}

void NodeSession::arm_flush() {
  flush_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    reporter_.flush_evictions();
    flush_.expires_at(flush_.expiry() + kEvictionSummary);
    arm_flush();
  });
}

void NodeSession::reload_keys() {
  if (keys_.key_file.empty()) {
    err_ << "lanlord: SIGHUP: no key file to reload ("
         << (keys_.from_environment ? "the key came from LANLORD_KEY; restart to change it"
                                    : "this node runs without a key")
         << ")\n"
         << std::flush;
    return;
  }
  Result<Keyring> keys = Keyring::load_file(keys_.key_file);
  if (!keys) {
    err_ << "lanlord: key reload failed, keeping the old keys: " << keys.status().message() << "\n"
         << std::flush;
    return;
  }
  const std::vector<std::uint32_t> ids = keys->ids();
  if (Status s = node_->reload_keys(std::move(*keys)); !s) {
    err_ << "lanlord: key reload failed, keeping the old keys: " << s.message() << "\n"
         << std::flush;
    return;
  }
  printer_.keys_reloaded(reporter_.label(), keys_.key_file, ids);
}

std::optional<int> NodeSession::halted_exit() {
  if (!halted_) return std::nullopt;
  err_ << "lanlord: another process with id " << printable(reporter_.label()) << " is running at "
       << printable(halted_->origin) << "; this one started later and stops\n"
       << std::flush;
  return kExitFailure;
}

}  // namespace lanlord::cli
