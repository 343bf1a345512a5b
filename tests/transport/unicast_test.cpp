// Unicast mode on real sockets: nodes on loopback addresses and ports of
// their own, fast-profile timings, no multicast group involved. Every wait
// has a generous deadline; no test asserts how fast something happened.
#include <doctest/doctest.h>

#include <boost/asio/ip/udp.hpp>
#include <set>

#include "lanlord/keyring.hpp"
#include "socket_harness.hpp"

using namespace lanlord;
using namespace lanlord::test;

namespace {

// A port no test of this run likely uses, with `count` free ports above it
// on 127.0.0.1 (bound briefly to check; a race with another process is
// possible but rare, and a taken port fails start() with a clear error).
std::uint16_t free_ports(std::size_t count) {
  namespace asio = boost::asio;
  for (int attempt = 0; attempt < 50; ++attempt) {
    const auto base = static_cast<std::uint16_t>(fresh_net().port);
    asio::io_context io;
    std::vector<asio::ip::udp::socket> held;
    bool ok = true;
    for (std::size_t i = 0; i < count && ok; ++i) {
      asio::ip::udp::socket s(io);
      boost::system::error_code ec;
      s.open(asio::ip::udp::v4(), ec);
      s.bind({asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(base + i)}, ec);
      ok = !ec;
      held.push_back(std::move(s));
    }
    if (ok) return base;
  }
  FAIL("no free ports");
  return 0;
}

// A unicast node on 127.0.0.1:port, fast profile.
NodeConfig unicast_config(const Net& net, std::string id, std::uint16_t port,
                          std::vector<std::string> peers, const std::optional<Keyring>& keys) {
  NodeConfig c = fast_config(net, std::move(id));
  c.multicast = false;
  c.interface_name = "127.0.0.1";
  c.port = port;
  c.peers = std::move(peers);
  c.keys = keys;
  return c;
}

std::string at(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

Keyring fresh_key() {
  return *Keyring::from_base64(Keyring::generate_key());
}

}  // namespace

TEST_CASE(
    "unicast: five keyed nodes, each given one seed, agree on one leader; it crashes, "
    "the others agree on a new one") {
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  const std::uint16_t base = free_ports(5);
  const std::optional<Keyring> key = fresh_key();
  // A chain: node i knows only node i-1 (node 0 knows node 1). Digests
  // introduce the rest.
  for (std::uint16_t i = 0; i < 5; ++i) {
    const std::uint16_t seed = i == 0 ? base + 1 : base + i - 1;
    nodes.spawn(
        unicast_config(nodes.net(), "node-" + std::to_string(i), base + i, {at(seed)}, key));
  }
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(wait_until([&] { return nodes.sees_alive(i, 5); }));
  }
  REQUIRE(wait_until([&] { return nodes.agreed_leader("default").has_value(); }));
  CHECK(nodes.node(0).describe_endpoint() == "unicast " + at(base) + " on lo, 1 seed");
  const NodeStats s = nodes.node(2).stats();
  CHECK(s.send_errors == 0);
  // Each message goes to every member: more datagrams than a multicast
  // node's one per message, each sent by unicast to a member's port.
  CHECK(s.datagrams_out > 0);
  CHECK(s.unicast_targets >= 4);

  const PeerId first = *nodes.agreed_leader("default");
  const std::size_t leader = *nodes.index_of(first);
  nodes.crash(leader);  // destroyed without stop(): no leave
  REQUIRE(wait_until([&] {
    const auto next = nodes.agreed_leader("default");
    return next.has_value() && *next != first;
  }));
}

TEST_CASE("unicast: without a key, nodes with full peer lists on 127.0.0.x agree on one leader") {
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  const std::uint16_t port = free_ports(1);
  // One port, three loopback addresses: the same list for every node, its
  // own address included (skipped).
  std::vector<std::string> peers;
  for (int i = 1; i <= 3; ++i) peers.push_back("127.0.0." + std::to_string(i));
  for (int i = 1; i <= 3; ++i) {
    NodeConfig c = unicast_config(nodes.net(), "n" + std::to_string(i), port, peers, std::nullopt);
    c.interface_name = "127.0.0." + std::to_string(i);
    nodes.spawn(std::move(c));
  }
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(wait_until([&] { return nodes.sees_alive(i, 3); }));
  }
  REQUIRE(wait_until([&] { return nodes.agreed_leader("default").has_value(); }));
  // Origins (learned addresses), seeds and targets use one form: each node
  // sends to the two others' seed addresses and to nothing else (a second
  // spelling of an address would be a third target), and every send works.
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(nodes.node(i).members().size() == 3);
    const NodeStats s = nodes.node(i).stats();
    CHECK(s.unicast_targets == 2);
    CHECK(s.send_errors == 0);
    CHECK(nodes.node(i).describe_endpoint() == "unicast 127.0.0." + std::to_string(i + 1) + ":" +
                                                   std::to_string(port) + " on lo, 3 seeds");
  }
}

TEST_CASE("unicast: a passive node on an ephemeral port learns the leader from its seed") {
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  const std::uint16_t base = free_ports(2);
  const std::optional<Keyring> key = fresh_key();
  nodes.spawn(unicast_config(nodes.net(), "a", base, {at(base + 1)}, key));
  nodes.spawn(unicast_config(nodes.net(), "b", base + 1, {at(base)}, key));
  REQUIRE(wait_until([&] { return nodes.agreed_leader("default").has_value(); }));
  NodeConfig w = unicast_config(nodes.net(), "", base, {at(base)}, key);
  w.passive = true;  // binds port 0: beside "a", on the same address
  const std::size_t watch = nodes.spawn(std::move(w));
  CHECK(nodes.node(watch).describe_endpoint().find(at(base)) == std::string::npos);
  CHECK(wait_until([&] {
    return nodes.node(watch).leader("default") == nodes.agreed_leader("default", {0, 1});
  }));
  CHECK_FALSE(nodes.node(watch).is_leader("default"));
}

TEST_CASE("unicast: a taken port is an error that names it") {
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  const std::uint16_t port = free_ports(1);
  nodes.spawn(unicast_config(nodes.net(), "a", port, {}, std::nullopt));
  Node second(io.io(), unicast_config(nodes.net(), "b", port, {}, std::nullopt));
  const Status s = second.start();
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.message().find(at(port) + " is in use") != std::string::npos);
  CHECK(s.message().find("--port") != std::string::npos);
  CHECK_FALSE(second.running());
}

TEST_CASE("unicast: configuration errors come back as values a person can act on") {
  const Net net = fresh_net();
  const auto error_of = [](const NodeConfig& c) { return validate_config(c).message(); };
  NodeConfig ok =
      unicast_config(net, "a", 7676, {"127.0.0.1:7677", "localhost", "[::1]:7677"}, std::nullopt);
  CHECK(validate_config(ok).is_ok());
  ok.advertise = "203.0.113.5";
  CHECK(validate_config(ok).is_ok());
  ok.advertise = "[2001:db8::5]:7676";
  CHECK(validate_config(ok).is_ok());

  NodeConfig c = fast_config(net, "a");  // multicast
  c.peers = {"127.0.0.1:7676"};
  CHECK(error_of(c).find("peers need multicast off") != std::string::npos);

  for (const char* bad : {"127.0.0.1:", "127.0.0.1:0", "127.0.0.1:99999", ":7676", "[::1", "[::1]x",
                          "host:port", "a:b:c"}) {
    CAPTURE(bad);
    c = unicast_config(net, "a", 7676, {bad}, std::nullopt);
    CHECK(error_of(c).find(std::string("peer '") + bad + "'") != std::string::npos);
  }
  for (const char* bad : {"not-an-ip", "203.0.113.5:x", "203.0.113.5:0", "host.example:7676"}) {
    CAPTURE(bad);
    c = unicast_config(net, "a", 7676, {}, std::nullopt);
    c.advertise = bad;
    CHECK(error_of(c).find(std::string("advertise '") + bad + "'") != std::string::npos);
  }
  c = unicast_config(net, "a", 0, {}, std::nullopt);
  CHECK(error_of(c).find("port 0") != std::string::npos);
}

TEST_CASE(
    "unicast: a seed host name resolves; one that does not is reported while the node "
    "runs") {
  IoThread io;
  Nodes nodes(io.io(), fresh_net());
  const std::uint16_t base = free_ports(2);
  const std::optional<Keyring> key = fresh_key();

  std::mutex mutex;
  std::vector<Warning> warnings;
  NodeCallbacks cb;
  cb.on_warning = [&](const Warning& w) {
    std::lock_guard lock(mutex);
    warnings.push_back(w);
  };
  nodes.spawn(unicast_config(nodes.net(), "a", base, {}, key));
  Node b(io.io(),
         unicast_config(nodes.net(), "b", base + 1,
                        {"localhost:" + std::to_string(base), "no-such-host.invalid:7676"}, key),
         cb);
  REQUIRE(b.start().is_ok());
  // "a" has no seeds: it can only learn of "b" from b's heartbeats, which
  // reach it only if "localhost" resolved.
  CHECK(wait_until([&] { return nodes.sees_alive(0, 2); }));
  const auto unresolved = [&] {
    std::lock_guard lock(mutex);
    return std::count_if(warnings.begin(), warnings.end(), [](const Warning& w) {
      return w.kind == WarningKind::kSeedUnresolved &&
             w.message.find("no-such-host.invalid:7676") != std::string::npos;
    });
  };
  CHECK(wait_until([&] { return unresolved() == 1; }));
  CHECK(b.running());
  CHECK(b.describe_endpoint() == "unicast " + at(base + 1) + " on lo, 2 seeds");
}
