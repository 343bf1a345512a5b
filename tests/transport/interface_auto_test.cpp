// `--interface auto` (NodeConfig::interface_name = "auto") on interfaces
// a test can only make inside a private network namespace: the choice
// among LAN interfaces, container plumbing, down interfaces and
// link-local-only IPv6, and the errors for none and several. Skipped,
// with the reason printed, where namespaces cannot be created.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <string>

#include "lanlord/node.hpp"
#include "private_network.hpp"
#include "socket_harness.hpp"

using namespace lanlord;
using namespace lanlord::test;

namespace {

// Starts a node on `group` with interface "auto" inside `net`: "on NAME
// (...)" of its endpoint when it started, else "error: " and the message.
std::string start_auto(const PrivateNetwork& net, const std::string& group) {
  std::string outcome;
  const std::string not_entered = net.run_inside([&] {
    boost::asio::io_context io;
    Net where = fresh_net();
    where.group = group;
    NodeConfig c = fast_config(where, "auto-1");
    c.interface_name = "auto";
    Node node(io, c, {});
    if (Status s = node.start(); !s) {
      outcome = "error: " + s.message();
      return;
    }
    const std::string endpoint = node.describe_endpoint();
    outcome = endpoint.substr(endpoint.find(" on ") + 1);
    node.stop();
  });
  return not_entered.empty() ? outcome : "cannot enter: " + not_entered;
}

}  // namespace

TEST_CASE("socket: --interface auto picks the one LAN interface, or lists why none or several") {
  PrivateNetwork net({});
  if (!net.usable()) {
    MESSAGE("skipped: " << net.why_not());
    return;
  }
  const std::string v4 = fresh_net().group;
  const std::string v6 = "ff15::7676:1";

  // Only loopback: none, and the error says why lo was not taken.
  std::string got = start_auto(net, v4);
  if (got.starts_with("cannot enter")) {
    MESSAGE("skipped: " << got);
    return;
  }
  CHECK_MESSAGE(got.find("error: --interface auto: no interface") == 0, got);
  CHECK_MESSAGE(got.find("lo (loopback)") != std::string::npos, got);

  // eth0: a LAN (a veth, as in a container). Not taken: its peer veth7
  // (plumbing by name, though it has an address), docker0 (a bridge) and
  // eth1 (down).
  for (const char* step :
       {"link add eth0 type veth peer name veth7", "link set eth0 up", "link set veth7 up",
        "addr add 198.51.100.1/24 dev eth0", "addr add 198.51.100.2/24 dev veth7",
        "link add docker0 type bridge", "link set docker0 up", "addr add 198.18.0.1/24 dev docker0",
        "link add eth1 type veth peer name veth8", "addr add 203.0.113.1/24 dev eth1"}) {
    REQUIRE_MESSAGE(net.step(step).empty(), net.step(step));
  }
  REQUIRE(net.await_running("eth0"));
  CHECK(start_auto(net, v4) == "on eth0 (198.51.100.1)");

  // An IPv6 group: eth0 has only its link-local address, which does not
  // count; a unique-local one does.
  got = start_auto(net, v6);
  CHECK_MESSAGE(got.find("eth0 (no global or unique-local IPv6 address)") != std::string::npos,
                got);
  REQUIRE(net.step("addr add fd00:7676::1/64 dev eth0 nodad").empty());
  CHECK(start_auto(net, v6).starts_with("on eth0"));

  // eth1 comes up: two LAN interfaces, so auto refuses to guess.
  REQUIRE(net.step("link set eth1 up").empty());
  REQUIRE(net.step("link set veth8 up").empty());
  REQUIRE(net.await_running("eth1"));
  got = start_auto(net, v4);
  CHECK_MESSAGE(got.find("several interfaces qualify (eth0, eth1)") != std::string::npos, got);
}
