// The `lanlord` command line: what the user typed, turned into settings.
//
// Pure functions (the config file is read through an injected function) so
// that every rule here is unit-tested without running the program. Nothing
// in this folder knows how a Node works; it only fills a NodeConfig.
//
// The folder: config_file (the `key = value` syntax), settings (one value
// for one option, applied to a command's options), help (option
// descriptions and help texts), parse (this header: dispatch and checks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "command_line/config_file.hpp"
#include "lanlord/node.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/status.hpp"
#include "lanlord/time.hpp"

namespace lanlord::cli {

// Exit codes, the contract scripts rely on (cli/README.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime failure; `watch --once`: not one leader each
inline constexpr int kExitUsage = 2;    // the command line or config file is wrong

struct OutputOptions {
  bool json = false;     // one JSON object per line instead of human lines
  bool verbose = false;  // also dropped datagrams (and, in the demo, every event)
};

struct JoinOptions {
  NodeConfig node;
  OutputOptions output;
};

struct WatchOptions {
  NodeConfig node;  // passive
  OutputOptions output;
  bool once = false;
  // --once: how long to listen before judging (default: see once_wait()).
  std::optional<Duration> wait;
  // Channels that must have a leader for --once to succeed, besides the
  // channels it hears of.
  std::vector<std::string> expect_channels;
};

struct DemoOptions {
  std::size_t nodes = 5;
  std::string profile = "fast";
  std::string group = NodeConfig{}.group;
  std::uint16_t port = NodeConfig{}.port;
  OutputOptions output;
};

// What main() does: run a command, print a text (help, version) and exit 0,
// or report a usage error and exit 2.
struct Invocation {
  enum class Action { kRun, kPrint, kUsageError };
  Action action = Action::kUsageError;
  // kPrint: the text for stdout. kUsageError: the problem, one line, without
  // the "lanlord: " prefix.
  std::string text;
  // kUsageError: the help command to suggest, e.g. "lanlord join --help".
  std::string help_hint;
  std::variant<std::monostate, JoinOptions, WatchOptions, DemoOptions> options;
};

// Parses argv[1..]. `version` is printed by --version and in the help.
Invocation parse_command_line(const std::vector<std::string>& args, std::string_view version,
                              const ReadFile& read = read_file);

// How long `watch --once` listens before it judges: one alive_expiration
// (every live member has heartbeated in it) plus one declaration interval
// (every leader has declared in it), unless --wait says otherwise.
Duration once_wait(const WatchOptions& options);

}  // namespace lanlord::cli
