#include "lanlord/membership.hpp"

#include "lanlord/message.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace lanlord {

namespace {

void normalize(std::vector<std::string>& channels) {
  std::sort(channels.begin(), channels.end());
  channels.erase(std::unique(channels.begin(), channels.end()), channels.end());
}

bool takes_part(const Member& m, std::string_view channel) {
  // channels is sorted, so a binary search; std::less<> compares string with string_view.
  return std::binary_search(m.channels.begin(), m.channels.end(), channel, std::less<>{});
}

}  // namespace

Status MembershipConfig::validate() const {
  for (const auto& [d, name] :
       {std::pair{heartbeat_interval, "heartbeat_interval"},
        std::pair{alive_expiration, "alive_expiration"}, std::pair{forget_after, "forget_after"}}) {
    if (d <= Duration::zero()) {
      return Status::error(std::string("membership config: ") + name + " must be positive");
    }
  }
  if (alive_expiration <= heartbeat_interval) {
    return Status::error(
        "membership config: alive_expiration must exceed heartbeat_interval, or peers die "
        "between two heartbeats");
  }
  if (idle_heartbeat_interval < Duration::zero()) {
    return Status::error("membership config: idle_heartbeat_interval must not be negative");
  }
  // Heartbeats announce it in whole milliseconds, in 32 bits.
  if (idle_heartbeat_interval > std::chrono::hours(24)) {
    return Status::error("membership config: idle_heartbeat_interval must be at most 24h");
  }
  return Status::ok();
}

Duration MembershipConfig::interval_of(Duration announced) const {
  if (announced <= heartbeat_interval) return heartbeat_interval;
  return std::min(announced, max_interval());
}

Duration MembershipConfig::expiration_for(Duration interval) const {
  if (interval == heartbeat_interval) return alive_expiration;
  // alive_expiration * interval / heartbeat_interval; in long double, as
  // the product of two durations in nanoseconds overflows 64 bits.
  const long double scaled = static_cast<long double>(alive_expiration.count()) *
                             static_cast<long double>(interval.count()) /
                             static_cast<long double>(heartbeat_interval.count());
  return Duration(static_cast<Duration::rep>(scaled));
}

std::string_view to_string(MembershipEvent e) {
  switch (e) {
    case MembershipEvent::kJoined:
      return "joined";
    case MembershipEvent::kLeft:
      return "left";
    case MembershipEvent::kDead:
      return "dead";
    case MembershipEvent::kRestarted:
      return "restarted";
    case MembershipEvent::kEvicted:
      return "evicted";
  }
  return "unknown";
}

Membership::Membership(Scheduler& scheduler, PeerId self, std::uint64_t self_incarnation,
                       std::vector<std::string> self_channels, std::string self_metadata,
                       MembershipConfig config, MembershipCallbacks callbacks)
    : scheduler_(scheduler),
      self_(std::move(self)),
      self_incarnation_(self_incarnation),
      self_channels_(std::move(self_channels)),
      self_metadata_(std::move(self_metadata)),
      config_(config),
      callbacks_(std::move(callbacks)),
      heartbeat_timer_(scheduler),
      expiry_timer_(scheduler),
      probe_timer_(scheduler) {
  if (self_.empty()) throw std::invalid_argument("Membership: empty peer id");
  if (Status s = config_.validate(); !s) throw std::invalid_argument(s.message());
  normalize(self_channels_);
  rates_.reserve(kMaxRates);  // never reallocated: expire() holds pointers into it
  Duration fast = config_.heartbeat_interval;
  rate_class(fast);
}

Membership::~Membership() {
  stop();
}

void Membership::start() {
  if (started_ || stopped_) return;
  started_ = true;
  next_heartbeat_ = scheduler_.now();
  heartbeat_tick();
}

void Membership::stop() {
  stopped_ = true;
  heartbeat_timer_.cancel();
  expiry_timer_.cancel();
  probe_timer_.cancel();
}

void Membership::heartbeat_tick() {
  send_now();
  if (!running()) return;  // send_heartbeat may have called stop()
  // The next tick is on the grid start + k * interval, not now + interval, so
  // a late timer does not push every later heartbeat back.
  next_heartbeat_ +=
      rate_ == Rate::kIdle ? config_.idle_heartbeat_interval : config_.heartbeat_interval;
  heartbeat_timer_.arm(next_heartbeat_ - scheduler_.now(), [this] { heartbeat_tick(); });
}

void Membership::send_now() {
  // Each announcement of a demotion counts; after the last, the idle rate.
  if (rate_ == Rate::kDemoting && --announcements_left_ <= 0) rate_ = Rate::kIdle;
  if (callbacks_.send_heartbeat) callbacks_.send_heartbeat();
}

void Membership::set_idle(bool idle) {
  if (!running() || !config_.rate_classes() || idle == this->idle()) return;
  const TimePoint now = scheduler_.now();
  if (idle) {
    ++stats_.demotions;
    // The announcements: one now, the rest on the fast grid. A peer's
    // fast deadline is alive_expiration after the last heartbeat it heard,
    // at most one interval before now, so all of them reach it in time.
    rate_ = Rate::kDemoting;
    // ceil(alive_expiration / heartbeat_interval): the last one, (n - 1)
    // intervals after the last plain heartbeat, still precedes the deadline.
    const Duration hb = config_.heartbeat_interval;
    announcements_left_ = static_cast<int>(
        std::max<Duration::rep>(1, (config_.alive_expiration + hb - Duration(1)) / hb));
    send_now();
    if (!running() || rate_ != Rate::kIdle) return;
    // A single announcement: the idle grid starts from it.
    next_heartbeat_ = now + config_.idle_heartbeat_interval;
  } else {
    ++stats_.promotions;
    // At once, so that peers expire this node by the fast interval from
    // now on; then the fast grid, anchored here.
    rate_ = Rate::kFast;
    send_now();
    if (!running()) return;
    next_heartbeat_ = now + config_.heartbeat_interval;
  }
  heartbeat_timer_.arm(next_heartbeat_ - now, [this] { heartbeat_tick(); });
}

Duration Membership::announced_interval() const {
  return rate_ == Rate::kFast ? Duration::zero() : config_.idle_heartbeat_interval;
}

Duration Membership::self_expiration() const {
  return config_.expiration_for(config_.interval_of(announced_interval()));
}

Duration Membership::interval_of_peer(const PeerId& id) const {
  const Entry* e = entry(id);
  return e == nullptr || e->interval == Duration::zero() ? config_.heartbeat_interval : e->interval;
}

std::optional<PeerId> Membership::alive_below(const PeerId& bound, std::string_view channel,
                                              const std::optional<PeerId>& except) const {
  for (const auto& [id, slot] : index_) {
    if (!(id < bound) || (except && id == *except)) continue;
    const Entry& e = slots_[slot];
    if (e.state == State::kAlive && takes_part(e.member, channel)) return id;
  }
  return std::nullopt;
}

Membership::RateClass& Membership::rate_class(Duration& interval) {
  for (RateClass& rc : rates_) {
    if (rc.interval == interval) return rc;
  }
  RateClass* use = nullptr;
  if (rates_.size() < kMaxRates) {
    use = &rates_.emplace_back();
  } else {
    // Re-key a class nobody is queued in (never the first: heartbeat_interval).
    for (std::size_t i = 1; i < rates_.size() && use == nullptr; ++i) {
      if (rates_[i].alive.empty() && rates_[i].suspect.empty()) use = &rates_[i];
    }
  }
  if (use == nullptr) {
    // Full: the longest interval in use below this one (the first always is).
    RateClass* best = &rates_.front();
    for (RateClass& rc : rates_) {
      if (rc.interval < interval && rc.interval > best->interval) best = &rc;
    }
    interval = best->interval;
    return *best;
  }
  use->interval = interval;
  use->expiration = config_.expiration_for(interval);
  use->suspect_after = MembershipConfig::suspect_after_for(interval);
  return *use;
}

void Membership::on_heartbeat(const PeerId& from, std::uint64_t incarnation,
                              const std::vector<std::string>& channels, std::string_view metadata,
                              Duration interval) {
  if (!running()) return;
  if (from == self_) {
    ++stats_.self_ignored;
    return;
  }
  ++stats_.heartbeats;
  const TimePoint now = scheduler_.now();

  const auto [slot, inserted] = slot_of(from);
  Entry& e = slots_[slot];
  std::optional<MembershipEvent> event;
  if (inserted) {
    event = MembershipEvent::kJoined;
  } else {
    const std::uint64_t known = e.member.incarnation;
    // A copy of the life that already left (late or duplicated) is as stale
    // as an older life: it must not bring the peer back.
    if (incarnation < known || (incarnation == known && e.state == State::kLeft)) {
      ++stats_.stale_dropped;
      return;
    }
    if (incarnation > known) {
      event = e.state == State::kAlive ? MembershipEvent::kRestarted : MembershipEvent::kJoined;
    } else if (e.state == State::kDead) {
      event = MembershipEvent::kJoined;
    }
  }

  if (e.state != State::kAlive || inserted) ++alive_count_;
  e.state = State::kAlive;
  if (inserted) e.member.id = from;
  e.member.incarnation = incarnation;
  // Heartbeats repeat themselves: copy (and sort) only what changed.
  if (e.member.channels != channels) {
    e.member.channels = channels;
    normalize(e.member.channels);
  }
  if (e.member.metadata != metadata) e.member.metadata.assign(metadata);
  e.member.alive = true;
  e.member.last_seen = now;
  Duration expected = config_.interval_of(interval);
  RateClass& rc = rate_class(expected);
  e.interval = expected;
  set_alive_deadline(slot, now + rc.expiration);
  if (suspicion_on(rc)) {
    // Same order as the class's alive queue (now only grows); a repeat
    // within the same instant is still current.
    const Deadline item{now + rc.suspect_after, slot, e.generation};
    const bool repeat = !rc.suspect.empty() && rc.suspect.back().at == item.at &&
                        rc.suspect.back().slot == slot &&
                        rc.suspect.back().generation == e.generation;
    if (!repeat) {
      rc.suspect.push_back(item);
      arm_expiry(item.at);
    }
  }
  if (event) emit(*event, e.member);
}

void Membership::on_activity(const PeerId& from, std::uint64_t incarnation) {
  if (!running() || !config_.suspicion || from == self_) return;
  const Entry* e = entry(from);
  if (e == nullptr || e->state == State::kLeft || e->member.incarnation != incarnation) return;
  // A peer heard recently needs no proof: refreshing it would let a
  // declaration sent just before a crash delay its death by up to one
  // heartbeat interval. Only a suspected or dead peer is vouched for.
  if (e->state == State::kAlive && !e->suspected) return;
  ++stats_.activity;
  // A heartbeat with what is known: on_heartbeat copies nothing (the
  // values compare equal), refreshes the deadlines at the peer's own
  // interval, and revives a peer believed dead.
  on_heartbeat(from, incarnation, e->member.channels, e->member.metadata, e->interval);
}

void Membership::on_leave(const PeerId& from, std::uint64_t incarnation) {
  if (!running()) return;
  if (from == self_) {
    ++stats_.self_ignored;
    return;
  }
  ++stats_.leaves;
  const TimePoint now = scheduler_.now();

  const auto [slot, inserted] = slot_of(from);
  Entry& e = slots_[slot];
  if (inserted) {
    // Never seen alive: remember the goodbye so a heartbeat of that life
    // that was overtaken by it does not add the peer afterwards.
    e.member.id = from;
    e.member.incarnation = incarnation;
    e.state = State::kLeft;
    set_forget_deadline(slot, now + config_.forget_after);
    return;
  }
  if (incarnation < e.member.incarnation) {
    ++stats_.stale_dropped;
    return;
  }
  const bool was_alive = e.state == State::kAlive;
  const bool was_left = e.state == State::kLeft;
  if (was_alive) --alive_count_;
  e.state = State::kLeft;
  e.member.incarnation = incarnation;
  e.member.alive = false;
  // A duplicate goodbye does not extend the tombstone.
  if (!was_left) set_forget_deadline(slot, now + config_.forget_after);
  if (was_alive) emit(MembershipEvent::kLeft, e.member);
}

const Membership::Entry* Membership::entry(const PeerId& id) const {
  const auto it = index_.find(id);
  return it == index_.end() ? nullptr : &slots_[it->second];
}

std::pair<Membership::Slot, bool> Membership::slot_of(const PeerId& id) {
  const auto [it, inserted] = index_.try_emplace(id, Slot{0});
  if (!inserted) return {it->second, false};
  if (free_slots_.empty()) {
    it->second = static_cast<Slot>(slots_.size());
    slots_.emplace_back();
  } else {
    it->second = free_slots_.back();
    free_slots_.pop_back();
  }
  slots_[it->second].member.id = id;
  return {it->second, true};
}

void Membership::release(Slot slot) {
  Entry& e = slots_[slot];
  index_.erase(e.member.id);
  const std::uint32_t generation = e.generation + 1;
  e = Entry{};
  e.generation = generation;
  free_slots_.push_back(slot);
}

void Membership::set_alive_deadline(Slot slot, TimePoint deadline) {
  Entry& e = slots_[slot];
  Duration interval = e.interval;
  DeadlineQueue& q = rate_class(interval).alive;
  // A repeat within the same instant: the queued item is still current.
  if (e.deadline == deadline && !q.empty() && q.back().at == deadline && q.back().slot == slot &&
      q.back().generation == e.generation) {
    return;
  }
  e.deadline = deadline;
  // now only grows and the class's expiration is fixed, so the queue stays sorted
  q.push_back(Deadline{deadline, slot, e.generation});
  arm_expiry(deadline);
}

void Membership::set_forget_deadline(Slot slot, TimePoint deadline) {
  Entry& e = slots_[slot];
  // A death handled by a late timer can be due before a leave queued
  // earlier; nudging it to keep the queue sorted delays forgetting slightly.
  if (!forget_deadlines_.empty()) deadline = std::max(deadline, forget_deadlines_.back().at);
  e.deadline = deadline;
  forget_deadlines_.push_back(Deadline{deadline, slot, e.generation});
  arm_expiry(deadline);
}

bool Membership::current(const Deadline& item, bool alive_queue) const {
  const Entry& e = slots_[item.slot];
  if (e.generation != item.generation || e.deadline != item.at) return false;
  return (e.state == State::kAlive) == alive_queue;
}

void Membership::drop_outdated(DeadlineQueue& q, bool alive_queue) {
  while (!q.empty() && !current(q.front(), alive_queue)) q.pop_front();
}

void Membership::arm_expiry(TimePoint deadline) {
  // Most new deadlines are later than the one the timer waits for; only an
  // earlier one (or an idle timer) touches the scheduler.
  if (expiry_timer_.armed() && expiry_armed_for_ <= deadline) return;
  expiry_armed_for_ = deadline;
  expiry_timer_.arm(deadline - scheduler_.now(), [this] { expire(); });
}

void Membership::expire() {
  const TimePoint now = scheduler_.now();
  // The alive queues' due items, earliest first across the classes, so a
  // late timer reports deaths in the order they happened.
  const auto earliest_due = [this, now](auto member) -> DeadlineQueue* {
    DeadlineQueue* best = nullptr;
    for (RateClass& rc : rates_) {
      DeadlineQueue& q = rc.*member;
      if (!q.empty() && q.front().at <= now &&
          (best == nullptr || q.front().at < best->front().at)) {
        best = &q;
      }
    }
    return best;
  };
  while (running()) {
    DeadlineQueue* q = earliest_due(&RateClass::alive);
    if (q == nullptr) break;
    const Deadline item = q->front();
    const bool due = current(item, true);
    q->pop_front();
    if (!due) continue;  // refreshed since, or gone
    Entry& e = slots_[item.slot];
    e.state = State::kDead;
    e.member.alive = false;
    --alive_count_;
    // Forgetting is measured from the moment of death, so a dead peer is
    // recognised for forget_after whatever the expiration is.
    set_forget_deadline(item.slot, item.at + config_.forget_after);
    emit(MembershipEvent::kDead, e.member);
  }
  while (running() && !forget_deadlines_.empty() && forget_deadlines_.front().at <= now) {
    const bool due = current(forget_deadlines_.front(), false);
    if (due) {
      release(forget_deadlines_.front().slot);
      ++stats_.forgotten;
    }
    forget_deadlines_.pop_front();
  }
  bool suspected = false;
  while (running()) {
    DeadlineQueue* q = earliest_due(&RateClass::suspect);
    if (q == nullptr) break;
    const Deadline item = q->front();
    q->pop_front();
    if (!suspect_current(item)) continue;  // heard since, dead or gone
    Entry& e = slots_[item.slot];
    if (e.suspected) continue;
    e.suspected = true;
    suspects_.push_back(item);
    ++stats_.suspected;
    suspected = true;
  }
  if (!running()) return;
  // The first suspect is asked for at once; later ones join the next probe.
  if (suspected && !probe_timer_.armed()) probe();
  if (!running()) return;
  // Wake next for the earliest deadline that still counts, so outdated
  // items (peers that heartbeated since) cost no wake-up of their own.
  std::optional<TimePoint> next;
  const auto consider = [&next](const DeadlineQueue& q) {
    if (!q.empty() && (!next || q.front().at < *next)) next = q.front().at;
  };
  drop_outdated(forget_deadlines_, false);
  consider(forget_deadlines_);
  for (RateClass& rc : rates_) {
    drop_outdated(rc.alive, true);
    while (!rc.suspect.empty() && !suspect_current(rc.suspect.front())) rc.suspect.pop_front();
    consider(rc.alive);
    consider(rc.suspect);
  }
  if (next) arm_expiry(*next);
}

bool Membership::suspect_current(const Deadline& item) const {
  // The peer's latest heartbeat queued this item: not heard since.
  const Entry& e = slots_[item.slot];
  return e.generation == item.generation && e.state == State::kAlive &&
         e.member.last_seen + MembershipConfig::suspect_after_for(e.interval) == item.at;
}

bool Membership::quiet(const Deadline& suspect, TimePoint now) const {
  // Still the same peer, alive, and not heard for suspect_after.
  const Entry& e = slots_[suspect.slot];
  return e.generation == suspect.generation && e.state == State::kAlive &&
         e.member.last_seen + MembershipConfig::suspect_after_for(e.interval) <= now;
}

void Membership::probe() {
  const TimePoint now = scheduler_.now();
  // Peers heard since, dead, left or forgotten are no longer suspects.
  std::erase_if(suspects_, [this, now](const Deadline& s) {
    if (quiet(s, now)) return false;
    Entry& e = slots_[s.slot];
    if (e.generation == s.generation) {
      e.suspected = false;
      e.asked = TimePoint{};
    }
    return true;
  });
  if (suspects_.empty()) return;  // the timer stays idle until the next suspicion
  // Each suspect is asked for every quarter of its own interval: an idle
  // member (rate classes) is suspected for longer before it dies, and
  // asking for it at the fast rate all that time would multiply the
  // Suspects its crash costs by the ratio of the rates.
  std::vector<PeerId> ask;
  ask.reserve(std::min(suspects_.size(), kMaxSuspects));
  for (std::size_t i = 0; i < suspects_.size() && ask.size() < kMaxSuspects; ++i) {
    Entry& e = slots_[suspects_[i].slot];
    const Duration every = std::max(config_.probe_interval(), e.interval / 4);
    if (e.asked != TimePoint{} && now - e.asked < every) continue;
    e.asked = now;
    ask.push_back(e.member.id);
  }
  // More than fit in one message: the ones asked for go to the back, so
  // every suspect is asked for in turn.
  if (suspects_.size() > kMaxSuspects) {
    std::stable_partition(suspects_.begin(), suspects_.end(),
                          [this, now](const Deadline& s) { return slots_[s.slot].asked != now; });
  }
  probe_timer_.arm(config_.probe_interval(), [this] { probe(); });
  if (ask.empty()) return;  // every suspect was asked for lately
  ++stats_.probes;
  if (callbacks_.send_suspects) callbacks_.send_suspects(ask);
}

void Membership::emit(MembershipEvent event, const Member& member) {
  switch (event) {
    case MembershipEvent::kJoined:
      ++stats_.joined;
      break;
    case MembershipEvent::kLeft:
      ++stats_.left;
      break;
    case MembershipEvent::kDead:
      ++stats_.dead;
      break;
    case MembershipEvent::kRestarted:
      ++stats_.restarted;
      break;
    case MembershipEvent::kEvicted:
      break;  // counted by forget()
  }
  if (callbacks_.on_event) callbacks_.on_event(event, member);
}

std::vector<PeerId> Membership::alive_peers() const {
  std::vector<PeerId> out;
  out.reserve(alive_count_);
  for (const auto& [id, slot] : index_) {
    if (slots_[slot].state == State::kAlive) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<PeerId> Membership::alive_peers(std::string_view channel) const {
  std::vector<PeerId> out;
  for (const auto& [id, slot] : index_) {
    const Entry& e = slots_[slot];
    if (e.state == State::kAlive && takes_part(e.member, channel)) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool Membership::is_alive(const PeerId& id) const {
  const Entry* e = entry(id);
  return e != nullptr && e->state == State::kAlive;
}

bool Membership::is_alive(const PeerId& id, std::string_view channel) const {
  const Entry* e = entry(id);
  return e != nullptr && e->state == State::kAlive && takes_part(e->member, channel);
}

std::vector<Member> Membership::members() const {
  std::vector<Member> out;
  for (const auto& [id, slot] : index_) {
    const Entry& e = slots_[slot];
    if (e.state != State::kLeft) out.push_back(e.member);
  }
  std::sort(out.begin(), out.end(), [](const Member& a, const Member& b) { return a.id < b.id; });
  return out;
}

std::optional<Member> Membership::find(const PeerId& id) const {
  const Entry* e = entry(id);
  if (e == nullptr || e->state == State::kLeft) return std::nullopt;
  return e->member;
}

bool Membership::forget(const PeerId& id, bool evict) {
  const auto it = index_.find(id);
  if (it == index_.end()) return false;
  // Its queued deadlines no longer match an entry: expire() skips them.
  Entry& e = slots_[it->second];
  Member member = e.member;
  const bool was_alive = e.state == State::kAlive;
  if (was_alive) --alive_count_;
  release(it->second);
  ++stats_.evicted;
  if (evict && was_alive && running()) {
    member.alive = false;
    emit(MembershipEvent::kEvicted, member);
  }
  return true;
}

bool Membership::rebase(const PeerId& id, std::uint64_t incarnation) {
  const auto it = index_.find(id);
  if (it == index_.end()) return false;
  Entry& e = slots_[it->second];
  if (e.state == State::kLeft) return false;
  e.member.incarnation = incarnation;
  return true;
}

void Membership::set_channels(std::vector<std::string> channels) {
  normalize(channels);
  self_channels_ = std::move(channels);
}

Member Membership::self() const {
  return Member{self_,          self_incarnation_, self_channels_,
                self_metadata_, running(),         scheduler_.now()};
}

}  // namespace lanlord
