// A small HTTP/1.1 responder for Prometheus scrapes: GET /metrics answers
// with the text a function renders at that moment; every other path is a
// 404, every other method a 405. It runs on the node's own io_context (no
// thread of its own) and is bounded so that a slow or hostile client cannot
// hurt the node: a small request size limit, a deadline for each read and
// write, and a cap on connections (beyond it a new one is closed at once).
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "lanlord/status.hpp"
#include "metrics/listen_address.hpp"

namespace lanlord::cli {

struct MetricsServerLimits {
  std::size_t max_connections = 8;
  std::size_t max_request_bytes = 8192;  // request line and headers; a body is refused
  // For reading each request (from the first byte awaited, so an idle
  // keep-alive connection is closed after it too) and writing each answer.
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
};

// Threading: construct, listen(), start(), stop() and destroy on the thread
// that runs `io`, or while `io` is not running; the handlers share one strand.
class MetricsServer {
 public:
  // `render` produces the body of GET /metrics, `content_type` names it.
  MetricsServer(boost::asio::io_context& io, std::function<std::string()> render,
                std::string content_type, MetricsServerLimits limits = {});
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  // Closes the listener and every connection.
  ~MetricsServer();

  // Opens, binds and listens (port 0: any free one); the message names the
  // address and the cause, e.g. "cannot listen on 127.0.0.1:9464: Address
  // already in use".
  Status listen(const ListenAddress& where);
  // The address listened on, with the port chosen ("127.0.0.1:41234").
  std::string local_address() const;
  // Accepts connections from now on (when `io` runs).
  void start();
  // Stops accepting and closes every connection. Idempotent.
  void stop();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace lanlord::cli
