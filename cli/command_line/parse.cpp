#include <boost/program_options/parsers.hpp>
#include <boost/program_options/positional_options.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <optional>
#include <utility>

#include "command_line/command_line.hpp"
#include "command_line/config_file.hpp"
#include "command_line/help.hpp"
#include "command_line/settings.hpp"
#include "lanlord/profile.hpp"

namespace lanlord::cli {

namespace po = boost::program_options;

namespace {

Invocation usage_error(std::string problem, std::string hint) {
  Invocation inv;
  inv.action = Invocation::Action::kUsageError;
  inv.text = std::move(problem);
  inv.help_hint = std::move(hint);
  return inv;
}

Invocation print(std::string text) {
  Invocation inv;
  inv.action = Invocation::Action::kPrint;
  inv.text = std::move(text);
  return inv;
}

std::string help_hint(CommandKind cmd) {
  return std::string("lanlord ") + command_name(cmd) + " --help";
}

// What the command line says, before any config file is read. The first
// of --help and a stray argument decides; what follows it is not looked at.
struct CommandLine {
  bool help = false;
  std::string unexpected;   // a positional argument
  std::string config_path;  // --config
  std::vector<Setting> settings;
};

CommandLine split(const po::parsed_options& parsed) {
  CommandLine out;
  for (const po::option& o : parsed.options) {
    if (o.string_key == "help") {
      out.help = true;
      return out;
    } else if (o.string_key == "unexpected-argument") {
      out.unexpected = o.value.front();
      return out;
    } else if (o.string_key == "config") {
      out.config_path = o.value.front();
    } else {
      out.settings.push_back({o.string_key, o.value.empty() ? std::string() : o.value.front(), {}});
    }
  }
  return out;
}

// The repeatable options that make a list: `channel` and `peers`. A list
// from the command line replaces the environment's and the config file's,
// and the environment's (comma-separated) replaces the config file's.
bool is_list(std::string_view key) {
  return key == "channel" || key == "peers" || key == "etcd-endpoints";
}

// The config file's settings, to be applied before the command line's.
// Repeated `channel` and `peers` lines are the exception: any --channel
// (--peers) on the command line replaces the file's list instead of adding
// to it.
// Two keys are not options: `command` (the lanlord command the file
// configures, for `lanlord --config FILE`; it must match the command
// named) and `exec` (run's command, what follows `--`), given to `exec`.
Status read_config(CommandKind cmd, const std::string& path, const po::options_description& visible,
                   const std::vector<Setting>& command_line, const ReadFile& read,
                   std::vector<Setting>& out, std::optional<Setting>& exec) {
  std::string contents;
  if (Status s = read(path, contents); !s) return s;
  std::vector<ConfigEntry> entries;
  if (Status s = parse_config_text(contents, path, entries); !s) return s;
  const auto on_command_line = [&command_line](std::string_view key) {
    return std::any_of(command_line.begin(), command_line.end(),
                       [key](const Setting& s) { return s.key == key; });
  };
  for (const ConfigEntry& e : entries) {
    const std::string where = path + ":" + std::to_string(e.line);
    if (e.key == "command") {
      if (e.value != command_name(cmd)) {
        return Status::error(where + ": this file configures 'lanlord " + e.value +
                             "' (command = " + e.value + "), not 'lanlord " + command_name(cmd) +
                             "'");
      }
      continue;
    }
    if (e.key == "exec") {
      if (cmd != CommandKind::kRun) {
        return Status::error(where + ": 'exec' is the command of 'lanlord run' (command = run)");
      }
      exec = Setting{e.key, e.value, where};
      continue;
    }
    if (e.key == "config" || e.key == "help" || visible.find_nothrow(e.key, false) == nullptr) {
      return Status::error(where + ": unknown key '" + e.key + "'");
    }
    if (is_list(e.key) && on_command_line(e.key)) continue;
    out.push_back({e.key, e.value, where});
  }
  return Status::ok();
}

using Getenv = std::function<std::optional<std::string>(const char* name)>;

// The variable that sets `option`: LANLORD_ and the option's name in upper
// case, dashes to underscores ("alive-expiration": LANLORD_ALIVE_EXPIRATION).
std::string environment_name(std::string_view option) {
  std::string out = "LANLORD_";
  for (char c : option) {
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// The environment's settings for `cmd`'s options, applied after the config
// file's and before the command line's. Only the options' own variables are
// read: other LANLORD_* names are ignored. `channel` and `peers` take a
// comma-separated list, which replaces the config file's and is replaced by
// any --channel (--peers) on the command line.
Status read_environment(const po::options_description& visible,
                        const std::vector<Setting>& command_line, const Getenv& getenv,
                        std::vector<Setting>& settings) {
  const auto on_command_line = [&command_line](std::string_view key) {
    return std::any_of(command_line.begin(), command_line.end(),
                       [key](const Setting& s) { return s.key == key; });
  };
  for (const auto& option : visible.options()) {
    const std::string& key = option->long_name();
    if (key == "help" || key == "config") continue;
    const std::string name = environment_name(key);
    const std::optional<std::string> value = getenv(name.c_str());
    if (!value) continue;
    if (value->empty()) {
      return Status::error(name + " is set but empty: give it a value or unset it");
    }
    if (!is_list(key)) {
      settings.push_back({key, *value, name});
      continue;
    }
    if (on_command_line(key)) continue;
    std::erase_if(settings, [&key](const Setting& s) { return s.key == key; });
    if (key == "peers" || key == "etcd-endpoints") {  // split and checked as the option's value is
      settings.push_back({key, *value, name});
      continue;
    }
    std::size_t start = 0;
    while (start <= value->size()) {
      const std::size_t comma = std::min(value->find(',', start), value->size());
      const std::string item = value->substr(start, comma - start);
      if (item.empty()) return Status::error(name + ": an empty channel name in '" + *value + "'");
      settings.push_back({key, item, name});
      start = comma + 1;
    }
  }
  return Status::ok();
}

// Parses one command's arguments into settings, the config file's first,
// then the command line's, so that applying them in order lets the
// command line win.
// `applied` gets the settings in the order applied (for the key sources).
Invocation parse_command(CommandKind cmd, const std::vector<std::string>& args,
                         const ReadFile& read, const Getenv& getenv,
                         std::vector<Setting>* applied = nullptr,
                         std::optional<Setting>* exec = nullptr) {
  const std::string hint = help_hint(cmd);
  const po::options_description visible = command_options(cmd);
  po::options_description all = visible;
  all.add_options()("unexpected-argument", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("unexpected-argument", -1);

  po::parsed_options parsed(&all);
  try {
    // No guessing of abbreviated options: scripts should break loudly
    // rather than change meaning when an option is added.
    parsed = po::command_line_parser(args)
                 .options(all)
                 .positional(positional)
                 .style(po::command_line_style::unix_style ^ po::command_line_style::allow_guessing)
                 .run();
  } catch (const po::error& e) {
    return usage_error(e.what(), hint);
  }

  const CommandLine command_line = split(parsed);
  if (command_line.help) return print(command_help(cmd, visible));
  if (!command_line.unexpected.empty()) {
    return usage_error("unexpected argument '" + command_line.unexpected + "'", hint);
  }
  std::vector<Setting> settings;
  std::string config_path = command_line.config_path;
  if (config_path.empty()) {
    const std::optional<std::string> from_env = getenv("LANLORD_CONFIG");
    if (from_env && from_env->empty()) {
      return usage_error("LANLORD_CONFIG is set but empty: name a config file or unset it", hint);
    }
    if (from_env) config_path = *from_env;
  }
  if (!config_path.empty()) {
    std::optional<Setting> file_exec;
    if (Status s = read_config(cmd, config_path, visible, command_line.settings, read, settings,
                               file_exec);
        !s) {
      return usage_error(s.message(), hint);
    }
    if (exec != nullptr) *exec = std::move(file_exec);
  }
  if (Status s = read_environment(visible, command_line.settings, getenv, settings); !s) {
    return usage_error(s.message(), hint);
  }
  settings.insert(settings.end(), command_line.settings.begin(), command_line.settings.end());

  Invocation inv;
  if (Status s = apply_settings(cmd, settings, inv.options); !s) {
    return usage_error(s.message(), hint);
  }
  inv.action = Invocation::Action::kRun;
  if (applied != nullptr) *applied = std::move(settings);
  return inv;
}

// The node's keys: --key-file on the command line, else LANLORD_KEY, else
// a config file's key-file (command line > environment > config file).
// The library's messages name the file or the variable, never key material.
Status resolve_keys(const std::vector<Setting>& settings, const KeySources& sources,
                    NodeConfig& node, KeyOrigin& origin) {
  const Setting* file = nullptr;  // the last one wins, as for every setting
  for (const Setting& s : settings) {
    if (s.key == "key-file") file = &s;
  }
  if (file != nullptr && file->value.empty()) {
    return Status::error((file->from_command_line() ? "--key-file" : file->where + ": key-file") +
                         std::string(": name the keyring file"));
  }
  const std::optional<std::string> env = sources.getenv(kKeyEnvironmentVariable);
  if (file != nullptr && env && file->where == "LANLORD_KEY_FILE") {
    return Status::error(std::string("both ") + kKeyEnvironmentVariable +
                         " and LANLORD_KEY_FILE are set: keep one");
  }
  origin = {};
  if (file != nullptr && (file->from_command_line() || !env)) {
    Result<Keyring> keys = sources.load_file(file->value);
    if (!keys) return keys.status();
    node.keys = std::move(*keys);
    origin.key_file = file->value;
  } else if (env) {
    // Set but empty is more likely a script's mistake than a wish to run
    // without a key: say so rather than run unauthenticated.
    if (env->empty()) {
      return Status::error(std::string(kKeyEnvironmentVariable) +
                           " is set but empty: give it a key (lanlord keygen) or unset it");
    }
    Result<Keyring> keys = Keyring::from_base64(*env);
    if (!keys) return keys.status();
    node.keys = std::move(*keys);
    origin.from_environment = true;
  }
  if (node.encrypt && !node.keys) {
    return Status::error(std::string("--encrypt needs a key: give --key-file FILE or set ") +
                         kKeyEnvironmentVariable);
  }
  return Status::ok();
}

// The rules that look at several settings at once: the backend first (its
// refusals are clearer than a key file's or an address's complaint), then
// the keys and the unicast mode.
Status resolve_node(const std::vector<Setting>& settings, const KeySources& keys, NodeConfig& node,
                    KeyOrigin& origin) {
  const bool key_in_environment = keys.getenv(kKeyEnvironmentVariable).has_value();
  if (Status s = resolve_backend(settings, key_in_environment, node); !s) return s;
  if (Status s = resolve_keys(settings, keys, node, origin); !s) return s;
  return resolve_unicast(settings, node);
}

// The effective timings, checked in the terms the user typed them in
// ("--alive-expiration must exceed --heartbeat"). An unknown profile is
// left to validate_config().
Status check_timings(const NodeConfig& config) {
  std::optional<Profile> profile = find_profile(config.profile);
  if (!profile) return Status::ok();
  apply_overrides(config.timings, *profile);
  return validate_timings(*profile, KnobNames::kFlags);
}

// Settings that are fine one by one may still be wrong together (a group
// that is not multicast, alive-expiration not above heartbeat): the
// library's own checks say which, without touching the network.
Invocation checked(Invocation inv, const NodeConfig& config, CommandKind cmd) {
  if (Status s = check_timings(config); !s) return usage_error(s.message(), help_hint(cmd));
  if (Status s = validate_config(config); !s) return usage_error(s.message(), help_hint(cmd));
  return inv;
}

Invocation parse_join(const std::vector<std::string>& args, const ReadFile& read,
                      const KeySources& keys) {
  std::vector<Setting> settings;
  Invocation inv = parse_command(CommandKind::kJoin, args, read, keys.getenv, &settings);
  auto* o = std::get_if<JoinOptions>(&inv.options);
  if (o == nullptr) return inv;
  if (Status s = resolve_node(settings, keys, o->node, o->key_origin); !s) {
    return usage_error(s.message(), help_hint(CommandKind::kJoin));
  }
  const NodeConfig config = o->node;
  return checked(std::move(inv), config, CommandKind::kJoin);
}

Invocation parse_watch(const std::vector<std::string>& args, const ReadFile& read,
                       const KeySources& keys) {
  std::vector<Setting> settings;
  Invocation inv = parse_command(CommandKind::kWatch, args, read, keys.getenv, &settings);
  auto* o = std::get_if<WatchOptions>(&inv.options);
  if (o == nullptr) return inv;
  if (Status s = resolve_node(settings, keys, o->node, o->key_origin); !s) {
    return usage_error(s.message(), help_hint(CommandKind::kWatch));
  }
  o->node.passive = true;
  const NodeConfig config = o->node;
  return checked(std::move(inv), config, CommandKind::kWatch);
}

// `run`: join's options, then "--" and the command. Everything after the
// first "--" is the command, taken as it is (it may have options of its
// own, or a "--" of its own).
Invocation parse_run(const std::vector<std::string>& args, const ReadFile& read,
                     const KeySources& keys) {
  const std::string hint = help_hint(CommandKind::kRun);
  const auto dashes = std::find(args.begin(), args.end(), std::string("--"));
  const std::vector<std::string> options(args.begin(), dashes);
  std::vector<Setting> settings;
  std::optional<Setting> exec;  // a config file's command
  Invocation inv = parse_command(CommandKind::kRun, options, read, keys.getenv, &settings, &exec);
  if (inv.action == Invocation::Action::kUsageError &&
      inv.text.starts_with("unexpected argument")) {
    inv.text += ": the command goes after '--'";
  }
  auto* o = std::get_if<RunOptions>(&inv.options);
  if (o == nullptr) return inv;  // help, or a usage error in the options
  if (dashes != args.end()) {
    o->command.assign(dashes + 1, args.end());
  } else if (exec) {
    Result<std::vector<std::string>> words = split_words(exec->value);
    if (!words) return usage_error(exec->where + ": exec: " + words.status().message(), hint);
    o->command = std::move(*words);
  }
  if (o->command.empty()) {
    return usage_error(
        "missing the command: give it after '--', e.g. lanlord run --channel "
        "billing -- /usr/bin/worker --queue billing (or 'exec = ...' in a config file)",
        hint);
  }
  if (o->node.channels.empty()) {
    return usage_error("--channel is required: the channel whose leader runs the command", hint);
  }
  if (o->node.channels.size() > 1) {
    std::string names;
    for (const std::string& c : o->node.channels) names += (names.empty() ? "" : ", ") + c;
    return usage_error("run takes exactly one --channel, not " +
                           std::to_string(o->node.channels.size()) + " (" + names + ")",
                       hint);
  }
  if (Status s = resolve_node(settings, keys, o->node, o->key_origin); !s) {
    return usage_error(s.message(), hint);
  }
  const NodeConfig config = o->node;
  return checked(std::move(inv), config, CommandKind::kRun);
}

Invocation parse_demo(const std::vector<std::string>& args, const ReadFile& read,
                      const KeySources& keys) {
  Invocation inv = parse_command(CommandKind::kDemo, args, read, keys.getenv);
  const auto* o = std::get_if<DemoOptions>(&inv.options);
  if (o == nullptr) return inv;
  NodeConfig probe;  // what every demo node shares
  probe.id = "demo";
  probe.group = o->group;
  probe.port = o->port;
  probe.profile = o->profile;
  return checked(std::move(inv), probe, CommandKind::kDemo);
}

Invocation parse_keygen(const std::vector<std::string>& args, const ReadFile& read,
                        const KeySources& keys) {
  Invocation inv = parse_command(CommandKind::kKeygen, args, read, keys.getenv);
  const auto* o = std::get_if<KeygenOptions>(&inv.options);
  if (o != nullptr && o->force && o->output.empty()) {
    return usage_error("--force replaces an --output file; without --output there is none",
                       help_hint(CommandKind::kKeygen));
  }
  return inv;
}

// `lanlord leader`: parsed as watch is (network, keys), passive.
Invocation parse_leader(const std::vector<std::string>& args, const ReadFile& read,
                        const KeySources& keys) {
  std::vector<Setting> settings;
  Invocation inv = parse_command(CommandKind::kLeader, args, read, keys.getenv, &settings);
  auto* o = std::get_if<LeaderOptions>(&inv.options);
  if (o == nullptr) return inv;
  if (Status s = resolve_node(settings, keys, o->node, o->key_origin); !s) {
    return usage_error(s.message(), help_hint(CommandKind::kLeader));
  }
  o->node.passive = true;
  const NodeConfig config = o->node;
  return checked(std::move(inv), config, CommandKind::kLeader);
}

}  // namespace

namespace {

// `lanlord --config FILE [OPTION...]`: the command the file names
// (`command = join|run|watch`, join when absent), as if it came first.
// This is how a systemd unit runs any instance with one ExecStart.
Invocation parse_by_config(const std::vector<std::string>& args, std::string_view version,
                           const ReadFile& read, const KeySources& keys) {
  const std::string hint = "lanlord --help";
  std::string path;
  if (args.front() == "--config") {
    if (args.size() < 2) return usage_error("--config needs a file", hint);
    path = args[1];
  } else {
    path = args.front().substr(std::string_view("--config=").size());
  }
  std::string contents;
  std::vector<ConfigEntry> entries;
  if (Status s = read(path, contents); !s) return usage_error(s.message(), hint);
  if (Status s = parse_config_text(contents, path, entries); !s) {
    return usage_error(s.message(), hint);
  }
  std::string command = "join";
  for (const ConfigEntry& e : entries) {
    if (e.key != "command") continue;
    if (e.value != "join" && e.value != "run" && e.value != "watch") {
      return usage_error(path + ":" + std::to_string(e.line) + ": command = " + e.value +
                             ": a config file can start join, run or watch",
                         hint);
    }
    command = e.value;
  }
  std::vector<std::string> with_command = {command};
  with_command.insert(with_command.end(), args.begin(), args.end());
  return parse_command_line(with_command, version, read, keys);
}

}  // namespace

std::optional<std::string> KeySources::read_environment(const char* name) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before any thread
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Invocation parse_command_line(const std::vector<std::string>& args, std::string_view version,
                              const ReadFile& read, const KeySources& keys) {
  if (args.empty()) {
    return usage_error("missing command (join, watch, leader, run, demo or keygen)",
                       "lanlord --help");
  }
  const std::string& first = args.front();
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (first == "--help" || first == "-h" || first == "help") {
    if (first == "help" && !rest.empty())
      return parse_command_line({rest.front(), "--help"}, version, read, keys);
    return print(main_help(version));
  }
  if (first == "--version" || first == "-V") return print("lanlord " + std::string(version) + "\n");
  if (first == "--config" || first.starts_with("--config="))
    return parse_by_config(args, version, read, keys);
  if (first == "join") return parse_join(rest, read, keys);
  if (first == "watch") return parse_watch(rest, read, keys);
  if (first == "demo") return parse_demo(rest, read, keys);
  if (first == "keygen") return parse_keygen(rest, read, keys);
  if (first == "leader") return parse_leader(rest, read, keys);
  if (first == "run") return parse_run(rest, read, keys);
  if (first.starts_with("-"))
    return usage_error("unknown option '" + first + "'", "lanlord --help");
  return usage_error("unknown command '" + first + "' (join, watch, leader, run, demo or keygen)",
                     "lanlord --help");
}

Duration etcd_answer_limit(const NodeConfig& node) {
  const auto tries =
      static_cast<Duration::rep>(std::max<std::size_t>(node.etcd.endpoints.size(), 1));
  return node.etcd.request_timeout * (tries + 1);
}

Duration once_wait(const WatchOptions& options) {
  if (options.wait) return *options.wait;
  if (options.node.backend == Backend::kEtcd) return etcd_answer_limit(options.node);
  const Result<Profile> resolved = resolve_profile(options.node);  // the parser checked it
  const Profile p = resolved ? *resolved : default_profile();
  // Every live member has heartbeated within one alive_expiration; with
  // rate classes an idle member only within its idle interval (plus a fast
  // one, for the phase of its heartbeats and their delivery).
  const MembershipConfig& m = p.membership;
  const Duration heard = std::max(m.alive_expiration, m.max_interval() + m.heartbeat_interval) +
                         p.election.declaration_interval();
  // Unicast: members send to this observer only once they know it, which
  // the seeds learn from its first heartbeat and pass on in their next
  // ones (an idle seed's may be one idle interval away).
  return options.node.multicast ? heard : heard + m.max_interval();
}

}  // namespace lanlord::cli

namespace lanlord::cli {

Duration leader_wait(const LeaderOptions& options) {
  WatchOptions watch;
  watch.node = options.node;
  watch.wait = options.wait;
  return once_wait(watch);
}

}  // namespace lanlord::cli
