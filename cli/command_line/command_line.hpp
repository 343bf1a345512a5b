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

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "command_line/config_file.hpp"
#include "lanlord/keyring.hpp"
#include "lanlord/node.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/status.hpp"
#include "lanlord/time.hpp"
#include "metrics/listen_address.hpp"

namespace lanlord::cli {

// Exit codes, the contract scripts rely on (cli/README.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime failure; `watch --once`: not one leader each
inline constexpr int kExitUsage = 2;    // the command line or config file is wrong
// `run --on-exit exit`: the command failed (exited non-zero or was killed
// by a signal); lanlord left the cluster.
inline constexpr int kExitCommandFailed = 3;

// The exit code for a failed Status: a bad setting is a usage error, the
// rest (network, internal) a runtime failure.
inline int exit_code_for(const Status& s) {
  if (s.is_ok()) return kExitOk;
  return s.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

struct OutputOptions {
  bool json = false;     // one JSON object per line instead of human lines
  bool verbose = false;  // also dropped datagrams (and, in the demo, every event)
};

// Where a node's keys (NodeConfig::keys) came from. SIGHUP re-reads
// `key_file`; a key from LANLORD_KEY cannot be reloaded.
struct KeyOrigin {
  std::string key_file;           // --key-file (or `key-file` in the config file); empty: none
  bool from_environment = false;  // LANLORD_KEY
};

struct JoinOptions {
  NodeConfig node;
  OutputOptions output;
  KeyOrigin key_origin;
  std::optional<ListenAddress> metrics_listen;  // --metrics-listen: serve Prometheus metrics
};

struct WatchOptions {
  NodeConfig node;  // passive
  OutputOptions output;
  KeyOrigin key_origin;
  std::optional<ListenAddress> metrics_listen;  // --metrics-listen (not `leader`)
  bool once = false;
  // --once: how long to listen before judging (default: see once_wait()).
  std::optional<Duration> wait;
  // Channels that must have a leader for --once to succeed, besides the
  // channels it hears of.
  std::vector<std::string> expect_channels;
};

// `lanlord run`: a node that runs a command only while it leads a channel.
struct RunOptions {
  NodeConfig node;  // exactly one channel: the one whose leader runs the command
  OutputOptions output;
  KeyOrigin key_origin;
  std::optional<ListenAddress> metrics_listen;  // --metrics-listen
  std::vector<std::string> command;             // after "--": the program and its arguments
  // SIGTERM to the command's process group, then SIGKILL after this long.
  Duration kill_timeout = std::chrono::seconds(10);
  // What to do when the command exits by itself.
  enum class OnExit { kExit, kYield, kRestart };
  OnExit on_exit = OnExit::kExit;
};

// `lanlord leader`: a passive one-shot query of who leads.
struct LeaderOptions {
  NodeConfig node;  // passive
  OutputOptions output;
  KeyOrigin key_origin;
  std::string channel;  // empty: every channel heard of
  // How long to listen (default: see leader_wait()).
  std::optional<Duration> wait;
};

struct DemoOptions {
  std::size_t nodes = 5;
  std::string profile = "fast";
  std::string group = NodeConfig{}.group;
  std::uint16_t port = NodeConfig{}.port;
  OutputOptions output;
};

// `lanlord keygen`: a new cluster key on stdout, or in a new file.
struct KeygenOptions {
  std::string output;  // empty: stdout
  bool force = false;  // replace an existing --output file
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
  std::variant<std::monostate, JoinOptions, WatchOptions, DemoOptions, KeygenOptions, RunOptions,
               LeaderOptions>
      options;
};

// The environment variable holding one base64 cluster key, used when no
// --key-file is given on the command line (it wins over a config file's
// key-file: command line > environment > config file).
inline constexpr const char* kKeyEnvironmentVariable = "LANLORD_KEY";

// Where keys come from, injected so that tests need no files or
// environment: the keyring file loader and the environment's lookup.
struct KeySources {
  std::function<Result<Keyring>(const std::string& path)> load_file = &Keyring::load_file;
  std::function<std::optional<std::string>(const char* name)> getenv = read_environment;
  // The process environment's value of `name`, if set.
  static std::optional<std::string> read_environment(const char* name);
};

// Parses argv[1..]. `version` is printed by --version and in the help.
Invocation parse_command_line(const std::vector<std::string>& args, std::string_view version,
                              const ReadFile& read = read_file, const KeySources& keys = {});

// The etcd backend (`watch --once`, `leader`): the longest wait for the
// first read of the election prefix, one request timeout per endpoint (the
// client tries them in turn) and one for the read. The answer comes as
// soon as the backend has reported the channels asked for (its first read
// reports every leader at once); this bounds the wait when one has none.
Duration etcd_answer_limit(const NodeConfig& node);

// How long `watch --once` listens before it judges (the etcd backend: at
// most, see etcd_answer_limit()): one alive_expiration
// (every live member has heartbeated in it; with rate classes, one idle
// interval plus one heartbeat interval when that is longer) plus one
// declaration interval (every leader has declared in it), unless --wait
// says otherwise.
Duration once_wait(const WatchOptions& options);

// How long `lanlord leader` listens before it answers, unless --wait says
// otherwise: as once_wait(), one alive_expiration or idle interval (every
// live member has heartbeated, so the member counts are whole) plus one declaration
// interval (every leader, and so both sides of a split, has declared).
// It cannot answer sooner: only a full declaration interval rules out a
// second leader.
Duration leader_wait(const LeaderOptions& options);

}  // namespace lanlord::cli
