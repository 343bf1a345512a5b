// The etcd backend's command line (options, their rules, environment and
// config file), and its output (started, stats, metrics, warnings),
// without running a node or an etcd.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "command_line/command_line.hpp"
#include "command_line/settings.hpp"
#include "metrics/exposition.hpp"
#include "output/event_printer.hpp"

using namespace std::chrono_literals;
using lanlord::Backend;
using lanlord::Status;
using namespace lanlord::cli;

namespace {

struct Sources {
  std::map<std::string, std::string> files;      // config files by path
  std::map<std::string, std::string> variables;  // the environment
  std::map<std::string, lanlord::Result<lanlord::Keyring>> keyrings;
  KeySources keys() const {
    KeySources k;
    k.load_file = [this](const std::string& path) -> lanlord::Result<lanlord::Keyring> {
      const auto it = keyrings.find(path);
      if (it == keyrings.end()) return Status::error(path + ": no such keyring file");
      return it->second;
    };
    k.getenv = [this](const char* name) -> std::optional<std::string> {
      const auto it = variables.find(name);
      if (it == variables.end()) return std::nullopt;
      return it->second;
    };
    return k;
  }
  ReadFile reader() const {
    return [this](const std::string& path, std::string& out) {
      const auto it = files.find(path);
      if (it == files.end()) return Status::error("cannot read config file " + path);
      out = it->second;
      return Status::ok();
    };
  }
};

Invocation parse(const std::vector<std::string>& args, const Sources& sources = {}) {
  return parse_command_line(args, "9.8.7", sources.reader(), sources.keys());
}

// The node settings of a command line that must parse.
lanlord::NodeConfig node_of(const std::vector<std::string>& args, const Sources& sources = {}) {
  const Invocation inv = parse(args, sources);
  INFO("error: " << inv.text);
  REQUIRE(inv.action == Invocation::Action::kRun);
  if (const auto* j = std::get_if<JoinOptions>(&inv.options)) return j->node;
  if (const auto* w = std::get_if<WatchOptions>(&inv.options)) return w->node;
  if (const auto* l = std::get_if<LeaderOptions>(&inv.options)) return l->node;
  return std::get<RunOptions>(inv.options).node;
}

// The usage error's one line (empty if parsing succeeded).
std::string error_of(const std::vector<std::string>& args, const Sources& sources = {}) {
  const Invocation inv = parse(args, sources);
  if (inv.action != Invocation::Action::kUsageError) return "";
  CHECK(inv.text.find('\n') == std::string::npos);
  CHECK_FALSE(inv.help_hint.empty());
  return inv.text;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const std::string kUrl = "http://127.0.0.1:2379";

}  // namespace

TEST_CASE("etcd options: --backend etcd and --etcd-endpoints fill NodeConfig") {
  const lanlord::NodeConfig udp = node_of({"join"});
  CHECK(udp.backend == Backend::kUdp);
  CHECK(udp.etcd.endpoints.empty());

  const lanlord::NodeConfig c =
      node_of({"join", "--backend", "etcd", "--etcd-endpoints", kUrl + ",https://[::1]:2379/",
               "--etcd-endpoints", "http://etcd-2.example:2379", "--lease-ttl", "5"});
  CHECK(c.backend == Backend::kEtcd);
  CHECK(c.etcd.endpoints ==
        std::vector<std::string>{kUrl, "https://[::1]:2379/", "http://etcd-2.example:2379"});
  CHECK(c.etcd.lease_ttl == 5);
  CHECK(c.passive == false);
  // The profile decides the TTL unless --lease-ttl says otherwise (0: the backend's default).
  CHECK(node_of({"join", "--etcd-endpoints", kUrl, "--profile", "fast"}).etcd.lease_ttl == 0);
  CHECK(node_of({"join", "--etcd-endpoints", kUrl, "--lease-ttl", "7s"}).etcd.lease_ttl == 7);
  CHECK(node_of({"join", "--etcd-endpoints", kUrl, "--lease-ttl", "2"}).etcd.lease_ttl == 2);
}

TEST_CASE("etcd options: --etcd-endpoints alone selects etcd, as --peers selects unicast") {
  CHECK(node_of({"join", "--etcd-endpoints", kUrl}).backend == Backend::kEtcd);
  CHECK(node_of({"join", "--backend", "etcd", "--etcd-endpoints", kUrl}).backend == Backend::kEtcd);
  // Named explicitly, udp does not take etcd settings: both are named.
  const std::string e = error_of({"join", "--backend", "udp", "--etcd-endpoints", kUrl});
  CHECK(e == "--etcd-endpoints and --backend udp: the etcd settings are for the etcd backend only");
}

TEST_CASE("etcd options: --backend etcd needs endpoints, and an unknown backend lists the valid") {
  CHECK(error_of({"join", "--backend", "etcd"}) ==
        "--backend etcd needs --etcd-endpoints URL[,URL...], e.g. http://127.0.0.1:2379");
  CHECK(error_of({"join", "--backend", "consul"}) ==
        "--backend: unknown backend 'consul' (choose udp or etcd)");
  CHECK(error_of({"watch", "--backend", "ETCD"}) ==
        "--backend: unknown backend 'ETCD' (choose udp or etcd)");
}

TEST_CASE("etcd options: --lease-ttl takes whole seconds, at least 2") {
  for (const std::string bad : {"1", "0", "2.5", "1.9s", "-3", "x", "", "86401", "5ms", "3 s"}) {
    INFO(bad);
    const std::string e = error_of({"join", "--etcd-endpoints", kUrl, "--lease-ttl", bad});
    CHECK(e.starts_with("--lease-ttl: '" + bad + "' is not a whole number of seconds (2-86400)"));
  }
  CHECK(node_of({"join", "--etcd-endpoints", kUrl, "--lease-ttl", "86400"}).etcd.lease_ttl ==
        86400);
}

TEST_CASE("etcd options: a malformed endpoint is a usage error naming it") {
  const auto e = [](const std::string& url) { return error_of({"join", "--etcd-endpoints", url}); };
  CHECK(e("127.0.0.1:2379") ==
        "--etcd-endpoints: '127.0.0.1:2379' is not an etcd URL: give http://HOST:PORT or "
        "https://HOST:PORT");
  CHECK(contains(e("ftp://127.0.0.1:2379"), "is not an etcd URL"));
  CHECK(e("http://127.0.0.1") ==
        "--etcd-endpoints: 'http://127.0.0.1': give the port (etcd's client port is 2379)");
  CHECK(e("http://127.0.0.1:2379/v3") ==
        "--etcd-endpoints: 'http://127.0.0.1:2379/v3': an etcd URL has no path (http://HOST:PORT)");
  CHECK(contains(e("http://127.0.0.1:99999"), "is not a port"));
  CHECK(contains(e("http://:2379"), "the host is missing"));
  CHECK(e(kUrl + ",,http://b:1") ==
        "--etcd-endpoints: an empty URL in 'http://127.0.0.1:2379,,http://b:1' (URL[,URL...])");
}

TEST_CASE("etcd options: each etcd setting with the udp backend is refused, naming it") {
  const std::vector<std::vector<std::string>> cases = {
      {"--lease-ttl", "5"},      {"--etcd-cacert", "ca.pem"}, {"--etcd-cert", "c.pem"},
      {"--etcd-key", "k.pem"},   {"--etcd-user", "root"},     {"--etcd-password", "s3cret"},
      {"--etcd-endpoints", kUrl}};
  for (const auto& option : cases) {
    INFO(option[0]);
    std::vector<std::string> args = {"join"};
    args.insert(args.end(), option.begin(), option.end());
    if (option[0] == "--etcd-endpoints") {
      args.insert(args.end(), {"--backend", "udp"});
      CHECK(contains(error_of(args), "--etcd-endpoints and --backend udp"));
      continue;
    }
    const std::string e = error_of(args);
    CHECK(e == option[0] +
                   ": only for the etcd backend (add --etcd-endpoints URL, which selects it, or "
                   "--backend etcd)");
    CHECK_FALSE(contains(e, "s3cret"));  // a password is never echoed
    args.insert(args.end(), {"--backend", "udp"});
    CHECK(error_of(args) ==
          option[0] + " and --backend udp: the etcd settings are for the etcd backend only");
  }
}

TEST_CASE("etcd options: the UDP network, key and timing settings are refused with etcd") {
  struct Case {
    std::vector<std::string> option;
    const char* why;
  };
  const char* network = "the UDP network settings have no meaning with the etcd backend";
  const char* key = "a cluster key signs and encrypts UDP datagrams";
  const char* timing = "the UDP protocol's timings have no meaning with the etcd backend";
  const std::vector<Case> cases = {
      {{"--group", "239.1.2.3"}, network},      {{"--port", "7000"}, network},
      {{"--interface", "lo"}, network},         {{"--ttl", "2"}, network},
      {{"--peers", "192.0.2.1:7676"}, network}, {{"--no-multicast"}, network},
      {{"--advertise", "192.0.2.1"}, network},  {{"--max-unicast-targets", "4"}, network},
      {{"--key-file", "cluster.key"}, key},     {{"--encrypt"}, key},
      {{"--heartbeat", "100ms"}, timing},       {{"--alive-expiration", "1s"}, timing},
      {{"--leader-alive", "1s"}, timing},       {{"--election-duration", "1s"}, timing},
      {{"--startup-grace", "1s"}, timing},
  };
  for (const Case& c : cases) {
    INFO(c.option[0]);
    std::vector<std::string> args = {"join", "--etcd-endpoints", kUrl};
    args.insert(args.end(), c.option.begin(), c.option.end());
    const std::string e = error_of(args);
    CHECK(e.starts_with(c.option[0] + " and --etcd-endpoints: " + c.why));
    std::vector<std::string> explicit_backend = {"watch", "--backend", "etcd", "--etcd-endpoints",
                                                 kUrl};
    explicit_backend.insert(explicit_backend.end(), c.option.begin(), c.option.end());
    CHECK(error_of(explicit_backend).starts_with(c.option[0] + " and --backend etcd: " + c.why));
  }
  // From the config file and the environment too, named as written there.
  Sources file;
  file.files["node.conf"] = "backend = etcd\netcd-endpoints = " + kUrl + "\ngroup = 239.1.2.3\n";
  CHECK(error_of({"join", "--config", "node.conf"}, file)
            .starts_with("node.conf:3: group and node.conf:1: backend = etcd: " +
                         std::string(network)));
  Sources env;
  env.variables["LANLORD_ETCD_ENDPOINTS"] = kUrl;
  env.variables["LANLORD_HEARTBEAT"] = "1s";
  CHECK(
      error_of({"leader"}, env)
          .starts_with("LANLORD_HEARTBEAT: heartbeat and LANLORD_ETCD_ENDPOINTS: etcd-endpoints: " +
                       std::string(timing)));
  // LANLORD_KEY, which is not a setting, as well.
  Sources key_env;
  key_env.variables["LANLORD_KEY"] = "c2VjcmV0";
  CHECK(error_of({"run", "--channel", "x", "--etcd-endpoints", kUrl, "--", "true"}, key_env)
            .starts_with("LANLORD_KEY and --etcd-endpoints: " + std::string(key)));
}

TEST_CASE("etcd options: the trust caps and --profile are accepted with etcd") {
  // Nothing arrives to limit: harmless, so a shared config file keeps working.
  const lanlord::NodeConfig c =
      node_of({"join", "--etcd-endpoints", kUrl, "--max-members", "50", "--max-clock-skew", "1s",
               "--new-ids-per-second", "10", "--profile", "fast", "--verbose"});
  CHECK(c.backend == Backend::kEtcd);
  CHECK(c.profile == "fast");
}

TEST_CASE("etcd options: a client certificate needs its key, a user a password") {
  CHECK(error_of({"join", "--etcd-endpoints", kUrl, "--etcd-cert", "c.pem"}) ==
        "--etcd-cert without --etcd-key: give both the client certificate and its key");
  CHECK(error_of({"join", "--etcd-endpoints", kUrl, "--etcd-key", "k.pem"}) ==
        "--etcd-key without --etcd-cert: give both the client certificate and its key");
  CHECK(error_of({"join", "--etcd-endpoints", kUrl, "--etcd-user", "root"}) ==
        "--etcd-user without a password: set LANLORD_ETCD_PASSWORD or etcd-password in the "
        "config file (mode 0600), or give --etcd-password");
  CHECK(error_of({"join", "--etcd-endpoints", kUrl, "--etcd-password", "pw"}) ==
        "--etcd-password without --etcd-user: give both, or neither");
  CHECK(contains(error_of({"join", "--etcd-endpoints", kUrl, "--etcd-user", ""}),
                 "--etcd-user: name the etcd user"));
  // The password from the environment, as the help advises.
  Sources env;
  env.variables["LANLORD_ETCD_PASSWORD"] = "from-env";
  const lanlord::NodeConfig c =
      node_of({"join", "--etcd-endpoints", kUrl, "--etcd-user", "root"}, env);
  CHECK(c.etcd.user == "root");
  CHECK(c.etcd.password == "from-env");
}

TEST_CASE("etcd options: the TLS and user settings reach NodeConfig") {
  CommandOptions out;
  const std::vector<Setting> settings = {{"etcd-endpoints", "https://127.0.0.1:2379", ""},
                                         {"etcd-cacert", "ca.pem", ""},
                                         {"etcd-cert", "c.pem", ""},
                                         {"etcd-key", "k.pem", "node.conf:4"},
                                         {"etcd-user", "root", "LANLORD_ETCD_USER"},
                                         {"etcd-password", "pw", "node.conf:5"}};
  REQUIRE(apply_settings(CommandKind::kJoin, settings, out));
  lanlord::NodeConfig node = std::get<JoinOptions>(out).node;
  REQUIRE(resolve_backend(settings, false, node));
  CHECK(node.backend == Backend::kEtcd);
  CHECK(node.etcd.cacert == "ca.pem");
  CHECK(node.etcd.cert == "c.pem");
  CHECK(node.etcd.key == "k.pem");
  CHECK(node.etcd.user == "root");
  CHECK(node.etcd.password == "pw");
}

TEST_CASE("etcd options: command line > environment > config file, lists replaced whole") {
  Sources s;
  s.files["node.conf"] =
      "etcd-endpoints = http://file-1:2379\netcd-endpoints = http://file-2:2379\n"
      "lease-ttl = 9\netcd-user = file-user\netcd-password = file-pw\n";
  const std::vector<std::string> base = {"join", "--config", "node.conf"};
  lanlord::NodeConfig c = node_of(base, s);
  CHECK(c.backend == Backend::kEtcd);
  CHECK(c.etcd.endpoints == std::vector<std::string>{"http://file-1:2379", "http://file-2:2379"});
  CHECK(c.etcd.lease_ttl == 9);
  CHECK(c.etcd.user == "file-user");
  CHECK(c.etcd.password == "file-pw");

  s.variables["LANLORD_ETCD_ENDPOINTS"] = "http://env-1:2379,http://env-2:2379";
  s.variables["LANLORD_LEASE_TTL"] = "4";
  s.variables["LANLORD_ETCD_PASSWORD"] = "env-pw";
  c = node_of(base, s);
  CHECK(c.etcd.endpoints == std::vector<std::string>{"http://env-1:2379", "http://env-2:2379"});
  CHECK(c.etcd.lease_ttl == 4);
  CHECK(c.etcd.user == "file-user");
  CHECK(c.etcd.password == "env-pw");

  std::vector<std::string> args = base;
  args.insert(args.end(), {"--etcd-endpoints", "http://cli:2379", "--lease-ttl", "3"});
  c = node_of(args, s);
  CHECK(c.etcd.endpoints == std::vector<std::string>{"http://cli:2379"});
  CHECK(c.etcd.lease_ttl == 3);

  // The environment's backend over the file's, the command line's over both.
  s.files["udp.conf"] = "backend = udp\n";
  s.variables.clear();
  s.variables["LANLORD_BACKEND"] = "etcd";
  s.variables["LANLORD_ETCD_ENDPOINTS"] = kUrl;
  CHECK(node_of({"join", "--config", "udp.conf"}, s).backend == Backend::kEtcd);
  CHECK(error_of({"join", "--config", "udp.conf", "--backend", "udp"}, s) ==
        "LANLORD_ETCD_ENDPOINTS: etcd-endpoints and --backend udp: the etcd settings are for "
        "the etcd backend only");
  s.variables["LANLORD_ETCD_ENDPOINTS"] = "http://a:1,";
  CHECK(error_of({"join"}, s) ==
        "LANLORD_ETCD_ENDPOINTS: etcd-endpoints: an empty URL in 'http://a:1,' (URL[,URL...])");
}

TEST_CASE("etcd options: watch, leader and run take them, and watch and leader are passive") {
  const lanlord::NodeConfig w = node_of({"watch", "--etcd-endpoints", kUrl});
  CHECK(w.backend == Backend::kEtcd);
  CHECK(w.passive);
  const lanlord::NodeConfig l = node_of({"leader", "--channel", "jobs", "--etcd-endpoints", kUrl});
  CHECK(l.backend == Backend::kEtcd);
  CHECK(l.passive);
  const lanlord::NodeConfig r = node_of({"run", "--channel", "jobs", "--etcd-endpoints", kUrl,
                                         "--lease-ttl", "3", "--", "/bin/true"});
  CHECK(r.backend == Backend::kEtcd);
  CHECK(r.etcd.lease_ttl == 3);
  CHECK_FALSE(r.passive);
  CHECK(contains(error_of({"run", "--channel", "jobs", "--backend", "etcd", "--", "true"}),
                 "needs --etcd-endpoints"));
}

TEST_CASE("etcd options: leader and watch --once answer after the first read, bounded") {
  // One request timeout per endpoint, tried in turn, and one for the read.
  const Invocation one = parse({"leader", "--etcd-endpoints", kUrl});
  REQUIRE(one.action == Invocation::Action::kRun);
  CHECK(leader_wait(std::get<LeaderOptions>(one.options)) == 2s);
  const Invocation three =
      parse({"watch", "--once", "--etcd-endpoints", kUrl + ",http://b:2379,http://c:2379"});
  REQUIRE(three.action == Invocation::Action::kRun);
  CHECK(once_wait(std::get<WatchOptions>(three.options)) == 4s);
  const Invocation waited = parse({"leader", "--etcd-endpoints", kUrl, "--wait", "300ms"});
  REQUIRE(waited.action == Invocation::Action::kRun);
  CHECK(leader_wait(std::get<LeaderOptions>(waited.options)) == 300ms);
  // The UDP backend still listens for its intervals (fast: 1.6 s).
  const Invocation udp = parse({"leader", "--profile", "fast"});
  CHECK(leader_wait(std::get<LeaderOptions>(udp.options)) == 1600ms);
}

TEST_CASE("etcd options: --help describes them and where a password belongs") {
  for (const std::string command : {"join", "run", "watch", "leader"}) {
    INFO(command);
    const Invocation inv = parse({command, "--help"});
    REQUIRE(inv.action == Invocation::Action::kPrint);
    for (const char* option :
         {"--backend NAME", "--etcd-endpoints URL,...", "--lease-ttl SECONDS", "--etcd-cacert FILE",
          "--etcd-cert FILE", "--etcd-key FILE", "--etcd-user NAME", "--etcd-password PASSWORD"}) {
      CHECK(contains(inv.text, option));
    }
    // The descriptions wrap: compare with each run of blanks as one space.
    std::string flat;
    for (const char ch : inv.text) {
      const bool blank = ch == ' ' || ch == '\n';
      if (!blank || (!flat.empty() && flat.back() != ' ')) flat += blank ? ' ' : ch;
    }
    CHECK(contains(flat, "prefer LANLORD_ETCD_PASSWORD or the config file"));
    CHECK(contains(flat, "a command line is visible in ps"));
    CHECK(contains(flat, "(default: from the profile: fast 2, lan 5, fabric 10)"));
  }
}

// Output --------------------------------------------------------------------

namespace {

const WallClock::time_point kNow{std::chrono::milliseconds(1714564984056)};

struct Printed {
  std::ostringstream out;
  EventPrinter printer;
  explicit Printed(Format format) : printer(out, format, [] { return kNow; }) {}
  std::string text() const { return out.str(); }
};

std::string line(std::string_view rest) {
  return R"({"ts":"2024-05-01T12:03:04.056Z",)" + std::string(rest) + "\n";
}

lanlord::NodeStats etcd_stats() {
  lanlord::NodeStats s;
  s.etcd.enabled = true;
  s.etcd.connected = true;
  s.etcd.endpoint = kUrl;
  s.etcd.lease_id = 0x694d7d2b5d6c1a0b;
  s.etcd.lease_ttl = 2;
  s.etcd.requests = 120;
  s.etcd.request_errors = 3;
  s.etcd.keepalives = 40;
  s.etcd.leases_granted = 2;
  s.etcd.leases_lost = 1;
  s.etcd.campaigns = 2;
  s.etcd.watch_events = 9;
  s.etcd.watch_restarts = 1;
  s.peers = 2;
  // UDP counters a backend might leave behind: never shown with etcd.
  s.datagrams_in = 77;
  s.drops[static_cast<std::size_t>(lanlord::DropReason::kStale)] = 5;
  lanlord::ChannelStats c;
  c.channel = "jobs";
  c.leader = lanlord::PeerId("node-a");
  c.epoch = 1234;
  c.is_leader = true;
  c.leader_changes = 1;
  c.alive_peers = 3;
  c.declarations_sent = 4;
  s.channels.push_back(c);
  return s;
}

bool has(const std::string& text, const std::string& l) {
  return text.find(l + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("etcd output: the started event names the backend and the endpoints") {
  const StartedInfo info{.node = "n1",
                         .cluster = "c",
                         .channels = {"jobs"},
                         .endpoint = "etcd http://127.0.0.1:2379 (+1 more), lease TTL 2 s",
                         .unicast = false,
                         .peers = {},
                         .backend = Backend::kEtcd,
                         .etcd_endpoints = {kUrl, "http://127.0.0.1:2479"},
                         .profile = "fast",
                         .passive = false,
                         .key_ids = {},
                         .encrypt = false};
  Printed json(Format::kJson);
  json.printer.started(info);
  CHECK(json.text() ==
        line(R"("event":"started","node":"n1","cluster":"c","channels":["jobs"],"backend":"etcd",)"
             R"("endpoint":"etcd http://127.0.0.1:2379 (+1 more), lease TTL 2 s",)"
             R"("endpoints":["http://127.0.0.1:2379","http://127.0.0.1:2479"],)"
             R"("profile":"fast","passive":false})"));
  Printed human(Format::kHuman);
  human.printer.started(info);
  CHECK(human.text() ==
        "2024-05-01T12:03:04.056Z n1 started: cluster c, channels jobs, etcd "
        "http://127.0.0.1:2379 (+1 more), lease TTL 2 s, profile fast\n");
}

TEST_CASE("etcd output: stats show the etcd object instead of datagrams and drops") {
  Printed json(Format::kJson);
  json.printer.stats("n1", etcd_stats());
  CHECK(json.text() ==
        line(R"("event":"stats","node":"n1","peers":2,"etcd":{"connected":true,)"
             R"("endpoint":"http://127.0.0.1:2379","lease_id":"694d7d2b5d6c1a0b","lease_ttl":2,)"
             R"("requests":120,"request_errors":3,"keepalives":40,"leases_granted":2,)"
             R"("leases_lost":1,"campaigns":2,"watch_events":9,"watch_restarts":1},)"
             R"("channels":[{"channel":"jobs","leader":"node-a","epoch":"1234","is_leader":true,)"
             R"("leader_changes":1,"handoffs_sent":0,"handoffs_received":0,)"
             R"("stale_declarations":0}]})"));
  Printed human(Format::kHuman);
  human.printer.stats("n1", etcd_stats());
  CHECK(human.text() ==
        "2024-05-01T12:03:04.056Z n1 stats: etcd http://127.0.0.1:2379 connected, lease "
        "694d7d2b5d6c1a0b (TTL 2 s), 120 requests (3 failed), 40 keep-alives, 2 leases granted, "
        "1 lost, 2 campaigns, 9 watch events, 1 watch restart, 2 peers held; channel jobs: "
        "leader node-a, epoch 1234, 1 change, handoffs 0 sent 0 received, 0 stale "
        "declarations\n");
  // No lease held (etcd unreachable past the margin): none, not 0.
  lanlord::NodeStats lost = etcd_stats();
  lost.etcd.lease_id = 0;
  lost.etcd.connected = false;
  Printed none(Format::kJson);
  none.printer.stats("n1", lost);
  CHECK(contains(none.text(), R"("etcd":{"connected":false,)"));
  CHECK(contains(none.text(), R"("lease_id":null,)"));
  // The udp backend's stats have no etcd object.
  Printed udp(Format::kJson);
  udp.printer.stats("n1", lanlord::NodeStats{});
  CHECK_FALSE(contains(udp.text(), "etcd"));
  CHECK(contains(udp.text(), R"("datagrams_in":0)"));
}

TEST_CASE("etcd output: the etcd_unreachable warning prints like the others") {
  std::ostringstream out;
  std::ostringstream err;
  EventPrinter human(
      out, Format::kHuman, [] { return kNow; }, &err);
  human.warning("n1", {lanlord::WarningKind::kEtcdUnreachable,
                       "no etcd endpoint answered for 1.5 s; gave up leadership of jobs",
                       {}});
  CHECK(out.str().empty());
  CHECK(err.str() ==
        "2024-05-01T12:03:04.056Z n1 warning (etcd_unreachable): no etcd endpoint answered for "
        "1.5 s; gave up leadership of jobs\n");
  Printed json(Format::kJson);
  json.printer.warning("n1", {lanlord::WarningKind::kEtcdUnreachable, "gone", {}});
  CHECK(json.text() == line(R"("event":"warning","node":"n1","kind":"etcd_unreachable",)"
                            R"("message":"gone","peer":null})"));
}

TEST_CASE("etcd metrics: lanlord_etcd_* families, no datagram or declaration families") {
  const MetricsInfo info{"node-a", "prod", "fast", "1.2.3", "etcd"};
  const std::string t = metrics_text(info, etcd_stats());
  INFO(t);
  CHECK(has(
      t,
      R"(lanlord_info{backend="etcd",cluster="prod",node_id="node-a",profile="fast",version="1.2.3"} 1)"));
  CHECK(has(t, "# TYPE lanlord_etcd_connected gauge"));
  CHECK(has(t, R"(lanlord_etcd_connected{endpoint="http://127.0.0.1:2379"} 1)"));
  CHECK(has(t, "lanlord_etcd_lease_ttl_seconds 2"));
  CHECK(has(t, "# TYPE lanlord_etcd_requests_total counter"));
  CHECK(has(t, "lanlord_etcd_requests_total 120"));
  CHECK(has(t, "lanlord_etcd_request_errors_total 3"));
  CHECK(has(t, "lanlord_etcd_keepalives_total 40"));
  CHECK(has(t, "lanlord_etcd_leases_granted_total 2"));
  CHECK(has(t, "lanlord_etcd_leases_lost_total 1"));
  CHECK(has(t, "lanlord_etcd_campaigns_total 2"));
  CHECK(has(t, "lanlord_etcd_watch_events_total 9"));
  CHECK(has(t, "lanlord_etcd_watch_restarts_total 1"));
  // What means the same with either backend stays.
  CHECK(has(t, R"(lanlord_is_leader{channel="jobs"} 1)"));
  CHECK(has(t, R"(lanlord_leader_epoch{channel="jobs"} 1234)"));
  CHECK(has(t, R"(lanlord_members_alive{channel="jobs"} 3)"));
  CHECK(has(t, R"(lanlord_leader_changes_total{channel="jobs"} 1)"));
  CHECK(contains(t, "lanlord_failover_seconds_count"));
  // The UDP protocol's families are absent, not 0.
  for (const std::string& family : std::vector<std::string>{
           "lanlord_datagrams_total", "lanlord_bytes_total", "lanlord_socket_errors_total",
           "lanlord_dropped_datagrams_total", "lanlord_declarations_sent_total",
           "lanlord_declarations_received_total", "lanlord_proposals_sent_total",
           "lanlord_proposals_received_total", "lanlord_unicast_"}) {
    INFO(family);
    CHECK_FALSE(contains(t, family));
  }
  // No lease held: TTL 0.
  lanlord::NodeStats lost = etcd_stats();
  lost.etcd.lease_id = 0;
  lost.etcd.connected = false;
  const std::string l = metrics_text(info, lost);
  CHECK(has(l, "lanlord_etcd_lease_ttl_seconds 0"));
  CHECK(has(l, R"(lanlord_etcd_connected{endpoint="http://127.0.0.1:2379"} 0)"));
  // The udp backend has none of them.
  CHECK_FALSE(
      contains(metrics_text({"n", "c", "fast", "1"}, lanlord::NodeStats{}), "lanlord_etcd"));
}
