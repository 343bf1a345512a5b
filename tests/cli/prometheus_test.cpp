// A real Prometheus server (Debian's /usr/bin/prometheus) scrapes a
// three-node `lanlord join` cluster on loopback and is asked who leads.
// Prometheus runs on 127.0.0.1 with a free port, its config and its TSDB in
// the test's own temporary directory, and is stopped afterwards. CTest
// label "prometheus" (not in the sanitizer passes).
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "child_process.hpp"
#include "http_client.hpp"
#include "join_cluster.hpp"

using namespace std::chrono_literals;
using namespace lanlord::testing;

namespace {

const char* const kPrometheus = "/usr/bin/prometheus";

// A port nobody listens on now (the kernel's choice, released at once).
std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

std::string metrics_address(const JoinProcess& n) {
  for (const std::string& l : n.lines) {
    if (is_event(l, "metrics_listening")) return field(l, "address").value_or("");
  }
  return "";
}

// The `data.result` of a Prometheus instant query, or nothing (not up yet,
// or an error).
std::optional<nlohmann::json> query(std::uint16_t port, const std::string& escaped_query) {
  const std::optional<HttpReply> r =
      http_get("127.0.0.1", port, "/api/v1/query?query=" + escaped_query, 2s);
  if (!r || r->status != 200) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || j.value("status", "") != "success") return std::nullopt;
  return j["data"]["result"];
}

}  // namespace

TEST_CASE("prometheus: a real server scrapes three nodes and finds exactly one leader") {
  if (::access(kPrometheus, X_OK) != 0) {
    MESSAGE("prometheus is not installed (scripts/install-deps.sh): skipping");
    return;
  }
  const Net net = random_net();
  std::vector<std::unique_ptr<JoinProcess>> nodes;
  for (const char* id : {"node-a", "node-b", "node-c"}) {
    nodes.push_back(std::make_unique<JoinProcess>(
        id, net, std::vector<std::string>{"--metrics-listen", "127.0.0.1:0"}));
  }
  std::vector<JoinProcess*> all;
  for (const auto& n : nodes) all.push_back(n.get());
  const std::string leader = await_agreement(all, after(kAgreement));
  REQUIRE_FALSE(leader.empty());
  std::string targets;
  std::string leader_target;
  for (const JoinProcess* n : all) {
    const std::string a = metrics_address(*n);
    REQUIRE_FALSE(a.empty());
    targets += (targets.empty() ? "'" : ", '") + a + "'";
    if (n->id == leader) leader_target = a;
  }

  TempDir dir;
  {
    std::ofstream config(dir.file("prometheus.yml"));
    config << "global:\n"
              "  scrape_interval: 300ms\n"
              "  scrape_timeout: 250ms\n"
              "scrape_configs:\n"
              "  - job_name: lanlord\n"
              "    static_configs:\n"
              "      - targets: ["
           << targets << "]\n";
  }
  const std::uint16_t port = free_port();
  ChildProcess prometheus(
      kPrometheus,
      {"--config.file=" + dir.file("prometheus.yml"), "--storage.tsdb.path=" + dir.file("data"),
       "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"});

  // lanlord_is_leader: one series per node (three), exactly one of them 1,
  // scraped from the leader's metrics address.
  nlohmann::json leaders;
  const Deadline deadline = after(30s);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::optional<nlohmann::json> r = query(port, "lanlord_is_leader");
    if (r && r->size() == 3) {
      leaders = *r;
      break;
    }
    prometheus.read_line(after(200ms));  // drains its output while waiting
  }
  INFO("prometheus said: " << prometheus.stderr_text());
  REQUIRE_MESSAGE(leaders.size() == 3, leaders.dump());
  int ones = 0;
  for (const nlohmann::json& series : leaders) {
    CHECK(series["metric"]["channel"] == "default");
    if (series["value"][1] == "1") {
      ++ones;
      CHECK(series["metric"]["instance"] == leader_target);
    }
  }
  CHECK(ones == 1);

  // The same, by node id: lanlord_info's node_id joined on the instance.
  const std::optional<nlohmann::json> named = query(
      port,
      "lanlord_is_leader%20*%20on(instance)%20group_left(node_id)%20lanlord_info%20%3D%3D%201");
  REQUIRE(named.has_value());
  REQUIRE_MESSAGE(named->size() == 1, named->dump());
  CHECK((*named)[0]["metric"]["node_id"] == leader);

  prometheus.signal(SIGTERM);
  CHECK(prometheus.wait(after(20s)).has_value());
  for (JoinProcess* n : all) {
    n->process->signal(SIGTERM);
    CHECK(n->process->wait(after(kExit)) == 0);
  }
}
