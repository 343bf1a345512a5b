// The passive node of `watch`, shared with `lanlord leader`: both listen
// with the same node, keys, signals and printing; they differ only in what
// they make of what was heard.
#pragma once

#include <functional>
#include <string_view>

#include "command_line/command_line.hpp"
#include "commands/health.hpp"
#include "output/event_printer.hpp"

namespace lanlord::cli {

// With options.once: what to do after listening for once_wait(options):
// print the answer with `printer` (the node is named `label`) and return
// the exit code.
using Conclusion =
    std::function<int(EventPrinter& printer, std::string_view label, const Observation& seen)>;

// Runs a passive node. Without options.once, prints events until SIGINT or
// SIGTERM (exit 0); with it, listens for once_wait(options) and returns
// `conclude`'s exit code (1 if a signal comes first).
int run_passive(const WatchOptions& options, const Conclusion& conclude);

}  // namespace lanlord::cli
