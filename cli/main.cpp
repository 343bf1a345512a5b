// lanlord: the command-line program. Parses, dispatches, maps outcomes to
// exit codes; the commands live in commands/.
#include <csignal>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "command_line/command_line.hpp"
#include "commands/commands.hpp"
#include "commands/supervisor.hpp"

namespace {

// std::visit over the parsed command's options.
template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

int run(const lanlord::cli::Invocation& inv) {
  using namespace lanlord::cli;
  switch (inv.action) {
    case Invocation::Action::kPrint:
      std::cout << inv.text << std::flush;
      return kExitOk;
    case Invocation::Action::kUsageError:
      std::cerr << "lanlord: " << inv.text << " (try '" << inv.help_hint << "')\n";
      return kExitUsage;
    case Invocation::Action::kRun:
      break;
  }
  return std::visit(Overloaded{[](const JoinOptions& o) { return run_join(o); },
                               [](const WatchOptions& o) { return run_watch(o); },
                               [](const DemoOptions& o) { return run_demo(o); },
                               [](const KeygenOptions& o) { return run_keygen(o); },
                               [](const RunOptions& o) { return run_run(o); },
                               [](const LeaderOptions& o) { return run_leader(o); },
                               [](const std::monostate&) { return kExitUsage; }},
                    inv.options);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  // `run`'s supervisor: lanlord re-executed in a hidden mode, before
  // anything else exists (commands/supervisor.hpp).
  if (!args.empty() && args.front() == lanlord::cli::kSupervisorMode) {
    return lanlord::cli::run_supervisor({args.begin() + 1, args.end()});
  }
  // A reader that goes away (`lanlord join --json | head -1`) makes writes
  // fail with EPIPE instead of killing lanlord without a leave; the node
  // commands then stop gracefully (EventPrinter::on_output_closed). `run`'s
  // command gets the default action back (supervisor.cpp).
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return run(lanlord::cli::parse_command_line(args, LANLORD_VERSION));
  } catch (const std::exception& e) {
    // Exceptions mean a bug or the system refusing something basic (no
    // signal handling, no thread): say so in one line rather than abort.
    std::cerr << "lanlord: " << e.what() << "\n";
    return lanlord::cli::kExitFailure;
  }
}
