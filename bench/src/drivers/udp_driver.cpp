#include "drivers/udp_driver.hpp"

#include <chrono>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "etcd_server.hpp"  // tests/: the one etcd launcher of the project
#include "lanlord/sim/random.hpp"

namespace lanlord::bench {

namespace {

constexpr const char* kChannel = "bench";
// Callbacks map ids to indexes without reading slots_ (another thread's);
// the tracker rejects an index it does not have.
constexpr std::size_t kMaxNodes = 10000;

}  // namespace

UdpNetwork pick_network(std::uint64_t seed) {
  // The pid keeps two benchmarks with the same --seed (a smoke test beside
  // a long run) on different groups; runs stay reproducible where it
  // matters, in the scenario's own randomness.
  sim::Rng rng(seed * 0x100000001b3ULL ^ static_cast<std::uint64_t>(getpid()));
  UdpNetwork n;
  for (int s = 0; s < 2; ++s) {
    char group[32];
    std::snprintf(group, sizeof group, "239.%d.%d.%d", static_cast<int>(rng.between(1, 254)),
                  static_cast<int>(rng.between(0, 255)), static_cast<int>(rng.between(1, 254)));
    n.side[s].group = group;
  }
  // Ephemeral range minus the usual local one; side 1 next to side 0.
  const auto port = static_cast<std::uint16_t>(rng.between(20000, 59000));
  n.side[0].port = port;
  n.side[1].port = static_cast<std::uint16_t>(port + 1);
  char cluster[32];
  std::snprintf(cluster, sizeof cluster, "bench-%08llx",
                static_cast<unsigned long long>(rng.next() & 0xffffffffULL));
  n.cluster = cluster;
  return n;
}

std::optional<Keyring> run_keys(Auth auth) {
  if (auth == Auth::kNone) return std::nullopt;
  Result<Keyring> k = Keyring::from_base64(Keyring::generate_key());
  // A freshly generated key always parses; failing here is a bug.
  if (!k.ok()) throw std::logic_error("generated key rejected: " + k.status().message());
  return std::move(k.value());
}

NodeConfig udp_node_config(const UdpParams& params, const UdpNetwork& net, std::size_t i, int side,
                           const std::optional<Keyring>& keys) {
  NodeConfig c;
  c.id = node_id(i);
  c.cluster = net.cluster;
  c.channels = {kChannel};
  const GroupAddress& g = net.side[side == 0 ? 0 : 1];
  c.group = g.group;
  c.port = g.port;
  c.interface_name = "lo";  // network safety: loopback only
  c.ttl = 1;
  c.profile = params.profile_name;
  c.timings = params.timings;
  c.keys = keys;
  c.encrypt = params.auth == Auth::kEncrypt;
  if (params.backend == Backend::kEtcd) {
    // The UDP settings above stay, unused (NodeConfig::backend).
    c.backend = Backend::kEtcd;
    c.etcd.endpoints = params.etcd_endpoints;
    c.etcd.lease_ttl = params.lease_ttl;
    c.keys.reset();
    c.encrypt = false;
    return c;
  }
  if (params.unicast) {
    const auto port = [&net](std::size_t k) {
      return static_cast<std::uint16_t>(net.side[0].port + k);
    };
    c.multicast = false;
    c.interface_name = "127.0.0.1";  // network safety: loopback only
    c.port = port(i);
    const std::size_t hub = side == 0 ? 0 : 1;
    c.peers = {"127.0.0.1:" + std::to_string(port(i == hub ? hub + 2 : hub))};
    if (side != 0 && net.relay_port != 0) {
      c.peers.push_back("127.0.0.1:" + std::to_string(net.relay_port));
    }
  }
  return c;
}

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double process_peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux: KiB
}

void add_stats(NodeStats& sum, const NodeStats& s) {
  sum.datagrams_in += s.datagrams_in;
  sum.bytes_in += s.bytes_in;
  sum.datagrams_out += s.datagrams_out;
  sum.bytes_out += s.bytes_out;
  sum.send_errors += s.send_errors;
  for (std::size_t k = 0; k < sum.drops.size(); ++k) sum.drops[k] += s.drops[k];
  EtcdStats& e = sum.etcd;
  e.enabled = e.enabled || s.etcd.enabled;
  e.requests += s.etcd.requests;
  e.request_errors += s.etcd.request_errors;
  e.keepalives += s.etcd.keepalives;
  e.leases_granted += s.etcd.leases_granted;
  e.leases_lost += s.etcd.leases_lost;
  e.campaigns += s.etcd.campaigns;
  e.watch_events += s.etcd.watch_events;
  e.watch_restarts += s.etcd.watch_restarts;
}

EtcdSite::EtcdSite(std::vector<std::string> endpoints) : endpoints_(std::move(endpoints)) {}

EtcdSite::~EtcdSite() = default;  // stops the private etcd and removes its directory

std::vector<std::string> EtcdSite::endpoints(std::string& error) {
  std::lock_guard lock(mu_);
  if (!endpoints_.empty()) return endpoints_;
  if (failure_.empty()) {
    try {
      server_ = std::make_unique<testing::EtcdServer>();
      endpoints_ = {server_->endpoint()};
      return endpoints_;
    } catch (const std::exception& e) {
      failure_ = std::string("cannot start a private etcd: ") + e.what();
    }
  }
  error = failure_;
  return {};
}

UdpDriver::UdpDriver(UdpParams params)
    : params_(std::move(params)),
      net_(pick_network(params_.seed)),
      keys_(run_keys(params_.backend == Backend::kEtcd                ? Auth::kNone
                     : params_.unicast && params_.auth == Auth::kNone ? Auth::kMac
                                                                      : params_.auth)),
      work_(boost::asio::make_work_guard(io_)) {
  for (int t = 0; t < std::max(1, params_.io_threads); ++t) {
    threads_.emplace_back([this] { io_.run(); });
  }
}

UdpDriver::~UdpDriver() {
  // etcd: every live node stops gracefully, so its lease is revoked and its
  // keys leave etcd now (a crashed node's went with its lease's TTL).
  if (params_.backend == Backend::kEtcd) {
    for (Slot& s : slots_) {
      if (s.node) s.node->stop();
    }
  }
  // The io thread goes first, so no handler or callback runs while the
  // nodes and the bridge are torn down.
  work_.reset();
  io_.stop();
  for (std::thread& t : threads_) t.join();
  slots_.clear();
  bridge_.reset();
  relay_.reset();
}

bool UdpDriver::start_node(std::size_t i) {
  NodeConfig c = udp_node_config(params_, net_, i, slots_[i].side, keys_);
  NodeCallbacks cb;
  // Callbacks only record: they never call back into a Node.
  // on_leadership, not on_leader_changed: a new epoch of the same leader is
  // a change the agreement must see.
  cb.on_leadership = [this, i](const std::string& channel, const LeaderInfo& info) {
    if (channel != kChannel) return;
    tracker_.set_leader(i, info.leader ? node_index(info.leader->bytes(), kMaxNodes) : kNoNode,
                        info.is_self, info.epoch);
  };
  cb.on_membership = [this, i](MembershipEvent e, const Member& m) {
    if (e == MembershipEvent::kDead) tracker_.on_dead(i, node_index(m.id.bytes(), kMaxNodes));
  };
  auto node = std::make_unique<Node>(io_, std::move(c), std::move(cb));
  // Live before start(), so a leader heard in the first microseconds counts.
  tracker_.set_live(i, true);
  if (Status s = node->start(); !s) {
    tracker_.set_live(i, false);
    error_ = s.message();
    return false;
  }
  slots_[i].node = std::move(node);
  return true;
}

std::size_t UdpDriver::add_node(int side) {
  if (side != 0 && params_.unicast && !relay_) {
    relay_ = std::make_unique<UnicastRelay>(io_, net_.side[0].port);  // to node 0
    if (Status s = relay_->start(); !s) {
      error_ = s.message();
      return kNoNode;
    }
    net_.relay_port = relay_->port();
  } else if (side != 0 && !params_.unicast && !bridge_) {
    bridge_ = std::make_unique<UdpBridge>(io_, net_.side[0], net_.side[1]);
    if (Status s = bridge_->start(); !s) {
      error_ = s.message();
      return kNoNode;
    }
  }
  const std::size_t i = tracker_.add(side);
  slots_.push_back(Slot{side, nullptr, {}});
  return start_node(i) ? i : kNoNode;
}

void UdpDriver::retire(std::size_t i, bool graceful) {
  tracker_.set_live(i, false);
  Slot& slot = slots_.at(i);
  if (!slot.node) return;
  if (graceful) slot.node->stop();  // sends the leave
  add_stats(slot.retired, slot.node->stats());
  slot.node.reset();  // without stop(): abrupt, no leave, like a crash
}

bool UdpDriver::yield(std::size_t i) {
  Node* n = slots_.at(i).node.get();
  if (n == nullptr) return false;
  // Node::yield() runs on the node's strand; wait until it has (the node
  // holds its lock while the yield and its callbacks run), so the tracker
  // has seen the agreement end before the scenario waits for a new one.
  n->yield(kChannel);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (n->is_leader(kChannel) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return !n->is_leader(kChannel);
}

void UdpDriver::crash(std::size_t i) {
  retire(i, false);
}
void UdpDriver::leave(std::size_t i) {
  retire(i, true);
}

void UdpDriver::rejoin(std::size_t i) {
  if (slots_.at(i).node) return;
  start_node(i);
}

void UdpDriver::heal() {
  if (bridge_) bridge_->connect();
  if (relay_) relay_->connect();
  tracker_.heal();
}

std::optional<Duration> UdpDriver::lease_ttl() const {
  if (params_.backend != Backend::kEtcd) return std::nullopt;
  for (const Slot& s : slots_) {
    if (!s.node) continue;
    const std::uint32_t granted = s.node->stats().etcd.lease_ttl;
    if (granted > 0) return std::chrono::seconds(granted);
  }
  if (params_.lease_ttl > 0) return std::chrono::seconds(params_.lease_ttl);
  return std::nullopt;
}

Usage UdpDriver::usage() {
  NodeStats sum;
  for (const Slot& s : slots_) {
    add_stats(sum, s.retired);
    if (s.node) add_stats(sum, s.node->stats());  // any thread may ask a Node
  }
  Usage u;
  if (params_.backend == Backend::kEtcd) {
    u.traffic_known = false;  // no datagrams: the requests to etcd instead
    u.bytes_out_known = false;
    u.etcd_known = true;
    u.etcd_requests = sum.etcd.requests;
    u.etcd_request_errors = sum.etcd.request_errors;
    u.etcd_keepalives = sum.etcd.keepalives;
    u.etcd_watch_events = sum.etcd.watch_events;
    u.etcd_campaigns = sum.etcd.campaigns;
    u.etcd_leases_granted = sum.etcd.leases_granted;
    u.etcd_leases_lost = sum.etcd.leases_lost;
    u.etcd_watch_restarts = sum.etcd.watch_restarts;
  }
  u.datagrams_out = sum.datagrams_out;
  u.bytes_out = sum.bytes_out;
  u.datagrams_in = sum.datagrams_in;
  u.bytes_in = sum.bytes_in;
  u.cpu_seconds = process_cpu_seconds();
  u.peak_rss_mb = process_peak_rss_mb();
  tracker_.fill(u);
  return u;
}

}  // namespace lanlord::bench
