// The toolkit's LocalCluster on loopback: nodes start, agree, survive a
// crash and stop gracefully. Real sockets (label "socket").
#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "lanlord/app/local_cluster.hpp"

using namespace std::chrono_literals;
using lanlord::Clock;
using lanlord::NodeConfig;
using lanlord::PeerId;
using lanlord::app::LocalCluster;

namespace {

// A random group in 239.0.0.0/8, a random port and a cluster name of its
// own, so that tests running side by side do not hear each other.
NodeConfig random_base() {
  static std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<int> octet(1, 254);
  std::uniform_int_distribution<int> port(20000, 59999);
  NodeConfig c;
  c.group = "239." + std::to_string(octet(rng)) + "." + std::to_string(octet(rng)) + "." +
            std::to_string(octet(rng));
  c.port = static_cast<std::uint16_t>(port(rng));
  c.cluster = "lct-" + std::to_string(rng() % 1000000000);
  c.profile = "fast";
  return c;
}

}  // namespace

TEST_CASE("local_node_id pads to the count's width") {
  CHECK(lanlord::app::local_node_id(0, 5) == "node-1");
  CHECK(lanlord::app::local_node_id(1, 12) == "node-02");
  CHECK(lanlord::app::local_node_id(11, 12) == "node-12");
  CHECK(lanlord::app::local_node_id(11, 5) == "node-12");  // beyond the count: not cut
}

TEST_CASE("LocalCluster: nodes agree, fail over after a crash, and stop in order") {
  LocalCluster cluster(2);
  const lanlord::Status started = cluster.start_nodes(3, random_base());
  INFO(started.message());
  REQUIRE(started.is_ok());
  CHECK(cluster.ids() == std::vector<std::string>{"node-1", "node-2", "node-3"});
  REQUIRE(cluster.find("node-2") != nullptr);
  CHECK(cluster.find("node-9") == nullptr);

  const auto first = cluster.wait_for_agreement("default", Clock::now() + 20s);
  REQUIRE(first.has_value());
  CHECK(*first == PeerId("node-1"));  // the lowest id wins
  CHECK(cluster.find("node-1")->is_leader("default"));

  CHECK(cluster.crash("node-1"));
  CHECK_FALSE(cluster.crash("node-1"));
  CHECK(cluster.size() == 2);
  const auto second = cluster.wait_for_agreement("default", Clock::now() + 20s);
  REQUIRE(second.has_value());
  CHECK(*second == PeerId("node-2"));

  std::vector<std::string> stopped;
  cluster.stop_all(*second, [&stopped](const lanlord::Node& n) {
    CHECK_FALSE(n.running());
    stopped.push_back(n.config().id);
  });
  CHECK(stopped == std::vector<std::string>{"node-3", "node-2"});
  CHECK(cluster.size() == 0);
  CHECK_FALSE(cluster.agreed_leader("default").has_value());
}

TEST_CASE("LocalCluster: a node that cannot start is not kept") {
  LocalCluster cluster;
  NodeConfig bad = random_base();
  bad.id = "x";
  bad.group = "192.0.2.1";  // not multicast
  CHECK_FALSE(cluster.start_node(bad).is_ok());
  CHECK(cluster.size() == 0);
  NodeConfig good = random_base();
  good.id = "y";
  const lanlord::Status started = cluster.start_node(good);
  INFO(started.message());
  REQUIRE(started.is_ok());
  CHECK(cluster.stop("y"));
  CHECK_FALSE(cluster.stop("y"));
}
