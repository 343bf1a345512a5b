// The etcd backend (NodeConfig::backend == Backend::kEtcd): leader election
// as etcd's concurrency.Election does it, over the client in
// etcd_client.hpp.
//
// A node holds one lease and, in each of its channels, the key
// /lanlord/<cluster>/<channel>/<lease id in hex> attached to it. In each
// channel the key with the lowest create revision leads; its create
// revision is the leadership's epoch. Create revisions only grow, so once a
// key is the lowest it stays the lowest until it is gone, and each next
// leader's epoch is above the last.
//
// One watch on /lanlord/<cluster>/ keeps a local copy of every candidate
// key (a range, then the watch from the revision after it): leadership and
// membership are read from that copy. A candidate thus waits on every key
// before its own (its predecessor among them) with one stream for all
// channels.
//
// Safety: a node claims leadership only while its lease is surely alive on
// the server: until the send time of the last keep-alive etcd answered plus
// the TTL minus a margin (kMargin). Past that it gives every leadership up,
// revokes the lease when etcd answers again, and campaigns with a new lease
// and new keys (new create revisions: an epoch is never reused).
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>

#include "backend.hpp"
#include "etcd_client.hpp"
#include "strand_scheduler.hpp"

namespace lanlord::transport {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// Every byte outside [A-Za-z0-9._-] as %XX: a channel named "a/b" cannot
// reach into another channel's prefix.
std::string escape_name(const std::string& name) {
  std::string out;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '.' ||
        u == '_' || u == '-') {
      out += c;
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", u);
      out += hex;
    }
  }
  return out;
}

std::optional<std::string> unescape_name(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    unsigned value = 0;
    if (std::sscanf(text.substr(i + 1, 2).c_str(), "%2x", &value) != 1) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

std::string lease_hex(std::int64_t lease) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%" PRIx64, static_cast<std::uint64_t>(lease));
  return buf;
}

// What a candidate key's value says about its node.
struct Candidate {
  std::int64_t create_revision = 0;
  PeerId id;
  std::uint64_t incarnation = 0;
  std::string metadata;
};

Candidate parse_value(const std::string& value, std::int64_t create_revision) {
  Candidate c;
  c.create_revision = create_revision;
  const nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_object() && j.contains("id") && j["id"].is_string()) {
    c.id = PeerId(j["id"].get<std::string>());
    if (j.contains("incarnation") && j["incarnation"].is_number_unsigned()) {
      c.incarnation = j["incarnation"].get<std::uint64_t>();
    }
    if (j.contains("metadata") && j["metadata"].is_string()) {
      c.metadata = j["metadata"].get<std::string>();
    }
  } else {
    // Another program's proposal (etcdctl elect NAME PROPOSAL): its text.
    c.id = PeerId(value.substr(0, kMaxIdSize));
  }
  return c;
}

etcd::ClientConfig client_config(const EtcdConfig& e) {
  etcd::ClientConfig out;
  out.endpoints = e.endpoints;
  out.cacert = e.cacert;
  out.cert = e.cert;
  out.key = e.key;
  out.user = e.user;
  out.password = e.password;
  out.request_timeout = e.request_timeout;
  return out;
}

int seconds_ceil(Duration d) {
  return static_cast<int>(std::chrono::ceil<std::chrono::seconds>(d).count());
}

}  // namespace

// The TTL a profile maps to (EtcdConfig::lease_ttl 0): fast 2 s, lan 5 s,
// fabric 10 s (Fabric's leader alive threshold); another profile its
// alive_expiration, at least 2 s.
int default_lease_ttl(const Profile& profile) {
  if (profile.name == "fast") return 2;
  if (profile.name == "lan") return 5;
  if (profile.name == "fabric") return 10;
  return std::max(2, seconds_ceil(profile.membership.alive_expiration));
}

Status validate_etcd_config(const NodeConfig& c) {
  const Result<Profile> resolved = resolve_profile(c);
  NodeCoreConfig core = core_config(c, resolved ? *resolved : default_profile());
  core.unicast.enabled = false;
  if (Status s = core.validate(); !s) return s;
  if (!resolved) return resolved.status();
  if (c.etcd.endpoints.empty()) {
    return Status::error(
        "the etcd backend needs an endpoint: give etcd's client URL (e.g. "
        "http://127.0.0.1:2379)");
  }
  if (c.etcd.lease_ttl != 0 && c.etcd.lease_ttl < 2) {
    return Status::error("lease TTL " + std::to_string(c.etcd.lease_ttl) +
                         " s is too short: give whole seconds, at least 2");
  }
  if (c.etcd.request_timeout <= Duration::zero()) {
    return Status::error("etcd request timeout must be positive");
  }
  if (c.keys) {
    return Status::error(
        "cluster keys are for the udp backend: with etcd, secure the connection with TLS "
        "(cacert, cert, key) and etcd's authentication (user, password)");
  }
  if (c.encrypt) return Status::error("encryption is for the udp backend: with etcd, use https");
  return etcd::validate(client_config(c.etcd));
}

namespace {

class EtcdBackend final : public Backend {
 public:
  EtcdBackend(asio::io_context& io, NodeConfig config, NodeCallbacks callbacks)
      : strand_(asio::make_strand(io)),
        guard_(std::make_shared<NodeGuard>()),
        config_(std::move(config)),
        callbacks_(std::move(callbacks)),
        scheduler_(strand_, guard_) {}

  ~EtcdBackend() override {
    std::lock_guard lock(guard_->mutex);
    guard_->live = false;
    state_ = State::kStopped;  // abrupt, like a crash: the lease expires on its own
    if (client_) client_->close();
    scheduler_.shutdown();
  }

  Status start() override;
  void stop() override;
  bool running() const override {
    std::lock_guard lock(guard_->mutex);
    return state_ == State::kRunning;
  }
  Status reload_keys(Keyring) override {
    return Status::error(
        "the etcd backend uses no cluster keys: its connection is secured with TLS and "
        "etcd's authentication");
  }
  void yield(const std::string& channel) override;
  bool is_leader(const std::string& channel) const override {
    std::lock_guard lock(guard_->mutex);
    return leadership_locked(channel).is_self;
  }
  std::optional<PeerId> leader(const std::string& channel) const override {
    std::lock_guard lock(guard_->mutex);
    return leadership_locked(channel).leader;
  }
  LeaderInfo leadership(const std::string& channel) const override {
    std::lock_guard lock(guard_->mutex);
    return leadership_locked(channel);
  }
  std::vector<Member> members() const override;
  NodeStats stats() const override;
  const NodeConfig& config() const override { return config_; }
  Profile profile() const override {
    std::lock_guard lock(guard_->mutex);
    return profile_;
  }
  std::uint64_t incarnation() const override {
    std::lock_guard lock(guard_->mutex);
    return incarnation_;
  }
  std::string describe_endpoint() const override {
    std::lock_guard lock(guard_->mutex);
    if (state_ == State::kCreated || !client_) return std::string();
    std::string out = "etcd " + client_->stats().endpoint;
    const std::size_t more = config_.etcd.endpoints.size() - 1;
    if (more > 0) out += " (+" + std::to_string(more) + " more)";
    out += config_.passive ? ", observer" : ", lease TTL " + std::to_string(ttl_) + " s";
    return out;
  }

 private:
  enum class State { kCreated, kRunning, kStopping, kStopped };
  // kConnecting: no lease (members) or no read (observers) yet, or lost;
  // kUp: the lease is held and the view is being kept.
  enum class Phase { kConnecting, kUp };

  struct ChannelState {
    std::map<std::string, Candidate> keys;  // candidate key -> what it says
    LeaderInfo reported;                    // what the callbacks were last told
    std::int64_t own_revision = 0;          // our key's create revision (0: none yet)
    std::int64_t yield_floor = 0;           // our keys up to this revision do not lead
    std::uint64_t leader_changes = 0;
    std::uint64_t campaigns = 0;
    FailoverHistogram failovers;
    std::optional<TimePoint> lost_at;  // a leader was known, now none
  };

  LeaderInfo leadership_locked(const std::string& channel) const {
    if (state_ != State::kRunning) return {};
    const auto it = channels_.find(channel);
    if (it == channels_.end()) return {};
    LeaderInfo info = it->second.reported;
    // The timer that gives leadership up may run late (a paused process):
    // never claim past the deadline.
    if (info.is_self && !lease_safe()) info.is_self = false;
    return info;
  }

  std::string cluster_prefix() const { return "/lanlord/" + escape_name(config_.cluster) + "/"; }
  std::string channel_prefix(const std::string& ch) const {
    return cluster_prefix() + escape_name(ch) + "/";
  }
  std::string own_key(const std::string& ch) const {
    return channel_prefix(ch) + lease_hex(lease_);
  }
  std::string own_value() const {
    nlohmann::json j;
    j["id"] = config_.id;
    j["incarnation"] = incarnation_;
    j["metadata"] = config_.metadata;
    return j.dump();
  }
  // The safety margin: TTL/4, at least 500 ms.
  Duration margin() const {
    return std::max<Duration>(500ms,
                              std::chrono::duration_cast<Duration>(std::chrono::seconds(ttl_)) / 4);
  }
  bool lease_safe() const { return phase_ == Phase::kUp && scheduler_.now() < deadline_; }
  Duration keepalive_interval() const {
    return std::chrono::duration_cast<Duration>(std::chrono::seconds(ttl_)) / 3;
  }

  void connect();
  void grant();
  void load_view();
  void on_range(std::vector<etcd::KeyValue> kvs, std::int64_t revision);
  void on_watch(const std::vector<etcd::WatchEvent>& events);
  void on_watch_end(const Status& s);
  void campaign(const std::string& channel);
  void keep_alive();
  void erase_yielded(const std::string& channel);
  void alive_until(TimePoint sent);
  void check_deadline();
  void lose(const std::string& why, bool warn);
  void retry_connect();
  void evaluate();
  void apply(const etcd::KeyValue& kv, bool deleted);
  void report_leader(const std::string& channel, ChannelState& st, const LeaderInfo& info);
  void report_members();
  void count(const Status& s) {
    if (s) return;
    connected_ = false;
    last_error_ = s.message();
  }
  void warn_unreachable(const std::string& why);

  Strand strand_;
  std::shared_ptr<NodeGuard> guard_;
  const NodeConfig config_;
  NodeCallbacks callbacks_;
  StrandScheduler scheduler_;
  std::unique_ptr<etcd::Client> client_;

  State state_ = State::kCreated;
  Phase phase_ = Phase::kConnecting;
  Profile profile_;
  std::uint64_t incarnation_ = 0;
  int ttl_ = 0;                   // seconds, as granted
  std::int64_t lease_ = 0;        // held now (0: none)
  std::int64_t old_lease_ = 0;    // given up, to revoke once etcd answers
  TimePoint deadline_{};          // claim leadership only before this
  std::uint64_t generation_ = 0;  // bumped on every loss: stale completions are ignored
  bool view_loaded_ = false;      // the range answered and the watch runs
  bool warned_ = false;           // kEtcdUnreachable said for this outage
  bool connected_ = false;
  std::string last_error_;        // the last failed request's message
  TimePoint connecting_since_{};  // when the node last had no lease (or view)
  std::optional<Scheduler::TimerId> deadline_timer_;
  std::optional<Scheduler::TimerId> keepalive_timer_;

  std::map<std::string, ChannelState> channels_;
  std::map<PeerId, Member> known_;  // members other than this node, as last reported
  EtcdStats counters_;
};

Status EtcdBackend::start() {
  std::lock_guard lock(guard_->mutex);
  if (state_ == State::kRunning) return Status::error("the node is already running");
  if (state_ != State::kCreated) {
    return Status::error("the node was stopped; a stopped node cannot restart: create a new one");
  }
  if (Status s = validate_config(config_); !s) return s;
  profile_ = *resolve_profile(config_);
  ttl_ = config_.etcd.lease_ttl != 0 ? config_.etcd.lease_ttl : default_lease_ttl(profile_);
  incarnation_ = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(scheduler_.wall_now().time_since_epoch())
          .count());
  client_ = std::make_unique<etcd::Client>(strand_, guard_, client_config(config_.etcd));
  if (!config_.passive) {
    for (const std::string& ch : config_.channels) channels_[ch];
  }
  state_ = State::kRunning;
  connecting_since_ = scheduler_.now();
  // On the strand, like every later step.
  asio::post(strand_, [this, guard = guard_] {
    std::lock_guard lock(guard->mutex);
    if (guard->live && state_ == State::kRunning) connect();
  });
  return Status::ok();
}

// Members: revoke the lease given up (if any), take a new one, then read.
// Observers: read.
void EtcdBackend::connect() {
  if (config_.passive) {
    load_view();
    return;
  }
  if (old_lease_ != 0) {
    const std::int64_t old = old_lease_;
    client_->revoke(old, [this, gen = generation_, old](Status s) {
      if (gen != generation_ || state_ != State::kRunning) return;
      // Revoked, or already gone: either way its keys are gone or going.
      if (s || s.message().find("not found") != std::string::npos) {
        if (old_lease_ == old) old_lease_ = 0;
        grant();
      } else {
        count(s);
        retry_connect();
      }
    });
    return;
  }
  grant();
}

void EtcdBackend::grant() {
  const TimePoint sent = scheduler_.now();
  client_->grant(ttl_, [this, gen = generation_, sent](Status s, std::int64_t lease, int ttl) {
    if (gen != generation_ || state_ != State::kRunning) return;
    if (!s) {
      count(s);
      retry_connect();
      return;
    }
    connected_ = true;
    lease_ = lease;
    ttl_ = std::max(ttl, 1);
    ++counters_.leases_granted;
    phase_ = Phase::kUp;
    alive_until(sent);
    keepalive_timer_ = scheduler_.call_after(keepalive_interval(), [this] { keep_alive(); });
    load_view();
  });
}

void EtcdBackend::load_view() {
  const TimePoint sent = scheduler_.now();
  client_->range(cluster_prefix(), 0,
                 [this, gen = generation_, sent](Status s, std::vector<etcd::KeyValue> kvs,
                                                 std::int64_t revision) {
                   if (gen != generation_ || state_ != State::kRunning) return;
                   if (!s) {
                     count(s);
                     // Read again soon; the deadline gives the lease (or an
                     // observer's view) up if etcd stays away.
                     scheduler_.call_after(std::min<Duration>(keepalive_interval(), 500ms),
                                           [this, gen] {
                                             if (gen == generation_ && state_ == State::kRunning) {
                                               load_view();
                                             }
                                           });
                     return;
                   }
                   connected_ = true;
                   if (config_.passive) {
                     phase_ = Phase::kUp;
                     alive_until(sent);
                     if (!keepalive_timer_) {
                       keepalive_timer_ =
                           scheduler_.call_after(keepalive_interval(), [this] { keep_alive(); });
                     }
                   }
                   on_range(std::move(kvs), revision);
                 });
}

void EtcdBackend::on_range(std::vector<etcd::KeyValue> kvs, std::int64_t revision) {
  for (auto& [name, st] : channels_) st.keys.clear();
  for (const etcd::KeyValue& kv : kvs) apply(kv, false);
  view_loaded_ = true;
  client_->watch(
      cluster_prefix(), revision + 1,
      [this, gen = generation_](const std::vector<etcd::WatchEvent>& events, std::int64_t) {
        if (gen != generation_ || state_ != State::kRunning) return;
        on_watch(events);
      },
      [this, gen = generation_](Status s, std::int64_t) {
        if (gen != generation_ || state_ != State::kRunning) return;
        on_watch_end(s);
      });
  if (!config_.passive) {
    for (auto& [name, st] : channels_) {
      // Our key is gone (deleted while the watch was down) or not made
      // yet: campaign (the txn leaves an existing key alone).
      if (!st.keys.count(own_key(name))) {
        st.own_revision = 0;
        campaign(name);
      }
    }
  }
  evaluate();
}

void EtcdBackend::on_watch(const std::vector<etcd::WatchEvent>& events) {
  connected_ = true;
  for (const etcd::WatchEvent& e : events) {
    ++counters_.watch_events;
    apply(e.kv, e.deleted);
  }
  evaluate();
}

void EtcdBackend::on_watch_end(const Status& s) {
  count(s);
  ++counters_.watch_restarts;
  view_loaded_ = false;
  // Read again and watch from there (also after a compaction).
  scheduler_.call_after(100ms, [this, gen = generation_] {
    if (gen == generation_ && state_ == State::kRunning) load_view();
  });
}

void EtcdBackend::apply(const etcd::KeyValue& kv, bool deleted) {
  const std::string prefix = cluster_prefix();
  if (kv.key.compare(0, prefix.size(), prefix) != 0) return;
  const std::string rest = kv.key.substr(prefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string::npos || slash + 1 >= rest.size()) return;
  const std::optional<std::string> channel = unescape_name(rest.substr(0, slash));
  if (!channel) return;
  // Observers follow every channel; members theirs.
  auto it = channels_.find(*channel);
  if (it == channels_.end()) {
    if (!config_.passive || deleted) return;
    it = channels_.emplace(*channel, ChannelState{}).first;
  }
  ChannelState& st = it->second;
  if (deleted) {
    st.keys.erase(kv.key);
    if (lease_ != 0 && kv.key == own_key(*channel)) {
      // Our key went (a yield, or someone deleted it): campaign again.
      st.own_revision = 0;
      if (state_ == State::kRunning && phase_ == Phase::kUp) campaign(*channel);
    }
    return;
  }
  st.keys[kv.key] = parse_value(kv.value, kv.create_revision);
  if (lease_ != 0 && kv.key == own_key(*channel)) st.own_revision = kv.create_revision;
}

void EtcdBackend::campaign(const std::string& channel) {
  ChannelState& st = channels_[channel];
  ++st.campaigns;
  ++counters_.campaigns;
  client_->create(
      own_key(channel), own_value(), lease_,
      [this, gen = generation_, channel](Status s, std::int64_t create_revision, std::int64_t) {
        if (gen != generation_ || state_ != State::kRunning) return;
        if (!s) {
          count(s);
          // Etcd answers again soon or the lease is lost; try again.
          scheduler_.call_after(std::min<Duration>(keepalive_interval(), 500ms),
                                [this, gen, channel] {
                                  if (gen == generation_ && state_ == State::kRunning &&
                                      channels_[channel].own_revision == 0) {
                                    campaign(channel);
                                  }
                                });
          return;
        }
        connected_ = true;
        ChannelState& c = channels_[channel];
        if (c.own_revision == 0) c.own_revision = create_revision;
        evaluate();
      });
}

void EtcdBackend::keep_alive() {
  keepalive_timer_ = scheduler_.call_after(keepalive_interval(), [this] { keep_alive(); });
  const TimePoint sent = scheduler_.now();
  if (config_.passive) {
    // An observer holds no lease: a cheap read tells that etcd answers.
    client_->range(
        cluster_prefix(), 1,
        [this, gen = generation_, sent](Status s, std::vector<etcd::KeyValue>, std::int64_t) {
          if (gen != generation_ || state_ != State::kRunning) return;
          if (!s) {
            count(s);
            return;
          }
          connected_ = true;
          alive_until(sent);
        });
    return;
  }
  client_->keep_alive(lease_, [this, gen = generation_, sent](Status s, int ttl) {
    if (gen != generation_ || state_ != State::kRunning) return;
    if (!s) {
      count(s);
      return;
    }
    connected_ = true;
    if (ttl <= 0) {
      lose("the lease expired on the etcd server", false);
      return;
    }
    ++counters_.keepalives;
    alive_until(sent);
  });
}

// etcd answered a request sent at `sent`: the lease lives at least until
// sent + TTL on the server; claim until the margin before that.
void EtcdBackend::alive_until(TimePoint sent) {
  const TimePoint deadline =
      sent + std::chrono::duration_cast<Duration>(std::chrono::seconds(ttl_)) - margin();
  if (deadline <= deadline_ && deadline_timer_) return;
  deadline_ = std::max(deadline_, deadline);
  warned_ = false;
  if (deadline_timer_) scheduler_.cancel(*deadline_timer_);
  deadline_timer_ = scheduler_.call_after(deadline_ - scheduler_.now(), [this] {
    deadline_timer_.reset();
    check_deadline();
  });
}

void EtcdBackend::check_deadline() {
  if (state_ != State::kRunning || phase_ != Phase::kUp) return;
  if (const TimePoint now = scheduler_.now(); now < deadline_) {
    deadline_timer_ = scheduler_.call_after(deadline_ - now, [this] {
      deadline_timer_.reset();
      check_deadline();
    });
    return;
  }
  lose("no etcd endpoint answered for " +
           std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::seconds(ttl_) - margin())
                              .count()) +
           " ms (lease TTL " + std::to_string(ttl_) + " s minus the safety margin)",
       true);
}

// The lease is gone or may be: give every leadership up now, forget the
// view, and start over with a new lease (members) or a new read.
void EtcdBackend::lose(const std::string& why, bool warn) {
  ++generation_;
  phase_ = Phase::kConnecting;
  view_loaded_ = false;
  connected_ = false;
  if (lease_ != 0) {
    ++counters_.leases_lost;
    old_lease_ = lease_;
  }
  lease_ = 0;
  client_->cancel_watch();
  if (keepalive_timer_) scheduler_.cancel(*keepalive_timer_);
  keepalive_timer_.reset();
  if (deadline_timer_) scheduler_.cancel(*deadline_timer_);
  deadline_timer_.reset();
  for (auto& [name, st] : channels_) {
    st.keys.clear();
    st.own_revision = 0;
    st.yield_floor = 0;
  }
  if (config_.passive) {
    // Channels an observer learnt are forgotten with the view.
    for (auto& [name, st] : channels_) report_leader(name, st, LeaderInfo{});
    channels_.clear();
  }
  evaluate();
  if (warn && !warned_ && callbacks_.on_warning && state_ == State::kRunning) {
    callbacks_.on_warning(
        Warning{WarningKind::kEtcdUnreachable,
                why + ": this node gave up leadership and campaigns again once etcd answers",
                std::nullopt});
  }
  warned_ = true;
  connect();
}

void EtcdBackend::retry_connect() {
  const Duration wait = std::min<Duration>(keepalive_interval(), 500ms);
  scheduler_.call_after(wait, [this, gen = generation_] {
    if (gen == generation_ && state_ == State::kRunning && phase_ == Phase::kConnecting) connect();
  });
}

// Leadership of every channel from the view, reported where it changed.
void EtcdBackend::evaluate() {
  const bool up = phase_ == Phase::kUp && view_loaded_;
  for (auto& [name, st] : channels_) {
    LeaderInfo info;
    if (up && !st.keys.empty()) {
      const auto lowest = std::min_element(st.keys.begin(), st.keys.end(), [](auto& a, auto& b) {
        return a.second.create_revision < b.second.create_revision;
      });
      const Candidate& c = lowest->second;
      const bool own = lease_ != 0 && lowest->first == own_key(name);
      if (own && c.create_revision <= st.yield_floor) {
        info = LeaderInfo{};  // we yielded this one: none until the next shows
      } else {
        info.leader = c.id;
        info.epoch = static_cast<std::uint64_t>(c.create_revision);
        info.metadata = c.metadata;
        info.is_self = own && lease_safe();
      }
    }
    report_leader(name, st, info);
  }
  report_members();
}

void EtcdBackend::report_leader(const std::string& channel, ChannelState& st,
                                const LeaderInfo& info) {
  if (info == st.reported) return;
  const bool had = st.reported.leader.has_value();
  if (had && !info.leader) st.lost_at = scheduler_.now();
  if (info.leader && (had || st.lost_at)) {
    st.failovers.observe(st.lost_at ? scheduler_.now() - *st.lost_at : Duration::zero());
  }
  if (info.leader) st.lost_at.reset();
  st.reported = info;
  ++st.leader_changes;
  if (state_ != State::kRunning) return;
  if (callbacks_.on_leadership) callbacks_.on_leadership(channel, info);
  if (callbacks_.on_leader_changed) {
    callbacks_.on_leader_changed(channel, info.leader, info.is_self);
  }
}

// Members from the view: every node with a key in a channel seen, by id.
void EtcdBackend::report_members() {
  std::map<PeerId, Member> now;
  for (const auto& [name, st] : channels_) {
    for (const auto& [key, c] : st.keys) {
      if (!config_.passive && c.id == PeerId(config_.id)) continue;
      Member& m = now[c.id];
      m.id = c.id;
      m.incarnation = std::max(m.incarnation, c.incarnation);
      m.metadata = c.metadata;
      m.alive = true;
      if (std::find(m.channels.begin(), m.channels.end(), name) == m.channels.end()) {
        m.channels.push_back(name);
      }
    }
  }
  for (auto& [id, m] : now) std::sort(m.channels.begin(), m.channels.end());
  std::vector<std::pair<MembershipEvent, Member>> events;
  for (const auto& [id, m] : known_) {
    if (!now.count(id)) events.emplace_back(MembershipEvent::kLeft, m);
  }
  for (auto& [id, m] : now) {
    const auto was = known_.find(id);
    if (was == known_.end()) {
      m.last_seen = scheduler_.now();
      events.emplace_back(MembershipEvent::kJoined, m);
    } else {
      m.last_seen = was->second.last_seen;
      if (m.incarnation > was->second.incarnation) {
        m.last_seen = scheduler_.now();
        events.emplace_back(MembershipEvent::kRestarted, m);
      }
    }
  }
  known_ = std::move(now);
  if (state_ != State::kRunning || !callbacks_.on_membership) return;
  for (const auto& [event, m] : events) callbacks_.on_membership(event, m);
}

void EtcdBackend::yield(const std::string& channel) {
  asio::post(strand_, [this, guard = guard_, channel] {
    std::lock_guard lock(guard->mutex);
    if (!guard->live || state_ != State::kRunning) return;
    const auto it = channels_.find(channel);
    if (it == channels_.end() || !it->second.reported.is_self) return;
    ChannelState& st = it->second;
    // Step down first, then delete the key; the watch brings the delete and
    // apply() campaigns again with a new key (the back of the line).
    st.yield_floor = st.own_revision;
    evaluate();
    erase_yielded(channel);
  });
}

// Deletes the key a yield stepped down from, until it is gone: while it
// stays, the other nodes still see this node as the leader.
void EtcdBackend::erase_yielded(const std::string& channel) {
  client_->erase(own_key(channel), [this, gen = generation_, channel](Status s) {
    if (gen != generation_ || state_ != State::kRunning || s) return;
    count(s);
    scheduler_.call_after(std::min<Duration>(keepalive_interval(), 500ms), [this, gen, channel] {
      if (gen != generation_ || state_ != State::kRunning) return;
      const ChannelState& st = channels_[channel];
      if (st.own_revision != 0 && st.own_revision <= st.yield_floor) erase_yielded(channel);
    });
  });
}

void EtcdBackend::stop() {
  std::lock_guard lock(guard_->mutex);
  if (state_ != State::kRunning) return;
  state_ = State::kStopping;  // callbacks are off from here on
  ++generation_;
  if (client_) {
    client_->close();
    // Revoking deletes every key of this node at once: successors take
    // over without waiting for the TTL.
    if (lease_ != 0) {
      (void)client_->revoke_now(lease_, config_.etcd.request_timeout);
    }
  }
  lease_ = 0;
  state_ = State::kStopped;
  scheduler_.shutdown();
}

std::vector<Member> EtcdBackend::members() const {
  std::lock_guard lock(guard_->mutex);
  std::vector<Member> out;
  if (state_ == State::kCreated) return out;
  if (!config_.passive) {
    Member self;
    self.id = PeerId(config_.id);
    self.incarnation = incarnation_;
    self.channels = config_.channels;
    std::sort(self.channels.begin(), self.channels.end());
    self.metadata = config_.metadata;
    self.alive = state_ == State::kRunning;
    out.push_back(std::move(self));
  }
  for (const auto& [id, m] : known_) out.push_back(m);
  return out;
}

NodeStats EtcdBackend::stats() const {
  std::lock_guard lock(guard_->mutex);
  NodeStats out;
  out.etcd = counters_;
  out.etcd.enabled = true;
  out.etcd.connected = connected_ && state_ == State::kRunning;
  out.etcd.lease_id = lease_;
  out.etcd.lease_ttl = static_cast<std::uint32_t>(ttl_);
  if (client_) {
    const etcd::ClientStats cs = client_->stats();
    out.etcd.endpoint = cs.endpoint;
    out.etcd.requests = cs.requests;
    out.etcd.request_errors = cs.request_errors;
  }
  out.peers = known_.size();
  for (const auto& [name, st] : channels_) {
    ChannelStats c;
    c.channel = name;
    const LeaderInfo info = leadership_locked(name);
    c.is_leader = info.is_self;
    c.leader = info.leader;
    c.epoch = info.epoch;
    c.alive_peers = st.keys.size();
    c.leader_changes = st.leader_changes;
    c.elections = st.campaigns;
    c.failovers = st.failovers;
    out.channels.push_back(std::move(c));
  }
  return out;
}

}  // namespace

std::unique_ptr<Backend> make_etcd_backend(asio::io_context& io, NodeConfig config,
                                           NodeCallbacks callbacks) {
  return std::make_unique<EtcdBackend>(io, std::move(config), std::move(callbacks));
}

}  // namespace lanlord::transport
