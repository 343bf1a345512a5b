// The `lanlord` program with the etcd backend, against a private etcd on
// 127.0.0.1 (tests/etcd_server.hpp: random ports, a temporary data
// directory, stopped at the end): three `join` processes elect one leader
// and keep it, `leader` prints it from etcd's first read, and three `run`
// processes never run two commands at once, with growing epochs.
#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../etcd_server.hpp"
#include "join_cluster.hpp"

using namespace std::chrono_literals;
using namespace lanlord::testing;

namespace {

// One etcd; each test uses its own cluster name, so keys never mix.
std::vector<std::string> etcd_options(const EtcdServer& etcd, const std::string& cluster) {
  return {"--backend", "etcd", "--etcd-endpoints", etcd.endpoint(), "--cluster", cluster};
}

std::string transcripts(const std::vector<JoinProcess*>& nodes) {
  std::string all;
  for (const JoinProcess* n : nodes) {
    all += "--- " + n->id + "\n";
    for (const std::string& l : n->lines) all += l + "\n";
    all += n->process->stderr_text();
  }
  return all;
}

// Reads until `nodes` agree on a leader other than `old`; it, or "".
std::string await_new_leader(const std::vector<JoinProcess*>& nodes, const std::string& old,
                             Deadline deadline) {
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string leader = await_agreement(nodes, std::min(deadline, after(200ms)));
    if (!leader.empty() && leader != old) return leader;
  }
  return "";
}

// One `lanlord run --json` process and the lines it printed.
struct RunNode {
  std::string id;
  ChildProcess process;
  std::vector<std::string> lines;
  RunNode(std::string node_id, const std::vector<std::string>& argv)
      : id(std::move(node_id)), process(kLanlord, argv) {}
  void drain() {
    while (const std::optional<std::string> l = process.read_line(after(20ms))) lines.push_back(*l);
  }
  std::size_t started() const {
    std::size_t k = 0;
    for (const std::string& l : lines) k += is_event(l, "command_started") ? 1 : 0;
    return k;
  }
  std::string transcript() const {
    std::string all = "--- " + id + "\n";
    for (const std::string& l : lines) all += l + "\n";
    return all + process.stderr_text();
  }
};

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

}  // namespace

TEST_CASE("etcd process: three joins elect one leader and keep it, leader prints it at once") {
  EtcdServer etcd;
  std::vector<std::string> options = etcd_options(etcd, "three");
  options.insert(options.end(), {"--channel", "jobs"});
  JoinProcess a("node-a", JoinProcess::NoGroup{}, options);
  JoinProcess b("node-b", JoinProcess::NoGroup{}, options);
  JoinProcess c("node-c", JoinProcess::NoGroup{}, options);
  const std::vector<JoinProcess*> nodes = {&a, &b, &c};
  const std::string leader = await_agreement(nodes, after(kAgreement));
  REQUIRE_MESSAGE(!leader.empty(), transcripts(nodes));
  for (const JoinProcess* n : nodes) {
    REQUIRE(!n->lines.empty());
    CHECK(is_event(n->lines.front(), "started"));
    CHECK(field(n->lines.front(), "backend") == "etcd");
  }

  // One leader, held: for a whole second nobody names another.
  const Deadline hold = after(1s);
  while (std::chrono::steady_clock::now() < hold) {
    for (JoinProcess* n : nodes) {
      while (n->poll(after(20ms))) {
      }
      CHECK_MESSAGE(n->leader == leader, transcripts(nodes));
    }
  }
  std::string epoch;
  for (const std::string& l : a.lines) {
    if (is_event(l, "leader") && field(l, "leader") == leader) epoch = field(l, "epoch").value();
  }
  CHECK(epoch != "0");

  // `leader` answers from etcd's first read, long before its --wait.
  const auto began = std::chrono::steady_clock::now();
  const Finished json = run({"leader", "--json", "--channel", "jobs", "--wait", "30s", "--backend",
                             "etcd", "--etcd-endpoints", etcd.endpoint(), "--cluster", "three"});
  const auto took = std::chrono::steady_clock::now() - began;
  INFO("stdout: " << json.out << "stderr: " << json.err);
  CHECK(json.code == 0);
  CHECK(took < lanlord::test::scaled(10s));
  CHECK(is_event(json.out, "leaders"));
  CHECK(field(json.out, "leader") == leader);
  CHECK(field(json.out, "epoch") == epoch);
  CHECK(field(json.out, "ok") == "true");
  // A channel nobody runs: no leader, within the bound (2 s with one endpoint).
  const Finished missing = run({"leader", "--channel", "billing", "--etcd-endpoints",
                                etcd.endpoint(), "--cluster", "three"});
  CHECK(missing.code == 1);
  CHECK(missing.out.starts_with("billing  no leader"));

  // watch --once judges from the same first read: one leader, and its
  // stats are the etcd backend's.
  const Finished watch = run({"watch", "--once", "--json", "--channel", "jobs", "--wait", "30s",
                              "--etcd-endpoints", etcd.endpoint(), "--cluster", "three"});
  INFO("watch: " << watch.out << watch.err);
  CHECK(watch.code == 0);
  CHECK(is_event(watch.out, "table"));
  CHECK(watch.out.find(R"("etcd":{"connected":true,)") != std::string::npos);
  CHECK(watch.out.find("datagrams_in") == std::string::npos);

  // kill -9 of the leader: another takes over within the lease TTL
  // (fast: 2 s), with a higher epoch.
  JoinProcess* old = nullptr;
  for (JoinProcess* n : nodes) {
    if (n->id == leader) old = n;
  }
  REQUIRE(old != nullptr);
  old->process->signal(SIGKILL);
  CHECK(old->process->wait(after(kExit)) == -SIGKILL);
  std::vector<JoinProcess*> rest;
  for (JoinProcess* n : nodes) {
    if (n != old) rest.push_back(n);
  }
  const std::string next = await_new_leader(rest, leader, after(kAgreement));
  REQUIRE_MESSAGE(!next.empty(), transcripts(nodes));
  std::string next_epoch;
  for (const std::string& l : rest.front()->lines) {
    if (is_event(l, "leader") && field(l, "leader") == next) next_epoch = field(l, "epoch").value();
  }
  CHECK(std::stoull(next_epoch) > std::stoull(epoch));
  for (JoinProcess* n : rest) {
    n->process->signal(SIGTERM);
    CHECK(n->process->wait(after(kExit)) == 0);
  }
}

TEST_CASE("etcd process: run never runs two commands at once, and epochs grow") {
  // As the UDP test: each command takes an exclusive lock on a shared file
  // and logs "start EPOCH NODE", and "end EPOCH NODE" half a second after
  // SIGTERM; a command that finds the lock taken logs "overlap".
  EtcdServer etcd;
  TempDir dir;
  const std::string log = dir.file("log");
  const std::string lock = dir.file("lock");
  const std::string script = dir.file("one.sh");
  {
    std::ofstream out(script);
    out << "exec 9>>\"$2\"\n"
           "flock -n 9 || echo \"overlap $LANLORD_RUN_NODE_ID\" >> \"$1\"\n"
           "echo \"start $LANLORD_RUN_EPOCH $LANLORD_RUN_NODE_ID\" >> \"$1\"\n"
           "trap 'sleep 0.5; echo \"end $LANLORD_RUN_EPOCH $LANLORD_RUN_NODE_ID\" >> \"$1\"; "
           "exit 0' TERM\n"
           "while :; do sleep 0.05; done\n";
  }
  std::vector<std::unique_ptr<RunNode>> nodes;
  for (const char* id : {"run-a", "run-b", "run-c"}) {
    std::vector<std::string> argv = {"run",       "--id", id,          "--json",
                                     "--profile", "fast", "--channel", "one"};
    const std::vector<std::string> etcd_args = etcd_options(etcd, "run");
    argv.insert(argv.end(), etcd_args.begin(), etcd_args.end());
    argv.insert(argv.end(), {"--", "sh", script, log, lock});
    nodes.push_back(std::make_unique<RunNode>(id, argv));
  }
  std::set<RunNode*> gone;  // stopped or killed
  const auto transcripts = [&nodes] {
    std::string all;
    for (const auto& n : nodes) all += n->transcript();
    return all;
  };
  // The first live node to start one more command than it had.
  const auto await_command = [&nodes, &gone](Deadline deadline) -> RunNode* {
    std::vector<std::size_t> before;
    for (const auto& n : nodes) before.push_back(n->started());
    while (std::chrono::steady_clock::now() < deadline) {
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (gone.count(nodes[i].get()) != 0) continue;
        nodes[i]->drain();
        if (nodes[i]->started() > before[i]) return nodes[i].get();
      }
    }
    return nullptr;
  };
  // Until the log has `n` start lines (the command has set its trap and
  // written its line, so a SIGTERM now is one it handles).
  const auto await_starts = [&log](std::size_t n, Deadline deadline) {
    while (std::chrono::steady_clock::now() < deadline) {
      std::size_t k = 0;
      for (const std::string& l : read_lines(log)) k += l.starts_with("start ") ? 1 : 0;
      if (k >= n) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  };
  RunNode* first = await_command(after(kAgreement));
  REQUIRE_MESSAGE(first != nullptr, transcripts());
  REQUIRE_MESSAGE(await_starts(1, after(10s)), transcripts());
  // SIGTERM to the leader: its command finishes, then it leaves (revoking
  // its lease), then another node's command starts.
  first->process.signal(SIGTERM);
  CHECK(first->process.wait(after(kExit)) == 0);
  gone.insert(first);
  RunNode* second = await_command(after(kAgreement));
  REQUIRE_MESSAGE(second != nullptr, transcripts());
  CHECK(second != first);
  REQUIRE_MESSAGE(await_starts(2, after(10s)), transcripts());
  // kill -9 of the second: its command dies with it; the last node's
  // starts once the lease has expired.
  second->process.signal(SIGKILL);
  CHECK(second->process.wait(after(kExit)) == -SIGKILL);
  gone.insert(second);
  RunNode* third = await_command(after(kAgreement));
  REQUIRE_MESSAGE(third != nullptr, transcripts());
  REQUIRE_MESSAGE(await_starts(3, after(10s)), transcripts());
  third->process.signal(SIGTERM);
  CHECK(third->process.wait(after(kExit)) == 0);

  const std::vector<std::string> lines = read_lines(log);
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  INFO("log:\n" << text << transcripts());
  std::vector<std::uint64_t> epochs;
  std::vector<std::string> runners;
  for (const std::string& l : lines) {
    std::istringstream words(l);
    std::string kind, node;
    std::uint64_t epoch = 0;
    words >> kind >> epoch >> node;
    CHECK(kind != "overlap");
    if (kind == "start") {
      epochs.push_back(epoch);
      runners.push_back(node);
    }
  }
  CHECK(runners == std::vector<std::string>{first->id, second->id, third->id});
  REQUIRE(epochs.size() == 3);
  CHECK(epochs[0] > 0);
  CHECK(epochs[1] > epochs[0]);
  CHECK(epochs[2] > epochs[1]);
}

TEST_CASE("etcd process: the TLS options and a password from the environment reach etcd") {
  {
    // A server that asks for a client certificate: --etcd-cacert,
    // --etcd-cert and --etcd-key all go to the client.
    EtcdServer tls(EtcdServer::Options{.tls = true, .client_cert_auth = true, .extra_args = {}});
    const TestPki& pki = tls.pki();
    const std::vector<std::string> options = {
        "--etcd-endpoints", tls.endpoint(), "--etcd-cacert", pki.ca,      "--etcd-cert",
        pki.client_cert,    "--etcd-key",   pki.client_key,  "--cluster", "tls"};
    std::vector<std::string> join_options = options;
    join_options.insert(join_options.end(), {"--channel", "jobs"});
    JoinProcess a("tls-a", JoinProcess::NoGroup{}, join_options);
    REQUIRE_MESSAGE(await_agreement({&a}, after(kAgreement)) == "tls-a", transcripts({&a})
                                                                             << tls.log());
    std::vector<std::string> query = {"leader", "--channel", "jobs"};
    query.insert(query.end(), options.begin(), options.end());
    const Finished answer = run(query);
    INFO("stdout: " << answer.out << "stderr: " << answer.err);
    CHECK(answer.code == 0);
    CHECK(answer.out.starts_with("jobs  leader tls-a  epoch "));
  }
  {
    // Authentication on: the user on the command line, the password in
    // LANLORD_ETCD_PASSWORD (kept out of ps).
    EtcdServer plain;
    for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
             {"/v3/auth/user/add", R"({"name":"root","password":"secret"})"},
             {"/v3/auth/role/add", R"({"name":"root"})"},
             {"/v3/auth/user/grant", R"({"user":"root","role":"root"})"},
             {"/v3/auth/enable", "{}"}}) {
      const auto r = plain.post(target, body);
      REQUIRE_MESSAGE(r.status == 200, (target + ": " + r.body));
    }
    const std::vector<std::string> options = {
        "--etcd-endpoints", plain.endpoint(), "--etcd-user", "root", "--cluster", "auth", "--json"};
    std::vector<std::string> join = {"join", "--id",      "auth-a", "--profile",
                                     "fast", "--channel", "jobs"};
    join.insert(join.end(), options.begin(), options.end());
    ChildProcess a(kLanlord, join, {"LANLORD_ETCD_PASSWORD=secret"});
    const std::optional<std::string> leads =
        a.read_until(after(kAgreement), [](const std::string& l) {
          return is_event(l, "leader") && field(l, "is_self") == "true";
        });
    REQUIRE_MESSAGE(leads.has_value(), a.stderr_text() << plain.log());
    std::vector<std::string> query = {"leader", "--channel", "jobs"};
    query.insert(query.end(), options.begin(), options.end());
    ChildProcess right(kLanlord, query, {"LANLORD_ETCD_PASSWORD=secret"});
    CHECK(right.wait(after(kExit)) == 0);
    CHECK(field(right.pending_stdout(), "leader") == "auth-a");
    // A wrong password: etcd refuses, nobody is heard, exit 1.
    ChildProcess wrong(kLanlord, query, {"LANLORD_ETCD_PASSWORD=wrong"});
    CHECK(wrong.wait(after(kExit)) == 1);
  }
}
