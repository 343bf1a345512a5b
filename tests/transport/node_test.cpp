// Nodes on real sockets: UDP multicast on loopback, fast-profile timings.
// Each test has its own group, port and cluster; every wait has a generous
// deadline and no test asserts how fast something happened.
#include <doctest/doctest.h>

#include <fcntl.h>

#include <atomic>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>
#include <filesystem>
#include <set>

#include "group_socket.hpp"
#include "socket_harness.hpp"

using namespace lanlord;
using namespace lanlord::test;

namespace {

bool lists(const Node& n, const std::string& id) {
  for (const Member& m : n.members()) {
    if (m.id == PeerId(id)) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("socket: five nodes in one process elect exactly one leader that all agree on") {
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  for (int i = 0; i < 5; ++i) nodes.spawn("node-" + std::to_string(i));

  REQUIRE(wait_until([&] { return nodes.agreed_leader("default").has_value(); }));
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(wait_until([&] { return nodes.sees_alive(i, 5); }));
  }
  const NodeStats s = nodes.node(0).stats();
  CHECK(s.datagrams_out > 0);
  CHECK(s.datagrams_in > 0);
  CHECK(s.bytes_in > s.datagrams_in);
  CHECK(s.dropped(DropReason::kSelf) > 0);  // our own multicast, looped back
  CHECK(s.dropped(DropReason::kForeignCluster) == 0);
  REQUIRE(s.channels.size() == 1);
  CHECK(s.channels[0].channel == "default");
  CHECK(s.channels[0].alive_peers == 5);
}

TEST_CASE("socket: the leader's node is destroyed without a leave, one new leader is agreed") {
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  for (int i = 0; i < 5; ++i) nodes.spawn("node-" + std::to_string(i));
  REQUIRE(wait_until([&] { return nodes.agreed_leader("default").has_value(); }));
  const PeerId old = *nodes.agreed_leader("default");
  const std::size_t crashed = *nodes.index_of(old);

  nodes.crash(crashed);

  REQUIRE(wait_until([&] {
    auto l = nodes.agreed_leader("default");
    return l && *l != old;
  }));
  // The survivors declared it dead (no leave was sent).
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (i == crashed) continue;
    CHECK(wait_until([&] { return nodes.recorder(i).saw(MembershipEvent::kDead, old.bytes()); }));
    CHECK_FALSE(nodes.recorder(i).saw(MembershipEvent::kLeft, old.bytes()));
  }
}

TEST_CASE("socket: a graceful stop sends a leave, hands over, and sends nothing after") {
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  for (int i = 0; i < 4; ++i) nodes.spawn("node-" + std::to_string(i));
  REQUIRE(wait_until([&] { return nodes.agreed_leader("default").has_value(); }));
  const PeerId old = *nodes.agreed_leader("default");
  const std::size_t stopped = *nodes.index_of(old);
  Node& leaving = nodes.node(stopped);

  leaving.stop();
  leaving.stop();  // idempotent
  CHECK_FALSE(leaving.running());
  CHECK_FALSE(leaving.is_leader("default"));
  CHECK_FALSE(leaving.leader("default").has_value());
  const std::uint64_t sent = leaving.stats().datagrams_out;

  REQUIRE(wait_until([&] {
    auto l = nodes.agreed_leader("default");
    return l && *l != old;
  }));
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (i == stopped) continue;
    CHECK(nodes.recorder(i).saw(MembershipEvent::kLeft, old.bytes()));
    CHECK_FALSE(lists(nodes.node(i), old.bytes()));  // a leave removes at once
  }
  CHECK(leaving.stats().datagrams_out == sent);
  CHECK(leaving.start().message().find("stopped") != std::string::npos);
}

TEST_CASE("socket: a leader that yields hands over and does not take the lead back") {
  // Fabric's yield scenario on real sockets: the leader steps down, another
  // node leads, and the old leader stays a follower.
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  for (int i = 0; i < 3; ++i) nodes.spawn("node-" + std::to_string(i));
  REQUIRE(wait_until([&] { return nodes.agreed_leader("default").has_value(); }));
  const PeerId old = *nodes.agreed_leader("default");
  const std::size_t yielder = *nodes.index_of(old);
  nodes.node((yielder + 1) % 3).yield("default");  // a follower's yield does nothing
  nodes.node(yielder).yield("no-such-channel");

  nodes.node(yielder).yield("default");

  REQUIRE(wait_until([&] {
    auto l = nodes.agreed_leader("default");
    return l && *l != old;
  }));
  CHECK_FALSE(nodes.node(yielder).is_leader("default"));
  CHECK(nodes.node(yielder).running());
}

namespace {

// Every running node names the same leader with the same, non-zero epoch.
std::optional<LeaderInfo> agreed_leadership(Nodes& nodes) {
  std::optional<LeaderInfo> first;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!nodes.node(i).running()) continue;
    LeaderInfo info = nodes.node(i).leadership("default");
    info.is_self = false;
    if (!info.leader || info.epoch == 0) return std::nullopt;
    if (!first) first = info;
    if (!(info == *first)) return std::nullopt;
  }
  return first;
}

// Proposals sent by the nodes other than `except` (a node about to stop).
std::uint64_t proposals_sent(Nodes& nodes, std::optional<std::size_t> except = std::nullopt) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!nodes.node(i).running() || i == except) continue;
    for (const ChannelStats& c : nodes.node(i).stats().channels) n += c.proposals_sent;
  }
  return n;
}

}  // namespace

TEST_CASE("socket: epochs grow across a stop and a yield, each handed over without an election") {
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  for (int i = 0; i < 4; ++i) nodes.spawn("node-" + std::to_string(i));
  std::optional<LeaderInfo> first;
  REQUIRE(wait_until([&] { return (first = agreed_leadership(nodes)).has_value(); }));
  const std::size_t l0 = *nodes.index_of(*first->leader);
  // The lowest id but the leader's own, as the handoff names it.
  const std::string s1 = l0 == 0 ? "node-1" : "node-0";
  const std::uint64_t proposals = proposals_sent(nodes, l0);

  nodes.node(l0).stop();
  std::optional<LeaderInfo> second;
  REQUIRE(wait_until([&] {
    second = agreed_leadership(nodes);
    return second && second->leader != first->leader;
  }));
  CHECK(second->leader->bytes() == s1);
  CHECK(second->epoch > first->epoch);
  const std::size_t l1 = *nodes.index_of(*second->leader);
  CHECK(nodes.node(l1).stats().channels.at(0).handoffs_received == 1);
  CHECK(proposals_sent(nodes) == proposals);  // nobody ran an election

  nodes.node(l1).yield("default");
  std::optional<LeaderInfo> third;
  REQUIRE(wait_until([&] {
    third = agreed_leadership(nodes);
    return third && third->leader != second->leader;
  }));
  CHECK(third->epoch > second->epoch);
  CHECK(nodes.node(l1).stats().channels.at(0).handoffs_sent == 1);
  CHECK(proposals_sent(nodes) == proposals);
  CHECK(nodes.node(*nodes.index_of(*third->leader)).leadership("default").is_self);
}

TEST_CASE("socket: two clusters on the same group and port ignore each other") {
  IoThread io;
  const Net shared = fresh_net();
  Net a = shared, b = shared;
  a.cluster += "-a";
  b.cluster += "-b";
  Nodes red(io.io(), a), blue(io.io(), b);
  for (int i = 0; i < 3; ++i) {
    red.spawn("red-" + std::to_string(i));
    blue.spawn("blue-" + std::to_string(i));
  }
  REQUIRE(wait_until([&] {
    return red.agreed_leader("default").has_value() && blue.agreed_leader("default").has_value();
  }));
  CHECK(red.agreed_leader("default")->bytes().starts_with("red-"));
  CHECK(blue.agreed_leader("default")->bytes().starts_with("blue-"));
  for (std::size_t i = 0; i < 3; ++i) {
    for (const Member& m : red.node(i).members()) CHECK(m.id.bytes().starts_with("red-"));
    for (const Member& m : blue.node(i).members()) CHECK(m.id.bytes().starts_with("blue-"));
    CHECK(red.node(i).stats().dropped(DropReason::kForeignCluster) > 0);
  }
}

TEST_CASE("socket: two channels on the same nodes elect independently") {
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  // ch-0 runs only "red", ch-3 only "blue", the two between run both.
  nodes.spawn("ch-0", {"red"});
  nodes.spawn("ch-1", {"red", "blue"});
  nodes.spawn("ch-2", {"red", "blue"});
  nodes.spawn("ch-3", {"blue"});
  auto red = [&] { return nodes.agreed_leader("red", {0, 1, 2}); };
  auto blue = [&] { return nodes.agreed_leader("blue", {1, 2, 3}); };
  REQUIRE(wait_until([&] { return red() && blue(); }));
  CHECK_FALSE(nodes.node(0).is_leader("blue"));
  CHECK_FALSE(nodes.node(0).leader("blue").has_value());
  CHECK_FALSE(nodes.node(3).leader("red").has_value());
  CHECK(wait_until([&] {
    return nodes.node(0).stats().dropped(DropReason::kUnknownChannel) > 0;  // blue's messages
  }));
  CHECK(nodes.node(1).stats().channels.size() == 2);

  // Stopping red's leader re-elects in red; blue keeps its leader unless
  // the same node led both.
  const PeerId red_leader = *red();
  const PeerId blue_leader = *blue();
  const std::size_t r = *nodes.index_of(red_leader);
  nodes.node(r).stop();
  std::vector<std::size_t> red_rest;
  for (std::size_t i : {0, 1, 2}) {
    if (i != r) red_rest.push_back(i);
  }
  REQUIRE(wait_until([&] {
    auto l = nodes.agreed_leader("red", red_rest);
    return l && *l != red_leader;
  }));
  if (red_leader != blue_leader) {
    std::vector<std::size_t> blue_rest = {1, 2, 3};
    CHECK(nodes.agreed_leader("blue", blue_rest) == blue_leader);
  }
}

TEST_CASE("socket: a restarted node is recognised as a new life of the same id") {
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  for (int i = 0; i < 3; ++i) nodes.spawn("node-" + std::to_string(i));
  REQUIRE(wait_until([&] { return nodes.sees_alive(0, 3) && nodes.sees_alive(1, 3); }));
  const std::uint64_t first_life = nodes.node(2).incarnation();
  nodes.crash(2);
  const std::size_t again = nodes.spawn("node-2");
  const std::uint64_t second_life = nodes.node(again).incarnation();
  REQUIRE(second_life > first_life);

  for (std::size_t i : {0, 1}) {
    CHECK(wait_until([&] {
      for (const Member& m : nodes.node(i).members()) {
        if (m.id == PeerId("node-2")) return m.alive && m.incarnation == second_life;
      }
      return false;
    }));
    Recorder& rec = nodes.recorder(i);
    CHECK((rec.saw(MembershipEvent::kRestarted, "node-2") ||
           rec.saw(MembershipEvent::kDead, "node-2")));
  }
}

TEST_CASE("socket: a passive node watches members and leaders and never sends") {
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  for (int i = 0; i < 3; ++i) nodes.spawn("node-" + std::to_string(i));
  NodeConfig watch = fast_config(nodes.net(), "");
  watch.passive = true;
  const std::size_t w = nodes.spawn(watch);

  REQUIRE(wait_until([&] { return nodes.agreed_leader("default", {0, 1, 2}).has_value(); }));
  const PeerId leader = *nodes.agreed_leader("default", {0, 1, 2});
  CHECK(wait_until([&] { return nodes.node(w).leader("default") == leader; }));
  CHECK(wait_until([&] { return nodes.sees_alive(w, 3); }));  // the three, not itself
  for (std::size_t i : {0, 1, 2}) CHECK_FALSE(lists(nodes.node(i), "watch"));
  CHECK_FALSE(nodes.node(w).is_leader("default"));
  CHECK(nodes.node(w).stats().datagrams_out == 0);
  CHECK(nodes.node(w).stats().channels.size() == 1);

  // It follows a crash of the leader like anyone else.
  nodes.crash(*nodes.index_of(leader));
  CHECK(wait_until([&] {
    auto l = nodes.node(w).leader("default");
    return l && *l != leader;
  }));
  nodes.node(w).stop();
  CHECK(nodes.node(w).stats().datagrams_out == 0);
}

TEST_CASE("socket: callbacks report leadership and membership and may call the node") {
  IoThread io;
  const Net net = fresh_net();
  std::atomic<int> self_wins{0};
  std::atomic<bool> queried{false};
  std::unique_ptr<Node> first;
  NodeCallbacks cb;
  cb.on_leader_changed = [&](const std::string&, const std::optional<PeerId>& leader, bool self) {
    if (self) {
      CHECK(leader == PeerId("cb-0"));
      ++self_wins;
    }
    // Callbacks run under the node's lock, which is recursive.
    queried = first->is_leader("default") == self && !first->members().empty();
  };
  first = std::make_unique<Node>(io.io(), fast_config(net, "cb-0"), cb);
  REQUIRE(first->start().is_ok());
  Nodes others(io.io(), net);
  others.spawn("cb-1");
  REQUIRE(wait_until([&] { return first->is_leader("default"); }));
  CHECK(self_wins == 1);
  CHECK(queried);
  CHECK(wait_until([&] { return others.recorder(0).saw(MembershipEvent::kJoined, "cb-0"); }));
  first->stop();
}

TEST_CASE("socket: junk on the group is dropped, counted and reported with its sender") {
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  const std::size_t n = nodes.spawn("node-0");
  namespace asio = boost::asio;
  asio::io_context local;
  asio::ip::udp::socket junk(local, asio::ip::udp::v4());
  // Sent through loopback only, and TTL 0: it cannot leave the host.
  junk.set_option(asio::ip::multicast::outbound_interface(asio::ip::make_address_v4("127.0.0.1")));
  junk.set_option(asio::ip::multicast::hops(0));
  junk.set_option(asio::ip::multicast::enable_loopback(true));
  const asio::ip::udp::endpoint group(asio::ip::make_address(nodes.net().group), nodes.net().port);
  const std::string text = "GET / HTTP/1.1";
  const std::vector<std::uint8_t> big(2000, 'x');
  CHECK(wait_until([&] {
    junk.send_to(asio::buffer(text), group);
    junk.send_to(asio::buffer(big), group);
    const NodeStats s = nodes.node(n).stats();
    return s.dropped(DropReason::kBadMagic) > 0 && s.dropped(DropReason::kTooLarge) > 0;
  }));
  std::lock_guard lock(nodes.recorder(n).mutex);
  REQUIRE_FALSE(nodes.recorder(n).drops.empty());
  bool from_junk = false;
  const std::string port = ":" + std::to_string(junk.local_endpoint().port());
  for (const auto& [reason, from] : nodes.recorder(n).drops) {
    if (reason == DropReason::kBadMagic && from.ends_with(port)) from_junk = true;
  }
  CHECK(from_junk);
}

TEST_CASE("socket: configuration errors come back as values a person can act on") {
  IoThread io;
  const Net net = fresh_net();
  auto start_error = [&](NodeConfig c) {
    Node node(io.io(), std::move(c));
    const Status s = node.start();
    CHECK_FALSE(s.is_ok());
    CHECK_FALSE(node.running());
    return s.message();
  };
  NodeConfig c = fast_config(net, "e");
  c.interface_name = "nosuch0";
  CHECK(start_error(c).find("unknown interface 'nosuch0'") != std::string::npos);
  c = fast_config(net, "e");
  c.interface_name = "192.0.2.77";
  CHECK(start_error(c).find("no interface has the address 192.0.2.77") != std::string::npos);
  c = fast_config(net, "e");
  c.group = "203.0.113.3";
  CHECK(start_error(c).find("not a multicast address") != std::string::npos);
  c.group = "banana";
  CHECK(start_error(c).find("not an IP address") != std::string::npos);
  c = fast_config(net, "e");
  c.profile = "turbo";
  CHECK(start_error(c).find("unknown profile 'turbo'") != std::string::npos);
  c = fast_config(net, "");
  CHECK(start_error(c).find("id is empty") != std::string::npos);
  c = fast_config(net, "e");
  c.timings.alive_expiration = std::chrono::milliseconds(50);  // below the heartbeat interval
  CHECK(start_error(c).find("alive_expiration") != std::string::npos);
  c = fast_config(net, "e");
  c.group = "ff15::1234";
  CHECK(start_error(c).find("cannot carry IPv6 multicast") != std::string::npos);
  c = fast_config(net, "e");
  c.metadata.assign(kMaxMetadataSize + 1, 'm');
  CHECK(start_error(c).find("metadata") != std::string::npos);
  CHECK(validate_config(fast_config(net, "ok")).is_ok());

  // A port held by a socket without SO_REUSEADDR cannot be shared.
  namespace asio = boost::asio;
  asio::io_context local;
  asio::ip::udp::socket holder(local, asio::ip::udp::endpoint(asio::ip::udp::v4(), 0));
  c = fast_config(net, "e");
  c.port = holder.local_endpoint().port();
  CHECK(start_error(c).find("cannot bind UDP port") != std::string::npos);
}

TEST_CASE("socket: start and stop follow their contracts, the interface may be an address") {
  IoThread io;
  NodeConfig c = fast_config(fresh_net(), "node-0");
  c.interface_name = "127.0.0.1";
  Node node(io.io(), c);
  node.stop();  // before start: a no-op
  REQUIRE(node.start().is_ok());
  CHECK(node.running());
  CHECK(node.describe_endpoint().find("on lo (127.0.0.1)") != std::string::npos);
  CHECK(node.profile().name == "fast");
  CHECK(node.start().message().find("already running") != std::string::npos);
  node.stop();
  node.stop();
  CHECK_FALSE(node.running());
}

TEST_CASE("socket: queries from many threads while nodes run, stop and die") {
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  for (int i = 0; i < 3; ++i) nodes.spawn("node-" + std::to_string(i));
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  for (std::size_t t = 0; t < 3; ++t) {
    readers.emplace_back([&nodes, &done, t] {
      Node& n = nodes.node(t == 2 ? 1 : 0);  // nodes 0 and 1 live throughout
      while (!done) {
        (void)n.is_leader("default");
        (void)n.leader("default");
        (void)n.members();
        (void)n.stats();
      }
    });
  }
  REQUIRE(wait_until([&] { return nodes.agreed_leader("default").has_value(); }));
  nodes.crash(2);
  nodes.node(1).stop();
  CHECK(wait_until([&] { return nodes.agreed_leader("default", {0}).has_value(); }));
  done = true;
  for (auto& r : readers) r.join();
}

TEST_CASE("socket: a node may stop itself from its callback, its io_context then runs dry") {
  // The node's own io_context has no work guard: once the node is stopped
  // and nothing is pending, run() returns.
  boost::asio::io_context own;
  std::unique_ptr<Node> node;
  NodeCallbacks cb;
  cb.on_leader_changed = [&node](const std::string&, const std::optional<PeerId>&, bool self) {
    if (self) node->stop();
  };
  node = std::make_unique<Node>(own, fast_config(fresh_net(), "quitter"), cb);
  REQUIRE(node->start().is_ok());
  std::atomic<bool> returned{false};
  std::thread runner([&] {
    own.run();
    returned = true;
  });
  CHECK(wait_until([&] { return returned.load(); }));
  CHECK_FALSE(node->running());
  if (!returned) own.stop();  // do not hang the test if it failed
  runner.join();
}

namespace {

std::set<int> open_descriptors() {
  std::set<int> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    out.insert(std::stoi(e.path().filename().string()));
  }
  return out;
}

}  // namespace

TEST_CASE("socket: the node's socket is close-on-exec, so commands it starts never inherit it") {
  IoThread io;
  const std::set<int> before = open_descriptors();
  Nodes nodes(io.io(), fresh_net());
  nodes.spawn("node-0");
  int fresh = 0;
  for (const int fd : open_descriptors()) {
    if (before.count(fd) != 0) continue;
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0) continue;  // the directory listing's own descriptor, closed since
    ++fresh;
    CHECK_MESSAGE((flags & FD_CLOEXEC) != 0, "descriptor " << fd);
  }
  CHECK(fresh > 0);
}

namespace {

// A node that sends nothing of its own while a test runs but its first
// heartbeat: heartbeats a minute apart, no election within the test.
NodeConfig quiet_config(const Net& net) {
  NodeConfig c = fast_config(net, "node-0");
  c.profile = "lan";
  c.timings.heartbeat_interval = std::chrono::seconds(60);
  c.timings.alive_expiration = std::chrono::seconds(180);
  c.timings.startup_grace = std::chrono::seconds(60);
  return c;
}

}  // namespace

// Datagrams that queued while the node could not run (its io_context idle)
// are read in one wake-up, a batch at a time until the socket is empty, and
// each is counted: junk and oversized ones dropped with their reason (one
// cut by the kernel at the receive buffer's size is still too large), each
// with the sender's address. No timer of the node fires meanwhile.
TEST_CASE("socket: a backlog of datagrams is read in one wake-up, each one counted") {
  const Net net = fresh_net();
  boost::asio::io_context io;  // run only once the backlog has queued
  const NodeConfig c = quiet_config(net);
  std::vector<std::string> origins;
  NodeCallbacks callbacks;
  callbacks.on_drop = [&origins](DropReason reason, const std::string& from) {
    if (reason != DropReason::kSelf) origins.push_back(from);
  };
  Node node(io, c, callbacks);
  GroupCapture witness(net.group, net.port);
  REQUIRE(node.start());  // its first heartbeat loops back: one of the backlog
  GroupSender sender(net.group, net.port);
  constexpr std::size_t kJunk = 40;
  constexpr std::size_t kShort = 5;
  for (std::size_t i = 0; i < kJunk; ++i) REQUIRE(sender.send(Bytes(64, 'x')));
  for (std::size_t i = 0; i < kShort; ++i) REQUIRE(sender.send(Bytes{'L', 'N'}));
  REQUIRE(sender.send(Bytes(kMaxDatagramSize, 'x')));      // fits exactly: bad magic
  REQUIRE(sender.send(Bytes(kMaxDatagramSize + 1, 'L')));  // one byte too many
  REQUIRE(sender.send(Bytes(4000, 'L')));                  // cut by the kernel
  const std::size_t total = kJunk + kShort + 3 + 1;
  // The witness socket is in the group too: once it has every datagram,
  // so has the node's socket.
  REQUIRE(wait_until([&] { return witness.count() >= total; }));

  const auto deadline = std::chrono::steady_clock::now() + scaled(10s);
  while (node.stats().datagrams_in < total && std::chrono::steady_clock::now() < deadline) {
    io.run_for(10ms);
  }
  const NodeStats s = node.stats();
  CHECK(s.datagrams_in == total);
  CHECK(s.dropped(DropReason::kSelf) == 1);
  CHECK(s.dropped(DropReason::kBadMagic) == kJunk + 1);
  CHECK(s.dropped(DropReason::kTruncated) == kShort);
  CHECK(s.dropped(DropReason::kTooLarge) == 2);
  CHECK(s.receive_errors == 0);
  // One wake-up reads all 49 (16 per system call); a second is allowed for
  // a datagram the kernel queued late. One read per datagram would be 49.
  MESSAGE("wake-ups: " << s.receive_wakeups);
  CHECK(s.receive_wakeups >= 1);
  CHECK(s.receive_wakeups <= 2);
  REQUIRE(origins.size() == total - 1);
  for (const std::string& from : origins) CHECK(from == sender.origin());
}

// A backlog longer than one wake-up reads (8 batches of 16), drained while
// three threads run the io_context: the rest is read by a follow-up on the
// node's strand, and every datagram is counted exactly once.
TEST_CASE("socket: a long backlog read by several io threads is counted exactly once") {
  const Net net = fresh_net();
  boost::asio::io_context io;
  Node node(io, quiet_config(net));
  GroupCapture witness(net.group, net.port);
  REQUIRE(node.start());
  GroupSender sender(net.group, net.port);
  constexpr std::size_t kJunk = 150;
  for (std::size_t i = 0; i < kJunk; ++i) REQUIRE(sender.send(Bytes(64, 'x')));
  const std::size_t total = kJunk + 1;  // and the node's own heartbeat
  REQUIRE(wait_until([&] { return witness.count() >= total; }));

  auto work = boost::asio::make_work_guard(io);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back([&io] { io.run(); });
  CHECK(wait_until([&] { return node.stats().datagrams_in >= total; }));
  node.stop();
  work.reset();
  io.stop();
  for (std::thread& t : threads) t.join();
  const NodeStats s = node.stats();
  CHECK(s.datagrams_in == total);
  CHECK(s.dropped(DropReason::kBadMagic) == kJunk);
  CHECK(s.receive_errors == 0);
  MESSAGE("wake-ups: " << s.receive_wakeups);
  // 128 per wake-up at most, so a follow-up; with several threads the
  // re-armed wait may complete while the first read runs and find the
  // socket empty. One read per batch of 16 would be 10 at least.
  CHECK(s.receive_wakeups >= 2);
  CHECK(s.receive_wakeups <= 4);
}
