// The `lanlord` binary as users and scripts meet it: real processes on
// loopback, their stdout read line by line with deadlines, their exit codes
// checked. Every cluster here uses --profile fast, a random group in
// 239.0.0.0/8 and a random port, and the default interface (loopback).
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "child_process.hpp"
#include "join_cluster.hpp"
#include "lanlord/keyring.hpp"
#include "lanlord/wire.hpp"

using namespace std::chrono_literals;
using lanlord::testing::after;
using lanlord::testing::ChildProcess;
using lanlord::testing::Deadline;
using namespace lanlord::testing;  // join_cluster.hpp

namespace {

// A keyring file of `keys` (base64 lines), mode 0600 unless `mode` says.
void write_keyring(const std::string& path, const std::vector<std::string>& keys,
                   mode_t mode = 0600) {
  {
    std::ofstream f(path, std::ios::trunc);
    for (const std::string& k : keys) f << k << "\n";
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

std::string key_id_of(const std::string& key) {
  return lanlord::key_id_hex(lanlord::Keyring::from_base64(key)->primary().id);
}

// Reads `p`'s output until its stderr contains `text`, or the deadline.
bool stderr_shows(ChildProcess& p, const std::string& text, Deadline deadline) {
  while (p.stderr_text().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    p.read_line(std::min(deadline, after(50ms)));
  }
  return true;
}

}  // namespace

TEST_CASE("--version prints the project's version, --help the commands") {
  const Finished version = run({"--version"});
  CHECK(version.code == 0);
  CHECK(version.out == std::string("lanlord ") + LANLORD_VERSION + "\n");

  const Finished help = run({"--help"});
  CHECK(help.code == 0);
  for (const char* word : {"join", "watch", "demo", "Example", "--version"}) {
    CHECK_MESSAGE(help.out.find(word) != std::string::npos, word);
  }
  CHECK(help.err.empty());
}

TEST_CASE("each command's --help documents its options, durations, profiles and exit codes") {
  const Finished join = run({"join", "--help"});
  CHECK(join.code == 0);
  for (const char* word : {"--id",
                           "--cluster",
                           "--channel",
                           "--group",
                           "--port",
                           "--interface",
                           "--ttl",
                           "--profile",
                           "--heartbeat",
                           "--alive-expiration",
                           "--startup-grace",
                           "--sample-interval",
                           "--leader-alive",
                           "--election-duration",
                           "--config",
                           "--json",
                           "--verbose",
                           "250ms",
                           "fabric",
                           "lan",
                           "fast",
                           "Exit codes",
                           "is_self",
                           "default: 7676"}) {
    CHECK_MESSAGE(join.out.find(word) != std::string::npos, word);
  }
  const Finished watch = run({"watch", "--help"});
  CHECK(watch.code == 0);
  CHECK(watch.out.find("--once") != std::string::npos);
  const Finished demo = run({"help", "demo"});
  CHECK(demo.code == 0);
  CHECK(demo.out.find("--nodes") != std::string::npos);
}

TEST_CASE("usage errors exit 2 with one line on stderr that names the problem") {
  const std::string config = "/tmp/lanlord-cli-test-" + std::to_string(::getpid()) + ".conf";
  {
    std::ofstream f(config);
    f << "# a comment\nport = 7000\nheartbeet = 1s\n";
  }
  struct Case {
    std::vector<std::string> argv;
    const char* problem;
  };
  const Case cases[] = {
      {{"join", "--bogus"}, "--bogus"},
      {{"join", "--heartbeat", "5x"}, "bad duration '5x'"},
      {{"join", "--alive-expiration", "300"}, "missing unit"},
      {{"join", "--group", "127.0.0.1"}, "not a multicast address"},
      {{"watch", "--group", "ff02::zz"}, "ff02::zz"},
      {{"join", "--profile", "slow"}, "unknown profile 'slow'"},
      {{"demo", "--profile", "slow"}, "unknown profile 'slow'"},
      {{"join", "--port", "70000"}, "not a port"},
      {{"join", "--config", config}, ":3: unknown key 'heartbeet'"},
      {{"join", "stray"}, "unexpected argument 'stray'"},
      {{"join", "--max-members", "0"}, "--max-members: '0' is not a member count"},
      {{"watch", "--max-clock-skew", "30"}, "--max-clock-skew: bad duration '30'"},
      {{"join", "--new-ids-per-second", "lots"}, "--new-ids-per-second"},
      {{"join", "--key-file", "/nonexistent/lanlord.key"}, "/nonexistent/lanlord.key"},
      {{"keygen", "--force"}, "--force"},
      {{"join", "--group", "239.1.2.3", "--peers", "127.0.0.1:7000"},
       "a node is either multicast (--group) or unicast (--peers/--no-multicast)"},
      {{"join", "--advertise", "127.0.0.1"}, "--advertise: only for unicast mode"},
      {{"join", "--peers", "127.0.0.1:0"}, "--peers: '127.0.0.1:0'"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
      {{}, "missing command"},
  };
  for (const Case& c : cases) {
    const Finished r = run(c.argv);
    INFO("stderr: " << r.err);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("lanlord: ", 0) == 0);
    CHECK(r.err.find(c.problem) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  std::remove(config.c_str());
}

TEST_CASE("a runtime failure exits 1 with the reason") {
  const Finished r = run(args({"join", "--interface", "no-such-if0"}, random_net()));
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  CHECK(r.err.find("no-such-if0") != std::string::npos);
}

TEST_CASE("three join processes agree on one leader in their JSON output") {
  Cluster cluster;
  const std::string leader = await_agreement(cluster.all(), after(kAgreement));
  REQUIRE_MESSAGE(!leader.empty(), "no agreement");
  // Member events may trail agreement on a loaded machine (the sanitizer
  // pass): read on, bounded, until each node has reported the others.
  const auto all_joined = [&cluster] {
    for (const auto& n : cluster.nodes) {
      for (const auto& other : cluster.nodes) {
        if (other != n && !n->saw("member_joined", other->id)) return false;
      }
    }
    return true;
  };
  const auto until = after(kAgreement);
  while (!all_joined() && std::chrono::steady_clock::now() < until) {
    for (const auto& n : cluster.nodes) n->poll(after(20ms));
  }
  for (const auto& n : cluster.nodes) {
    REQUIRE(!n->lines.empty());
    CHECK(is_event(n->lines.front(), "started"));
    CHECK(field(n->lines.front(), "node") == n->id);
    // Member events say who and how many are alive.
    for (const auto& other : cluster.nodes) {
      if (other != n) CHECK(n->saw("member_joined", other->id));
    }
  }
}

TEST_CASE("SIGTERM stops the leader gracefully and the others agree on a new one") {
  Cluster cluster;
  const std::string first = await_agreement(cluster.all(), after(kAgreement));
  REQUIRE(!first.empty());
  std::vector<JoinProcess*> survivors;
  for (const auto& n : cluster.nodes) {
    if (n->id != first) survivors.push_back(n.get());
  }
  JoinProcess& leader =
      *std::find_if(cluster.nodes.begin(), cluster.nodes.end(), [&first](const auto& n) {
         return n->id == first;
       })->get();
  leader.process->signal(SIGTERM);
  REQUIRE(leader.process->read_until(after(kExit),
                                     [](const std::string& l) { return is_event(l, "stopped"); }));
  CHECK(leader.process->wait(after(kExit)) == 0);

  const std::string second = await_agreement(survivors, after(kAgreement));
  CHECK(!second.empty());
  CHECK(second != first);
  // The leave was sent: the survivors saw the old leader leave, not die.
  for (const JoinProcess* n : survivors) {
    CHECK(n->saw("member_left", first));
    CHECK_FALSE(n->saw("member_dead", first));
  }
  for (JoinProcess* n : survivors) {
    n->process->signal(SIGINT);
    CHECK(n->process->wait(after(kExit)) == 0);
  }
}

TEST_CASE("join whose stdout reader went away (EPIPE) leaves gracefully and exits 0") {
  // `lanlord join --json | head -1`: the next event finds the pipe closed.
  // Without SIGPIPE ignored, lanlord would die there, without a leave.
  const Net net = random_net();
  JoinProcess a("pipe-a", net);
  JoinProcess b("pipe-b", net);
  REQUIRE(!await_agreement({&a, &b}, after(kAgreement)).empty());
  b.process->close_stdout();
  JoinProcess c("pipe-c", net);  // b's next event: c joined
  CHECK(b.process->wait(after(kExit)) == 0);
  const Deadline end = after(kAgreement);
  while (!a.saw("member_left", "pipe-b") && a.poll(end)) {
  }
  CHECK_MESSAGE(a.saw("member_left", "pipe-b"), b.process->stderr_text());
  CHECK_FALSE(a.saw("member_dead", "pipe-b"));
  for (JoinProcess* n : {&a, &c}) {
    n->process->signal(SIGTERM);
    CHECK(n->process->wait(after(kExit)) == 0);
  }
}

TEST_CASE("watch --once on a healthy cluster prints the table and exits 0") {
  Cluster cluster;
  const std::string leader = await_agreement(cluster.all(), after(kAgreement));
  REQUIRE(!leader.empty());

  const Finished json = run(args({"watch", "--once", "--json"}, cluster.net));
  CHECK(json.code == 0);
  INFO("stdout: " << json.out);
  REQUIRE(std::count(json.out.begin(), json.out.end(), '\n') == 1);
  const std::string line = json.out.substr(0, json.out.size() - 1);
  check_contract(line);
  CHECK(is_event(line, "table"));
  CHECK(field(line, "members") == "3");
  CHECK(field(line, "leader") == leader);
  CHECK(field(line, "ok") == "true");

  // The other runs listen longer: their point is the output, not the default
  // wait. A listening window, not a deadline, so not scaled.
  const Finished human = run(args({"watch", "--once", "--wait", "2s"}, cluster.net));
  CHECK(human.code == 0);
  CHECK(human.out.find("default: " + leader + ", epoch ") != std::string::npos);
  CHECK(human.out.find("verdict: ok") != std::string::npos);

  // A channel nobody runs has no leader: not healthy.
  const Finished missing =
      run(args({"watch", "--once", "--wait", "2s", "--channel", "billing"}, cluster.net));
  CHECK(missing.code == 1);
  CHECK(missing.out.find("billing: none") != std::string::npos);

  // The watchers were never members.
  for (const auto& n : cluster.nodes) {
    while (n->poll(after(20ms))) {
    }
    for (const std::string& l : n->lines) CHECK(l.find("watch-") == std::string::npos);
  }
}

TEST_CASE("watch --once with nobody on the group exits 1") {
  const Finished r = run(args({"watch", "--once"}, random_net()));
  CHECK(r.code == 1);
  CHECK(r.out.find("heard no member") != std::string::npos);
}

TEST_CASE("watch prints members and leaders as they change, and stops on SIGINT") {
  Cluster cluster;
  const std::string leader = await_agreement(cluster.all(), after(kAgreement));
  REQUIRE(!leader.empty());
  ChildProcess watcher(kLanlord, args({"watch", "--json"}, cluster.net));
  // The three members and the leader, in whatever order they are heard.
  std::set<std::string> joined;
  bool leader_named = false;
  const auto heard_all = [&](const std::string& l) {
    check_contract(l);
    if (is_event(l, "member_joined")) joined.insert(field(l, "member").value_or(""));
    if (is_event(l, "leader")) {
      CHECK(field(l, "is_self") == "false");
      leader_named = field(l, "leader") == leader;
    }
    return joined.size() == 3 && leader_named;
  };
  REQUIRE_MESSAGE(watcher.read_until(after(kAgreement), heard_all), watcher.stderr_text());
  CHECK(joined == std::set<std::string>{"node-a", "node-b", "node-c"});
  watcher.signal(SIGINT);
  CHECK(watcher.read_until(after(kExit),
                           [](const std::string& l) { return is_event(l, "stopped"); }));
  CHECK(watcher.wait(after(kExit)) == 0);
}

TEST_CASE(
    "garbage, truncated, foreign and replayed datagrams are dropped, visibly with --verbose") {
  namespace asio = boost::asio;
  using asio::ip::udp;
  Cluster cluster({"--verbose"});
  const std::string leader = await_agreement(cluster.all(), after(kAgreement));
  REQUIRE(!leader.empty());

  asio::io_context io;
  const auto group = asio::ip::make_address_v4(cluster.net.group);
  const auto port = static_cast<unsigned short>(std::stoi(cluster.net.port));
  const auto lo = asio::ip::make_address_v4("127.0.0.1");
  const udp::endpoint destination(group, port);

  // A listener on the group, to capture a real heartbeat for the replay.
  udp::socket listener(io, udp::v4());
  listener.set_option(udp::socket::reuse_address(true));
  listener.bind(destination);
  listener.set_option(asio::ip::multicast::join_group(group, lo));
  std::vector<std::uint8_t> captured(lanlord::wire::kMaxDatagramSize);
  const std::optional<std::size_t> got =
      receive_within(io, listener, asio::buffer(captured), lanlord::test::scaled(kExit));
  REQUIRE_MESSAGE(got.has_value(), "no heartbeat heard on the group");
  captured.resize(*got);

  // Sends only on loopback, as the nodes do.
  udp::socket sender(io, udp::v4());
  sender.set_option(asio::ip::multicast::outbound_interface(lo));
  sender.set_option(asio::ip::multicast::hops(1));
  const auto send = [&sender, &destination](const std::vector<std::uint8_t>& datagram) {
    sender.send_to(asio::buffer(datagram), destination);
  };

  lanlord::wire::Message foreign;
  foreign.cluster = "someone-else";
  foreign.sender = lanlord::PeerId("intruder");
  foreign.time = {1, 1};
  foreign.body = lanlord::wire::Leadership{"default", true};
  const lanlord::wire::Encoded encoded = lanlord::wire::encode(foreign);
  REQUIRE(encoded.status.is_ok());

  send({'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!'});  // bad_magic
  send(std::vector<std::uint8_t>(encoded.datagram.begin(), encoded.datagram.begin() + 5));
  send(std::vector<std::uint8_t>(captured.begin(), captured.end() - 8));  // truncated payload
  send(std::vector<std::uint8_t>(lanlord::wire::kMaxDatagramSize + 100, 0x4c));  // too_large
  send(encoded.datagram);                                                        // foreign
  send(captured);                                                                // replay
  send(captured);

  // Every node receives all of it; the captured datagram is stale to the
  // two that did not send it (its sender drops it silently as its own).
  std::set<std::string> reasons;
  const std::set<std::string> expected = {"bad_magic", "truncated", "too_large", "foreign_cluster",
                                          "stale"};
  const Deadline deadline = after(kAgreement);
  while (reasons != expected && std::chrono::steady_clock::now() < deadline) {
    for (const auto& n : cluster.nodes) {
      while (n->poll(after(20ms))) {
        const std::string& line = n->lines.back();
        if (!is_event(line, "dropped")) continue;
        reasons.insert(field(line, "reason").value_or(""));
        CHECK(field(line, "from").value_or("").find("127.0.0.1:") == 0);
      }
    }
  }
  CHECK(reasons == expected);

  // Nobody was confused: same leader, all still running.
  CHECK(await_agreement(cluster.all(), after(kAgreement)) == leader);
  for (const auto& n : cluster.nodes) {
    n->process->signal(SIGTERM);
    CHECK(n->process->wait(after(kExit)) == 0);
  }
}

TEST_CASE("demo runs an election, a crash and a failover, and exits 0") {
  const Net net = random_net();
  const Finished human =
      run({"demo", "--nodes", "3", "--group", net.group, "--port", net.port}, 50s);
  INFO("stdout: " << human.out << "\nstderr: " << human.err);
  CHECK(human.code == 0);
  CHECK(human.out.find("all 3 nodes agree: node-") != std::string::npos);
  CHECK(human.out.find("crashing the leader node-") != std::string::npos);
  CHECK(human.out.find("the 2 survivors agree: node-") != std::string::npos);
  CHECK(human.out.find("failover took ") != std::string::npos);
  CHECK(human.out.find("done") != std::string::npos);
}

TEST_CASE("demo --json reports each phase as an event") {
  const Net net = random_net();
  const Finished json =
      run({"demo", "--json", "--nodes", "2", "--group", net.group, "--port", net.port}, 50s);
  INFO("stdout: " << json.out);
  CHECK(json.code == 0);
  std::vector<std::string> events;
  std::size_t start = 0;
  for (std::size_t nl; (nl = json.out.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string line = json.out.substr(start, nl - start);
    check_contract(line);
    events.push_back(field(line, "event").value_or(""));
  }
  for (const char* e : {"demo_plan", "started", "leader", "demo_agreed", "demo_crash",
                        "demo_failover", "stopped", "demo_done"}) {
    CHECK_MESSAGE(std::find(events.begin(), events.end(), e) != events.end(), e);
  }
}

TEST_CASE("keygen prints a key and its id, or writes a 0600 file it will not overwrite") {
  const Finished printed = run({"keygen"});
  CHECK(printed.code == 0);
  REQUIRE(printed.out.size() > 1);
  const std::string key = printed.out.substr(0, printed.out.size() - 1);
  const auto keyring = lanlord::Keyring::from_base64(key);
  REQUIRE_MESSAGE(keyring.ok(), printed.out);
  CHECK(printed.err == "key id " + key_id_of(key) + "\n");
  CHECK(run({"keygen"}).out != printed.out);  // random

  TempDir dir;
  const std::string path = dir.file("cluster.key");
  const Finished written = run({"keygen", "--output", path});
  CHECK(written.code == 0);
  CHECK(written.out.empty());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const auto loaded = lanlord::Keyring::load_file(path);
  REQUIRE_MESSAGE(loaded.ok(), loaded.status().message());
  const std::string id = lanlord::key_id_hex(loaded->primary().id);
  CHECK(written.err.find("key id " + id) == 0);

  // An existing file is kept: a usage error, the key unchanged.
  const Finished refused = run({"keygen", "--output", path});
  CHECK(refused.code == 2);
  CHECK(refused.err.find("exists") != std::string::npos);
  CHECK(refused.err.find("--force") != std::string::npos);
  CHECK(lanlord::key_id_hex(lanlord::Keyring::load_file(path)->primary().id) == id);

  // --force replaces it, and a loose mode with it.
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  const Finished forced = run({"keygen", "--output", path, "--force"});
  CHECK(forced.code == 0);
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const auto replaced = lanlord::Keyring::load_file(path);
  REQUIRE(replaced.ok());
  CHECK(lanlord::key_id_hex(replaced->primary().id) != id);

  // A file that cannot be created is a runtime failure.
  const Finished io = run({"keygen", "--output", dir.file("no/such/dir/k")});
  CHECK(io.code == 1);
  CHECK(io.err.find("no/such/dir/k") != std::string::npos);
}

TEST_CASE("--key-file: a file others may read is refused with exit 2, and --encrypt needs a key") {
  TempDir dir;
  const std::string loose = dir.file("loose.key");
  write_keyring(loose, {lanlord::Keyring::generate_key()}, 0644);
  const Finished r = run(args({"join", "--key-file", loose}, random_net()));
  CHECK(r.code == 2);
  CHECK(r.err.find("chmod 600") != std::string::npos);
  const Finished e = run(args({"join", "--encrypt"}, random_net()));
  CHECK(e.code == 2);
  CHECK(e.err.find("--encrypt needs a key") != std::string::npos);
}

TEST_CASE("SIGHUP reloads the key file, and a bad file keeps the old keys") {
  TempDir dir;
  const std::string path = dir.file("cluster.key");
  const std::string old_key = lanlord::Keyring::generate_key();
  const std::string new_key = lanlord::Keyring::generate_key();
  write_keyring(path, {old_key});
  const Net net = random_net();
  ChildProcess node(kLanlord, args({"join", "--id", "keyed", "--json", "--key-file", path}, net));
  const auto started =
      node.read_until(after(kExit), [](const std::string& l) { return is_event(l, "started"); });
  REQUIRE_MESSAGE(started, node.stderr_text());
  CHECK(started->find("\"key_ids\":[\"" + key_id_of(old_key) + "\"]") != std::string::npos);

  // Rotation, step one: the new key as a second line... here made primary
  // at once, the old one still accepted.
  write_keyring(path, {new_key, old_key});
  node.signal(SIGHUP);
  const auto reloaded = node.read_until(
      after(kExit), [](const std::string& l) { return is_event(l, "keys_reloaded"); });
  REQUIRE_MESSAGE(reloaded, node.stderr_text());
  check_contract(*reloaded);
  CHECK(reloaded->find("\"key_ids\":[\"" + key_id_of(new_key) + "\",\"" + key_id_of(old_key) +
                       "\"]") != std::string::npos);
  CHECK(field(*reloaded, "file") == path);

  // A file others can read: an error line, the node keeps running.
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  node.signal(SIGHUP);
  CHECK_MESSAGE(stderr_shows(node, "key reload failed, keeping the old keys", after(kExit)),
                node.stderr_text());
  CHECK(node.stderr_text().find("chmod 600") != std::string::npos);
  CHECK_FALSE(node.wait(after(300ms)).has_value());  // still running

  node.signal(SIGTERM);
  CHECK(node.read_until(after(kExit), [](const std::string& l) { return is_event(l, "stopped"); }));
  CHECK(node.wait(after(kExit)) == 0);
}

namespace {

// Two `join` processes with one id: the second one started stops with exit
// 1 and names the first one's address; the first keeps running. Returns
// how long the second ran after its `started` line. `proof`: the first
// knows it for a duplicate too (with a key: at once; without, the second
// may stop before the first has three intervals of evidence, so the
// first reports the conflict, maybe not as a duplicate).
std::chrono::milliseconds duplicate_id_scenario(const std::vector<std::string>& extra, bool proof) {
  const Net net = random_net();
  std::vector<std::string> argv = args({"join", "--id", "twin", "--json"}, net);
  argv.insert(argv.end(), extra.begin(), extra.end());
  ChildProcess first(kLanlord, argv);
  REQUIRE(
      first.read_until(after(kExit), [](const std::string& l) { return is_event(l, "started"); }));
  // Let the first one's start time be clearly earlier.
  std::this_thread::sleep_for(50ms);
  ChildProcess second(kLanlord, argv);
  REQUIRE(
      second.read_until(after(kExit), [](const std::string& l) { return is_event(l, "started"); }));
  const auto since = std::chrono::steady_clock::now();
  const auto conflict = second.read_until(after(kAgreement), [](const std::string& l) {
    return is_event(l, "id_conflict") && field(l, "stopped") == "true";
  });
  REQUIRE_MESSAGE(conflict, second.stderr_text());
  CHECK(field(*conflict, "duplicate") == "true");
  CHECK(field(*conflict, "from").value_or("").find("127.0.0.1:") == 0);
  const std::optional<int> code = second.wait(after(kExit));
  const auto ran = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - since);
  CHECK(code == 1);
  INFO("stderr: " << second.stderr_text());
  CHECK(second.stderr_text().find("lanlord: another process with id twin is running at " +
                                  field(*conflict, "from").value_or("?") +
                                  "; this one started later and stops\n") != std::string::npos);

  // The first keeps running, and said what it saw.
  const auto seen = first.read_until(after(kAgreement), [proof](const std::string& l) {
    return is_event(l, "id_conflict") && (!proof || field(l, "duplicate") == "true");
  });
  CHECK_MESSAGE(seen, first.stderr_text());
  if (seen) CHECK(field(*seen, "stopped") == "false");
  CHECK_FALSE(first.wait(after(300ms)).has_value());
  first.signal(SIGTERM);
  CHECK(first.wait(after(kExit)) == 0);
  return ran;
}

}  // namespace

TEST_CASE("two processes with one id and a key: the later one stops at once with exit 1") {
  TempDir dir;
  const std::string path = dir.file("cluster.key");
  write_keyring(path, {lanlord::Keyring::generate_key()});
  // Heartbeats every second: without the key's proof it would take three
  // (at least 3s); with it the first heartbeat heard settles it.
  const auto ran = duplicate_id_scenario(
      {"--key-file", path, "--heartbeat", "1s", "--alive-expiration", "3s"}, true);
  CHECK(ran < 2800ms);
}

TEST_CASE("two processes with one id and no key: the later one stops after three heartbeats") {
  const auto ran = duplicate_id_scenario({}, false);
  // The fast profile heartbeats every 100ms: three intervals at least.
  CHECK(ran >= 300ms);
}

TEST_CASE(
    "watch --once on a keyed cluster: another key is counted, unauthenticated traffic fails") {
  TempDir dir;
  const std::string ours = dir.file("ours.key");
  const std::string theirs = dir.file("theirs.key");
  write_keyring(ours, {lanlord::Keyring::generate_key()});
  write_keyring(theirs, {lanlord::Keyring::generate_key()});
  const Net net = random_net();
  JoinProcess keyed("node-k", net, {"--key-file", ours});
  JoinProcess other("node-o", net, {"--key-file", theirs});
  REQUIRE(!await_agreement({&keyed}, after(kAgreement)).empty());

  const Finished ok = run(args({"watch", "--once", "--wait", "1500ms", "--key-file", ours}, net));
  INFO("stdout: " << ok.out << "\nstderr: " << ok.err);
  CHECK(ok.code == 0);
  CHECK(ok.out.find("with another key (ignored)") != std::string::npos);
  CHECK(ok.out.find("foreign_key ") != std::string::npos);
  CHECK(ok.out.find("verdict: ok") != std::string::npos);

  JoinProcess unkeyed("node-u", net);
  const Finished bad =
      run(args({"watch", "--once", "--wait", "1500ms", "--key-file", ours, "--json"}, net));
  INFO("stdout: " << bad.out);
  CHECK(bad.code == 1);
  CHECK(bad.out.find(R"("ok":false,"problem":")") != std::string::npos);
  CHECK(bad.out.find("unauthenticated datagrams on a keyed cluster") != std::string::npos);
}

TEST_CASE("LANLORD_KEY keys a node when no --key-file is given, and --key-file wins over it") {
  const std::string env_key = lanlord::Keyring::generate_key();
  const Net net = random_net();
  {
    ChildProcess node(kLanlord, args({"join", "--id", "env", "--json"}, net),
                      {"LANLORD_KEY=" + env_key});
    const auto started =
        node.read_until(after(kExit), [](const std::string& l) { return is_event(l, "started"); });
    REQUIRE_MESSAGE(started, node.stderr_text());
    CHECK(started->find("\"key_ids\":[\"" + key_id_of(env_key) + "\"]") != std::string::npos);
    // A key from the environment cannot be reloaded: said, and it keeps running.
    node.signal(SIGHUP);
    CHECK(stderr_shows(node, "no key file to reload", after(kExit)));
    node.signal(SIGTERM);
    CHECK(node.wait(after(kExit)) == 0);
  }
  TempDir dir;
  const std::string path = dir.file("cluster.key");
  const std::string file_key = lanlord::Keyring::generate_key();
  write_keyring(path, {file_key});
  ChildProcess node(kLanlord, args({"join", "--id", "file", "--json", "--key-file", path}, net),
                    {"LANLORD_KEY=" + env_key});
  const auto started =
      node.read_until(after(kExit), [](const std::string& l) { return is_event(l, "started"); });
  REQUIRE_MESSAGE(started, node.stderr_text());
  CHECK(started->find("\"key_ids\":[\"" + key_id_of(file_key) + "\"]") != std::string::npos);
  node.signal(SIGTERM);
  CHECK(node.wait(after(kExit)) == 0);
}

// `lanlord leader` asks a group who leads. Each test has a group, port and
// cluster name of its own.
namespace {

std::vector<std::string> leader_args(std::vector<std::string> command, const Net& net,
                                     const std::string& cluster) {
  command.insert(command.end(), {"--cluster", cluster});
  return args(std::move(command), net);
}

// The listening window of the runs below that are about the output, not the
// default wait: a window, scaled so that a sanitizer build hears every
// declaration too.
std::string leader_window() {
  return std::to_string(lanlord::test::scaled(std::chrono::milliseconds(1200)).count()) + "ms";
}

}  // namespace

TEST_CASE("leader on a healthy group prints the agreed leader with its epoch and exits 0") {
  const Net net = random_net();
  const std::string cluster = "leader-ok-" + net.port;
  std::vector<std::unique_ptr<JoinProcess>> nodes;
  for (const char* id : {"node-a", "node-b", "node-c"}) {
    nodes.push_back(std::make_unique<JoinProcess>(
        id, net, std::vector<std::string>{"--cluster", cluster, "--metadata", "203.0.113.5:8080"}));
  }
  std::vector<JoinProcess*> all;
  for (const auto& n : nodes) all.push_back(n.get());
  const std::string leader = await_agreement(all, after(kAgreement));
  REQUIRE(!leader.empty());
  // join's leader events carry the epoch (a string of digits) and metadata.
  for (const std::string& l : nodes.front()->lines) {
    if (!is_event(l, "leader") || field(l, "leader") == "null") continue;
    CHECK_MESSAGE(
        std::regex_search(l, std::regex(R"("epoch":"\d+","metadata":"203.0.113.5:8080")")), l);
  }

  // The default wait (one idle heartbeat interval and a heartbeat, plus
  // leader-alive/2: 1.6s with fast), so the idle member is counted.
  const Finished json = run(leader_args({"leader", "--json"}, net, cluster));
  INFO("stdout: " << json.out << "stderr: " << json.err);
  CHECK(json.code == 0);
  REQUIRE(std::count(json.out.begin(), json.out.end(), '\n') == 1);
  const std::string line = json.out.substr(0, json.out.size() - 1);
  check_contract(line);
  CHECK(is_event(line, "leaders"));
  CHECK(field(line, "leader") == leader);
  CHECK(field(line, "metadata") == "203.0.113.5:8080");
  CHECK(field(line, "members") == "3");
  CHECK(field(line, "ok") == "true");
  // A non-zero epoch, as a string of digits.
  const std::optional<std::string> epoch = field(line, "epoch");
  REQUIRE(epoch.has_value());
  CHECK(std::regex_match(*epoch, std::regex(R"(\d+)")));
  CHECK(*epoch != "0");

  const Finished human =
      run(leader_args({"leader", "--channel", "default", "--wait", leader_window()}, net, cluster));
  CHECK(human.code == 0);
  CHECK(human.out == "default  leader " + leader + "  epoch " + *epoch +
                         "  metadata \"203.0.113.5:8080\"  (3 members)\n");

  // A channel nobody runs has no leader.
  const Finished missing =
      run(leader_args({"leader", "--channel", "billing", "--wait", leader_window()}, net, cluster));
  CHECK(missing.code == 1);
  CHECK(missing.out == "billing  no leader  (0 members)\n");

  // The query was never a member.
  for (const auto& n : nodes) {
    for (const std::string& l : n->lines) CHECK(l.find("watch-") == std::string::npos);
  }
}

TEST_CASE("leader on an empty group exits 1: no leader") {
  const Net net = random_net();
  const Finished r = run(leader_args({"leader"}, net, "leader-empty-" + net.port));
  CHECK(r.code == 1);
  CHECK(r.out.find("no leader") == 0);
  const Finished json = run(leader_args({"leader", "--json"}, net, "leader-empty-" + net.port));
  CHECK(json.code == 1);
  CHECK(json.out.find(R"("channels":[],"ok":false,"problem":"heard no member and no leader")") !=
        std::string::npos);
}

// Two nodes with different keys drop each other's datagrams, so each leads
// alone; a query holding both keys hears both declare: a split, exit 1.
// Planted: exiting 0 on a split fails the exit codes here; a judge() that
// ignores ChannelStats::declaring fails the "split" lines.
TEST_CASE("leader on a split group names both leaders and exits 1") {
  TempDir dir;
  const std::string key_a = dir.file("a.key");
  const std::string key_b = dir.file("b.key");
  REQUIRE(run({"keygen", "--output", key_a}).code == 0);
  REQUIRE(run({"keygen", "--output", key_b}).code == 0);
  const std::string both = dir.file("both.key");
  {
    std::ifstream a(key_a);
    std::ifstream b(key_b);
    std::string line_a;
    std::string line_b;
    std::getline(a, line_a);
    std::getline(b, line_b);
    write_keyring(both, {line_a, line_b});
  }

  const Net net = random_net();
  const std::string cluster = "leader-split-" + net.port;
  JoinProcess a("node-a", net, {"--cluster", cluster, "--key-file", key_a});
  JoinProcess b("node-b", net, {"--cluster", cluster, "--key-file", key_b});
  const Deadline deadline = after(kAgreement);
  while (!(a.is_self && b.is_self) && std::chrono::steady_clock::now() < deadline) {
    a.poll(after(20ms));
    b.poll(after(20ms));
  }
  REQUIRE_MESSAGE(a.is_self, "node-a never led alone");
  REQUIRE_MESSAGE(b.is_self, "node-b never led alone");

  const Finished human =
      run(leader_args({"leader", "--key-file", both, "--wait", leader_window()}, net, cluster));
  INFO("stdout: " << human.out << "stderr: " << human.err);
  CHECK(human.code == 1);
  CHECK(human.out == "default  split: node-a, node-b declare leadership  (2 members)\n");

  const Finished json = run(leader_args(
      {"leader", "--json", "--channel", "default", "--key-file", both, "--wait", leader_window()},
      net, cluster));
  INFO("json: " << json.out);
  CHECK(json.code == 1);
  CHECK(json.out.find(R"("declaring":["node-a","node-b"],"ok":false,"problem":"split")") !=
        std::string::npos);

  // Each key alone sees one leader: the other side is foreign.
  const Finished only_a =
      run(leader_args({"leader", "--key-file", key_a, "--wait", leader_window()}, net, cluster));
  CHECK(only_a.code == 0);
  CHECK(only_a.out.find("default  leader node-a  epoch ") == 0);
}

TEST_CASE("leader --help states the wait and exit codes, and a bad command line exits 2") {
  const Finished help = run({"leader", "--help"});
  CHECK(help.code == 0);
  for (const char* word :
       {"Usage: lanlord leader", "--wait", "1.6s with fast", "Exit codes", "split", "--key-file"}) {
    CHECK_MESSAGE(help.out.find(word) != std::string::npos, word);
  }
  const Finished bad = run({"leader", "--channel", "a", "--channel", "b"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("try 'lanlord leader --help'") != std::string::npos);
}

// Unicast mode on loopback: three nodes on 127.0.0.1, ports P, P+1, P+2,
// each told of one seed only; with a key they learn the rest from the
// seeds' heartbeats, agree on one leader, and `lanlord leader` (an
// observer on port P+3, told of one seed) prints it.
TEST_CASE("unicast: three join processes with one seed each agree, and leader prints it") {
  TempDir dir;
  const std::string key = dir.file("cluster.key");
  REQUIRE(run({"keygen", "--output", key}).code == 0);
  const int p = std::stoi(random_net().port);
  const auto port = [p](int i) { return std::to_string(p + i); };
  const auto at = [&port](int i) { return "127.0.0.1:" + port(i); };
  const std::string cluster = "unicast-" + port(0);
  const auto options = [&](int self, int seed) {
    return std::vector<std::string>{
        "--no-multicast", "--interface", "lo", "--port",    port(self), "--peers",
        at(seed),         "--key-file",  key,  "--cluster", cluster};
  };
  using NoGroup = JoinProcess::NoGroup;
  // a and c know b's address only, b knows a's: nobody is told of c.
  JoinProcess a("node-a", NoGroup{}, options(0, 1));
  JoinProcess b("node-b", NoGroup{}, options(1, 0));
  JoinProcess c("node-c", NoGroup{}, options(2, 1));
  const std::string leader = await_agreement({&a, &b, &c}, after(kAgreement));
  REQUIRE_MESSAGE(!leader.empty(), "no agreement; node-a said: " << a.process->stderr_text());
  // Member events may trail agreement on a loaded machine (as in the
  // multicast test): read on, bounded, until each node has reported the others.
  const auto all_joined = [&a, &b, &c] {
    for (JoinProcess* n : {&a, &b, &c}) {
      for (JoinProcess* other : {&a, &b, &c}) {
        if (other != n && !n->saw("member_joined", other->id)) return false;
      }
    }
    return true;
  };
  const auto until = after(kAgreement);
  while (!all_joined() && std::chrono::steady_clock::now() < until) {
    for (JoinProcess* n : {&a, &b, &c}) n->poll(after(20ms));
  }
  for (JoinProcess* n : {&a, &b, &c}) {
    REQUIRE(!n->lines.empty());
    CHECK(field(n->lines.front(), "mode") == "unicast");
    for (JoinProcess* other : {&a, &b, &c}) {
      if (other != n) CHECK_MESSAGE(n->saw("member_joined", other->id), n->id << " " << other->id);
    }
  }
  const Finished answer =
      run({"leader", "--json", "--profile", "fast", "--no-multicast", "--interface", "lo", "--port",
           port(3), "--peers", at(0), "--key-file", key, "--cluster", cluster});
  INFO("stdout: " << answer.out << "stderr: " << answer.err);
  CHECK(answer.code == 0);
  CHECK(field(answer.out, "leader") == leader);
  CHECK(field(answer.out, "members") == "3");
}
