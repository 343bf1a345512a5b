// The supervisor of `lanlord run`'s command: a small process between
// lanlord and the command, so that the command can never outlive lanlord.
//
// lanlord starts it by re-executing its own binary (/proc/self/exe) in a
// hidden mode, with one end of a socket pair that only lanlord holds the
// other end of (close-on-exec everywhere, so the command never inherits
// either end). The supervisor makes itself a child subreaper, starts the
// command in a process group of its own, and then:
//
// - when the socket reports EOF (lanlord died, by any signal, SIGKILL
//   included): SIGKILL to the process group at once, then to every
//   remaining descendant (orphans that left the group are reparented to
//   the supervisor; it kills its children until none is left), and exits;
// - on a graceful stop (kStop from lanlord, or SIGTERM): SIGTERM to the
//   process group, waits until the group is empty or the kill timeout
//   passes, then SIGKILL to the group and every descendant;
// - when the command exits by itself: SIGKILL to what is left of its group
//   and every descendant.
// Each time it reports the command's pid when started and, last, how it
// ended, in lines on the socket (the protocol below), then exits.
//
// Lives in the lanlord binary but shares nothing with its other parts: the
// mode runs before any option parsing, thread or Asio object exists.
#pragma once

#include <string>
#include <vector>

namespace lanlord::cli {

// argv[1] of a supervisor. Not a command: `lanlord --help` does not list it.
inline constexpr const char* kSupervisorMode = "__run-supervisor";

// lanlord -> supervisor, one byte each.
inline constexpr char kStopCommand = 's';  // graceful: SIGTERM, SIGKILL after the timeout
inline constexpr char kKillCommand = 'k';  // SIGKILL now

// supervisor -> lanlord, lines: "started PID", then one of "exited CODE"
// and "killed SIGNAL" (after every process of the command is gone), then EOF.

// The supervisor process: `args` are what follows the mode:
//   FD KILL_TIMEOUT_MS -- PROGRAM [ARGS...]
// FD is the supervisor's end of the socket pair. Returns the process's exit
// code (0 when it reported the command's end).
int run_supervisor(const std::vector<std::string>& args);

}  // namespace lanlord::cli
