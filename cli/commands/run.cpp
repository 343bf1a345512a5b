// `lanlord run`: a node that runs a command only while it leads one
// channel. The command runs under a supervisor (supervisor.hpp), so it
// never outlives lanlord; this file decides when it starts and stops.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands/commands.hpp"
#include "commands/session.hpp"
#include "commands/supervised_command.hpp"
#include "output/reporter.hpp"

extern char** environ;  // NOLINT: POSIX

namespace lanlord::cli {

namespace {

using namespace std::chrono_literals;

// --on-exit restart: the first delay, doubling up to the last; a command
// that ran longer than kStableRun starts again from the first.
constexpr Duration kFirstRestartDelay = 1s;
constexpr Duration kMaxRestartDelay = 30s;
constexpr Duration kStableRun = 30s;

// What the command gets besides the inherited environment (an inherited
// LANLORD_RUN_* is replaced; the cluster key, LANLORD_KEY, is a secret of
// lanlord's and is not passed on, nor is systemd's NOTIFY_SOCKET).
std::vector<std::string> command_environment(const std::string& channel, std::uint64_t epoch,
                                             const std::string& node_id) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view var(*e);
    if (var.starts_with("LANLORD_RUN_") || var.starts_with("LANLORD_KEY=")) continue;
    // systemd's notification socket and watchdog are lanlord's, not the
    // command's (NotifyAccess=main would ignore it anyway).
    if (var.starts_with("NOTIFY_SOCKET=") || var.starts_with("WATCHDOG_")) continue;
    env.emplace_back(var);
  }
  env.push_back("LANLORD_RUN_CHANNEL=" + channel);
  env.push_back("LANLORD_RUN_EPOCH=" + std::to_string(epoch));
  env.push_back("LANLORD_RUN_NODE_ID=" + node_id);
  return env;
}

// The rules, all on the io thread:
// - the command runs while this node leads the channel, with the epoch of
//   that leadership; a new epoch restarts it (stop, wait, start);
// - leadership is given up (yield, the leave of node.stop()) only after
//   the command has exited: the next leader's command never overlaps it,
//   unless this node loses leadership without asking (then the command is
//   stopped as soon as that is known);
// - a leadership won while the node is starting waits `settle` before its
//   command starts (see startup_settle());
// - it never waits by blocking: the supervisor's report, timers and
//   signals are all handlers.
class RunController {
 public:
  // `inherit`: the descriptors lanlord inherited (see inherit_).
  // `profile`: the node's effective timings.
  RunController(boost::asio::io_context& io, EventPrinter& printer, const RunOptions& options,
                const Profile& profile, std::vector<int> inherit)
      : io_(io),
        printer_(printer),
        options_(options),
        channel_(options.node.channels.front()),
        label_(options.node.id),
        inherit_(std::move(inherit)),
        settle_(profile.election.leader_election_duration),
        startup_ends_(Clock::now() + profile.election.startup_grace_period +
                      profile.election.leader_election_duration),
        settle_timer_(io),
        restart_timer_(io) {}
  RunController(const RunController&) = delete;
  RunController& operator=(const RunController&) = delete;

  void attach(Node& node) { node_ = &node; }
  const std::string& channel() const { return channel_; }

  // This node's view of the channel's leadership changed.
  void leadership(const LeaderInfo& info) {
    const bool was_leading = leading_;
    leading_ = info.is_self;
    epoch_ = info.epoch;
    if (!leading_) {
      yield_pending_ = false;  // the yield (if any) took effect
      cancel_restart();
      if (was_leading) backoff_ = kFirstRestartDelay;
    } else if (!was_leading && Clock::now() < startup_ends_) {
      startup_settle();
    }
    reconcile();
  }

  // SIGINT/SIGTERM: stop the command, wait for it, then leave; `done`
  // after that. A second signal kills the command at once.
  void shutdown(std::function<void()> done) {
    if (shutting_down_) {
      if (command_) command_->kill();
      return;
    }
    shutting_down_ = true;
    done_ = std::move(done);
    cancel_restart();
    if (!command_) {
      finish(kExitOk);
    } else if (!stopping_reason_) {
      stop_command("shutdown");
    }
  }

  std::optional<int> exit_code() const { return exit_code_; }

 private:
  void reconcile() {
    if (finished_) return;
    if (command_) {
      if (stopping_reason_) return;  // on its way out; decided again when it has exited
      if (!leading_) {
        stop_command("lost_leadership");
      } else if (epoch_ != command_epoch_) {
        stop_command("new_epoch");
      }
      return;
    }
    if (shutting_down_) return;
    if (leading_ && !yield_pending_ && !restart_pending_ && !settling_) start_command();
  }

  // Two nodes that start within a few milliseconds of each other's
  // discovery can both declare; the higher id steps down as soon as it
  // hears the lower one's declaration (Fabric's rule), and the winner may
  // begin a new term. A leadership won during startup therefore waits one
  // election duration before its command starts, so that this race ends
  // before any command runs rather than after one was started and stopped.
  // Later leaderships (failover, handoff) start their command at once.
  void startup_settle() {
    if (settling_) return;
    settling_ = true;
    settle_timer_.expires_after(settle_);
    settle_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      settling_ = false;
      reconcile();
    });
  }

  void start_command() {
    command_epoch_ = epoch_;
    pid_ = 0;
    stopping_reason_.reset();
    started_at_ = Clock::now();
    Result<std::unique_ptr<SupervisedCommand>> started = SupervisedCommand::start(
        io_, options_.command, command_environment(channel_, command_epoch_, label_), inherit_,
        options_.kill_timeout,
        {.started =
             [this](int pid) {
               pid_ = pid;
               printer_.command_started(label_, channel_, pid, command_epoch_);
               // Asked to stop before its pid was known: say so now, in order.
               if (stopping_reason_) announce_stopping();
             },
         .exited = [this](const CommandStatus& status) { command_exited(status); }});
    if (!started) {
      std::cerr << "lanlord: " << started.status().message() << "\n" << std::flush;
      finish(kExitFailure);
      return;
    }
    command_ = std::move(*started);
  }

  void stop_command(const char* reason) {
    stopping_reason_ = reason;
    if (pid_ != 0) announce_stopping();
    command_->stop();
  }

  void announce_stopping() {
    printer_.command_stopping(label_, channel_, pid_, *stopping_reason_, options_.kill_timeout);
  }

  void command_exited(const CommandStatus& status) {
    const Duration ran = Clock::now() - started_at_;
    printer_.command_exited(label_, channel_, pid_, status, ran);
    const bool asked = stopping_reason_.has_value();
    command_.reset();  // allowed from its own last callback
    stopping_reason_.reset();
    if (shutting_down_) {
      finish(kExitOk);
      return;
    }
    if (asked) {
      reconcile();  // a new epoch starts again at once; a lost leadership waits
      return;
    }
    switch (options_.on_exit) {
      case RunOptions::OnExit::kExit: {
        const int code = status.success() ? kExitOk : kExitCommandFailed;
        printer_.exiting(label_, code, status);
        finish(code);
        return;
      }
      case RunOptions::OnExit::kYield:
        if (leading_) {
          yield_pending_ = true;
          node_->yield(channel_);
          printer_.yielded(label_, channel_);
        }
        return;
      case RunOptions::OnExit::kRestart:
        schedule_restart(ran);
        return;
    }
  }

  void schedule_restart(Duration ran) {
    if (ran > kStableRun) backoff_ = kFirstRestartDelay;
    const Duration delay = backoff_;
    backoff_ = std::min<Duration>(backoff_ * 2, kMaxRestartDelay);
    if (!leading_) return;  // the next leadership starts it
    restart_pending_ = true;
    printer_.command_restart_scheduled(label_, channel_, delay);
    restart_timer_.expires_after(delay);
    restart_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      restart_pending_ = false;
      reconcile();
    });
  }

  void cancel_restart() {
    if (!restart_pending_) return;
    restart_pending_ = false;
    restart_timer_.cancel();
  }

  // Leaves the cluster (the command has exited) and ends the program.
  void finish(int code) {
    finished_ = true;
    exit_code_ = code;
    cancel_restart();
    settle_timer_.cancel();
    if (options_.output.verbose) printer_.stats(label_, node_->stats());
    node_->stop();  // sends the leave before it returns
    printer_.stopped(label_);
    if (done_) {
      done_();
    } else {
      io_.stop();
    }
  }

  boost::asio::io_context& io_;
  EventPrinter& printer_;
  const RunOptions& options_;
  const std::string channel_;
  const std::string label_;
  // What lanlord inherited, which the command inherits in turn; lanlord's
  // own descriptors (the node's socket) stay in lanlord.
  const std::vector<int> inherit_;
  Node* node_ = nullptr;

  bool leading_ = false;
  std::uint64_t epoch_ = 0;
  bool yield_pending_ = false;  // yielded; waiting to hear that it took effect
  bool shutting_down_ = false;
  bool finished_ = false;
  std::function<void()> done_;
  std::optional<int> exit_code_;

  std::unique_ptr<SupervisedCommand> command_;
  std::uint64_t command_epoch_ = 0;
  int pid_ = 0;
  Clock::time_point started_at_{};
  std::optional<const char*> stopping_reason_;

  const Duration settle_;
  const Clock::time_point startup_ends_;  // a leadership won before this waits settle_
  boost::asio::steady_timer settle_timer_;
  bool settling_ = false;

  boost::asio::steady_timer restart_timer_;
  bool restart_pending_ = false;
  Duration backoff_ = kFirstRestartDelay;
};

}  // namespace

int run_run(const RunOptions& options) {
  // First, before Asio and the node open descriptors of their own.
  std::vector<int> inherited = SupervisedCommand::open_descriptors();
  boost::asio::io_context io;
  EventPrinter printer(std::cout, options.output.json ? Format::kJson : Format::kHuman,
                       &WallClock::now, &std::cerr);
  NodeReporter reporter(printer, options.node.id,
                        {.drops = options.output.verbose, .each_eviction = options.output.verbose});
  // The node checks the same configuration again when it starts; an
  // error here is reported the same way.
  Result<Profile> profile = resolve_profile(options.node);
  if (!profile) {
    std::cerr << "lanlord: " << profile.status().message() << "\n";
    return exit_code_for(profile.status());
  }
  RunController controller(io, printer, options, *profile, std::move(inherited));
  // Before the node starts: its signal handlers are installed here.
  NodeSession session(io, printer, reporter, options.key_origin, std::cerr);

  NodeCallbacks callbacks = reporter.callbacks();
  // The node calls back under its own lock: the controller acts after it,
  // as a handler of its own, in the order the changes happened.
  callbacks.on_leadership = [print = std::move(callbacks.on_leadership), &io, &controller](
                                const std::string& channel, const LeaderInfo& info) {
    if (print) print(channel, info);
    if (channel != controller.channel()) return;
    boost::asio::post(io, [&controller, info] { controller.leadership(info); });
  };
  Node node(io, options.node, session.callbacks(std::move(callbacks)));
  controller.attach(node);
  if (Status s = node.start(); !s) {
    std::cerr << "lanlord: " << s.message() << "\n";
    return exit_code_for(s);
  }
  reporter.announce(node);

  session.start_async(
      node, [&controller](std::function<void()> done) { controller.shutdown(std::move(done)); });
  io.run();
  if (std::optional<int> halted = session.halted_exit()) return *halted;
  return controller.exit_code().value_or(kExitOk);
}

}  // namespace lanlord::cli
