#include "drivers/tracker.hpp"

namespace lanlord::bench {

Duration AgreementTracker::now() const {
  return std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - epoch_);
}

std::size_t AgreementTracker::add(int side) {
  std::lock_guard lock(mu_);
  NodeView v;
  v.side = side;
  views_.push_back(v);
  if (side != 0) healed_ = false;
  return views_.size() - 1;
}

std::size_t AgreementTracker::size() const {
  std::lock_guard lock(mu_);
  return views_.size();
}

bool AgreementTracker::live(std::size_t i) const {
  std::lock_guard lock(mu_);
  return views_.at(i).live;
}

void AgreementTracker::set_live(std::size_t i, bool live) {
  std::lock_guard lock(mu_);
  NodeView& v = views_.at(i);
  if (v.live == live) return;
  const Duration t = now();
  node_seconds_ +=
      static_cast<double>(live_count_) * std::chrono::duration<double>(t - live_since_).count();
  live_since_ = t;
  v.live = live;
  live_count_ = live ? live_count_ + 1 : live_count_ - 1;
  if (live) {
    v.leader = kNoNode;
    v.epoch = 0;
    v.is_leader = false;
    v.frozen = false;
  }
  evaluate_locked();
}

void AgreementTracker::set_leader(std::size_t i, std::size_t leader, bool is_self,
                                  std::uint64_t epoch) {
  std::lock_guard lock(mu_);
  NodeView& v = views_.at(i);
  v.leader = leader;
  v.epoch = leader == kNoNode ? 0 : epoch;
  v.is_leader = is_self;
  if (watched_ != kNoNode) {
    if (i == watched_ && !is_self && !stepped_down_at_) {
      stepped_down_at_ = now();
      agreed_cv_.notify_all();
    }
    if (i != watched_ && leader == watched_ &&
        (watched_epoch_ == 0 || epoch == 0 || epoch == watched_epoch_)) {
      ++stale_namings_;
    }
  }
  evaluate_locked();
}

void AgreementTracker::set_frozen(std::size_t i, bool frozen) {
  std::lock_guard lock(mu_);
  views_.at(i).frozen = frozen;
  evaluate_locked();
}

void AgreementTracker::watch(std::size_t i) {
  std::lock_guard lock(mu_);
  watched_ = i;
  watched_epoch_ = views_.at(i).epoch;
  stale_namings_ = 0;
  stepped_down_at_.reset();
  // Already no claim: stepped down (or never led) before the watch began.
  if (!views_.at(i).is_leader) stepped_down_at_ = now();
}

std::optional<Duration> AgreementTracker::wait_stepped_down(Duration limit) {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  if (!agreed_cv_.wait_until(lock, deadline, [this] { return stepped_down_at_.has_value(); })) {
    return std::nullopt;
  }
  return stepped_down_at_;
}

std::uint64_t AgreementTracker::stale_namings() const {
  std::lock_guard lock(mu_);
  return stale_namings_;
}

void AgreementTracker::on_dead(std::size_t i, std::size_t member) {
  std::lock_guard lock(mu_);
  if (!views_.at(i).live) return;
  ++deaths_;
  // Declared dead while it runs: a false death.
  if (member < views_.size() && views_[member].live) ++false_deaths_;
}

void AgreementTracker::heal() {
  std::lock_guard lock(mu_);
  healed_ = true;
  evaluate_locked();
}

void AgreementTracker::evaluate_locked() {
  Transition t = evaluate_agreement(views_, healed_);
  if (t.same_state(current_)) return;
  t.at = now();
  current_ = t;
  timeline_.push_back(t);
  if (t.agreed) agreed_cv_.notify_all();
}

std::optional<Duration> AgreementTracker::wait_agreed(Duration limit) {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  if (!agreed_cv_.wait_until(lock, deadline, [this] { return current_.agreed; })) {
    return std::nullopt;
  }
  return current_.at;
}

Transition AgreementTracker::state() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::vector<Transition> AgreementTracker::timeline() const {
  std::lock_guard lock(mu_);
  return timeline_;
}

void AgreementTracker::fill(Usage& u) const {
  std::lock_guard lock(mu_);
  u.node_seconds = node_seconds_ + static_cast<double>(live_count_) *
                                       std::chrono::duration<double>(now() - live_since_).count();
  u.deaths = deaths_;
  u.false_deaths = false_deaths_;
}

}  // namespace lanlord::bench
