// The embedding example of transport/EMBEDDING.md. The code between the
// markers is copied verbatim into the document, and the CTest test
// transport_embedding_doc fails when the two differ; embed_example_test.cpp
// runs it. Update the document, from the top of the tree, with:
//   cmake -DUPDATE=ON -DSOURCE=tests/transport/embed_example.cpp
//         -DDOC=transport/EMBEDDING.md -P tests/transport/check_snippet.cmake
#include "embed_example.hpp"

// [embed-begin]
#include <lanlord/node.hpp>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <iostream>
#include <stop_token>
#include <thread>

// A service whose periodic job must run on one instance at a time: each
// instance embeds a lanlord::Node and works only while it leads "billing".
class BillingService {
 public:
  BillingService(boost::asio::io_context& io, lanlord::NodeConfig config)
      : node_(io, std::move(config), callbacks()) {}

  // Opens the socket and joins the cluster; errors are values.
  lanlord::Status start() { return node_.start(); }
  // Graceful: peers hear a leave and elect a successor at once.
  void stop() { node_.stop(); }

  // Called from the service's own thread; Node is safe to query from any.
  void tick() {
    if (node_.is_leader("billing")) ++jobs_run_;  // ... the real work ...
  }
  int jobs_run() const { return jobs_run_; }

 private:
  static lanlord::NodeCallbacks callbacks() {
    lanlord::NodeCallbacks cb;
    // Runs on the node's strand: keep it short and never block in it.
    cb.on_leader_changed = [](const std::string& channel,
                              const std::optional<lanlord::PeerId>& leader, bool is_self) {
      std::clog << channel << ": leader is " << (leader ? leader->bytes() : "unknown")
                << (is_self ? " (this instance)" : "") << "\n";
    };
    return cb;
  }

  lanlord::Node node_;
  int jobs_run_ = 0;
};

// The service's main loop: one io_context thread for lanlord, the
// service's work on this one. Returns the number of jobs this instance ran.
int run_billing_service(lanlord::NodeConfig config, std::stop_token stop) {
  boost::asio::io_context io;
  BillingService service(io, std::move(config));
  if (lanlord::Status s = service.start(); !s) {
    std::cerr << "cannot join the billing cluster: " << s.message() << "\n";
    return -1;
  }
  std::thread io_thread([&io] { io.run(); });
  while (!stop.stop_requested()) {
    service.tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  service.stop();  // sends the leave; the io_context then runs out of work
  io_thread.join();
  return service.jobs_run();
}

// Configuration: everything has a default except the id. The default
// interface is loopback; name a real one to reach other hosts.
lanlord::NodeConfig billing_config(std::string id) {
  lanlord::NodeConfig config;
  config.id = std::move(id);  // unique per instance, e.g. lanlord::default_node_id()
  config.cluster = "billing";
  config.channels = {"billing"};
  config.metadata = "203.0.113.5:8080";  // what peers see of us in members()
  // config.interface_name = "eth0";  // leave the host: a person's decision
  return config;
}
// [embed-end]
