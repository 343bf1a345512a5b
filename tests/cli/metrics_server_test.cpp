// --metrics-listen on real loopback sockets: the HTTP responder in process
// (paths, methods, its bounds), then `lanlord join` and `watch` serving
// their metrics, checked with promtool.
#include <doctest/doctest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "http_client.hpp"
#include "join_cluster.hpp"
#include "metrics/metrics_server.hpp"

using namespace std::chrono_literals;
using namespace lanlord::testing;
using lanlord::cli::ListenAddress;
using lanlord::cli::MetricsServer;
using lanlord::cli::MetricsServerLimits;

namespace {

// A MetricsServer on 127.0.0.1 with a free port, run by its own thread.
struct ServerHarness {
  boost::asio::io_context io;
  std::atomic<int> renders{0};
  MetricsServer server;
  std::uint16_t port = 0;
  std::thread thread;

  explicit ServerHarness(MetricsServerLimits limits = {})
      : server(
            io,
            [this] {
              ++renders;
              return std::string("up 1\n");
            },
            "text/plain; version=0.0.4", limits) {
    REQUIRE(server.listen(ListenAddress{"127.0.0.1", 0}).is_ok());
    const std::string a = server.local_address();
    port = static_cast<std::uint16_t>(std::stoi(a.substr(a.rfind(':') + 1)));
    server.start();
    thread = std::thread([this] { io.run(); });
  }
  ~ServerHarness() {
    boost::asio::post(io, [this] {
      server.stop();
      io.stop();
    });
    thread.join();
  }
};

}  // namespace

TEST_CASE("metrics server: GET /metrics is the rendered text, other paths 404, other methods 405") {
  ServerHarness h;
  const std::optional<HttpReply> ok = http_get("127.0.0.1", h.port, "/metrics");
  REQUIRE(ok.has_value());
  CHECK(ok->status == 200);
  CHECK(ok->body == "up 1\n");
  CHECK(ok->content_type == "text/plain; version=0.0.4");
  const std::optional<HttpReply> query = http_get("127.0.0.1", h.port, "/metrics?x=1");
  REQUIRE(query.has_value());
  CHECK(query->status == 200);
  const std::optional<HttpReply> other = http_get("127.0.0.1", h.port, "/");
  REQUIRE(other.has_value());
  CHECK(other->status == 404);
  CHECK(h.renders == 2);  // only /metrics renders

  const RawReply post =
      raw_exchange(h.port, "POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5s);
  CHECK(post.data.starts_with("HTTP/1.1 405"));
  // Keep-alive: two requests on one connection, two answers.
  const RawReply two = raw_exchange(
      h.port,
      "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\nConnection: "
      "close\r\n\r\n",
      5s);
  CHECK(two.closed);
  CHECK(two.data.find("HTTP/1.1 200", 1) != std::string::npos);
}

TEST_CASE("metrics server: oversized requests, bodies and silent clients are closed, and a cap") {
  MetricsServerLimits limits;
  limits.max_connections = 2;
  limits.max_request_bytes = 1024;
  limits.timeout = lanlord::test::scaled(1s);
  ServerHarness h(limits);

  // Headers beyond the limit: closed without an answer.
  const RawReply big = raw_exchange(
      h.port, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4000, 'a') + "\r\n\r\n",
      5s);
  CHECK(big.closed);
  CHECK_FALSE(big.data.starts_with("HTTP/1.1 200"));
  // A body (nothing to send one for): closed.
  const RawReply body = raw_exchange(
      h.port, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 5s);
  CHECK_FALSE(body.data.starts_with("HTTP/1.1 200"));
  // A client that sends nothing is closed after the timeout, not kept.
  const auto start = std::chrono::steady_clock::now();
  const RawReply silent = raw_exchange(h.port, "", 5s);
  CHECK(silent.closed);
  CHECK(std::chrono::steady_clock::now() - start < lanlord::test::scaled(4s));

  // Two silent connections fill the cap: a third is refused at once...
  boost::asio::io_context io;
  const boost::asio::ip::tcp::endpoint to(boost::asio::ip::make_address("127.0.0.1"), h.port);
  boost::asio::ip::tcp::socket a(io);
  boost::asio::ip::tcp::socket b(io);
  a.connect(to);
  b.connect(to);
  std::this_thread::sleep_for(50ms);  // let the server accept both (not a timing assertion)
  const std::optional<HttpReply> refused = http_get("127.0.0.1", h.port, "/metrics", 250ms);
  CHECK_FALSE(refused.has_value());
  // ...until the silent ones time out.
  std::optional<HttpReply> later;
  const Deadline deadline = after(5s);
  while (!later && std::chrono::steady_clock::now() < deadline) {
    later = http_get("127.0.0.1", h.port, "/metrics", 1s);
  }
  REQUIRE(later.has_value());
  CHECK(later->status == 200);
}

namespace {

// The address of a metrics_listening event, from `p`'s JSON lines.
std::optional<std::string> metrics_address(const std::vector<std::string>& lines) {
  for (const std::string& l : lines) {
    if (is_event(l, "metrics_listening")) return field(l, "address");
  }
  return std::nullopt;
}

std::uint16_t port_of(const std::string& address) {
  return static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

// Runs promtool check metrics on `text`: its verdict and what it said, or
// nothing when promtool is not installed.
std::optional<std::pair<int, std::string>> promtool_check(const std::string& text) {
  if (::access("/usr/bin/promtool", X_OK) != 0) return std::nullopt;
  TempDir dir;
  const std::string file = dir.file("metrics.txt");
  std::ofstream(file) << text;
  ChildProcess p("/bin/sh", {"-c", "/usr/bin/promtool check metrics < '" + file + "' 2>&1"});
  const std::optional<int> code = p.wait(after(20s));
  REQUIRE(code.has_value());
  return std::pair{*code, p.pending_stdout()};
}

}  // namespace

TEST_CASE("metrics process: lanlord join serves its metrics, promtool accepts them") {
  const Net net = random_net();
  JoinProcess a("node-a", net, {"--metrics-listen", "127.0.0.1:0"});
  JoinProcess b("node-b", net, {"--metrics-listen", "127.0.0.1:0"});
  const std::string leader = await_agreement({&a, &b}, after(kAgreement));
  REQUIRE_FALSE(leader.empty());
  for (JoinProcess* n : {&a, &b}) {
    CAPTURE(n->id);
    const std::optional<std::string> address = metrics_address(n->lines);
    REQUIRE(address.has_value());
    CHECK(address->starts_with("127.0.0.1:"));
    CHECK(port_of(*address) != 0);  // the port chosen, not the 0 asked for
    const std::optional<HttpReply> r = http_get("127.0.0.1", port_of(*address), "/metrics");
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->content_type == "text/plain; version=0.0.4; charset=utf-8");
    const std::string expected =
        "lanlord_is_leader{channel=\"default\"} " + std::string(n->id == leader ? "1" : "0") + "\n";
    CHECK_MESSAGE(r->body.find(expected) != std::string::npos, r->body);
    CHECK(r->body.find("node_id=\"" + n->id + "\"") != std::string::npos);
    CHECK(r->body.find("lanlord_members_alive{channel=\"default\"} 2\n") != std::string::npos);
    const auto verdict = promtool_check(r->body);
    if (!verdict) {
      MESSAGE("promtool is not installed (scripts/install-deps.sh): skipping its check");
    } else {
      CHECK_MESSAGE(verdict->first == 0, verdict->second);
      CHECK_MESSAGE(verdict->second.empty(), verdict->second);  // no lint complaints either
    }
  }
}

TEST_CASE("metrics process: lanlord watch serves the leader, epoch and members it hears") {
  const Net net = random_net();
  JoinProcess a("node-a", net);
  JoinProcess b("node-b", net);
  const std::string leader = await_agreement({&a, &b}, after(kAgreement));
  REQUIRE_FALSE(leader.empty());
  ChildProcess watch(kLanlord, args({"watch", "--json", "--metrics-listen", "127.0.0.1:0"}, net));
  const std::optional<std::string> line = watch.read_until(
      after(kAgreement), [](const std::string& l) { return is_event(l, "metrics_listening"); });
  REQUIRE(line.has_value());
  const std::uint16_t port = port_of(field(*line, "address").value_or(":0"));
  const std::string wanted =
      "lanlord_leader_info{channel=\"default\",leader_id=\"" + leader + "\"} 1\n";
  std::string body;
  const Deadline deadline = after(kAgreement);
  while (std::chrono::steady_clock::now() < deadline) {
    if (const auto r = http_get("127.0.0.1", port, "/metrics")) body = r->body;
    if (body.find(wanted) != std::string::npos &&
        body.find("lanlord_members_alive{channel=\"default\"} 2\n") != std::string::npos) {
      break;
    }
    watch.read_line(after(100ms));  // keep its stdout drained while waiting
  }
  INFO(body);
  CHECK(body.find(wanted) != std::string::npos);
  CHECK(body.find("lanlord_members_alive{channel=\"default\"} 2\n") != std::string::npos);
  CHECK(body.find("lanlord_is_leader{channel=\"default\"} 0\n") != std::string::npos);
  CHECK(body.find("lanlord_leader_epoch{channel=\"default\"} 0\n") == std::string::npos);
  watch.signal(SIGTERM);
  CHECK(watch.wait(after(kExit)) == 0);
}

TEST_CASE("metrics process: a taken port stops lanlord before it joins, a bad address is exit 2") {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor taken(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const std::string address = "127.0.0.1:" + std::to_string(taken.local_endpoint().port());
  const Finished busy = run(args({"join", "--json", "--metrics-listen", address}, random_net()));
  CHECK(busy.code == 1);
  CHECK_MESSAGE(busy.err.starts_with("lanlord: cannot listen on " + address + ": "), busy.err);
  CHECK(busy.out.find("\"started\"") == std::string::npos);  // never joined

  const Finished bad = run(args(
      {"run", "--channel", "c", "--metrics-listen", "localhost:9464", "--", "true"}, random_net()));
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--metrics-listen: 'localhost:9464'") != std::string::npos);
}
