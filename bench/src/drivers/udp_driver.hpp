// ClusterDriver over real lanlord::Node objects: all nodes in this
// process on one io_context served by one thread (or --io-threads; each
// node keeps its own strand either way), multicasting on
// loopback. Each driver (one run) uses its own random group in
// 239.0.0.0/8, its own port and its own cluster name, so runs, and
// benchmarks running side by side, never hear each other.
//
// Agreement is tracked from the nodes' on_leadership callbacks (leader and
// epoch), each stamped with the steady clock as it runs, so the measured
// time is when the last node learned the leader, not when a poll noticed
// it. No freeze: the nodes share the io threads, and stopping one node's
// strand alone would not stop its socket's buffer or its clock the way a
// SIGSTOP does (the proc driver and the simulator freeze).
//
// With UdpParams::backend kEtcd the same Nodes elect through etcd instead
// (rows: udp-etcd): no datagrams, no sides (no heal), and usage() counts
// the nodes' requests to etcd.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "drivers/driver.hpp"
#include "drivers/tracker.hpp"
#include "drivers/udp_bridge.hpp"
#include "lanlord/keyring.hpp"
#include "lanlord/node.hpp"
#include "lanlord/profile.hpp"

namespace lanlord::testing {
class EtcdServer;  // tests/etcd_server.hpp
}

namespace lanlord::bench {

struct UdpParams {
  std::string profile_name;
  Profile profile;           // profile_name with the overrides applied
  TimingOverrides timings;   // passed to each node
  std::uint64_t seed = 1;    // picks the groups, ports and cluster name
  std::string lanlord_path;  // ProcDriver only
  int io_threads = 1;        // UdpDriver: threads running the shared io_context
  Auth auth = Auth::kNone;   // UdpDriver: keys (and encryption) on every node
  // UdpDriver: unicast mode: node i on 127.0.0.1, port side[0].port + i;
  // its side's first node (node 0 or node 1) its only seed, that node's
  // the next of its side (i + 2); side-1 nodes also seed the relay (heal).
  // Keyed (a MAC key made for the run when auth is kNone), so digests
  // introduce the other members and the relay's copies their addresses.
  bool unicast = false;
  // Where the nodes elect: kUdp (the settings above) or kEtcd, through the
  // etcd at `etcd_endpoints` with a lease of `lease_ttl` seconds (0: the
  // profile's); then the network and auth above are unused.
  Backend backend = Backend::kUdp;
  std::vector<std::string> etcd_endpoints;
  int lease_ttl = 0;
};

// The etcd that every etcd-backend run of one lanlord-bench uses: the one
// at the endpoints given (--etcd-endpoints), or else a private one started
// at first use and stopped, its data directory removed, when this object
// goes: tests/etcd_server.hpp's EtcdServer (etcd from PATH on 127.0.0.1,
// two free ports, a temporary --data-dir). Thread-safe.
class EtcdSite {
 public:
  explicit EtcdSite(std::vector<std::string> endpoints);
  ~EtcdSite();
  EtcdSite(const EtcdSite&) = delete;
  EtcdSite& operator=(const EtcdSite&) = delete;

  // The client URLs, starting the private etcd on the first call; empty,
  // with the reason in `error`, when it could not start (and for every
  // later call: one failed start is not retried per run).
  std::vector<std::string> endpoints(std::string& error);

 private:
  std::mutex mu_;
  std::vector<std::string> endpoints_;
  std::unique_ptr<testing::EtcdServer> server_;
  std::string failure_;
};

// The per-run network: two groups and ports (side 0 and side 1) and a
// cluster name, random from `seed` mixed with this process's id.
struct UdpNetwork {
  GroupAddress side[2];
  std::string cluster;
  // Unicast mode's partition: the relay side-1 nodes also seed (0: none).
  std::uint16_t relay_port = 0;
};
UdpNetwork pick_network(std::uint64_t seed);

// The keyring every node of one run holds: empty for Auth::kNone, else a
// single key made for the run (Keyring::generate_key).
std::optional<Keyring> run_keys(Auth auth);

// Node i's config: on `net`'s side `side`, on loopback only, with `params`'
// profile, overrides and auth (`keys` from run_keys(params.auth)).
NodeConfig udp_node_config(const UdpParams& params, const UdpNetwork& net, std::size_t i, int side,
                           const std::optional<Keyring>& keys);

class UdpDriver final : public ClusterDriver {
 public:
  explicit UdpDriver(UdpParams params);
  ~UdpDriver() override;

  std::size_t add_node(int side) override;
  void crash(std::size_t i) override;
  void leave(std::size_t i) override;
  void rejoin(std::size_t i) override;
  bool yield(std::size_t i) override;
  bool can_yield() const override { return true; }
  void heal() override;
  bool can_heal() const override { return params_.backend != Backend::kEtcd; }
  std::optional<Duration> lease_ttl() const override;

  std::size_t size() const override { return tracker_.size(); }
  bool live(std::size_t i) const override { return tracker_.live(i); }

  Duration now() const override { return tracker_.now(); }
  void run_for(Duration d) override { std::this_thread::sleep_for(d); }
  std::optional<Duration> wait_agreed(Duration limit) override {
    return tracker_.wait_agreed(limit);
  }
  Transition state() override { return tracker_.state(); }
  std::vector<Transition> timeline() const override { return tracker_.timeline(); }

  Usage usage() override;
  std::string error() const override { return error_; }

 private:
  // The scenario's thread is the only one that touches these.
  struct Slot {
    int side = 0;
    std::unique_ptr<Node> node;
    NodeStats retired;  // sums of the stats of earlier lives
  };

  bool start_node(std::size_t i);
  void retire(std::size_t i, bool graceful);

  UdpParams params_;
  UdpNetwork net_;
  std::optional<Keyring> keys_;  // shared by every node of the run
  AgreementTracker tracker_;     // fed by the callbacks on the io thread
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<UdpBridge> bridge_;
  std::unique_ptr<UnicastRelay> relay_;  // unicast mode's bridge_
  std::vector<std::thread> threads_;
  std::vector<Slot> slots_;
  std::string error_;
};

// Process CPU (user + system) and peak RSS, from getrusage(RUSAGE_SELF).
double process_cpu_seconds();
double process_peak_rss_mb();

// Node stats a + b, field by field, the etcd counters included (channels
// are not summed).
void add_stats(NodeStats& sum, const NodeStats& s);

}  // namespace lanlord::bench
