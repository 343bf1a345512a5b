#include "drivers/sim_driver.hpp"

#include <algorithm>
#include <variant>

#include "lanlord/election.hpp"

namespace lanlord::bench {

namespace {

sim::SimClusterOptions cluster_options(const SimParams& p) {
  sim::SimClusterOptions o;
  o.profile = p.profile;
  o.faults = p.faults;
  o.seed = p.seed;
  return o;
}

}  // namespace

SimDriver::SimDriver(SimParams params)
    : params_(std::move(params)),
      cluster_(cluster_options(params_)),
      rng_(params_.seed ^ 0x5851f42d4c957f2dULL) {
  // What a frozen node does once it thaws, stamped with the virtual time of
  // the event itself (not the next poll). Observers draw no randomness, so
  // runs replay as before.
  sim::SimObservers obs;
  obs.event = [this](std::size_t node, const NodeEvent& e) {
    if (node != watched_ || now() < thaw_at_ || stepped_down_at_) return;
    const auto* lc = std::get_if<LeadershipChanged>(&e);
    if (lc != nullptr && lc->channel == cluster_.channel() && !lc->is_leader) {
      stepped_down_at_ = now();
    }
  };
  obs.sent = [this](std::size_t node, const Message& m, const std::vector<std::uint8_t>*) {
    if (node != watched_ || now() < thaw_at_) return;
    const auto* l = std::get_if<Leadership>(&m.body);
    if (l != nullptr && l->declaration && l->channel == cluster_.channel() &&
        l->epoch == frozen_epoch_) {
      ++stale_claims_;
    }
  };
  cluster_.set_observers(std::move(obs));
}

void SimDriver::count_live_change() {
  const Duration t = now();
  node_seconds_ +=
      static_cast<double>(live_count_) * std::chrono::duration<double>(t - live_since_).count();
  live_since_ = t;
  live_count_ = 0;
  for (std::size_t i = 0; i < size(); ++i) live_count_ += cluster_.running(i) ? 1 : 0;
}

std::size_t SimDriver::add_node(int side) {
  if (!sides_.empty() && params_.max_start_gap > Duration::zero()) {
    apply_partition();
    cluster_.run_for(rng_.duration(Duration::zero(), params_.max_start_gap));
  }
  if (side != 0) healed_ = false;
  // A new endpoint is not in either half yet: join everyone for the spawn,
  // so its first heartbeat is sent to all, and split again before anything
  // is delivered. Copies to the other half are then cut on arrival and
  // those to its own half arrive, as if the partition had always been there.
  if (!healed_) cluster_.heal();
  const std::size_t i = cluster_.spawn(node_id(sides_.size()));
  sides_.push_back(side);
  if (!healed_) {
    partition_dirty_ = true;
    apply_partition();
  }
  count_live_change();
  return i;
}

void SimDriver::crash(std::size_t i) {
  // Every peer that holds it alive will report it dead: those deaths are true.
  const PeerId& id = cluster_.id(i);
  for (std::size_t j = 0; j < size(); ++j) {
    if (j == i || !cluster_.running(j)) continue;
    if (cluster_.core(j).membership().is_alive(id)) ++expected_deaths_;
  }
  cluster_.crash(i);
  count_live_change();
}

void SimDriver::leave(std::size_t i) {
  cluster_.leave(i);
  count_live_change();
}

void SimDriver::rejoin(std::size_t i) {
  cluster_.restart(i);
  count_live_change();
}

bool SimDriver::yield(std::size_t i) {
  if (!cluster_.running(i)) return false;
  cluster_.yield(i);
  return true;
}

void SimDriver::heal() {
  healed_ = true;
  partition_dirty_ = false;
  cluster_.heal();
}

void SimDriver::freeze(std::size_t i, Duration d) {
  if (!cluster_.running(i)) return;
  frozen_.resize(size(), false);
  frozen_[i] = true;
  watched_ = i;
  frozen_epoch_ = cluster_.core(i).leadership(cluster_.channel()).epoch;
  thaw_at_ = now() + d;
  stepped_down_at_.reset();
  stale_claims_ = 0;
  cluster_.freeze(i, d);
}

Duration SimDriver::thaw(std::size_t i) {
  // The cluster thaws the node at thaw_at_ by itself: run up to it.
  if (now() < thaw_at_) run_for(thaw_at_ - now());
  if (i < frozen_.size()) frozen_[i] = false;
  // Not leading at the thaw (it cannot have changed while frozen, so only
  // if it never led): nothing to step down from.
  if (!stepped_down_at_ && cluster_.running(i) && !cluster_.core(i).is_leader(cluster_.channel())) {
    stepped_down_at_ = now();
  }
  check();
  return thaw_at_;
}

std::optional<Duration> SimDriver::wait_stepped_down(std::size_t, Duration limit) {
  if (!stepped_down_at_) cluster_.run_until([this] { return stepped_down_at_.has_value(); }, limit);
  return stepped_down_at_;
}

std::uint64_t SimDriver::stale_claims(std::size_t) {
  return stale_claims_;
}

void SimDriver::apply_partition() {
  if (!partition_dirty_) return;
  partition_dirty_ = false;
  std::vector<std::vector<std::size_t>> groups(2);
  for (std::size_t i = 0; i < sides_.size(); ++i) groups[sides_[i] == 0 ? 0 : 1].push_back(i);
  cluster_.partition(groups);
}

Transition SimDriver::check() {
  // This runs after every simulated event while a scenario waits: the
  // rule is fed straight from the nodes, without building views.
  AgreementCheck check(size(), healed_);
  const std::string& channel = cluster_.channel();
  for (std::size_t i = 0; i < size(); ++i) {
    if (!cluster_.running(i) || (i < frozen_.size() && frozen_[i])) continue;
    const NodeCore& core = cluster_.core(i);
    NodeView v;
    v.live = true;
    v.side = sides_[i];
    // The election itself, not leadership(): that also copies the leader's
    // member entry for its metadata, per node and per event at N = 1000.
    if (const LeaderElectionService* e = core.election(channel)) {
      v.leader = e->leader() ? node_index(e->leader()->bytes(), size()) : kNoNode;
      v.epoch = e->epoch();
      v.is_leader = e->is_leader();
    } else {
      const LeaderInfo l = core.leadership(channel);
      v.leader = l.leader ? node_index(l.leader->bytes(), size()) : kNoNode;
      v.epoch = l.epoch;
      v.is_leader = core.is_leader(channel);
    }
    check.add(i, v);
  }
  Transition t = check.result();
  t.at = now();
  if (timeline_.empty() || !timeline_.back().same_state(t)) timeline_.push_back(t);
  return t;
}

void SimDriver::run_for(Duration d) {
  apply_partition();
  const Duration end = now() + d;
  while (now() < end) {
    cluster_.run_for(std::min(params_.poll_step, end - now()));
    check();
  }
}

std::optional<Duration> SimDriver::wait_agreed(Duration limit) {
  apply_partition();
  if (cluster_.run_until([this] { return check().agreed; }, limit)) return now();
  return std::nullopt;
}

Usage SimDriver::usage() {
  Usage u;
  const auto& s = cluster_.network().stats();
  u.datagrams_out = s.sent;
  // The simulator passes message values, not datagrams: it counts bytes
  // only when a codec is injected, which the benchmark does not do (speed).
  u.bytes_out_known = false;
  u.datagrams_in = s.delivered;
  u.bytes_in = s.bytes_delivered;
  u.node_seconds = node_seconds_ + static_cast<double>(live_count_) *
                                       std::chrono::duration<double>(now() - live_since_).count();
  std::uint64_t dead = 0;
  for (std::size_t i = 0; i < size(); ++i) dead += cluster_.record(i).peers_dead;
  u.deaths = dead;
  u.false_deaths = dead > expected_deaths_ ? dead - expected_deaths_ : 0;
  u.false_deaths_exact = false;
  return u;
}

}  // namespace lanlord::bench
