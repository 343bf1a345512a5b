// Runs the embedding example of transport/EMBEDDING.md: two instances of
// the billing service; exactly one does the job.
#include <doctest/doctest.h>

#include <future>

#include "embed_example.hpp"
#include "socket_harness.hpp"

using namespace lanlord;
using namespace lanlord::test;

TEST_CASE("socket: the embedding example runs its job on one instance only") {
  const Net net = fresh_net();
  auto config = [&net](const std::string& id) {
    NodeConfig c = billing_config(id);
    // The test's own group, port and cluster, fast timings, TTL 0.
    c.group = net.group;
    c.port = net.port;
    c.cluster = net.cluster;
    c.profile = "fast";
    c.ttl = 0;
    return c;
  };
  std::promise<int> a_jobs, b_jobs;
  std::jthread a(
      [&](std::stop_token st) { a_jobs.set_value(run_billing_service(config("billing-a"), st)); });
  std::jthread b(
      [&](std::stop_token st) { b_jobs.set_value(run_billing_service(config("billing-b"), st)); });

  // A passive observer tells when the instances have a leader.
  IoThread io;
  NodeConfig watch = config("");
  watch.passive = true;
  Node watcher(io.io(), watch);
  REQUIRE(watcher.start().is_ok());
  // The instances' job counts are theirs until they return; what the test
  // sees is the leadership they act on. Once one leader has stood, unchanged,
  // for three of the services' 100 ms ticks, it has ticked as leader.
  std::optional<PeerId> seen;
  REQUIRE(holds_for(
      [&] {
        const std::optional<PeerId> now = watcher.leader("billing");
        const bool same = now.has_value() && now == seen;
        seen = now;
        return same;
      },
      300ms));
  const PeerId leader = *seen;
  a.request_stop();
  b.request_stop();
  std::future<int> a_done = a_jobs.get_future();
  std::future<int> b_done = b_jobs.get_future();
  // Each stops within a tick and a leave.
  REQUIRE(a_done.wait_for(scaled(10s)) == std::future_status::ready);
  REQUIRE(b_done.wait_for(scaled(10s)) == std::future_status::ready);
  const int ran_a = a_done.get();
  const int ran_b = b_done.get();
  CHECK(ran_a >= 0);
  CHECK(ran_b >= 0);
  const int leader_ran = leader == PeerId("billing-a") ? ran_a : ran_b;
  const int follower_ran = leader == PeerId("billing-a") ? ran_b : ran_a;
  CHECK(leader_ran > 0);
  CHECK(follower_ran == 0);
}
