// lanlord's side of one supervised command run (commands/supervisor.hpp):
// starts the supervisor, asks it to stop, and hears how the command ended,
// all through Asio on the io thread, never blocking it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lanlord/status.hpp"
#include "lanlord/time.hpp"
#include "output/event_printer.hpp"

namespace lanlord::cli {

class SupervisedCommand {
 public:
  struct Callbacks {
    // The command is running as `pid` (also its process group's id).
    std::function<void(int pid)> started;
    // The command and every process it started are gone. `status` is
    // empty (neither code nor signal) if the supervisor itself died.
    std::function<void(const CommandStatus& status)> exited;
  };

  // Starts a supervisor that runs `command` with `environment` ("NAME=value"
  // entries: the whole environment). Of lanlord's open descriptors only
  // those in `inherit` reach the supervisor and the command (those lanlord
  // itself inherited, see open_descriptors()): not every library marks its
  // descriptors close-on-exec, and the command must not hold the node's
  // socket. The callbacks run on `io`'s thread; `exited` is the last one,
  // and the object may be destroyed from it.
  static Result<std::unique_ptr<SupervisedCommand>> start(
      boost::asio::io_context& io, const std::vector<std::string>& command,
      const std::vector<std::string>& environment, const std::vector<int>& inherit,
      Duration kill_timeout, Callbacks callbacks);

  // The descriptors this process has open (from /proc/self/fd).
  static std::vector<int> open_descriptors();

  SupervisedCommand(const SupervisedCommand&) = delete;
  SupervisedCommand& operator=(const SupervisedCommand&) = delete;
  // Closes lanlord's end of the socket: a supervisor still running then
  // kills the command's processes at once (as if lanlord had died).
  ~SupervisedCommand();

  // SIGTERM to the command's process group, SIGKILL after the kill timeout.
  void stop();
  // SIGKILL to every process of the command now.
  void kill();

 private:
  SupervisedCommand(boost::asio::io_context& io, int control, pid_t supervisor,
                    Callbacks callbacks);
  void read();
  void line(const std::string& text);
  void ended();
  void reap();
  void send(char byte);

  boost::asio::posix::stream_descriptor control_;
  boost::asio::steady_timer reap_timer_;
  boost::asio::streambuf input_;
  const pid_t supervisor_;
  Callbacks callbacks_;
  std::optional<int> pid_;
  std::optional<CommandStatus> status_;
  bool reaped_ = false;
  // Handlers check it: the object may be gone when a cancelled one runs.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lanlord::cli
