// The UDP backend: NodeCore and a link (multicast or unicast).
#include "backend.hpp"

#include <unistd.h>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <mutex>
#include <random>
#include <utility>

#include "lanlord/node_core.hpp"
#include "lanlord/wire.hpp"
#include "multicast_link.hpp"
#include "strand_scheduler.hpp"
#include "unicast_link.hpp"

namespace lanlord::transport {

namespace asio = boost::asio;
using asio::ip::udp;

// The core's share of a NodeConfig. A passive node still needs an id for
// its own bookkeeping; it never sends it.
NodeCoreConfig core_config(const NodeConfig& c, Profile profile) {
  NodeCoreConfig out;
  out.id = PeerId(c.id.empty() && c.passive ? "watch-" + default_node_id() : c.id);
  out.cluster = c.cluster;
  out.channels = c.channels;
  out.metadata = c.metadata;
  out.passive = c.passive;
  out.profile = std::move(profile);
  out.authenticated = c.keys.has_value();
  out.trust = c.trust;
  out.unicast.enabled = !c.multicast;
  out.unicast.max_targets = c.max_unicast_targets;
  return out;
}

namespace {

// A unicast seed: "host:port", "[v6]:port", or "host" (port: `default_port`).
struct Peer {
  std::string host;
  std::uint16_t port = 0;
};

Result<Peer> parse_peer(const std::string& text, std::uint16_t default_port) {
  const auto bad = [&text](const std::string& why) {
    return Status::error("peer '" + text + "' " + why +
                         ": give host:port, [ipv6]:port or host (the cluster's port)");
  };
  const std::optional<HostPort> hp = split_host_port(text);
  if (!hp) return bad("has a misplaced '[', ']' or ':'");
  Peer out{hp->host, default_port};
  if (out.host.empty()) return bad("has no host");
  if (out.host.find_first_of(" \t/@") != std::string::npos) return bad("is not a host name");
  if (out.host.find(':') != std::string::npos) {
    boost::system::error_code ec;
    (void)asio::ip::make_address_v6(out.host, ec);
    if (ec) return bad("is not an IPv6 address");
  }
  if (hp->has_port) {
    const std::optional<std::uint16_t> port = parse_port(hp->port);
    if (!port) return bad("has no valid port (1 to 65535)");
    out.port = *port;
  }
  if (out.port == 0) return bad("has port 0");
  return out;
}

}  // namespace

Status validate_udp_config(const NodeConfig& c) {
  const Result<Profile> resolved = resolve_profile(c);
  // Names and sizes first; the profile's own errors after the network's.
  NodeCoreConfig core = core_config(c, resolved ? *resolved : default_profile());
  // The address is known once the socket is bound; any valid one checks.
  if (core.unicast.enabled) core.unicast.address = "127.0.0.1:" + std::to_string(c.port);
  if (Status s = core.validate(); !s) return s;
  if (c.multicast) {
    if (!c.peers.empty()) {
      return Status::error("peers need multicast off: a node is either multicast or unicast");
    }
    if (const auto group = parse_group(c.group); !group) return group.status();
  } else {
    for (const std::string& p : c.peers) {
      if (const Result<Peer> peer = parse_peer(p, c.port); !peer) return peer.status();
    }
    if (!c.advertise.empty() && !parse_endpoint(c.advertise, 1)) {
      return Status::error("advertise '" + c.advertise +
                           "' is not an address: give ip or ip:port (e.g. 203.0.113.5:7676, "
                           "[2001:db8::5]:7676)");
    }
    if (c.max_unicast_targets == 0) {
      return Status::error("max_unicast_targets 0: a unicast node must send somewhere");
    }
  }
  if (c.port == 0) return Status::error("port 0: name the UDP port the cluster shares");
  if (c.ttl < 0 || c.ttl > 255) {
    return Status::error("ttl " + std::to_string(c.ttl) + " is outside 0..255");
  }
  if (c.interface_name.empty()) {
    return Status::error("interface is empty: name one (e.g. lo, eth0) or give its address");
  }
  if (!resolved) return resolved.status();
  if (c.encrypt && !c.keys) {
    return Status::error("encryption needs a key: give one (--key-file or LANLORD_KEY)");
  }
  if (!c.passive) {
    // The largest message a node sends is its heartbeat: it must fit.
    Message probe;
    probe.cluster = c.cluster;
    probe.sender = PeerId(c.id);
    probe.time = {~std::uint64_t{0}, ~std::uint64_t{0}};
    probe.sent_at = probe.instance = ~std::uint64_t{0};
    probe.body = Heartbeat{c.channels, c.metadata, ~std::uint32_t{0}};
    const wire::Security security{c.keys ? &*c.keys : nullptr, c.encrypt};
    if (wire::Encoded e = wire::encode(probe, security); !e.status) {
      return Status::error("the heartbeat does not fit in a datagram: " + e.status.message());
    }
  }
  return Status::ok();
}

// A thin shell around one NodeCore: the link brings datagrams in, the
// codec turns them into messages for the core, and after every input
// (datagram, timer, command) pump() sends what the core queued and reports
// its events to the callbacks.
//
// Lock discipline: the node's own work runs on strand_; every entry point
// and every completion handler holds guard_->mutex for its whole run, so
// other threads may call in and the core is only ever touched by one thread
// at a time. The mutex is recursive so that callbacks, which run under it,
// may call the node.
class UdpBackend final : public Backend {
 public:
  UdpBackend(asio::io_context& io, NodeConfig config, NodeCallbacks callbacks)
      : strand_(asio::make_strand(io)),
        guard_(std::make_shared<NodeGuard>()),
        config_(std::move(config)),
        callbacks_(std::move(callbacks)),
        scheduler_(strand_, guard_),
        hooked_(scheduler_, [this] { pump(); }),
        resolver_(strand_) {}

  ~UdpBackend() override {
    std::lock_guard lock(guard_->mutex);
    guard_->live = false;  // from now on no handler touches this object
    state_ = State::kStopped;
    core_.reset();  // abrupt, like a crash: no leave
    if (link_) link_->close();
    resolver_.cancel();
    scheduler_.shutdown();
  }

  Status start() override;
  void stop() override;
  void yield(const std::string& channel) override {
    // On the strand, so the leadership callbacks it causes run there too.
    asio::post(strand_, [this, guard = guard_, channel] {
      std::lock_guard lock(guard->mutex);
      if (!guard->live || state_ != State::kRunning) return;
      core_->yield(channel);
      pump();
    });
  }

  bool running() const override {
    std::lock_guard lock(guard_->mutex);
    return state_ == State::kRunning;
  }
  Status reload_keys(Keyring keys) override {
    std::lock_guard lock(guard_->mutex);
    if (!keys_) {
      return Status::error(
          "this node runs without a key; authentication cannot be switched on "
          "while it runs: restart it with the key");
    }
    if (keys.size() == 0) return Status::error("the new keyring is empty");
    keys_ = std::make_shared<const Keyring>(std::move(keys));
    return Status::ok();
  }
  bool is_leader(const std::string& channel) const override {
    std::lock_guard lock(guard_->mutex);
    return state_ == State::kRunning && core_->is_leader(channel);
  }
  LeaderInfo leadership(const std::string& channel) const override {
    std::lock_guard lock(guard_->mutex);
    return state_ == State::kRunning ? core_->leadership(channel) : LeaderInfo{};
  }
  std::optional<PeerId> leader(const std::string& channel) const override {
    std::lock_guard lock(guard_->mutex);
    return state_ == State::kRunning ? core_->leader(channel) : std::nullopt;
  }
  std::vector<Member> members() const override {
    std::lock_guard lock(guard_->mutex);
    return core_ ? core_->members() : std::vector<Member>{};
  }
  NodeStats stats() const override;
  const NodeConfig& config() const override { return config_; }  // immutable after construction
  Profile profile() const override {
    std::lock_guard lock(guard_->mutex);
    return core_ ? core_->config().profile : Profile{};
  }
  std::uint64_t incarnation() const override {
    std::lock_guard lock(guard_->mutex);
    return core_ ? core_->incarnation() : 0;
  }
  std::string describe_endpoint() const override {
    std::lock_guard lock(guard_->mutex);
    if (state_ == State::kCreated || !link_) return std::string();
    if (config_.multicast) return link_->describe();
    const std::size_t n = config_.peers.size();
    return link_->describe() + ", " + std::to_string(n) + (n == 1 ? " seed" : " seeds");
  }

 private:
  enum class State { kCreated, kRunning, kStopping, kStopped };

  void on_datagram(std::span<const std::uint8_t> datagram, const udp::endpoint& from);
  void pump();
  // To every member (`to` null: the group, or each of the core's unicast
  // targets), or to the addresses `to` names (unicast only).
  void send(const Message& m, const std::vector<std::string>* to);
  void report(const NodeEvent& event);
  void halted();
  Status open_link();
  // Unicast seeds: resolves the host names (numeric ones at once) and
  // hands the addresses to the core; again every kSeedRefresh.
  void resolve_seeds();
  void resolve_next();
  void seeds_changed();

  static constexpr Duration kSeedRefresh = std::chrono::seconds(60);
  // One seed as configured, and its addresses as last resolved (kept when
  // a later resolution fails).
  struct Seed {
    std::string host;
    std::uint16_t port = 0;
    bool numeric = false;
    std::vector<std::string> addresses;  // format_endpoint() form
    bool warned = false;                 // kSeedUnresolved reported since it last resolved
  };

  Strand strand_;
  std::shared_ptr<NodeGuard> guard_;
  const NodeConfig config_;
  NodeCallbacks callbacks_;

  // The text of recent senders' addresses ("127.0.0.1:7676"), so a
  // datagram costs no formatting: members send from a fixed address.
  class Origins {
   public:
    const std::string& of(const udp::endpoint& from) {
      const std::size_t filled = std::min(next_, recent_.size());
      for (std::size_t i = 0; i < filled; ++i) {
        if (recent_[i].first == from) return recent_[i].second;
      }
      auto& slot = recent_[next_++ % recent_.size()];
      slot = {from, format_endpoint(from)};
      return slot.second;
    }

   private:
    std::array<std::pair<udp::endpoint, std::string>, 32> recent_;
    std::size_t next_ = 0;  // slots filled so far; replaced round-robin once all are
  };

  State state_ = State::kCreated;
  Origins origins_;
  NodeStats io_;  // the datagram counters; the core keeps the rest
  // The keys in use; replaced whole by reload_keys(). Empty: unkeyed.
  std::shared_ptr<const Keyring> keys_;

  // Declared in dependency order: the core uses hooked_, which uses
  // scheduler_; both are destroyed after it.
  StrandScheduler scheduler_;
  HookedScheduler hooked_;
  std::unique_ptr<Link> link_;
  udp protocol_ = udp::v4();  // the link's family; seeds resolve to it
  std::vector<Seed> seeds_;
  std::size_t resolving_ = 0;  // the seed being resolved; seeds_.size(): none
  udp::resolver resolver_;
  std::unique_ptr<NodeCore> core_;
};

Status UdpBackend::start() {
  std::lock_guard lock(guard_->mutex);
  if (state_ == State::kRunning) return Status::error("the node is already running");
  if (state_ != State::kCreated) {
    return Status::error("the node was stopped; a stopped node cannot restart: create a new one");
  }
  if (Status s = validate_config(config_); !s) return s;
  if (Status s = open_link(); !s) return s;
  NodeCoreConfig core = core_config(config_, *resolve_profile(config_));
  core.loopback = link_->loopback();  // as opened ("auto" resolves once)
  if (!config_.multicast) {
    const udp::endpoint bound = static_cast<const UnicastLink&>(*link_).local();
    protocol_ = bound.protocol();
    // What members send to: the advertised address (its port defaults to
    // the bound one), else the bound address; one form, format_endpoint's,
    // as the origins and targets use.
    core.unicast.address = config_.advertise.empty()
                               ? format_endpoint(bound)
                               : format_endpoint(*parse_endpoint(config_.advertise, bound.port()));
    for (const std::string& text : config_.peers) {
      const Peer p = *parse_peer(text, config_.port);
      Seed seed;
      seed.host = p.host;
      seed.port = p.port;
      boost::system::error_code ec;
      const asio::ip::address ip = asio::ip::make_address(p.host, ec);
      if (!ec) {
        seed.numeric = true;
        seed.addresses.push_back(format_endpoint(udp::endpoint(ip, p.port)));
      }
      seeds_.push_back(std::move(seed));
    }
    core.unicast.seeds.clear();
    for (const Seed& seed : seeds_) {
      core.unicast.seeds.insert(core.unicast.seeds.end(), seed.addresses.begin(),
                                seed.addresses.end());
    }
  }
  if (config_.keys) keys_ = std::make_shared<const Keyring>(*config_.keys);
  core_ = std::make_unique<NodeCore>(hooked_, std::move(core));

  state_ = State::kRunning;
  link_->start(
      [this](std::span<const std::uint8_t> d, const udp::endpoint& from) { on_datagram(d, from); },
      [this] { ++io_.receive_errors; });
  core_->start();  // queues the first heartbeat
  pump();
  resolving_ = seeds_.size();
  if (std::any_of(seeds_.begin(), seeds_.end(), [](const Seed& s) { return !s.numeric; })) {
    resolve_seeds();
  }
  return Status::ok();
}

Status UdpBackend::open_link() {
  if (config_.multicast) {
    auto link = std::make_unique<MulticastLink>(strand_, guard_);
    if (Status s = link->open({config_.group, config_.port, config_.interface_name, config_.ttl});
        !s) {
      return s;
    }
    link_ = std::move(link);
    return Status::ok();
  }
  auto link = std::make_unique<UnicastLink>(strand_, guard_);
  // A passive node binds an ephemeral port, so that it can run beside a
  // member on the same host: members learn its address from its heartbeats.
  if (Status s =
          link->open({config_.interface_name, config_.passive ? std::uint16_t{0} : config_.port});
      !s) {
    return s;
  }
  link_ = std::move(link);
  return Status::ok();
}

// Host names resolve one after another (one resolver), then again after
// kSeedRefresh; numeric seeds never change.
void UdpBackend::resolve_seeds() {
  resolving_ = 0;
  resolve_next();
}

void UdpBackend::resolve_next() {
  while (resolving_ < seeds_.size() && seeds_[resolving_].numeric) ++resolving_;
  if (resolving_ >= seeds_.size()) {
    seeds_changed();
    scheduler_.call_after(kSeedRefresh, [this] {
      if (state_ == State::kRunning) resolve_seeds();
    });
    return;
  }
  const Seed& seed = seeds_[resolving_];
  resolver_.async_resolve(
      protocol_, seed.host, std::to_string(seed.port), udp::resolver::numeric_service,
      asio::bind_executor(strand_, [this, guard = guard_](const boost::system::error_code& ec,
                                                          const udp::resolver::results_type& r) {
        std::lock_guard lock(guard->mutex);
        if (!guard->live || state_ != State::kRunning || ec == asio::error::operation_aborted) {
          return;
        }
        Seed& s = seeds_[resolving_];
        std::vector<std::string> found;
        if (!ec) {
          for (const auto& entry : r) found.push_back(format_endpoint(entry.endpoint()));
        }
        std::sort(found.begin(), found.end());
        found.erase(std::unique(found.begin(), found.end()), found.end());
        if (found.empty()) {
          if (!s.warned && callbacks_.on_warning) {
            callbacks_.on_warning(
                Warning{WarningKind::kSeedUnresolved,
                        "seed " + s.host + ":" + std::to_string(s.port) + " does not resolve (" +
                            (ec ? ec.message() : std::string("no address")) +
                            "); the node keeps running and tries again every minute",
                        std::nullopt});
          }
          s.warned = true;  // the last addresses, if any, stay in use
        } else {
          s.warned = false;
          s.addresses = std::move(found);
        }
        ++resolving_;
        resolve_next();
      }));
}

void UdpBackend::seeds_changed() {
  std::vector<std::string> all;
  for (const Seed& seed : seeds_)
    all.insert(all.end(), seed.addresses.begin(), seed.addresses.end());
  core_->set_seeds(std::move(all));
  pump();
}

void UdpBackend::stop() {
  std::lock_guard lock(guard_->mutex);
  if (state_ != State::kRunning) return;
  state_ = State::kStopping;  // callbacks are off from here on
  core_->stop();
  pump();  // the leave goes out now
  state_ = State::kStopped;
  link_->close();
  resolver_.cancel();
  scheduler_.shutdown();
}

void UdpBackend::on_datagram(std::span<const std::uint8_t> datagram, const udp::endpoint& from) {
  ++io_.datagrams_in;
  io_.bytes_in += datagram.size();
  // The sender's address is evidence for duplicate-id detection and named
  // in warnings, so it is always given; formatted once per sender.
  const std::string& origin = origins_.of(from);
  wire::Decoded d = wire::decode(datagram, keys_.get());
  if (d.ok) {
    core_->step(d.message, origin);
  } else {
    core_->drop(d.reason, origin);
  }
  pump();
  if (!core_->running() && state_ == State::kRunning) halted();
}

void UdpBackend::halted() {
  // The core stopped itself: another live process holds this node's id
  // and this one is the newer. No leave (it would remove the other).
  state_ = State::kStopped;
  link_->close();
  resolver_.cancel();
  scheduler_.shutdown();
}

void UdpBackend::pump() {
  // A callback may stop the node (which pumps the leave itself) but never
  // destroys it, so core_ stays valid throughout.
  while (core_ && core_->has_ready()) {
    const Ready r = core_->ready();
    for (const Message& m : r.messages) send(m, nullptr);
    // Unicast: heartbeats for the addresses they name only (lost members).
    for (const Addressed& a : r.direct) send(a.message, &a.to);
    for (const NodeEvent& e : r.events) {
      if (state_ != State::kRunning) break;
      report(e);
    }
  }
}

void UdpBackend::send(const Message& m, const std::vector<std::string>* to) {
  const wire::Encoded e = wire::encode(m, wire::Security{keys_.get(), config_.encrypt});
  if (!e.status) {  // validate_config() makes this unreachable
    ++io_.send_errors;
    return;
  }
  const auto sent = [this, &e](bool ok) {
    if (!ok) {
      ++io_.send_errors;
      return;
    }
    ++io_.datagrams_out;
    io_.bytes_out += e.datagram.size();
  };
  if (config_.multicast) {
    sent(link_->send(e.datagram));
    return;
  }
  // Encoded once, sent to each target.
  for (const std::string& target : to != nullptr ? *to : core_->unicast_targets()) {
    sent(link_->send_to(e.datagram, target));
  }
}

void UdpBackend::report(const NodeEvent& event) {
  if (const auto* lc = std::get_if<LeaderChanged>(&event)) {
    if (callbacks_.on_leadership) {
      callbacks_.on_leadership(lc->channel, LeaderInfo{lc->leader, lc->epoch, lc->metadata,
                                                       lc->is_self && !config_.passive});
    }
    if (callbacks_.on_leader_changed) {
      callbacks_.on_leader_changed(lc->channel, lc->leader, lc->is_self && !config_.passive);
    }
  } else if (const auto* mc = std::get_if<MemberChanged>(&event)) {
    if (callbacks_.on_membership) callbacks_.on_membership(mc->event, mc->member);
  } else if (const auto* d = std::get_if<Dropped>(&event)) {
    if (callbacks_.on_drop) callbacks_.on_drop(d->reason, d->origin);
  } else if (const auto* w = std::get_if<Warning>(&event)) {
    if (callbacks_.on_warning) callbacks_.on_warning(*w);
  } else if (const auto* ic = std::get_if<IdConflict>(&event)) {
    if (callbacks_.on_id_conflict) callbacks_.on_id_conflict(*ic);
  }
}

NodeStats UdpBackend::stats() const {
  std::lock_guard lock(guard_->mutex);
  NodeStats out = core_ ? core_->stats() : NodeStats{};
  out.datagrams_in = io_.datagrams_in;
  out.bytes_in = io_.bytes_in;
  out.datagrams_out = io_.datagrams_out;
  out.bytes_out = io_.bytes_out;
  out.send_errors = io_.send_errors;
  out.receive_errors = io_.receive_errors;
  out.receive_wakeups = link_ ? link_->wakeups() : 0;
  return out;
}

std::unique_ptr<Backend> make_udp_backend(asio::io_context& io, NodeConfig config,
                                          NodeCallbacks callbacks) {
  return std::make_unique<UdpBackend>(io, std::move(config), std::move(callbacks));
}

}  // namespace lanlord::transport
