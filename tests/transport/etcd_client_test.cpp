// The etcd client (transport/src/etcd_client.hpp) against a private etcd
// (tests/etcd_server.hpp): leases, the create txn, ranges, the watch
// (events, compaction), endpoint failover, request timeouts, a server
// restart under a kept-alive connection, authentication, TLS, close(), and
// the config checks. Every wait is a deadline on a polled condition.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <fstream>
#include <optional>

#include "../etcd_server.hpp"
#include "etcd_client.hpp"

using namespace lanlord;
using namespace lanlord::transport;
using namespace lanlord::transport::etcd;
using lanlord::testing::EtcdServer;
using namespace std::chrono_literals;

namespace {

// A client on its own io_context, driven by this thread (run_until): every
// call and callback is on the strand's one thread, under the guard's lock.
struct Harness {
  boost::asio::io_context io;
  Strand strand{boost::asio::make_strand(io)};
  std::shared_ptr<NodeGuard> guard = std::make_shared<NodeGuard>();
  std::unique_ptr<Client> client;

  explicit Harness(ClientConfig config) {
    client = std::make_unique<Client>(strand, guard, std::move(config));
  }
  ~Harness() {
    std::lock_guard lock(guard->mutex);
    client.reset();
  }

  // Runs the io_context until `pred` holds or `limit` (times the factor) passes.
  template <class Pred>
  bool run_until(Pred pred, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + lanlord::test::scaled(limit);
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      if (io.stopped()) io.restart();
      io.run_one_for(10ms);
    }
    return true;
  }
  // Runs whatever is ready or becomes ready within `d` (for "nothing more happens").
  void run_for(std::chrono::milliseconds d) {
    const auto deadline = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < deadline) {
      if (io.stopped()) io.restart();
      io.run_one_for(5ms);
    }
  }

  template <class F>
  void locked(F&& f) {
    std::lock_guard lock(guard->mutex);
    f();
  }

  struct Granted {
    Status status;
    std::int64_t lease = 0;
    int ttl = 0;
  };
  Granted grant(int ttl) {
    std::optional<Granted> r;
    locked([&] {
      client->grant(ttl, [&](Status s, std::int64_t lease, int t) { r = Granted{s, lease, t}; });
    });
    REQUIRE(run_until([&] { return r.has_value(); }));
    return *r;
  }
  std::pair<Status, int> keep_alive(std::int64_t lease) {
    std::optional<std::pair<Status, int>> r;
    locked([&] { client->keep_alive(lease, [&](Status s, int ttl) { r.emplace(s, ttl); }); });
    REQUIRE(run_until([&] { return r.has_value(); }));
    return *r;
  }
  Status revoke(std::int64_t lease) {
    std::optional<Status> r;
    locked([&] { client->revoke(lease, [&](Status s) { r = s; }); });
    REQUIRE(run_until([&] { return r.has_value(); }));
    return *r;
  }
  struct Created {
    Status status;
    std::int64_t create_revision = 0;
    std::int64_t revision = 0;
  };
  Created create(const std::string& key, const std::string& value, std::int64_t lease) {
    std::optional<Created> r;
    locked([&] {
      client->create(key, value, lease, [&](Status s, std::int64_t cr, std::int64_t rev) {
        r = Created{s, cr, rev};
      });
    });
    REQUIRE(run_until([&] { return r.has_value(); }));
    return *r;
  }
  struct Ranged {
    Status status;
    std::vector<KeyValue> kvs;
    std::int64_t revision = 0;
  };
  Ranged range(const std::string& prefix, std::int64_t limit = 0) {
    std::optional<Ranged> r;
    locked([&] {
      client->range(prefix, limit, [&](Status s, std::vector<KeyValue> kvs, std::int64_t rev) {
        r = Ranged{s, std::move(kvs), rev};
      });
    });
    REQUIRE(run_until([&] { return r.has_value(); }));
    return *r;
  }
  Status erase(const std::string& key) {
    std::optional<Status> r;
    locked([&] { client->erase(key, [&](Status s) { r = s; }); });
    REQUIRE(run_until([&] { return r.has_value(); }));
    return *r;
  }
};

ClientConfig config_for(const std::string& endpoint) {
  ClientConfig c;
  c.endpoints = {endpoint};
  c.request_timeout = lanlord::test::scaled(2s);
  return c;
}

// A TCP port on 127.0.0.1 that is closed now.
std::uint16_t closed_port() {
  return lanlord::testing::etcd_detail::free_tcp_port();
}

// A listener that completes TCP handshakes (the kernel's backlog) but never
// reads or answers.
struct SilentListener {
  int fd = -1;
  std::uint16_t port = 0;
  SilentListener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
  }
  ~SilentListener() { ::close(fd); }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port); }
};

// The value of "name":"..." in a flat JSON answer (no escapes).
std::string string_field(const std::string& json, const std::string& name) {
  const std::string open = "\"" + name + "\":\"";
  const std::size_t at = json.find(open);
  if (at == std::string::npos) return {};
  const std::size_t from = at + open.size();
  return json.substr(from, json.find('"', from) - from);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("etcd client: a lease is granted, kept alive and revoked") {
  EtcdServer server;
  Harness h(config_for(server.endpoint()));
  const auto g = h.grant(5);
  REQUIRE_MESSAGE(g.status.is_ok(), g.status.message());
  CHECK(g.lease != 0);
  CHECK(g.ttl >= 5);
  const auto [s1, ttl1] = h.keep_alive(g.lease);
  REQUIRE_MESSAGE(s1.is_ok(), s1.message());
  CHECK(ttl1 > 0);
  CHECK(ttl1 <= g.ttl);
  // Two leases are two ids.
  const auto g2 = h.grant(7);
  REQUIRE(g2.status.is_ok());
  CHECK(g2.lease != g.lease);
  CHECK(h.keep_alive(g2.lease).second > 5);
  const Status r = h.revoke(g.lease);
  REQUIRE_MESSAGE(r.is_ok(), r.message());
  // A revoked lease is gone: ttl 0, not an error.
  const auto [s2, ttl2] = h.keep_alive(g.lease);
  CHECK_MESSAGE(s2.is_ok(), s2.message());
  CHECK(ttl2 == 0);
  // Revoking it again: etcd's error, passed on.
  const Status again = h.revoke(g.lease);
  CHECK_FALSE(again.is_ok());
  CHECK_MESSAGE(contains(again.message(), "lease not found"), again.message());
  CHECK_MESSAGE(contains(again.message(), server.endpoint()), again.message());
  CHECK(h.keep_alive(g2.lease).second > 0);
  // One connection carried them all; each request counted.
  const ClientStats st = h.client->stats();
  CHECK(st.requests == 8);
  CHECK(st.request_errors == 1);
  CHECK(st.endpoint == server.endpoint());
}

TEST_CASE("etcd client: create makes a key once and gives its create revision") {
  EtcdServer server;
  Harness h(config_for(server.endpoint()));
  const auto g = h.grant(10);
  REQUIRE(g.status.is_ok());
  const std::string key = std::string("/lanlord/c/\x01\xff\x00 bytes", 19);
  const auto first = h.create(key, "first", g.lease);
  REQUIRE_MESSAGE(first.status.is_ok(), first.status.message());
  CHECK(first.create_revision > 1);
  CHECK(first.revision == first.create_revision);
  // Something else moves the store's revision on.
  REQUIRE(h.create("/lanlord/other", "x", 0).status.is_ok());
  const auto second = h.create(key, "second", 0);
  REQUIRE_MESSAGE(second.status.is_ok(), second.status.message());
  CHECK(second.create_revision == first.create_revision);
  CHECK(second.revision == first.revision + 1);
  // The key kept its first value and lease.
  const auto r = h.range(key);
  REQUIRE(r.status.is_ok());
  REQUIRE(r.kvs.size() == 1);
  CHECK(r.kvs[0].key == key);
  CHECK(r.kvs[0].value == "first");
  CHECK(r.kvs[0].lease == g.lease);
  CHECK(r.kvs[0].create_revision == first.create_revision);
  CHECK(r.kvs[0].mod_revision == first.create_revision);
  CHECK(r.revision == second.revision);
  // The lease's end takes the key with it.
  REQUIRE(h.revoke(g.lease).is_ok());
  CHECK(h.range(key).kvs.empty());
}

TEST_CASE("etcd client: range lists a prefix by create revision, with a limit") {
  EtcdServer server;
  Harness h(config_for(server.endpoint()));
  // Created in an order unlike the keys' byte order; neighbours outside the prefix.
  for (const char* key : {"/p/c", "/p0", "/p/a", "/o", "/p/b"}) {
    REQUIRE(h.create(key, std::string("v") + key, 0).status.is_ok());
  }
  const auto all = h.range("/p/");
  REQUIRE_MESSAGE(all.status.is_ok(), all.status.message());
  REQUIRE(all.kvs.size() == 3);
  CHECK(all.kvs[0].key == "/p/c");
  CHECK(all.kvs[1].key == "/p/a");
  CHECK(all.kvs[2].key == "/p/b");
  CHECK(all.kvs[0].value == "v/p/c");
  CHECK(all.kvs[0].create_revision < all.kvs[1].create_revision);
  CHECK(all.kvs[1].create_revision < all.kvs[2].create_revision);
  CHECK(all.revision == all.kvs[2].create_revision);
  const auto two = h.range("/p/", 2);
  REQUIRE(two.status.is_ok());
  REQUIRE(two.kvs.size() == 2);
  CHECK(two.kvs[0].key == "/p/c");
  CHECK(two.kvs[1].key == "/p/a");
  CHECK(h.range("/nothing/").kvs.empty());
  // erase removes one key.
  REQUIRE(h.erase("/p/a").is_ok());
  const auto after = h.range("/p/");
  REQUIRE(after.kvs.size() == 2);
  CHECK(after.kvs[0].key == "/p/c");
  CHECK(after.kvs[1].key == "/p/b");
}

TEST_CASE("etcd client: a watch delivers puts and deletes in order") {
  EtcdServer server;
  Harness h(config_for(server.endpoint()));
  const auto start = h.range("/w/");
  REQUIRE(start.status.is_ok());
  std::vector<WatchEvent> events;
  std::int64_t last_revision = 0;
  std::optional<std::pair<Status, std::int64_t>> ended;
  h.locked([&] {
    h.client->watch(
        "/w/", start.revision + 1,
        [&](const std::vector<WatchEvent>& batch, std::int64_t revision) {
          events.insert(events.end(), batch.begin(), batch.end());
          last_revision = revision;
        },
        [&](Status s, std::int64_t compact) { ended.emplace(s, compact); });
  });
  const auto a = h.create("/w/a", "A", 0);
  REQUIRE(h.create("/x/outside", "no", 0).status.is_ok());
  REQUIRE(h.erase("/w/a").is_ok());
  const auto b = h.create("/w/b", "B", 0);
  REQUIRE(h.run_until([&] { return events.size() >= 3 || ended; }));
  REQUIRE_FALSE(ended.has_value());
  REQUIRE(events.size() == 3);
  CHECK_FALSE(events[0].deleted);
  CHECK(events[0].kv.key == "/w/a");
  CHECK(events[0].kv.value == "A");
  CHECK(events[0].kv.create_revision == a.create_revision);
  CHECK(events[1].deleted);
  CHECK(events[1].kv.key == "/w/a");
  CHECK(events[1].kv.mod_revision == a.create_revision + 2);
  CHECK_FALSE(events[2].deleted);
  CHECK(events[2].kv.key == "/w/b");
  CHECK(events[2].kv.mod_revision == b.create_revision);
  CHECK(last_revision == b.revision);
  // A watch from the start of history replays it (the watch that replaces
  // this one: only the new one reports).
  std::vector<WatchEvent> replay;
  h.locked([&] {
    h.client->watch(
        "/w/", 1,
        [&](const std::vector<WatchEvent>& batch, std::int64_t) {
          replay.insert(replay.end(), batch.begin(), batch.end());
        },
        [&](Status s, std::int64_t compact) { ended.emplace(s, compact); });
  });
  REQUIRE(h.run_until([&] { return replay.size() >= 3; }));
  CHECK(replay.size() == 3);
  CHECK(events.size() == 3);
  // etcd going away ends the stream, once, with a network error.
  server.kill();
  REQUIRE(h.run_until([&] { return ended.has_value(); }));
  CHECK_FALSE(ended->first.is_ok());
  CHECK(ended->second == 0);
  CHECK_MESSAGE(contains(ended->first.message(), server.endpoint()), ended->first.message());
}

TEST_CASE("etcd client: a watch from a compacted revision ends with the compaction") {
  EtcdServer server;
  Harness h(config_for(server.endpoint()));
  std::int64_t revision = 0;
  for (int i = 0; i < 4; ++i) {
    revision = h.create("/k/" + std::to_string(i), "v", 0).revision;
  }
  const auto compacted = server.post(
      "/v3/kv/compaction", R"({"revision":")" + std::to_string(revision) + R"(","physical":true})");
  REQUIRE_MESSAGE(compacted.status == 200, compacted.body);
  bool got_events = false;
  std::optional<std::pair<Status, std::int64_t>> ended;
  h.locked([&] {
    h.client->watch(
        "/k/", 2, [&](const std::vector<WatchEvent>&, std::int64_t) { got_events = true; },
        [&](Status s, std::int64_t compact) { ended.emplace(s, compact); });
  });
  REQUIRE(h.run_until([&] { return ended.has_value(); }));
  CHECK_FALSE(got_events);
  CHECK_FALSE(ended->first.is_ok());
  CHECK(ended->second == revision);
  CHECK_MESSAGE(contains(ended->first.message(), "compacted"), ended->first.message());
  // From the compaction revision on, it works.
  std::vector<WatchEvent> events;
  ended.reset();
  h.locked([&] {
    h.client->watch(
        "/k/", revision,
        [&](const std::vector<WatchEvent>& batch, std::int64_t) {
          events.insert(events.end(), batch.begin(), batch.end());
        },
        [&](Status s, std::int64_t compact) { ended.emplace(s, compact); });
  });
  REQUIRE(h.run_until([&] { return !events.empty() || ended.has_value(); }));
  CHECK_FALSE(ended.has_value());
  REQUIRE(events.size() == 1);
  CHECK(events[0].kv.key == "/k/3");
}

TEST_CASE("etcd client: a failed endpoint hands the next requests to the next one") {
  EtcdServer server;
  const std::string dead = "http://127.0.0.1:" + std::to_string(closed_port());
  ClientConfig c = config_for(dead);
  c.endpoints.push_back(server.endpoint());
  Harness h(c);
  CHECK(h.client->stats().endpoint == dead);
  const auto first = h.grant(5);
  CHECK_FALSE(first.status.is_ok());
  CHECK_MESSAGE(first.status.message() == "etcd " + dead + ": connection refused",
                first.status.message());
  CHECK(h.client->stats().endpoint == server.endpoint());
  const auto second = h.grant(5);
  REQUIRE_MESSAGE(second.status.is_ok(), second.status.message());
  CHECK(h.keep_alive(second.lease).second > 0);
  CHECK(h.client->stats().endpoint == server.endpoint());
  CHECK(h.client->stats().request_errors == 1);
  // When that one dies, the requests go round to the first (dead) one again.
  server.kill();
  CHECK_FALSE(h.grant(5).status.is_ok());
  CHECK(h.client->stats().endpoint == dead);
  server.start();
  const auto g = h.grant(5);  // dead: fails, moves on
  CHECK_FALSE(g.status.is_ok());
  const auto g2 = h.grant(5);
  REQUIRE(g2.status.is_ok());
  // revoke_now tries every endpoint: a fresh client starts with the dead one.
  Harness fresh(c);
  const Status revoked = fresh.client->revoke_now(g2.lease, lanlord::test::scaled(2s));
  CHECK_MESSAGE(revoked.is_ok(), revoked.message());
  Harness check(config_for(server.endpoint()));
  CHECK(check.keep_alive(g2.lease).second == 0);
  // A lease etcd no longer knows is revoked already.
  CHECK(check.client->revoke_now(g2.lease, lanlord::test::scaled(2s)).is_ok());
}

TEST_CASE("etcd client: a request that gets no answer fails after request_timeout") {
  SilentListener silent;
  ClientConfig c = config_for(silent.endpoint());
  c.request_timeout = 300ms;
  Harness h(c);
  const auto t0 = std::chrono::steady_clock::now();
  const auto g = h.grant(5);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK_FALSE(g.status.is_ok());
  CHECK_MESSAGE(g.status.message() == "etcd " + silent.endpoint() + ": timed out after 300 ms",
                g.status.message());
  CHECK(took >= 300ms);
  CHECK(took < 300ms + lanlord::test::scaled(1s));
  // The watch's connecting is bounded too.
  std::optional<Status> ended;
  h.locked([&] {
    h.client->watch(
        "/", 1, [](const std::vector<WatchEvent>&, std::int64_t) {},
        [&](Status s, std::int64_t) { ended = s; });
  });
  REQUIRE(h.run_until([&] { return ended.has_value(); }, 2s));
  CHECK_MESSAGE(contains(ended->message(), "timed out after 300 ms"), ended->message());
  // And revoke_now by its own timeout.
  const auto t1 = std::chrono::steady_clock::now();
  const Status r = h.client->revoke_now(42, 200ms);
  const auto took2 = std::chrono::steady_clock::now() - t1;
  CHECK_FALSE(r.is_ok());
  CHECK_MESSAGE(contains(r.message(), "timed out"), r.message());
  CHECK(took2 < 200ms + lanlord::test::scaled(1s));
}

TEST_CASE("etcd client: a kept-alive connection survives an etcd restart") {
  EtcdServer server;
  Harness h(config_for(server.endpoint()));
  const auto g = h.grant(30);
  REQUIRE(g.status.is_ok());
  server.stop();
  server.start();
  // The old connection is dead; the request goes on a new one, unnoticed.
  const auto [s, ttl] = h.keep_alive(g.lease);
  CHECK_MESSAGE(s.is_ok(), s.message());
  CHECK(ttl > 0);
  CHECK(h.client->stats().request_errors == 0);
}

TEST_CASE("etcd client: authentication with a user and password") {
  EtcdServer server;
  for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
           {"/v3/auth/user/add", R"({"name":"root","password":"secret"})"},
           {"/v3/auth/role/add", R"({"name":"root"})"},
           {"/v3/auth/user/grant", R"({"user":"root","role":"root"})"},
           {"/v3/auth/enable", "{}"}}) {
    const auto r = server.post(target, body);
    REQUIRE_MESSAGE(r.status == 200, (target + ": " + r.body));
  }
  ClientConfig c = config_for(server.endpoint());
  c.user = "root";
  c.password = "secret";
  {
    Harness h(c);
    const auto g = h.grant(10);
    REQUIRE_MESSAGE(g.status.is_ok(), g.status.message());
    REQUIRE(h.create("/a/k", "v", g.lease).status.is_ok());
    CHECK(h.client->stats().requests == 3);  // the token, then the two
    std::vector<WatchEvent> events;
    h.locked([&] {
      h.client->watch(
          "/a/", 1,
          [&](const std::vector<WatchEvent>& batch, std::int64_t) {
            events.insert(events.end(), batch.begin(), batch.end());
          },
          [](Status, std::int64_t) {});
    });
    REQUIRE(h.run_until([&] { return !events.empty(); }));
    // Across a restart (etcd replays its log, so the token survives).
    h.locked([&] { h.client->cancel_watch(); });
    server.stop();
    server.start();
    const auto [s, ttl] = h.keep_alive(g.lease);
    CHECK_MESSAGE(s.is_ok(), s.message());
    CHECK(ttl > 0);
    // A password change (to the same one) invalidates the user's tokens:
    // the client fetches a new one, once, and the request goes through.
    const auto auth =
        server.post("/v3/auth/authenticate", R"({"name":"root","password":"secret"})");
    REQUIRE(auth.status == 200);
    const std::string token = string_field(auth.body, "token");
    REQUIRE_FALSE(token.empty());
    const auto changed =
        server.post("/v3/auth/user/changepw", R"({"name":"root","password":"secret"})", token);
    REQUIRE_MESSAGE(changed.status == 200, changed.body);
    // A watch refused for its token ends; the next watch fetches a new one.
    std::optional<Status> refused;
    h.locked([&] {
      h.client->watch(
          "/a/", 1, [](const std::vector<WatchEvent>&, std::int64_t) {},
          [&](Status s, std::int64_t) { refused = s; });
    });
    REQUIRE(h.run_until([&] { return refused.has_value(); }));
    CHECK_MESSAGE(contains(refused->message(), "invalid auth token"), refused->message());
    events.clear();
    h.locked([&] {
      h.client->watch(
          "/a/", 1,
          [&](const std::vector<WatchEvent>& batch, std::int64_t) {
            events.insert(events.end(), batch.begin(), batch.end());
          },
          [&](Status s, std::int64_t) { refused = s; });
    });
    REQUIRE_MESSAGE(h.run_until([&] { return !events.empty(); }), refused->message());
    h.locked([&] { h.client->cancel_watch(); });
    REQUIRE(server.post("/v3/auth/user/changepw", R"({"name":"root","password":"secret"})", token)
                .status == 401);  // that token is gone too
    const std::string token2 = string_field(
        server.post("/v3/auth/authenticate", R"({"name":"root","password":"secret"})").body,
        "token");
    REQUIRE(server.post("/v3/auth/user/changepw", R"({"name":"root","password":"secret"})", token2)
                .status == 200);
    const std::uint64_t before = h.client->stats().requests;
    const std::uint64_t errors_before = h.client->stats().request_errors;
    const auto r = h.range("/a/");
    CHECK_MESSAGE(r.status.is_ok(), r.status.message());
    CHECK(r.kvs.size() == 1);
    CHECK(h.client->stats().requests == before + 3);  // refused, the token, again
    CHECK(h.client->stats().request_errors == errors_before);
    h.locked([&] { h.client->close(); });
    CHECK(h.client->revoke_now(g.lease, lanlord::test::scaled(2s)).is_ok());
  }
  {
    ClientConfig wrong = c;
    wrong.password = "guess";
    Harness h(wrong);
    const auto g = h.grant(10);
    CHECK_FALSE(g.status.is_ok());
    CHECK_MESSAGE(contains(g.status.message(), "authentication as 'root' failed"),
                  g.status.message());
    CHECK_MESSAGE(contains(g.status.message(), "invalid user ID or password"), g.status.message());
    CHECK_FALSE(h.client->revoke_now(1, lanlord::test::scaled(2s)).is_ok());
  }
  {
    // No credentials: etcd 3.4 grants leases to anyone, but reads need a user.
    Harness h(config_for(server.endpoint()));
    const auto r = h.range("/a/");
    CHECK_FALSE(r.status.is_ok());
    CHECK_MESSAGE(contains(r.status.message(), "user name is empty"), r.status.message());
  }
}

TEST_CASE("etcd client: no callback runs after close") {
  EtcdServer server;
  Harness h(config_for(server.endpoint()));
  int callbacks = 0;
  REQUIRE(h.grant(5).status.is_ok());  // connected
  h.locked([&] {
    h.client->watch(
        "/", 1, [&](const std::vector<WatchEvent>&, std::int64_t) { ++callbacks; },
        [&](Status, std::int64_t) { ++callbacks; });
    h.client->grant(5, [&](Status, std::int64_t, int) { ++callbacks; });
    h.client->range("/", 0, [&](Status, std::vector<KeyValue>, std::int64_t) { ++callbacks; });
    h.client->close();
    h.client->close();                                                    // idempotent
    h.client->grant(5, [&](Status, std::int64_t, int) { ++callbacks; });  // after close: dropped
  });
  h.run_for(lanlord::test::scaled(300ms));
  CHECK(callbacks == 0);
  // Closing from inside a callback stops the rest.
  Harness h2(config_for(server.endpoint()));
  int later = 0;
  bool first = false;
  h2.locked([&] {
    h2.client->grant(5, [&](Status, std::int64_t, int) {
      first = true;
      h2.client->close();
    });
    h2.client->grant(5, [&](Status, std::int64_t, int) { ++later; });
  });
  REQUIRE(h2.run_until([&] { return first; }));
  h2.run_for(lanlord::test::scaled(200ms));
  CHECK(later == 0);
  // A guard whose owner is gone: nothing runs either.
  Harness h3(config_for(server.endpoint()));
  int gone = 0;
  h3.locked([&] {
    h3.client->grant(5, [&](Status, std::int64_t, int) { ++gone; });
    h3.guard->live = false;
  });
  h3.run_for(lanlord::test::scaled(300ms));
  CHECK(gone == 0);
}

TEST_CASE("etcd client: TLS with a private CA and a client certificate") {
  EtcdServer server(EtcdServer::Options{.tls = true, .client_cert_auth = true, .extra_args = {}});
  const auto& pki = server.pki();
  ClientConfig c = config_for(server.endpoint());
  c.cacert = pki.ca;
  c.cert = pki.client_cert;
  c.key = pki.client_key;
  REQUIRE(validate(c).is_ok());
  {
    Harness h(c);
    const auto g = h.grant(5);
    REQUIRE_MESSAGE(g.status.is_ok(), (g.status.message() + "\n" + server.log()));
    CHECK(h.create("/t/k", "v", g.lease).status.is_ok());
    std::vector<WatchEvent> events;
    h.locked([&] {
      h.client->watch(
          "/t/", 1,
          [&](const std::vector<WatchEvent>& batch, std::int64_t) {
            events.insert(events.end(), batch.begin(), batch.end());
          },
          [](Status, std::int64_t) {});
    });
    REQUIRE(h.run_until([&] { return !events.empty(); }));
    CHECK(events[0].kv.key == "/t/k");
    h.locked([&] { h.client->close(); });
    CHECK(h.client->revoke_now(g.lease, lanlord::test::scaled(2s)).is_ok());
  }
  {
    // The server's certificate is not from a CA the system trusts.
    ClientConfig untrusted = c;
    untrusted.cacert.clear();
    Harness h(untrusted);
    const auto g = h.grant(5);
    CHECK_FALSE(g.status.is_ok());
    CHECK_MESSAGE(contains(g.status.message(), "TLS handshake failed"), g.status.message());
  }
  {
    // No client certificate: etcd refuses.
    ClientConfig anonymous = c;
    anonymous.cert.clear();
    anonymous.key.clear();
    Harness h(anonymous);
    CHECK_FALSE(h.grant(5).status.is_ok());
  }
  {
    // Plain http to a TLS port fails, and clearly is not a success.
    ClientConfig plain = c;
    plain.endpoints = {"http://127.0.0.1:" + std::to_string(server.client_port())};
    Harness h(plain);
    CHECK_FALSE(h.grant(5).status.is_ok());
  }
}

TEST_CASE("etcd client: validate names the setting that is wrong") {
  auto message = [](ClientConfig c) { return validate(c).message(); };
  ClientConfig good;
  good.endpoints = {"http://127.0.0.1:2379", "https://etcd-1.example:2379/", "http://[::1]:2379"};
  CHECK(validate(good).is_ok());
  ClientConfig c;
  CHECK(contains(message(c), "no etcd endpoint"));
  c.endpoints = {"htp://x:1"};
  CHECK(message(c) == "etcd endpoint 'htp://x:1' has an unknown scheme: give http:// or https://");
  c.endpoints = {"127.0.0.1:2379"};
  CHECK(contains(message(c), "unknown scheme"));
  c.endpoints = {"http://x"};
  CHECK(message(c) == "etcd endpoint 'http://x' has no port: give scheme://host:port");
  c.endpoints = {"http://x:0"};
  CHECK(message(c) == "etcd endpoint 'http://x:0' has a bad port '0': give 1..65535");
  c.endpoints = {"http://x:65536"};
  CHECK(contains(message(c), "bad port '65536'"));
  c.endpoints = {"http://x:12ab"};
  CHECK(contains(message(c), "bad port"));
  c.endpoints = {"http://x:1/v3"};
  CHECK(message(c) == "etcd endpoint 'http://x:1/v3' has a path: give only scheme://host:port");
  c.endpoints = {"http://:1"};
  CHECK(contains(message(c), "has no host"));
  c.endpoints = {"http://[::1:1"};
  CHECK(contains(message(c), "unclosed '['"));
  c.endpoints = {"http://::1:2379"};
  CHECK(contains(message(c), "without brackets"));
  c.endpoints = {"http://[zz]:1"};
  CHECK(contains(message(c), "bad IPv6 address"));
  c.endpoints = {"http://127.0.0.1:2379", "http://bad host:1"};
  CHECK(contains(message(c), "bad host name"));

  c = good;
  c.cert = "/x.pem";
  CHECK(message(c) == "etcd cert and key go together: give both or neither");
  c = good;
  c.user = "root";
  CHECK(message(c) == "etcd user and password go together: give both or neither");
  c = good;
  c.request_timeout = Duration::zero();
  CHECK(contains(message(c), "timeout"));

  // TLS files: missing, or not what they should be.
  char dir_template[] = "/tmp/lanlord-etcd-validate-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  std::ofstream(dir + "/junk.pem") << "not a certificate\n";
  c = good;
  c.cacert = dir + "/missing.pem";
  CHECK(message(c) == "etcd cacert '" + dir + "/missing.pem' is not a readable file");
  c.cacert = dir + "/junk.pem";
  CHECK(contains(message(c), "etcd cacert '" + dir + "/junk.pem' is not a PEM CA bundle"));
  const auto pki = lanlord::testing::make_test_pki(dir);
  c.cacert = pki.ca;
  CHECK(validate(c).is_ok());
  c.cert = pki.client_cert;
  c.key = dir + "/junk.pem";
  CHECK(contains(message(c), "etcd key '" + dir + "/junk.pem' is not a PEM private key"));
  c.key = pki.server_key;  // not the certificate's key
  CHECK(contains(message(c), "is not a PEM private key for cert"));
  c.key = pki.client_key;
  CHECK(validate(c).is_ok());
  c.cert = dir + "/junk.pem";
  CHECK(contains(message(c), "etcd cert '" + dir + "/junk.pem' is not a PEM certificate"));

  // A client with a bad config fails its calls (later, not inside them).
  Harness h(c);
  bool inside = true;
  std::optional<Status> failed;
  h.locked([&] {
    h.client->grant(5, [&](Status s, std::int64_t, int) {
      CHECK_FALSE(inside);
      failed = s;
    });
    inside = false;
  });
  REQUIRE(h.run_until([&] { return failed.has_value(); }));
  CHECK(contains(failed->message(), "is not a PEM certificate"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("etcd client: prefix_end is etcd's end of a prefix range") {
  CHECK(prefix_end("a") == "b");
  CHECK(prefix_end("/lanlord/x/") == "/lanlord/x0");
  CHECK(prefix_end(std::string("a\xff", 2)) == "b");
  CHECK(prefix_end(std::string("a\xfe", 2)) == std::string("a\xff", 2));
  CHECK(prefix_end(std::string("\xff\xff", 2)) == std::string(1, '\0'));
  CHECK(prefix_end("") == std::string(1, '\0'));
}
