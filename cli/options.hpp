// The `lanlord` command line: what the user typed, turned into settings.
//
// Pure functions (the config file is read through an injected function) so
// that every rule here is unit-tested without running the program. Nothing
// in this file knows how a Node works; it only fills a NodeConfig.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lanlord/node.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/status.hpp"
#include "lanlord/time.hpp"

namespace lanlord::cli {

// Exit codes, the contract scripts rely on (cli/README.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime failure; `watch --once`: not one leader each
inline constexpr int kExitUsage = 2;    // the command line or config file is wrong

// Durations are a decimal number and a unit: "250ms", "5s", "1.5s", "1m".
// The unit is required (a bare "250" is ambiguous) and the value must be
// positive. Fractions are kept to the nanosecond.
Status parse_duration(std::string_view text, Duration& out);
// The shortest exact spelling in that syntax: 250ms, 5s, 1.5s, 1m, 1m30s is
// written 90s. Sub-millisecond values are written in ms with a fraction.
std::string format_duration(Duration d);

// One `key = value` line of a config file.
struct ConfigEntry {
  std::string key;
  std::string value;
  int line = 0;
};
// Config file syntax: one `key = value` per line, keys are the long option
// names without "--"; blank lines and lines whose first non-blank character
// is '#' are ignored; spaces around key and value are trimmed. `filename`
// only names the file in messages ("node.conf:3: expected 'key = value'").
Status parse_config_text(std::string_view text, std::string_view filename,
                         std::vector<ConfigEntry>& out);

// Reads a whole file; the message names the file and the reason.
using ReadFile = std::function<Status(const std::string& path, std::string& contents)>;
Status read_file(const std::string& path, std::string& contents);

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
