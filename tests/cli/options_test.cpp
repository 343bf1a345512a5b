// The command line and config files, without running anything.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "options.hpp"

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

Invocation parse(const std::vector<std::string>& args, const FakeFiles& files = {}) {
  return parse_command_line(args, "9.8.7", files.reader());
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
std::string usage_error(const std::vector<std::string>& args, const FakeFiles& files = {}) {
  const Invocation inv = parse(args, files);
  if (inv.action != Invocation::Action::kUsageError) return "";
  CHECK(inv.text.find('\n') == std::string::npos);
  CHECK_FALSE(inv.help_hint.empty());
  return inv.text;
}

Duration duration(std::string_view text) {
  Duration d{};
  const Status s = parse_duration(text, d);
  INFO(text << ": " << s.message());
  REQUIRE(s.is_ok());
  return d;
}

std::string duration_error(std::string_view text) {
  Duration d{};
  const Status s = parse_duration(text, d);
  return s.is_ok() ? "" : s.message();
}

}  // namespace

TEST_CASE("durations are a number and a unit: ms, s or m, with an optional fraction") {
  CHECK(duration("250ms") == 250ms);
  CHECK(duration("5s") == 5s);
  CHECK(duration("1m") == 1min);
  CHECK(duration("1.5s") == 1500ms);
  CHECK(duration("0.25s") == 250ms);
  CHECK(duration("0.5m") == 30s);
  CHECK(duration("1.25ms") == 1250us);
  CHECK(duration("0250ms") == 250ms);
  CHECK(duration("24m") == 24min);
}

TEST_CASE("bad durations are rejected with a reason") {
  CHECK(duration_error("250").find("missing unit") != std::string::npos);
  CHECK(duration_error("5x").find("unknown unit 'x'") != std::string::npos);
  CHECK(duration_error("5h").find("unknown unit 'h'") != std::string::npos);
  CHECK(duration_error("0s").find("positive") != std::string::npos);
  CHECK(duration_error("0.0000001s").find("decimals") != std::string::npos);
  CHECK(duration_error("100000m").find("24 hours") != std::string::npos);
  CHECK(duration_error("999999999999999999999s").find("24 hours") != std::string::npos);
  for (const char* bad :
       {"", "s", "-1s", "+1s", ".5s", "1.s", "1e3ms", " 5s", "5s ", "5 s", "1,5s", "5sec", "ms5"}) {
    CHECK_MESSAGE(!duration_error(bad).empty(), "'" << bad << "' was accepted");
  }
}

TEST_CASE("durations are formatted in the syntax they are parsed in") {
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(5s) == "5s");
  CHECK(format_duration(1min) == "1m");
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(1250us) == "1.25ms");
  for (const Duration d : {Duration(1ms), Duration(999ms), Duration(1001ms), Duration(25s),
                           Duration(10min), Duration(61500ms)}) {
    CHECK(duration(format_duration(d)) == d);
  }
}

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

TEST_CASE("join defaults: a host-pid id, channel default, loopback, the lan profile") {
  const JoinOptions o = join({});
  const lanlord::NodeConfig d;
  CHECK_FALSE(o.node.id.empty());
  CHECK(o.node.id == lanlord::default_node_id());
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
  // One alive-expiration plus one declaration interval (leader-alive / 2).
  CHECK(once_wait(o) == 300ms + 500ms);
}

TEST_CASE("watch --once waits for the effective timings, or for --wait") {
  Invocation inv = parse(
      {"watch", "--once", "--profile", "fast", "--alive-expiration", "1s", "--leader-alive", "4s"});
  REQUIRE(inv.action == Invocation::Action::kRun);
  CHECK(once_wait(std::get<WatchOptions>(inv.options)) == 1s + 2s);
  inv = parse({"watch", "--once"});
  CHECK(once_wait(std::get<WatchOptions>(inv.options)) == 3s + 2500ms);  // lan
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
