// IPv6 multicast on real sockets. Linux does not deliver IPv6 multicast
// over loopback, so the nodes run in a private network namespace created
// for this test, on one end of a veth pair: nothing can leave it. The
// namespace is always deleted; where namespaces cannot be created (no
// privileges, no `ip`), the test is skipped with the reason printed.
#include <doctest/doctest.h>

#include <sstream>

#include "private_network.hpp"
#include "socket_harness.hpp"

using namespace lanlord;
using namespace lanlord::test;

TEST_CASE("socket: IPv6 multicast in a private network namespace") {
  // A veth pair, both ends up, fd00:7676::1/64 on veth0.
  PrivateNetwork net({"link add veth0 type veth peer name veth1", "link set veth0 up",
                      "link set veth1 up", "addr add fd00:7676::1/64 dev veth0 nodad"});
  if (!net.usable()) {
    MESSAGE("skipped: " << net.why_not());
    return;
  }
  IoThread io;
  Net where = fresh_net();
  std::ostringstream group;
  group << "ff15::7676:" << std::hex << (test_rng()() % 0xffff + 1);
  where.group = group.str();

  Nodes nodes(io.io(), where);
  const std::string not_entered = net.run_inside([&] {
    for (int i = 0; i < 3; ++i) {
      NodeConfig c = fast_config(where, "v6-" + std::to_string(i));
      c.interface_name = "veth0";
      c.ttl = 1;
      nodes.spawn(c);
    }
  });
  if (!not_entered.empty()) {
    MESSAGE("skipped: cannot enter " << net.name() << ": " << not_entered);
    return;
  }
  REQUIRE(nodes.size() == 3);
  CHECK(nodes.node(0).describe_endpoint().find("on veth0") != std::string::npos);

  REQUIRE(wait_until([&] { return nodes.agreed_leader("default").has_value(); }));
  for (std::size_t i = 0; i < 3; ++i) CHECK(wait_until([&] { return nodes.sees_alive(i, 3); }));
  const PeerId old = *nodes.agreed_leader("default");
  nodes.node(*nodes.index_of(old)).stop();
  CHECK(wait_until([&] {
    auto l = nodes.agreed_leader("default");
    return l && *l != old;
  }));
  // The nodes (and their sockets) go before the namespace does.
}
