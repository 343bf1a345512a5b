// The command line and config files, without running anything.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "command_line/command_line.hpp"
#include "commands/supervisor.hpp"

using namespace std::chrono_literals;
using lanlord::Duration;
using lanlord::Status;
using namespace lanlord::cli;

namespace {

// Config files come from this map instead of the disk.
struct FakeFiles {
  std::map<std::string, std::string> files;
  ReadFile reader() const {
    return [this](const std::string& path, std::string& out) {
      const auto it = files.find(path);
      if (it == files.end()) return Status::error("cannot read config file " + path);
      out = it->second;
      return Status::ok();
    };
  }
};

// Keys come from these instead of the disk and the environment (so a
// LANLORD_KEY in the test's environment changes nothing).
struct FakeKeys {
  std::map<std::string, lanlord::Result<lanlord::Keyring>> files;
  std::optional<std::string> environment;
  std::map<std::string, std::string> variables;  // every other LANLORD_* variable
  KeySources sources() const {
    KeySources k;
    k.load_file = [this](const std::string& path) -> lanlord::Result<lanlord::Keyring> {
      const auto it = files.find(path);
      if (it == files.end()) return Status::error(path + ": no such keyring file");
      return it->second;
    };
    k.getenv = [this](const char* name) -> std::optional<std::string> {
      if (std::string(name) == kKeyEnvironmentVariable) return environment;
      const auto it = variables.find(name);
      if (it == variables.end()) return std::nullopt;
      return it->second;
    };
    return k;
  }
};

Invocation parse(const std::vector<std::string>& args, const FakeFiles& files = {},
                 const FakeKeys& keys = {}) {
  return parse_command_line(args, "9.8.7", files.reader(), keys.sources());
}

JoinOptions join(const std::vector<std::string>& args, const FakeFiles& files = {}) {
  std::vector<std::string> full = {"join"};
  full.insert(full.end(), args.begin(), args.end());
  const Invocation inv = parse(full, files);
  INFO("error: " << inv.text);
  REQUIRE(inv.action == Invocation::Action::kRun);
  return std::get<JoinOptions>(inv.options);
}

// The usage error's message (empty if parsing succeeded).
std::string usage_error(const std::vector<std::string>& args, const FakeFiles& files = {},
                        const FakeKeys& keys = {}) {
  const Invocation inv = parse(args, files, keys);
  if (inv.action != Invocation::Action::kUsageError) return "";
  CHECK(inv.text.find('\n') == std::string::npos);
  CHECK_FALSE(inv.help_hint.empty());
  return inv.text;
}

}  // namespace

TEST_CASE("config text: key = value lines, comment lines, blanks, trimming") {
  std::vector<ConfigEntry> entries;
  const Status s = parse_config_text(
      "# lanlord\n\n  port = 7000  \nchannel=a\r\n\t# indented comment\nmetadata = x = y\nid =\n",
      "n.conf", entries);
  REQUIRE(s.is_ok());
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].key == "port");
  CHECK(entries[0].value == "7000");
  CHECK(entries[0].line == 3);
  CHECK(entries[1].value == "a");
  CHECK(entries[2].key == "metadata");
  CHECK(entries[2].value == "x = y");
  CHECK(entries[3].value.empty());
}

TEST_CASE("config text errors name the file and line") {
  std::vector<ConfigEntry> entries;
  Status s = parse_config_text("port = 1\njust words\n", "n.conf", entries);
  CHECK(s.message().find("n.conf:2: expected 'key = value'") == 0);
  s = parse_config_text("= 5\n", "n.conf", entries);
  CHECK(s.message().find("n.conf:1: missing key") == 0);
  s = parse_config_text("--port = 5\n", "n.conf", entries);
  CHECK(s.message().find("n.conf:1: write the key without dashes") == 0);
}

TEST_CASE("--version, --help and help COMMAND print and succeed") {
  Invocation inv = parse({"--version"});
  CHECK(inv.action == Invocation::Action::kPrint);
  CHECK(inv.text == "lanlord 9.8.7\n");
  inv = parse({"--help"});
  CHECK(inv.action == Invocation::Action::kPrint);
  CHECK(inv.text.find("join") != std::string::npos);
  inv = parse({"help", "watch"});
  CHECK(inv.action == Invocation::Action::kPrint);
  CHECK(inv.text.find("Usage: lanlord watch") == 0);
  inv = parse({"demo", "-h"});
  CHECK(inv.text.find("Usage: lanlord demo") == 0);
  // --help wins over anything else on the line, even a bad value.
  inv = parse({"join", "--port", "nope", "--help"});
  CHECK(inv.action == Invocation::Action::kPrint);
}

TEST_CASE("join defaults: a host-random id, channel default, loopback, the lan profile") {
  const JoinOptions o = join({});
  const lanlord::NodeConfig d;
  // <host>-<6 hex digits>: random, so two processes never share a default
  // id, even in containers with their own PID namespaces.
  const std::string id = o.node.id;
  REQUIRE(id.size() > 7);
  CHECK(id[id.size() - 7] == '-');
  CHECK(id.find_first_not_of("0123456789abcdef", id.size() - 6) == std::string::npos);
  CHECK(id.substr(0, id.size() - 7) ==
        lanlord::default_node_id().substr(0, lanlord::default_node_id().size() - 7));
  int same = 0;
  for (int i = 0; i < 8; ++i) same += lanlord::default_node_id() == id ? 1 : 0;
  CHECK(same < 2);
  CHECK(o.node.channels == std::vector<std::string>{"default"});
  CHECK(o.node.interface_name == "lo");
  CHECK(o.node.group == d.group);
  CHECK(o.node.port == d.port);
  CHECK(o.node.profile == "lan");
  CHECK_FALSE(o.node.passive);
  CHECK_FALSE(o.output.json);
  CHECK_FALSE(o.output.verbose);
}

TEST_CASE("join takes every option") {
  const JoinOptions o = join({"--id",
                              "n1",
                              "--cluster",
                              "c",
                              "--channel",
                              "a",
                              "--channel",
                              "b",
                              "--channel",
                              "a",
                              "--group",
                              "ff15::76",
                              "--port",
                              "9000",
                              "--interface",
                              "::1",
                              "--ttl",
                              "0",
                              "--profile",
                              "fast",
                              "--heartbeat",
                              "50ms",
                              "--alive-expiration",
                              "200ms",
                              "--startup-grace",
                              "2s",
                              "--sample-interval",
                              "100ms",
                              "--leader-alive=3s",
                              "--election-duration",
                              "0.2s",
                              "--forget-after",
                              "1.5m",
                              "--metadata",
                              "host:80",
                              "--json",
                              "--verbose"});
  CHECK(o.node.id == "n1");
  CHECK(o.node.cluster == "c");
  CHECK(o.node.channels == std::vector<std::string>{"a", "b"});
  CHECK(o.node.group == "ff15::76");
  CHECK(o.node.port == 9000);
  CHECK(o.node.interface_name == "::1");
  CHECK(o.node.ttl == 0);
  CHECK(o.node.profile == "fast");
  CHECK(o.node.timings.heartbeat_interval == 50ms);
  CHECK(o.node.timings.alive_expiration == 200ms);
  CHECK(o.node.timings.startup_grace == 2s);
  CHECK(o.node.timings.sample_interval == 100ms);
  CHECK(o.node.timings.leader_alive == 3s);
  CHECK(o.node.timings.election_duration == 200ms);
  CHECK(o.node.timings.forget_after == 90s);
  CHECK(o.node.metadata == "host:80");
  CHECK(o.output.json);
  CHECK(o.output.verbose);
}

TEST_CASE("a repeated scalar option: the last one wins") {
  CHECK(join({"--port", "9000", "--port", "9001"}).node.port == 9001);
}

TEST_CASE("usage errors name the problem") {
  CHECK(usage_error({}).find("missing command") != std::string::npos);
  CHECK(usage_error({"frob"}).find("unknown command 'frob'") != std::string::npos);
  CHECK(usage_error({"--frob"}).find("unknown option '--frob'") != std::string::npos);
  CHECK(usage_error({"join", "--frob"}).find("--frob") != std::string::npos);
  // No guessing: an abbreviation is not an option.
  CHECK(usage_error({"join", "--verb"}).find("--verb") != std::string::npos);
  CHECK(usage_error({"join", "x"}).find("unexpected argument 'x'") != std::string::npos);
  CHECK(usage_error({"join", "--port"}).find("--port") != std::string::npos);
  CHECK(usage_error({"join", "--port", "0"}).find("--port: '0' is not a port") == 0);
  CHECK(usage_error({"join", "--port", "7e3"}).find("not a port") != std::string::npos);
  CHECK(usage_error({"join", "--ttl", "256"}).find("--ttl") == 0);
  CHECK(usage_error({"join", "--heartbeat", "1"}).find("--heartbeat: bad duration '1'") == 0);
  CHECK(usage_error({"join", "--profile", "slow"}).find("unknown profile 'slow'") !=
        std::string::npos);
  CHECK(usage_error({"join", "--group", "127.0.0.1"}).find("not a multicast address") !=
        std::string::npos);
  CHECK(usage_error({"join", "--group", "not-an-address"}).find("not-an-address") !=
        std::string::npos);
  CHECK(usage_error({"join", "--id", ""}).find("id") != std::string::npos);
  CHECK(usage_error({"watch", "--id", "x"}).find("--id") != std::string::npos);
  CHECK(usage_error({"demo", "--nodes", "1"}).find("--nodes") == 0);
  CHECK(usage_error({"demo", "--nodes", "65"}).find("--nodes") == 0);
  CHECK(usage_error({"demo", "--group", "127.0.0.1"}).find("multicast") != std::string::npos);
}

TEST_CASE("timings wrong together are reported in the options' names") {
  const std::string e = usage_error({"join", "--heartbeat", "1s", "--alive-expiration", "500ms"});
  CHECK(e.find("--alive-expiration must exceed --heartbeat") != std::string::npos);
  CHECK(e.find("alive_expiration") == std::string::npos);
  // The profile's value is named by its option too, with the values.
  CHECK(usage_error({"watch", "--profile", "fast", "--heartbeat", "1s"}) ==
        "--alive-expiration must exceed --heartbeat, or members die between two heartbeats "
        "(--alive-expiration 250ms, --heartbeat 1s)");
}

TEST_CASE("every timing knob is an option of join and watch and a config-file key") {
  FakeFiles files;
  for (const lanlord::TimingKnob& k : lanlord::timing_knobs()) {
    CAPTURE(k.flag);
    const std::string flag = "--" + std::string(k.flag);
    const std::string file = std::string(k.flag) + ".conf";
    files.files[file] = std::string(k.flag) + " = 42s\n";
    // Large enough for every knob, with an alive-expiration above it.
    const std::vector<std::string> room = {"--alive-expiration", "43s", "--profile", "fabric"};
    for (const char* command : {"join", "watch"}) {
      std::vector<std::string> args = {command, flag, "42s"};
      args.insert(args.end(), room.begin(), room.end());
      const Invocation inv = parse(args);
      INFO(inv.text);
      REQUIRE(inv.action == Invocation::Action::kRun);
      const lanlord::NodeConfig& node = std::string(command) == "join"
                                            ? std::get<JoinOptions>(inv.options).node
                                            : std::get<WatchOptions>(inv.options).node;
      if (k.flag != "alive-expiration") CHECK(node.timings.*k.override == Duration(42s));
      CHECK(usage_error({command, flag, "42"}).find(flag + ": bad duration '42'") == 0);
    }
    const JoinOptions o =
        join({"--config", file, "--profile", "fabric", "--alive-expiration", "43s"}, files);
    if (k.flag != "alive-expiration") CHECK(o.node.timings.*k.override == Duration(42s));
  }
  CHECK(usage_error({"demo", "--heartbeat", "1s"}).find("--heartbeat") != std::string::npos);
}

TEST_CASE("a config file supplies settings and the command line wins") {
  FakeFiles files;
  files.files["n.conf"] =
      "# billing node\n"
      "id = billing-1\n"
      "port = 9000\n"
      "profile = fast\n"
      "channel = billing\n"
      "channel = audit\n"
      "heartbeat = 50ms\n"
      "json = yes\n";
  JoinOptions o = join({"--config", "n.conf"}, files);
  CHECK(o.node.id == "billing-1");
  CHECK(o.node.port == 9000);
  CHECK(o.node.profile == "fast");
  CHECK(o.node.channels == std::vector<std::string>{"billing", "audit"});
  CHECK(o.node.timings.heartbeat_interval == 50ms);
  CHECK(o.output.json);

  o = join({"--port", "9001", "--config", "n.conf", "--channel", "x"}, files);
  CHECK(o.node.port == 9001);
  CHECK(o.node.id == "billing-1");
  // Channels from the command line replace the file's, not add to them.
  CHECK(o.node.channels == std::vector<std::string>{"x"});
}

TEST_CASE("config file errors name the file and line") {
  FakeFiles files;
  files.files["bad-key.conf"] = "port = 9000\n\nheartbeet = 1s\n";
  files.files["bad-value.conf"] = "# x\nheartbeat = 1\n";
  files.files["bad-flag.conf"] = "json = maybe\n";
  files.files["nested.conf"] = "config = other.conf\n";
  files.files["syntax.conf"] = "port 9000\n";
  files.files["watch-only.conf"] = "once = true\n";
  CHECK(usage_error({"join", "--config", "bad-key.conf"}, files) ==
        "bad-key.conf:3: unknown key 'heartbeet'");
  CHECK(usage_error({"join", "--config", "bad-value.conf"}, files)
            .find("bad-value.conf:2: heartbeat: bad duration '1'") == 0);
  CHECK(usage_error({"join", "--config", "bad-flag.conf"}, files)
            .find("bad-flag.conf:1: json: 'maybe' is not true or false") == 0);
  CHECK(usage_error({"join", "--config", "nested.conf"}, files)
            .find("nested.conf:1: unknown key 'config'") == 0);
  CHECK(usage_error({"join", "--config", "syntax.conf"}, files).find("syntax.conf:1:") == 0);
  CHECK(usage_error({"join", "--config", "watch-only.conf"}, files).find("unknown key 'once'") !=
        std::string::npos);
  CHECK(usage_error({"join", "--config", "missing.conf"}, files).find("missing.conf") !=
        std::string::npos);
}

TEST_CASE("watch is passive, and --channel names channels that must have a leader") {
  const Invocation inv = parse({"watch", "--once", "--channel", "billing", "--profile", "fast"});
  REQUIRE(inv.action == Invocation::Action::kRun);
  const WatchOptions& o = std::get<WatchOptions>(inv.options);
  CHECK(o.node.passive);
  CHECK(o.node.id.empty());
  CHECK(o.once);
  CHECK(o.expect_channels == std::vector<std::string>{"billing"});
  // One idle heartbeat interval and a heartbeat (rate classes; longer than
  // alive-expiration) plus one declaration interval (leader-alive / 2).
  CHECK(once_wait(o) == 1100ms + 500ms);
}

TEST_CASE("watch --once waits for the effective timings, or for --wait") {
  Invocation inv = parse(
      {"watch", "--once", "--profile", "fast", "--alive-expiration", "1s", "--leader-alive", "4s"});
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(once_wait(std::get<WatchOptions>(inv.options)) == 1100ms + 2s);
  inv = parse({"watch", "--once", "--profile", "fast", "--alive-expiration", "2s"});
  CHECK(once_wait(std::get<WatchOptions>(inv.options)) == 2s + 500ms);
  inv = parse({"watch", "--once"});
  CHECK(once_wait(std::get<WatchOptions>(inv.options)) == 6s + 2500ms);  // lan: 5s idle + 1s
  inv = parse({"watch", "--once", "--wait", "250ms"});
  CHECK(once_wait(std::get<WatchOptions>(inv.options)) == 250ms);
}

TEST_CASE("demo defaults: 5 nodes, the fast profile") {
  Invocation inv = parse({"demo"});
  REQUIRE(inv.action == Invocation::Action::kRun);
  DemoOptions o = std::get<DemoOptions>(inv.options);
  CHECK(o.nodes == 5);
  CHECK(o.profile == "fast");
  inv = parse({"demo", "--nodes", "12", "--profile", "lan", "--json", "--port", "9000"});
  REQUIRE(inv.action == Invocation::Action::kRun);
  o = std::get<DemoOptions>(inv.options);
  CHECK(o.nodes == 12);
  CHECK(o.profile == "lan");
  CHECK(o.port == 9000);
  CHECK(o.output.json);
}

namespace {

lanlord::Keyring make_keyring(int keys) {
  std::string text;
  for (int i = 0; i < keys; ++i) text += lanlord::Keyring::generate_key() + "\n";
  return lanlord::Keyring::parse(text, "test").value();
}

std::uint32_t primary_of(const lanlord::NodeConfig& node) {
  REQUIRE(node.keys.has_value());
  return node.keys->primary().id;
}

}  // namespace

TEST_CASE("trust options: defaults, values, and bad values are usage errors") {
  const lanlord::TrustConfig d;
  JoinOptions o = join({});
  CHECK_FALSE(o.node.keys.has_value());
  CHECK_FALSE(o.node.encrypt);
  CHECK(o.node.trust.max_clock_skew == 30s);
  CHECK(o.node.trust.max_members == 4096);
  CHECK(o.node.trust.new_ids_per_second == 2000);
  CHECK(d.max_clock_skew == 30s);  // the help's defaults are the library's

  o = join({"--max-clock-skew", "1.5s", "--max-members", "64", "--new-ids-per-second", "10"});
  CHECK(o.node.trust.max_clock_skew == 1500ms);
  CHECK(o.node.trust.max_members == 64);
  CHECK(o.node.trust.new_ids_per_second == 10);
  const Invocation watch = parse({"watch", "--max-members", "7"});
  REQUIRE(watch.action == Invocation::Action::kRun);
  CHECK(std::get<WatchOptions>(watch.options).node.trust.max_members == 7);

  CHECK(usage_error({"join", "--max-clock-skew", "30"}).find("--max-clock-skew: bad duration") ==
        0);
  CHECK(usage_error({"join", "--max-clock-skew", "0s"}).find("--max-clock-skew") == 0);
  CHECK(usage_error({"join", "--max-members", "0"}) ==
        "--max-members: '0' is not a member count (1-1000000)");
  CHECK(usage_error({"join", "--max-members", "many"}).find("--max-members") == 0);
  CHECK(usage_error({"watch", "--new-ids-per-second", "0"}).find("--new-ids-per-second") == 0);
  CHECK(usage_error({"join", "--new-ids-per-second", "-1"}).find("not a rate") !=
        std::string::npos);
  CHECK(usage_error({"demo", "--max-members", "5"}).find("--max-members") != std::string::npos);

  FakeFiles files;
  files.files["t.conf"] = "max-clock-skew = 5s\nmax-members = 100\nnew-ids-per-second = 50\n";
  o = join({"--config", "t.conf", "--max-members", "200"}, files);
  CHECK(o.node.trust.max_clock_skew == 5s);
  CHECK(o.node.trust.max_members == 200);
  CHECK(o.node.trust.new_ids_per_second == 50);
}

TEST_CASE("--key-file loads the keyring, and its errors are usage errors in the library's words") {
  FakeKeys keys;
  keys.files.emplace("/k/cluster.key", make_keyring(2));
  keys.files.emplace("/k/open.key",
                     lanlord::Result<lanlord::Keyring>(Status::error(
                         "/k/open.key: mode 0644 lets group or others read or write the keyring; "
                         "restrict it with `chmod 600 /k/open.key`")));
  const Invocation inv = parse({"join", "--key-file", "/k/cluster.key"}, {}, keys);
  INFO(inv.text);
  REQUIRE(inv.action == Invocation::Action::kRun);
  const JoinOptions& o = std::get<JoinOptions>(inv.options);
  REQUIRE(o.node.keys.has_value());
  CHECK(o.node.keys->size() == 2);
  CHECK(o.key_origin.key_file == "/k/cluster.key");
  CHECK_FALSE(o.key_origin.from_environment);

  CHECK(usage_error({"join", "--key-file", "/k/open.key"}, {}, keys).find("chmod 600") !=
        std::string::npos);
  CHECK(usage_error({"watch", "--key-file", "/k/missing.key"}, {}, keys) ==
        "/k/missing.key: no such keyring file");
  CHECK(usage_error({"join", "--key-file", ""}, {}, keys).find("--key-file") == 0);

  // watch takes the same key options as join.
  const Invocation watch = parse({"watch", "--key-file", "/k/cluster.key", "--encrypt"}, {}, keys);
  REQUIRE(watch.action == Invocation::Action::kRun);
  CHECK(std::get<WatchOptions>(watch.options).node.keys.has_value());
  CHECK(std::get<WatchOptions>(watch.options).node.encrypt);
}

TEST_CASE("key precedence: --key-file, then LANLORD_KEY, then a config file's key-file") {
  FakeKeys keys;
  const lanlord::Keyring from_file = make_keyring(1);
  const lanlord::Keyring from_config = make_keyring(1);
  keys.files.emplace("cli.key", from_file);
  keys.files.emplace("conf.key", from_config);
  const std::string env_key = lanlord::Keyring::generate_key();
  const std::uint32_t env_id = lanlord::Keyring::from_base64(env_key)->primary().id;
  FakeFiles files;
  files.files["n.conf"] = "key-file = conf.key\nencrypt = yes\n";

  // The config file alone.
  Invocation inv = parse({"join", "--config", "n.conf"}, files, keys);
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(primary_of(std::get<JoinOptions>(inv.options).node) == from_config.primary().id);
  CHECK(std::get<JoinOptions>(inv.options).node.encrypt);
  CHECK(std::get<JoinOptions>(inv.options).key_origin.key_file == "conf.key");

  // The environment wins over the config file.
  keys.environment = env_key;
  inv = parse({"join", "--config", "n.conf"}, files, keys);
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(primary_of(std::get<JoinOptions>(inv.options).node) == env_id);
  CHECK(std::get<JoinOptions>(inv.options).key_origin.from_environment);
  CHECK(std::get<JoinOptions>(inv.options).key_origin.key_file.empty());

  // The command line wins over both.
  inv = parse({"join", "--config", "n.conf", "--key-file", "cli.key"}, files, keys);
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(primary_of(std::get<JoinOptions>(inv.options).node) == from_file.primary().id);
  CHECK(std::get<JoinOptions>(inv.options).key_origin.key_file == "cli.key");

  // The environment alone; a bad one is a usage error naming the variable.
  inv = parse({"watch"}, {}, keys);
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(primary_of(std::get<WatchOptions>(inv.options).node) == env_id);
  keys.environment = "not base64!";
  CHECK(usage_error({"join"}, {}, keys).find("LANLORD_KEY") != std::string::npos);
  keys.environment = "";
  CHECK(usage_error({"join"}, {}, keys).find("LANLORD_KEY is set but empty") == 0);
}

TEST_CASE("--encrypt needs a key") {
  FakeKeys keys;
  keys.files.emplace("c.key", make_keyring(1));
  CHECK(usage_error({"join", "--encrypt"}, {}, keys) ==
        "--encrypt needs a key: give --key-file FILE or set LANLORD_KEY");
  CHECK(usage_error({"watch", "--encrypt"}, {}, keys).find("--encrypt needs a key") == 0);
  const Invocation inv = parse({"join", "--encrypt", "--key-file", "c.key"}, {}, keys);
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(std::get<JoinOptions>(inv.options).node.encrypt);
}

TEST_CASE("keygen: stdout by default, --output FILE, --force only with --output") {
  Invocation inv = parse({"keygen"});
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(std::get<KeygenOptions>(inv.options).output.empty());
  inv = parse({"keygen", "--output", "/tmp/k", "--force"});
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(std::get<KeygenOptions>(inv.options).output == "/tmp/k");
  CHECK(std::get<KeygenOptions>(inv.options).force);
  CHECK(usage_error({"keygen", "--force"}).find("--force") == 0);
  CHECK(usage_error({"keygen", "--output"}).find("--output") != std::string::npos);
  CHECK(usage_error({"keygen", "--key-file", "x"}).find("--key-file") != std::string::npos);
  CHECK(usage_error({"keygen", "extra"}).find("unexpected argument 'extra'") == 0);
  inv = parse({"keygen", "--help"});
  CHECK(inv.action == Invocation::Action::kPrint);
  CHECK(inv.text.find("Usage: lanlord keygen") == 0);
  CHECK(inv.text.find("0600") != std::string::npos);
  CHECK(inv.text.find("--force") != std::string::npos);
  CHECK(inv.text.find("LANLORD_OUTPUT") != std::string::npos);
  // As the help says: the variables set keygen's options, the command line wins.
  FakeKeys env;
  env.variables["LANLORD_OUTPUT"] = "/tmp/from-env";
  inv = parse({"keygen"}, {}, env);
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(std::get<KeygenOptions>(inv.options).output == "/tmp/from-env");
  inv = parse({"keygen", "--output", "/tmp/k"}, {}, env);
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(std::get<KeygenOptions>(inv.options).output == "/tmp/k");
}

TEST_CASE("join and watch --help explain the trust options, LANLORD_KEY and SIGHUP") {
  for (const char* command : {"join", "watch"}) {
    const Invocation inv = parse({command, "--help"});
    REQUIRE(inv.action == Invocation::Action::kPrint);
    for (const char* word : {"--key-file", "--encrypt", "--max-clock-skew", "--max-members",
                             "--new-ids-per-second", "LANLORD_KEY", "SIGHUP", "default: 30s",
                             "default: 4096", "default: 2000", "lanlord keygen", "Rotation"}) {
      CHECK_MESSAGE(inv.text.find(word) != std::string::npos, command << ": " << word);
    }
  }
  CHECK(parse({"--help"}).text.find("keygen") != std::string::npos);
}

TEST_CASE("join --help shows each profile's idle heartbeat, and none for fabric") {
  const std::string text = parse({"join", "--help"}).text;
  CHECK(text.find("idle members heartbeat every 1s") != std::string::npos);  // fast
  CHECK(text.find("idle members heartbeat every 5s") != std::string::npos);  // lan
  const std::size_t fabric = text.find("  fabric: ");
  REQUIRE(fabric != std::string::npos);
  const std::size_t next = text.find("  lan: ", fabric);
  CHECK(text.substr(fabric, next - fabric).find("idle") == std::string::npos);
}

TEST_CASE("leader is passive, takes watch's network and key options, and one --channel") {
  FakeKeys keys;
  keys.files.emplace("/k/both.key", make_keyring(2));
  Invocation inv = parse(
      {"leader", "--channel", "billing", "--json", "--profile", "fast", "--group", "239.1.2.3",
       "--port", "7000", "--cluster", "c", "--key-file", "/k/both.key", "--max-clock-skew", "5s"},
      {}, keys);
  INFO(inv.text);
  REQUIRE(inv.action == Invocation::Action::kRun);
  const LeaderOptions& o = std::get<LeaderOptions>(inv.options);
  CHECK(o.node.passive);
  CHECK(o.node.id.empty());
  CHECK(o.channel == "billing");
  CHECK(o.output.json);
  CHECK(o.node.group == "239.1.2.3");
  CHECK(o.node.port == 7000);
  CHECK(o.node.cluster == "c");
  REQUIRE(o.node.keys.has_value());
  CHECK(o.node.keys->size() == 2);
  CHECK(o.key_origin.key_file == "/k/both.key");
  CHECK(o.node.trust.max_clock_skew == 5s);
  CHECK_FALSE(o.wait.has_value());

  // Without --channel: every channel heard of.
  inv = parse({"leader"});
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(std::get<LeaderOptions>(inv.options).channel.empty());
  // The same channel twice is harmless; two channels are a mistake.
  CHECK(usage_error({"leader", "--channel", "a", "--channel", "a"}).empty());
  CHECK(
      usage_error({"leader", "--channel", "a", "--channel", "b"}).find("--channel: one channel") ==
      0);
  CHECK(usage_error({"leader", "--channel", ""}).find("--channel") == 0);
  // join's and watch's own options are not leader's.
  CHECK(usage_error({"leader", "--id", "x"}).find("--id") != std::string::npos);
  CHECK(usage_error({"leader", "--once"}).find("--once") != std::string::npos);
  CHECK(usage_error({"leader", "--metadata", "m"}).find("--metadata") != std::string::npos);
  CHECK(usage_error({"leader", "--wait", "5"}).find("--wait: bad duration '5'") == 0);
  CHECK(usage_error({"leader", "--group", "127.0.0.1"}).find("not a multicast address") !=
        std::string::npos);
  CHECK(usage_error({"leader", "--key-file", "/k/missing.key"}, {}, keys) ==
        "/k/missing.key: no such keyring file");
  CHECK(usage_error({"leader", "x"}).find("unexpected argument 'x'") != std::string::npos);
  const Invocation bad = parse({"leader", "--port", "0"});
  CHECK(bad.help_hint == "lanlord leader --help");
}

TEST_CASE("leader waits for one alive-expiration and one declaration interval, or for --wait") {
  Invocation inv = parse({"leader", "--profile", "fast"});
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(leader_wait(std::get<LeaderOptions>(inv.options)) == 1100ms + 500ms);
  inv = parse({"leader", "--alive-expiration", "7s", "--leader-alive", "6s"});
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(leader_wait(std::get<LeaderOptions>(inv.options)) == 7s + 3s);
  inv = parse({"leader", "--profile", "fabric"});
  CHECK(leader_wait(std::get<LeaderOptions>(inv.options)) == 25s + 5s);
  inv = parse({"leader", "--wait", "2s"});
  CHECK(leader_wait(std::get<LeaderOptions>(inv.options)) == 2s);
}

TEST_CASE("a config file's channel and wait are leader's settings too") {
  FakeFiles files;
  files.files["/etc/q.conf"] = "channel = billing\nwait = 1500ms\nprofile = fast\n";
  Invocation inv = parse({"leader", "--config", "/etc/q.conf"}, files);
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(std::get<LeaderOptions>(inv.options).channel == "billing");
  CHECK(std::get<LeaderOptions>(inv.options).wait == Duration(1500ms));
  // The command line's --channel replaces the file's.
  inv = parse({"leader", "--config", "/etc/q.conf", "--channel", "jobs"}, files);
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(std::get<LeaderOptions>(inv.options).channel == "jobs");
  files.files["/etc/bad.conf"] = "once = true\n";
  CHECK(usage_error({"leader", "--config", "/etc/bad.conf"}, files).find("/etc/bad.conf:1") == 0);
}

TEST_CASE("leader --help states the wait and the exit codes") {
  const Invocation inv = parse({"leader", "--help"});
  REQUIRE(inv.action == Invocation::Action::kPrint);
  CHECK(inv.text.find("Usage: lanlord leader") == 0);
  for (const char* word : {"--channel", "--wait", "--key-file", "--json", "alive-expiration",
                           "leader-alive/2", "1.6s with fast", "split",
                           "Exit codes:", "not exactly one leader", "usage error", "epoch"}) {
    CHECK_MESSAGE(inv.text.find(word) != std::string::npos, word);
  }
  CHECK(parse({"--help"}).text.find("leader") != std::string::npos);
  CHECK(parse({"help", "leader"}).text.find("Usage: lanlord leader") == 0);
}

// `lanlord run`: join's options, what to do with the command, and the
// command after "--".

namespace {

RunOptions run_options(const std::vector<std::string>& args, const FakeFiles& files = {},
                       const FakeKeys& keys = {}) {
  std::vector<std::string> full = {"run"};
  full.insert(full.end(), args.begin(), args.end());
  const Invocation inv = parse(full, files, keys);
  INFO("error: " << inv.text);
  REQUIRE(inv.action == Invocation::Action::kRun);
  return std::get<RunOptions>(inv.options);
}

}  // namespace

TEST_CASE("run takes join's options, --kill-timeout, --on-exit and the command after --") {
  RunOptions o = run_options({"--channel", "billing", "--", "worker", "--queue", "b"});
  CHECK(o.node.channels == std::vector<std::string>{"billing"});
  CHECK(o.command == std::vector<std::string>{"worker", "--queue", "b"});
  CHECK(o.kill_timeout == 10s);
  CHECK(o.on_exit == RunOptions::OnExit::kExit);
  CHECK_FALSE(o.node.passive);
  CHECK_FALSE(o.node.id.empty());  // join's default id

  o = run_options({"--id",
                   "b-1",
                   "--channel",
                   "billing",
                   "--metadata",
                   "203.0.113.1:80",
                   "--profile",
                   "fast",
                   "--port",
                   "9000",
                   "--kill-timeout",
                   "1.5s",
                   "--on-exit",
                   "restart",
                   "--json",
                   "--",
                   "sh",
                   "-c",
                   "exit 1",
                   "--",
                   "--help"});
  CHECK(o.node.id == "b-1");
  CHECK(o.node.metadata == "203.0.113.1:80");
  CHECK(o.node.profile == "fast");
  CHECK(o.node.port == 9000);
  CHECK(o.kill_timeout == 1500ms);
  CHECK(o.on_exit == RunOptions::OnExit::kRestart);
  CHECK(o.output.json);
  // Everything after the first "--" is the command's, "--" and --help too.
  CHECK(o.command == std::vector<std::string>{"sh", "-c", "exit 1", "--", "--help"});
  CHECK(run_options({"--channel", "c", "--on-exit", "yield", "--", "x"}).on_exit ==
        RunOptions::OnExit::kYield);
  CHECK(run_options({"--channel", "c", "--on-exit", "exit", "--", "x"}).on_exit ==
        RunOptions::OnExit::kExit);
}

TEST_CASE("run usage errors: the command, the channel, --on-exit, --kill-timeout") {
  CHECK(usage_error({"run", "--channel", "c"}).find("missing the command: give it after '--'") ==
        0);
  CHECK(usage_error({"run", "--channel", "c", "--"}).find("missing the command") == 0);
  CHECK(usage_error({"run", "--", "worker"}) ==
        "--channel is required: the channel whose leader runs the command");
  CHECK(usage_error({"run", "--channel", "a", "--channel", "b", "--", "worker"}) ==
        "run takes exactly one --channel, not 2 (a, b)");
  CHECK(usage_error({"run", "--channel", "c", "--on-exit", "sometimes", "--", "x"}) ==
        "--on-exit: 'sometimes' is not an action (choose yield, exit or restart)");
  CHECK(usage_error({"run", "--channel", "c", "--kill-timeout", "5", "--", "x"})
            .find("--kill-timeout: bad duration '5'") == 0);
  CHECK(usage_error({"run", "--channel", "c", "worker"}) ==
        "unexpected argument 'worker': the command goes after '--'");
  // Join's own checks apply: a bad option before "--" is still an error.
  CHECK(usage_error({"run", "--channel", "c", "--port", "0", "--", "x"}).find("--port") == 0);
  CHECK(usage_error({"run", "--channel", "c", "--group", "127.0.0.1", "--", "x"})
            .find("not a multicast address") != std::string::npos);
  const Invocation inv = parse({"run", "--", "x"});
  CHECK(inv.help_hint == "lanlord run --help");
}

TEST_CASE("run reads a config file, keys included, and the command line wins") {
  FakeFiles files;
  files.files["run.conf"] =
      "channel = billing\n"
      "kill-timeout = 3s\n"
      "on-exit = yield\n"
      "key-file = cluster.key\n"
      "profile = fast\n";
  files.files["bad.conf"] = "on-exit = never\n";
  FakeKeys keys;
  keys.files.emplace("cluster.key", make_keyring(1));
  RunOptions o = run_options({"--config", "run.conf", "--", "worker"}, files, keys);
  CHECK(o.node.channels == std::vector<std::string>{"billing"});
  CHECK(o.kill_timeout == 3s);
  CHECK(o.on_exit == RunOptions::OnExit::kYield);
  CHECK(o.node.keys.has_value());
  CHECK(o.key_origin.key_file == "cluster.key");
  o = run_options({"--config", "run.conf", "--on-exit", "restart", "--channel", "audit", "--", "w"},
                  files, keys);
  CHECK(o.on_exit == RunOptions::OnExit::kRestart);
  CHECK(o.node.channels == std::vector<std::string>{"audit"});
  CHECK(usage_error({"run", "--config", "bad.conf", "--channel", "c", "--", "w"}, files) ==
        "bad.conf:1: on-exit: 'never' is not an action (choose yield, exit or restart)");
  // run's keys are not join's.
  files.files["join.conf"] = "kill-timeout = 1s\n";
  CHECK(usage_error({"join", "--config", "join.conf"}, files) ==
        "join.conf:1: unknown key 'kill-timeout'");
}

TEST_CASE("split_words: blanks separate, quotes group, backslashes escape, no shell") {
  const auto words = [](std::string_view text) {
    lanlord::Result<std::vector<std::string>> w = split_words(text);
    REQUIRE_MESSAGE(w, w.status().message());
    return *w;
  };
  using V = std::vector<std::string>;
  CHECK(words("  /usr/bin/worker   --queue\tbilling ") ==
        V{"/usr/bin/worker", "--queue", "billing"});
  CHECK(words("sh -c 'echo $HOME; exit 3'") == V{"sh", "-c", "echo $HOME; exit 3"});
  CHECK(words(R"(say "a \"b\" \\ \n" x\ y '')") == V{"say", R"(a "b" \ \n)", "x y", ""});
  CHECK(words("a\"b c\"d") == V{"ab cd"});
  CHECK(words("").empty());
  CHECK(split_words("sh -c 'open").status().message() == "unterminated ' in 'sh -c 'open'");
  CHECK(split_words("say \"open").status().message() == "unterminated \" in 'say \"open'");
  CHECK(split_words("trailing\\").status().message().find("escapes nothing") != std::string::npos);
}

TEST_CASE("a config file can hold run's command (exec) and the command to start (command)") {
  FakeFiles files;
  files.files["job.conf"] =
      "command = run\n"
      "channel = backup\n"
      "exec = /usr/local/bin/backup --target 'nas 2'\n";
  files.files["node.conf"] = "channel = a\n";
  files.files["watch.conf"] = "command = watch\nchannel = a\n";
  files.files["bad-command.conf"] = "command = keygen\n";
  files.files["bad-exec.conf"] = "command = run\nchannel = c\nexec = sh -c 'x\n";
  files.files["join-exec.conf"] = "exec = worker\n";
  // `lanlord --config FILE`: the file's command, join without one.
  Invocation inv = parse({"--config", "job.conf"}, files);
  REQUIRE_MESSAGE(inv.action == Invocation::Action::kRun, inv.text);
  const RunOptions& r = std::get<RunOptions>(inv.options);
  CHECK(r.command == std::vector<std::string>{"/usr/local/bin/backup", "--target", "nas 2"});
  CHECK(r.node.channels == std::vector<std::string>{"backup"});
  // Options after the file still win; a command after -- replaces exec.
  inv = parse({"--config=job.conf", "--channel", "audit", "--", "other"}, files);
  REQUIRE_MESSAGE(inv.action == Invocation::Action::kRun, inv.text);
  CHECK(std::get<RunOptions>(inv.options).command == std::vector<std::string>{"other"});
  CHECK(std::get<RunOptions>(inv.options).node.channels == std::vector<std::string>{"audit"});
  inv = parse({"--config", "node.conf"}, files);
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(std::holds_alternative<JoinOptions>(inv.options));
  inv = parse({"--config", "watch.conf"}, files);
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(std::holds_alternative<WatchOptions>(inv.options));
  // Errors name the file and line.
  CHECK(usage_error({"--config", "bad-command.conf"}, files) ==
        "bad-command.conf:1: command = keygen: a config file can start join, run or watch");
  CHECK(usage_error({"--config", "bad-exec.conf"}, files) ==
        "bad-exec.conf:3: exec: unterminated ' in 'sh -c 'x'");
  CHECK(usage_error({"join", "--config", "job.conf"}, files) ==
        "job.conf:1: this file configures 'lanlord run' (command = run), not 'lanlord join'");
  CHECK(usage_error({"join", "--config", "join-exec.conf"}, files) ==
        "join-exec.conf:1: 'exec' is the command of 'lanlord run' (command = run)");
  CHECK(usage_error({"--config"}, files) == "--config needs a file");
  CHECK(usage_error({"--config", "missing.conf"}, files) == "cannot read config file missing.conf");
}

TEST_CASE("the systemd example config (cli/systemd/example.conf) is a valid run instance") {
  // Parsed from disk as the unit's ExecStart does; nothing is started.
  const Invocation inv = parse_command_line({"--config", LANLORD_EXAMPLE_CONF}, "9.8.7", read_file,
                                            FakeKeys{}.sources());
  REQUIRE_MESSAGE(inv.action == Invocation::Action::kRun, inv.text);
  const RunOptions& o = std::get<RunOptions>(inv.options);
  CHECK(o.command == std::vector<std::string>{"/usr/local/bin/backup-loop", "--target", "nas 2"});
  CHECK(o.node.channels == std::vector<std::string>{"backup"});
  CHECK(o.node.interface_name == "auto");
}

TEST_CASE("run --help explains the command, on-exit, the environment and exit code 3") {
  const Invocation inv = parse({"run", "--help"});
  REQUIRE(inv.action == Invocation::Action::kPrint);
  CHECK(inv.text.find("Usage: lanlord run --channel NAME [OPTIONS] -- COMMAND") == 0);
  for (const char* word : {"--kill-timeout",
                           "--on-exit",
                           "yield",
                           "restart",
                           "default: 10s",
                           "--channel",
                           "--id",
                           "--metadata",
                           "--key-file",
                           "--profile",
                           "LANLORD_RUN_CHANNEL",
                           "LANLORD_RUN_EPOCH",
                           "LANLORD_RUN_NODE_ID",
                           "SIGSTOP",
                           "SIGKILL",
                           "process group",
                           "Example:",
                           "  3  ",
                           "command_started",
                           "command_stopping",
                           "command_exited"}) {
    CHECK_MESSAGE(inv.text.find(word) != std::string::npos, word);
  }
  CHECK(parse({"--help"}).text.find("run ") != std::string::npos);
  CHECK(parse({"--help"}).text.find(kSupervisorMode) == std::string::npos);
}

TEST_CASE("LANLORD_* variables set options: command line > environment > config file > profile") {
  FakeFiles files;
  files.files["/etc/n.conf"] = "profile = lan\nheartbeat = 2s\nchannel = from-file\nport = 7000\n";
  FakeKeys env;
  env.variables = {{"LANLORD_PROFILE", "fast"}, {"LANLORD_HEARTBEAT", "50ms"},
                   {"LANLORD_CHANNEL", "a,b"},  {"LANLORD_JSON", "true"},
                   {"LANLORD_ID", "env-node"},  {"LANLORD_SIM_SEEDS", "7"},
                   {"LANLORD_RUN_EPOCH", "12"}, {"LANLORD_TEST_TIME_SCALE", "5"}};
  // The environment over the file; unknown LANLORD_* names are ignored.
  Invocation inv = parse({"join", "--config", "/etc/n.conf"}, files, env);
  REQUIRE_MESSAGE(inv.action == Invocation::Action::kRun, inv.text);
  const JoinOptions& o = std::get<JoinOptions>(inv.options);
  CHECK(o.node.profile == "fast");
  CHECK(o.node.timings.heartbeat_interval == Duration(50ms));
  CHECK(o.node.channels == std::vector<std::string>{"a", "b"});  // replaces the file's
  CHECK(o.node.port == 7000);                                    // the file's, not overridden
  CHECK(o.node.id == "env-node");
  CHECK(o.output.json);
  // The command line over the environment (a --channel replaces its list).
  inv = parse({"join", "--config", "/etc/n.conf", "--profile", "fabric", "--heartbeat", "1s",
               "--channel", "c"},
              files, env);
  REQUIRE_MESSAGE(inv.action == Invocation::Action::kRun, inv.text);
  const JoinOptions& c = std::get<JoinOptions>(inv.options);
  CHECK(c.node.profile == "fabric");
  CHECK(c.node.timings.heartbeat_interval == Duration(1s));
  CHECK(c.node.channels == std::vector<std::string>{"c"});
  // LANLORD_CONFIG names the file when --config does not.
  FakeKeys with_config;
  with_config.variables = {{"LANLORD_CONFIG", "/etc/n.conf"}};
  inv = parse({"join"}, files, with_config);
  REQUIRE_MESSAGE(inv.action == Invocation::Action::kRun, inv.text);
  CHECK(std::get<JoinOptions>(inv.options).node.port == 7000);
  // Other commands read their own options too.
  FakeKeys keygen_env;
  keygen_env.variables = {{"LANLORD_OUTPUT", "/tmp/k"}};
  inv = parse({"keygen"}, {}, keygen_env);
  REQUIRE_MESSAGE(inv.action == Invocation::Action::kRun, inv.text);
  CHECK(std::get<KeygenOptions>(inv.options).output == "/tmp/k");
}

TEST_CASE("--help of node commands explains the LANLORD_* variables and the precedence") {
  for (const char* command : {"join", "watch", "leader", "run", "demo"}) {
    const std::string text = parse({command, "--help"}).text;
    CHECK_MESSAGE(text.find("LANLORD_<OPTION>") != std::string::npos, command);
    CHECK_MESSAGE(
        text.find("command line > environment > config file > profile") != std::string::npos,
        command);
  }
}

TEST_CASE("bad LANLORD_* values are usage errors that name the variable") {
  const auto error_for = [](std::map<std::string, std::string> variables) {
    FakeKeys env;
    env.variables = std::move(variables);
    const Invocation inv = parse({"join"}, {}, env);
    CHECK(inv.action == Invocation::Action::kUsageError);
    return inv.text;
  };
  CHECK(error_for({{"LANLORD_PROFILE", "bogus"}}).find("LANLORD_PROFILE") != std::string::npos);
  CHECK(error_for({{"LANLORD_JSON", "maybe"}}).find("LANLORD_JSON") != std::string::npos);
  CHECK(error_for({{"LANLORD_ID", ""}}) ==
        "LANLORD_ID is set but empty: give it a value or unset it");
  CHECK(error_for({{"LANLORD_CHANNEL", "a,,b"}}).find("empty channel") != std::string::npos);
  CHECK(error_for({{"LANLORD_CONFIG", ""}}).find("LANLORD_CONFIG") != std::string::npos);
  FakeKeys both;
  both.environment = "c2VjcmV0";
  both.variables = {{"LANLORD_KEY_FILE", "/k/a.key"}};
  const Invocation inv = parse({"join"}, {}, both);
  CHECK(inv.action == Invocation::Action::kUsageError);
  CHECK(inv.text.find("LANLORD_KEY_FILE") != std::string::npos);
}

TEST_CASE("options: --metrics-listen on join, run and watch, from the command line, file and env") {
  const JoinOptions j = join({"--metrics-listen", "127.0.0.1:9464"});
  REQUIRE(j.metrics_listen.has_value());
  CHECK(j.metrics_listen->address == "127.0.0.1");
  CHECK(j.metrics_listen->port == 9464);
  CHECK_FALSE(join({}).metrics_listen.has_value());

  const Invocation run = parse({"run", "--channel", "c", "--metrics-listen", "[::1]:0", "--", "x"});
  REQUIRE(run.action == Invocation::Action::kRun);
  const RunOptions& r = std::get<RunOptions>(run.options);
  REQUIRE(r.metrics_listen.has_value());
  CHECK(r.metrics_listen->address == "::1");
  CHECK(r.metrics_listen->port == 0);
  CHECK(r.metrics_listen->to_string() == "[::1]:0");

  FakeFiles files;
  files.files["w.conf"] = "metrics-listen = 0.0.0.0:9100\n";
  const Invocation watch = parse({"watch", "--config", "w.conf"}, files);
  REQUIRE(watch.action == Invocation::Action::kRun);
  CHECK(std::get<WatchOptions>(watch.options).metrics_listen->to_string() == "0.0.0.0:9100");

  FakeKeys env;
  env.variables["LANLORD_METRICS_LISTEN"] = "127.0.0.1:9200";
  const Invocation from_env = parse({"join"}, {}, env);
  REQUIRE(from_env.action == Invocation::Action::kRun);
  CHECK(std::get<JoinOptions>(from_env.options).metrics_listen->port == 9200);
  // The command line wins over the environment.
  const Invocation both = parse({"join", "--metrics-listen", "127.0.0.1:1"}, {}, env);
  CHECK(std::get<JoinOptions>(both.options).metrics_listen->port == 1);

  // `leader` answers once and exits: nothing to scrape.
  CHECK(usage_error({"leader", "--metrics-listen", "127.0.0.1:1"}).find("metrics-listen") !=
        std::string::npos);
}

TEST_CASE("options: a bad --metrics-listen is a usage error that shows the form") {
  for (const char* bad : {"9464", "localhost:9464", "127.0.0.1:65536", "127.0.0.1:x", ":9464",
                          "::1:9464", "[127.0.0.1]:80", "[::1:80", "127.0.0.1:"}) {
    CAPTURE(bad);
    const std::string e = usage_error({"join", "--metrics-listen", bad});
    CHECK(e.starts_with("--metrics-listen: '" + std::string(bad) + "'"));
    CHECK(e.find("e.g. 127.0.0.1:9464") != std::string::npos);
  }
  FakeFiles files;
  files.files["j.conf"] = "metrics-listen = nowhere\n";
  CHECK(usage_error({"join", "--config", "j.conf"}, files).starts_with("j.conf:1: metrics-listen"));
}

TEST_CASE("help: join, run and watch describe --metrics-listen") {
  for (const char* cmd : {"join", "run", "watch"}) {
    CAPTURE(cmd);
    const Invocation inv = parse({cmd, "--help"});
    CHECK(inv.text.find("--metrics-listen ADDRESS:PORT") != std::string::npos);
    CHECK(inv.text.find("metrics_listening") != std::string::npos);
  }
}

TEST_CASE("unicast: --peers without --group selects unicast, bare hosts take --port") {
  const JoinOptions multicast = join({});
  CHECK(multicast.node.multicast);
  CHECK(multicast.node.peers.empty());

  const JoinOptions j = join({"--peers", "198.51.100.1:7000,node-b.example", "--peers",
                              "[2001:db8::7]:7001", "--peers", "2001:db8::8", "--port", "7100"});
  CHECK_FALSE(j.node.multicast);
  CHECK(j.node.peers == std::vector<std::string>{"198.51.100.1:7000", "node-b.example:7100",
                                                 "[2001:db8::7]:7001", "[2001:db8::8]:7100"});

  // --no-multicast alone: a seed that waits to be contacted.
  const JoinOptions seed = join({"--no-multicast"});
  CHECK_FALSE(seed.node.multicast);
  CHECK(seed.node.peers.empty());

  const JoinOptions advertised =
      join({"--no-multicast", "--advertise", "203.0.113.9:7676", "--max-unicast-targets", "32"});
  CHECK(advertised.node.advertise == "203.0.113.9:7676");
  CHECK(advertised.node.max_unicast_targets == 32);
  CHECK(join({"--no-multicast", "--advertise", "203.0.113.9"}).node.advertise == "203.0.113.9");
  CHECK(join({}).node.max_unicast_targets == lanlord::NodeConfig{}.max_unicast_targets);
}

TEST_CASE("unicast: watch, leader and run take the options, and watch and leader stay passive") {
  for (const char* cmd : {"watch", "leader"}) {
    CAPTURE(cmd);
    const Invocation inv = parse({cmd, "--peers", "127.0.0.1:7000"});
    REQUIRE_MESSAGE(inv.action == Invocation::Action::kRun, inv.text);
    const lanlord::NodeConfig& node = std::string(cmd) == "watch"
                                          ? std::get<WatchOptions>(inv.options).node
                                          : std::get<LeaderOptions>(inv.options).node;
    CHECK(node.passive);
    CHECK_FALSE(node.multicast);
    CHECK(node.peers == std::vector<std::string>{"127.0.0.1:7000"});
  }
  const Invocation run = parse({"run", "--channel", "c", "--no-multicast", "--peers", "127.0.0.1",
                                "--port", "7001", "--", "x"});
  REQUIRE_MESSAGE(run.action == Invocation::Action::kRun, run.text);
  const RunOptions& r = std::get<RunOptions>(run.options);
  CHECK_FALSE(r.node.multicast);
  CHECK(r.node.peers == std::vector<std::string>{"127.0.0.1:7001"});
  // In unicast mode, leader listens one idle interval longer, while the
  // seeds pass its address on.
  LeaderOptions multicast_leader;
  multicast_leader.node.profile = "fast";
  LeaderOptions unicast_leader = multicast_leader;
  unicast_leader.node.multicast = false;
  CHECK(leader_wait(unicast_leader) > leader_wait(multicast_leader));
}

TEST_CASE("unicast: a node is either multicast or unicast, and the errors say why") {
  const std::string why =
      "a node is either multicast (--group) or unicast (--peers/--no-multicast); a multicast "
      "node and a unicast node never hear each other";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"join", "--group", "239.1.2.3", "--peers", "127.0.0.1:7000"},
        std::vector<std::string>{"join", "--no-multicast", "--group", "239.1.2.3"},
        std::vector<std::string>{"watch", "--group", "239.1.2.3", "--no-multicast"},
        std::vector<std::string>{"leader", "--peers", "127.0.0.1", "--group", "239.1.2.3"},
        std::vector<std::string>{"run", "--channel", "c", "--group", "239.1.2.3", "--peers",
                                 "127.0.0.1", "--", "x"}}) {
    CAPTURE(args);
    const std::string e = usage_error(args);
    CHECK(e.find("--group") != std::string::npos);
    CHECK(e.find(why) != std::string::npos);
  }
  // From a config file the message names the file's line.
  FakeFiles files;
  files.files["n.conf"] = "group = 239.1.2.3\n";
  const std::string from_file =
      usage_error({"join", "--config", "n.conf", "--no-multicast"}, files);
  CHECK(from_file.starts_with("n.conf:1: group and --no-multicast: "));
  // --no-multicast = false with a group is multicast, and fine.
  files.files["m.conf"] = "group = 239.1.2.3\nno-multicast = false\n";
  CHECK(join({"--config", "m.conf"}, files).node.multicast);

  // --advertise needs unicast mode.
  const std::string advertise = usage_error({"join", "--advertise", "203.0.113.9"});
  CHECK(advertise.starts_with("--advertise: only for unicast mode"));
  CHECK(usage_error({"watch", "--group", "239.1.2.3", "--advertise", "203.0.113.9"})
            .starts_with("--advertise: only for unicast mode"));
}

TEST_CASE("unicast: a malformed peer or advertised address is a usage error naming it") {
  for (const char* bad :
       {"198.51.100.1:0", "198.51.100.1:65536", "198.51.100.1:x", ":7676",
        "198.51.100.1:", "1.2.3.300:7676", "[2001:db8::1", "[192.0.2.1]:7676", "[2001:db8::1]x",
        "2001:db8::zz", "bad host:7676", "-x:7676", "a,,b", ",a", "a,"}) {
    CAPTURE(bad);
    const std::string e = usage_error({"join", "--peers", bad});
    CHECK(e.starts_with("--peers: "));
    CHECK(e.find(bad) != std::string::npos);
  }
  for (const char* bad : {"node-a.example", "203.0.113.9:0", "203.0.113.9:x", "[::1"}) {
    CAPTURE(bad);
    const std::string e = usage_error({"join", "--no-multicast", "--advertise", bad});
    CHECK(e.starts_with("--advertise: '" + std::string(bad) + "'"));
  }
  CHECK(usage_error({"join", "--no-multicast", "--max-unicast-targets", "0"})
            .starts_with("--max-unicast-targets: '0' is not a count"));
  FakeFiles files;
  files.files["p.conf"] = "peers = 198.51.100.1:99999\n";
  CHECK(usage_error({"join", "--config", "p.conf"}, files).starts_with("p.conf:1: peers: "));
  FakeKeys env;
  env.variables = {{"LANLORD_PEERS", "198.51.100.1:7676,,x"}};
  CHECK(usage_error({"join"}, {}, env).starts_with("LANLORD_PEERS: peers: "));
}

TEST_CASE("unicast: LANLORD_PEERS, LANLORD_NO_MULTICAST, LANLORD_ADVERTISE and config keys") {
  FakeFiles files;
  files.files["u.conf"] =
      "peers = 198.51.100.1:7676\npeers = 198.51.100.2:7676\nno-multicast = true\n"
      "advertise = 203.0.113.9\nmax-unicast-targets = 8\n";
  const JoinOptions f = join({"--config", "u.conf"}, files);
  CHECK_FALSE(f.node.multicast);
  CHECK(f.node.peers == std::vector<std::string>{"198.51.100.1:7676", "198.51.100.2:7676"});
  CHECK(f.node.advertise == "203.0.113.9");
  CHECK(f.node.max_unicast_targets == 8);

  FakeKeys env;
  env.variables = {{"LANLORD_PEERS", "198.51.100.3:7676,198.51.100.4"},
                   {"LANLORD_NO_MULTICAST", "true"},
                   {"LANLORD_ADVERTISE", "203.0.113.10:7000"}};
  // The environment's list replaces the file's; the command line's replaces both.
  Invocation inv = parse({"join", "--config", "u.conf"}, files, env);
  REQUIRE_MESSAGE(inv.action == Invocation::Action::kRun, inv.text);
  const JoinOptions& e = std::get<JoinOptions>(inv.options);
  CHECK(e.node.peers == std::vector<std::string>{"198.51.100.3:7676", "198.51.100.4:7676"});
  CHECK(e.node.advertise == "203.0.113.10:7000");
  inv = parse({"join", "--config", "u.conf", "--peers", "198.51.100.5:7676"}, files, env);
  REQUIRE_MESSAGE(inv.action == Invocation::Action::kRun, inv.text);
  CHECK(std::get<JoinOptions>(inv.options).node.peers ==
        std::vector<std::string>{"198.51.100.5:7676"});

  FakeKeys no_multicast;
  no_multicast.variables = {{"LANLORD_NO_MULTICAST", "1"}};
  inv = parse({"leader"}, {}, no_multicast);
  REQUIRE_MESSAGE(inv.action == Invocation::Action::kRun, inv.text);
  CHECK_FALSE(std::get<LeaderOptions>(inv.options).node.multicast);
}

TEST_CASE("help: join, run, watch and leader describe the unicast options") {
  for (const char* cmd : {"join", "run", "watch", "leader"}) {
    CAPTURE(cmd);
    const std::string text = parse({cmd, "--help"}).text;
    for (const char* option : {"--peers HOST:PORT,...", "--no-multicast", "--advertise ADDR[:PORT]",
                               "--max-unicast-targets N", "LANLORD_PEERS="}) {
      CHECK_MESSAGE(text.find(option) != std::string::npos, option);
    }
  }
}
