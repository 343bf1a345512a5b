// The etcd backend against a real etcd (Debian's etcd-server), started by
// each test on 127.0.0.1 with random ports and a temporary data directory
// (tests/etcd_server.hpp). Nodes run in-process, one io_context; a "crash"
// destroys a Node without stop(), so its lease expires on the server.
#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "../etcd_server.hpp"
#include "lanlord/node.hpp"
#include "socket_harness.hpp"

namespace lanlord::test {
namespace {

struct Observed {
  std::mutex mutex;
  std::vector<LeaderInfo> changes;  // every on_leadership, in order
  std::vector<std::pair<MembershipEvent, std::string>> members;
  std::vector<WarningKind> warnings;
};

// Nodes of one cluster on one etcd; every node's callbacks recorded.
class EtcdNodes {
 public:
  explicit EtcdNodes(std::string endpoint) : endpoint_(std::move(endpoint)) {
    cluster_ = "etcd-test/" + std::to_string(test_rng()() % 1000000);  // '/' is escaped
  }
  ~EtcdNodes() {
    for (auto& n : nodes_) {
      if (n) n->stop();
    }
  }

  NodeConfig config(const std::string& id, bool passive = false) const {
    NodeConfig c;
    c.backend = Backend::kEtcd;
    c.id = id;
    c.cluster = cluster_;
    c.channels = {"default"};
    c.profile = "fast";  // lease TTL 2 s
    c.passive = passive;
    c.etcd.endpoints = {endpoint_};
    c.etcd.request_timeout = scaled(std::chrono::milliseconds(1000));
    return c;
  }

  std::size_t add(NodeConfig c) {
    auto obs = std::make_shared<Observed>();
    NodeCallbacks cb;
    cb.on_leadership = [obs](const std::string&, const LeaderInfo& info) {
      std::lock_guard lock(obs->mutex);
      obs->changes.push_back(info);
    };
    cb.on_membership = [obs](MembershipEvent e, const Member& m) {
      std::lock_guard lock(obs->mutex);
      obs->members.emplace_back(e, m.id.bytes());
    };
    cb.on_warning = [obs](const Warning& w) {
      std::lock_guard lock(obs->mutex);
      obs->warnings.push_back(w.kind);
    };
    nodes_.push_back(std::make_unique<Node>(io_.io(), std::move(c), std::move(cb)));
    observed_.push_back(obs);
    const Status s = nodes_.back()->start();
    REQUIRE_MESSAGE(s.is_ok(), s.message());
    return nodes_.size() - 1;
  }

  Node& node(std::size_t i) { return *nodes_.at(i); }
  Observed& observed(std::size_t i) { return *observed_.at(i); }
  void crash(std::size_t i) { nodes_.at(i).reset(); }
  bool alive(std::size_t i) const { return nodes_.at(i) != nullptr; }
  std::size_t size() const { return nodes_.size(); }
  const std::string& cluster() const { return cluster_; }

  // The leader every running member names, if they agree and exactly one of
  // them claims it.
  std::optional<LeaderInfo> agreed(const std::string& channel = "default") {
    std::optional<LeaderInfo> seen;
    int claims = 0;
    for (auto& n : nodes_) {
      if (!n || n->config().passive || !n->running()) continue;
      LeaderInfo info = n->leadership(channel);
      if (!info.leader) return std::nullopt;
      claims += info.is_self ? 1 : 0;
      info.is_self = false;
      if (seen && !(*seen == info)) return std::nullopt;
      seen = info;
    }
    if (claims != 1) return std::nullopt;
    return seen;
  }
  int claims(const std::string& channel = "default") {
    int n = 0;
    for (auto& node : nodes_) n += node && node->is_leader(channel) ? 1 : 0;
    return n;
  }
  std::size_t index_of(const PeerId& id) const {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i] && nodes_[i]->config().id == id.bytes()) return i;
    }
    return nodes_.size();
  }

 private:
  std::string endpoint_;
  std::string cluster_;
  IoThread io_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::shared_ptr<Observed>> observed_;
};

std::string run_command(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    ::pclose(p);
  }
  return out;
}

TEST_CASE("etcd: three nodes elect one leader, named by the lowest create revision") {
  testing::EtcdServer etcd;
  EtcdNodes nodes(etcd.endpoint());
  for (const char* id : {"node-b", "node-a", "node-c"}) nodes.add(nodes.config(id));
  REQUIRE(wait_until([&] { return nodes.agreed().has_value(); }));
  const LeaderInfo leader = *nodes.agreed();
  CHECK(leader.epoch > 0);
  // Every member sees the other two join.
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(wait_until([&] { return nodes.node(i).members().size() == 3; }));
  }
  // etcd's own election tools see the same leader: the key layout is
  // concurrency.Election's (prefix/lease id, the value names the node).
  const std::string prefix = "/lanlord/etcd-test%2F" + nodes.cluster().substr(10) + "/default";
  const std::string first = run_command("ETCDCTL_API=3 etcdctl --endpoints=" + etcd.endpoint() +
                                        " get --prefix --sort-by=CREATE --order=ASCEND " +
                                        "--limit=1 " + prefix + "/ 2>&1");
  CHECK_MESSAGE(first.find("\"id\":\"" + leader.leader->bytes() + "\"") != std::string::npos,
                first);
  const std::string elect =
      run_command("ETCDCTL_API=3 timeout 2 etcdctl --endpoints=" + etcd.endpoint() + " elect -l " +
                  prefix + " 2>&1");
  CHECK_MESSAGE(elect.find("\"id\":\"" + leader.leader->bytes() + "\"") != std::string::npos,
                elect);
}

TEST_CASE("etcd: a crashed leader is replaced within the lease TTL, with a higher epoch") {
  testing::EtcdServer etcd;
  EtcdNodes nodes(etcd.endpoint());
  for (const char* id : {"node-a", "node-b", "node-c"}) nodes.add(nodes.config(id));
  REQUIRE(wait_until([&] { return nodes.agreed().has_value(); }));
  const LeaderInfo before = *nodes.agreed();
  const auto crashed_at = std::chrono::steady_clock::now();
  nodes.crash(nodes.index_of(*before.leader));
  REQUIRE(wait_until([&] {
    const auto now = nodes.agreed();
    return now && now->leader != before.leader;
  }));
  const auto took = std::chrono::steady_clock::now() - crashed_at;
  const LeaderInfo after = *nodes.agreed();
  CHECK(after.epoch > before.epoch);
  // The lease (2 s) expires on the server; etcd looks for expired leases
  // every 500 ms.
  CHECK(took <= scaled(std::chrono::milliseconds(2000 + 1000)));
  MESSAGE("failover after a crash took "
          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
}

TEST_CASE("etcd: a graceful stop hands leadership over at once (no lease wait)") {
  testing::EtcdServer etcd;
  EtcdNodes nodes(etcd.endpoint());
  for (const char* id : {"node-a", "node-b"}) {
    NodeConfig c = nodes.config(id);
    c.etcd.lease_ttl = 10;  // a lease wait would show
    nodes.add(c);
  }
  REQUIRE(wait_until([&] { return nodes.agreed().has_value(); }));
  const LeaderInfo before = *nodes.agreed();
  const std::size_t leader = nodes.index_of(*before.leader);
  const auto stopped_at = std::chrono::steady_clock::now();
  nodes.node(leader).stop();
  CHECK_FALSE(nodes.node(leader).is_leader("default"));
  const std::size_t other = 1 - leader;
  REQUIRE(wait_until([&] { return nodes.node(other).is_leader("default"); }, 3s));
  const auto took = std::chrono::steady_clock::now() - stopped_at;
  CHECK(took < scaled(std::chrono::milliseconds(2000)));
  CHECK(nodes.node(other).leadership("default").epoch > before.epoch);
  MESSAGE("handoff took " << std::chrono::duration_cast<std::chrono::microseconds>(took).count()
                          << " us");
}

TEST_CASE("etcd: without etcd no node claims leadership past the TTL, and back they elect again") {
  testing::EtcdServer etcd;
  EtcdNodes nodes(etcd.endpoint());
  for (const char* id : {"node-a", "node-b", "node-c"}) nodes.add(nodes.config(id));
  REQUIRE(wait_until([&] { return nodes.agreed().has_value(); }));
  const LeaderInfo before = *nodes.agreed();
  etcd.kill();
  const auto lost_at = std::chrono::steady_clock::now();
  // Every node gives leadership up before the lease could expire on the
  // server (2 s after the last keep-alive it answered).
  REQUIRE(wait_until([&] { return nodes.claims() == 0; }, 3s));
  CHECK(std::chrono::steady_clock::now() - lost_at < scaled(std::chrono::milliseconds(2000)));
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(wait_until([&] { return !nodes.node(i).leadership("default").leader.has_value(); }));
    std::lock_guard lock(nodes.observed(i).mutex);
    const auto& w = nodes.observed(i).warnings;
    CHECK(std::count(w.begin(), w.end(), WarningKind::kEtcdUnreachable) == 1);
  }
  etcd.start();
  REQUIRE(wait_until([&] { return nodes.agreed().has_value(); }, 15s));
  // New leases, new keys: the epoch is above every earlier one.
  CHECK(nodes.agreed()->epoch > before.epoch);
  CHECK(nodes.node(0).stats().etcd.leases_lost == 1);
}

TEST_CASE("etcd: epochs grow across every change, as an observer sees them") {
  testing::EtcdServer etcd;
  EtcdNodes nodes(etcd.endpoint());
  const std::size_t watcher = nodes.add(nodes.config("watch-1", true));
  for (const char* id : {"node-a", "node-b", "node-c"}) nodes.add(nodes.config(id));
  REQUIRE(wait_until([&] { return nodes.agreed().has_value(); }));
  // A yield, a graceful stop, a crash.
  {
    const PeerId first = *nodes.agreed()->leader;
    nodes.node(nodes.index_of(first)).yield("default");
    REQUIRE(wait_until([&] {
      const auto now = nodes.agreed();
      return now && now->leader != first;
    }));
  }
  {
    const PeerId second = *nodes.agreed()->leader;
    nodes.node(nodes.index_of(second)).stop();
    REQUIRE(wait_until([&] {
      const auto now = nodes.agreed();
      return now && now->leader != second;
    }));
  }
  {
    const PeerId third = *nodes.agreed()->leader;
    nodes.crash(nodes.index_of(third));
    REQUIRE(wait_until([&] {
      const auto now = nodes.agreed();
      return now && now->leader != third;
    }));
  }
  REQUIRE(wait_until([&] {
    return nodes.node(watcher).leadership("default") == [&] {
      LeaderInfo i = *nodes.agreed();
      i.is_self = false;
      return i;
    }();
  }));
  std::lock_guard lock(nodes.observed(watcher).mutex);
  std::vector<std::uint64_t> epochs;
  for (const LeaderInfo& info : nodes.observed(watcher).changes) {
    CHECK_FALSE(info.is_self);  // an observer never leads
    if (info.leader) epochs.push_back(info.epoch);
  }
  REQUIRE(epochs.size() >= 4);  // the first leader and three changes
  for (std::size_t i = 1; i < epochs.size(); ++i) CHECK(epochs[i] > epochs[i - 1]);
}

TEST_CASE("etcd: a yielding leader steps down before its key goes, and campaigns again") {
  testing::EtcdServer etcd;
  EtcdNodes nodes(etcd.endpoint());
  nodes.add(nodes.config("node-a"));
  REQUIRE(wait_until([&] { return nodes.node(0).is_leader("default"); }));
  const std::uint64_t first = nodes.node(0).leadership("default").epoch;
  nodes.add(nodes.config("node-b"));
  REQUIRE(wait_until([&] { return nodes.node(1).members().size() == 2; }));
  nodes.node(0).yield("default");
  REQUIRE(wait_until([&] { return nodes.node(1).is_leader("default"); }));
  CHECK_FALSE(nodes.node(0).is_leader("default"));
  // node-a is a candidate again, behind node-b: node-b's stop makes it lead.
  nodes.node(1).stop();
  REQUIRE(wait_until([&] { return nodes.node(0).is_leader("default"); }));
  CHECK(nodes.node(0).leadership("default").epoch > first);
  // Never two claims at once, in what node-a reported.
  std::lock_guard lock(nodes.observed(0).mutex);
  CHECK(nodes.observed(0).changes.front().is_self);
}

TEST_CASE("etcd: members join and leave as their keys come and go") {
  testing::EtcdServer etcd;
  EtcdNodes nodes(etcd.endpoint());
  NodeConfig a = nodes.config("node-a");
  a.metadata = "203.0.113.5:8080";
  nodes.add(a);
  nodes.add(nodes.config("node-b"));
  REQUIRE(wait_until([&] { return nodes.node(1).members().size() == 2; }));
  const std::vector<Member> seen = nodes.node(1).members();
  CHECK(seen[0].id.bytes() == "node-b");  // this node first
  CHECK(seen[1].id.bytes() == "node-a");
  CHECK(seen[1].metadata == "203.0.113.5:8080");
  CHECK(seen[1].alive);
  nodes.node(0).stop();
  REQUIRE(wait_until([&] { return nodes.node(1).members().size() == 1; }));
  std::lock_guard lock(nodes.observed(1).mutex);
  const auto& events = nodes.observed(1).members;
  CHECK(std::count(events.begin(), events.end(),
                   std::make_pair(MembershipEvent::kJoined, std::string("node-a"))) == 1);
  CHECK(std::count(events.begin(), events.end(),
                   std::make_pair(MembershipEvent::kLeft, std::string("node-a"))) == 1);
}

TEST_CASE("etcd: configuration errors name the setting") {
  NodeConfig c;
  c.backend = Backend::kEtcd;
  c.id = "node-a";
  CHECK(validate_config(c).message().find("endpoint") != std::string::npos);
  c.etcd.endpoints = {"http://127.0.0.1:2379"};
  c.etcd.lease_ttl = 1;
  CHECK(validate_config(c).message().find("at least 2") != std::string::npos);
  c.etcd.lease_ttl = 0;
  c.keys = *Keyring::from_base64(Keyring::generate_key());
  CHECK(validate_config(c).message().find("udp backend") != std::string::npos);
  c.keys.reset();
  CHECK(validate_config(c).is_ok());
  CHECK(parse_backend("etcd") == Backend::kEtcd);
  CHECK(parse_backend("udp") == Backend::kUdp);
  CHECK_FALSE(parse_backend("zookeeper").has_value());
}

}  // namespace
}  // namespace lanlord::test
