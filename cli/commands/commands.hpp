// The commands. Each returns the process exit code (command_line.hpp).
#pragma once

#include "command_line/command_line.hpp"

namespace lanlord::cli {

// Runs a node until SIGINT or SIGTERM, printing its events.
int run_join(const JoinOptions& options);
// Runs a passive node: events until a signal, or with --once the table.
int run_watch(const WatchOptions& options);
// Runs a local cluster through an election and a leader crash.
int run_demo(const DemoOptions& options);
// Prints a new cluster key, or writes it to a new file.
int run_keygen(const KeygenOptions& options);
// Runs a node and, while it leads the channel, the command.
int run_run(const RunOptions& options);
// Listens passively and prints the leader of each channel, with its epoch.
int run_leader(const LeaderOptions& options);

}  // namespace lanlord::cli
