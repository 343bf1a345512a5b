// An asynchronous etcd v3 client over etcd's HTTP/JSON gateway (the
// grpc-gateway every etcd server serves on its client URLs: POST
// /v3/kv/range, /v3/kv/txn, /v3/lease/grant, /v3/watch, ...), with
// Boost.Beast on the node's strand. Only what the etcd backend needs.
//
// Why the gateway and not gRPC: Debian's gRPC is a second, large runtime
// with its own threads beside Asio; the gateway needs nothing but HTTP/1.1
// and JSON, runs on the node's io_context, and etcd serves it on every
// client port.
//
// Keys and values are bytes (the client base64-encodes them for the
// gateway); revisions and lease ids are int64 (strings in the gateway's
// JSON).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lanlord/status.hpp"
#include "lanlord/time.hpp"
#include "strand_scheduler.hpp"

namespace lanlord::transport::etcd {

struct ClientConfig {
  // "http://host:port" or "https://host:port" (host: a name, an IPv4
  // address or [IPv6]); a trailing '/' is allowed. Tried in order; after a
  // failure the next one is used for the following requests.
  std::vector<std::string> endpoints;
  std::string cacert;  // PEM CA bundle; empty: the system's default paths
  std::string cert;    // PEM client certificate and key (both or neither)
  std::string key;
  std::string user;  // etcd authentication (both or neither)
  std::string password;
  Duration request_timeout = std::chrono::seconds(1);
};

// Checks a config without touching the network: every endpoint parses (a
// scheme http or https, a host, a port 1..65535, no path but "/"), TLS
// files exist and load (when any endpoint is https or a file is named),
// cert and key both or neither, user and password both or neither. The
// message names the setting, e.g. "etcd endpoint 'htp://x:1' has an
// unknown scheme: give http:// or https://".
Status validate(const ClientConfig& config);

struct KeyValue {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t lease = 0;
};

struct WatchEvent {
  bool deleted = false;  // false: a put
  KeyValue kv;           // for a delete: key and mod_revision only
};

struct ClientStats {
  std::uint64_t requests = 0;        // HTTP requests sent (a watch stream counts once)
  std::uint64_t request_errors = 0;  // failed requests (any reason)
  std::string endpoint;              // the endpoint in use now
};

// Threading: every method is called on the strand with the guard's lock
// held; every callback runs on the strand with the guard's lock held, and
// only while guard->live and the client is not closed (a callback never runs
// after close() or after the guard's owner is gone). A callback may call the
// client again (including close()).
//
// Errors: a Status whose message says what failed, e.g. "etcd
// http://127.0.0.1:2379: connection refused", "... timed out after 1 s",
// "... HTTP 401: invalid auth token", "... etcdserver: requested lease not
// found". Each request has request_timeout; a failed request moves to the
// next endpoint for later requests. With user/password the client fetches
// a token (POST /v3/auth/authenticate) before its first request and again
// once when etcd answers that the token is invalid or expired.
class Client {
 public:
  Client(Strand strand, std::shared_ptr<NodeGuard> guard, ClientConfig config);
  ~Client();  // close()
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Unary calls. Requests are sent one at a time, in call order, over one
  // kept-alive connection (reconnecting as needed).
  // Grants a lease of `ttl` seconds: its id and the TTL etcd granted
  // (etcd may raise it to its minimum).
  void grant(int ttl, std::function<void(Status, std::int64_t lease, int granted_ttl)> done);
  // One keep-alive: the lease's remaining TTL in seconds; 0 when etcd no
  // longer knows the lease (expired or revoked) - not an error.
  void keep_alive(std::int64_t lease, std::function<void(Status, int ttl)> done);
  void revoke(std::int64_t lease, std::function<void(Status)> done);
  // Campaigning's put (a txn): creates `key` with `value` and `lease` if it
  // does not exist (its create_revision is 0); otherwise leaves it. Gives
  // the key's create revision either way, and the store's revision.
  void create(
      const std::string& key, const std::string& value, std::int64_t lease,
      std::function<void(Status, std::int64_t create_revision, std::int64_t revision)> done);
  // Every key under `prefix` (range [prefix, prefix_end(prefix))), sorted
  // by create revision ascending, and the store's revision at the read.
  // `limit` > 0: at most that many (a cheap liveness probe with 1).
  void range(const std::string& prefix, std::int64_t limit,
             std::function<void(Status, std::vector<KeyValue>, std::int64_t revision)> done);
  void erase(const std::string& key, std::function<void(Status)> done);

  // One watch stream on its own connection: every change under `prefix`
  // from `start_revision` on. `on_events` gets each batch as it arrives
  // (the "created" message and progress notifications carry none and are
  // not passed on). `on_end` runs once when the stream ends for any reason
  // but cancel_watch()/close(): the connection broke, etcd cancelled the
  // watch, or the revision was compacted (then the Status says so and
  // `compact_revision` is set; else 0). Opening a new watch cancels the
  // previous one. The stream has no request_timeout (it is long-lived);
  // connecting does.
  void watch(const std::string& prefix, std::int64_t start_revision,
             std::function<void(const std::vector<WatchEvent>&, std::int64_t revision)> on_events,
             std::function<void(Status, std::int64_t compact_revision)> on_end);
  void cancel_watch();

  // Revokes `lease` synchronously on a connection of its own (its own
  // io_context, this thread), trying each endpoint until `timeout` has
  // passed in all. For stop(): the keys go at once, so successors take
  // over without waiting for the TTL, and stop() returns after it. Does not
  // touch the asynchronous state; callable after close().
  Status revoke_now(std::int64_t lease, Duration timeout);

  // Cancels everything in flight; no callback runs after it. Idempotent.
  void close();

  ClientStats stats() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// The end of the range of every key starting with `prefix` (etcd's
// prefix range_end: the prefix with its last byte below 0xff incremented,
// trailing 0xff bytes dropped; "\0" for an empty prefix or all 0xff).
std::string prefix_end(const std::string& prefix);

}  // namespace lanlord::transport::etcd
