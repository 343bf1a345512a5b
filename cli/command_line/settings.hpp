// Settings: one value for one option, from the command line or a config
// file, applied in order to a command's options (so the last one wins).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "command_line/command_line.hpp"
#include "lanlord/status.hpp"

namespace lanlord::cli {

enum class CommandKind { kJoin, kWatch, kDemo, kKeygen, kLeader };

// "join", "watch", "demo", "keygen", "leader".
const char* command_name(CommandKind command);

// The demo runs up to this many nodes in one process.
inline constexpr std::size_t kMaxDemoNodes = 64;

// Upper bounds of --max-members and --new-ids-per-second: far beyond any
// LAN, low enough that a typo (an extra zero or three) is caught.
inline constexpr std::uint64_t kMaxMembersLimit = 1000000;
inline constexpr std::uint64_t kMaxNewIdsPerSecond = 1000000;

struct Setting {
  std::string key;    // the long option name without "--"
  std::string value;  // empty for a flag given on the command line
  std::string where;  // "file:line", or empty for the command line
  bool from_command_line() const { return where.empty(); }
};

using CommandOptions = std::variant<std::monostate, JoinOptions, WatchOptions, DemoOptions,
                                    KeygenOptions, RunOptions, LeaderOptions>;

// `command`'s defaults with `settings` applied in order. Keys must be the
// command's options (the parser has checked). `channel` is repeatable: the
// first one replaces the default list. The message names the setting as
// the user wrote it: "--port: '0' is not a port (1-65535)" or
// "node.conf:3: port: ...".
Status apply_settings(CommandKind command, const std::vector<Setting>& settings,
                      CommandOptions& out);

// "fabric, lan or fast".
std::string profile_list();

}  // namespace lanlord::cli
