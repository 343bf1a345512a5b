#include "adversary.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "lanlord/epoch.hpp"

namespace lanlord::test {

namespace {

constexpr std::size_t kRecent = 256;      // recordings kept for recent replays
constexpr std::size_t kOldSample = 1024;  // a reservoir of every recording
// Older than the clock-skew window (TrustConfig::max_clock_skew, 30 s).
constexpr Duration kOld = std::chrono::seconds(31);

std::uint64_t flip(std::uint64_t v, sim::Rng& r, unsigned width = 64) {
  return v ^ (std::uint64_t{1} << r.below(width));
}

void flip_char(std::string& s, sim::Rng& r) {
  if (s.empty()) return;
  s[r.below(s.size())] ^= static_cast<char>(1u << r.below(8));
}

const char* kind_name(int kind) {
  static const char* const names[] = {
      "replay", "old replay", "bit flip", "mutation",          "raised", "leave", "fake",
      "off",    "foreign",    "epoch",    "implausible epoch", "handoff"};
  return names[kind];
}

}  // namespace

Adversary::Adversary(sim::SimCluster& cluster, std::uint64_t seed, AdversaryOptions options)
    : c_(cluster), rng_(seed ^ 0xadd5ea1adULL), options_(std::move(options)) {}

std::uint64_t Adversary::wall_ns() const {
  // The scheduler's wall clock, which every node reads (no node here has an
  // offset): what a forger on the LAN would put in sent_at.
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        c_.scheduler().wall_now().time_since_epoch())
                                        .count());
}

void Adversary::record(std::size_t node, const Message& message, const sim::Bytes* datagram) {
  Recording rec{c_.now(), node, message, datagram ? *datagram : sim::Bytes{}};
  latest_[node] = message;
  if (const auto* ld = std::get_if<Leadership>(&message.body);
      ld && ld->declaration && ld->channel == c_.channel()) {
    latest_epoch_ = ld->epoch;
    latest_declarer_ = node;
  }
  // Reservoir sampling keeps a uniform sample of the whole run for old replays.
  ++recorded_;
  if (old_.size() < kOldSample) {
    old_.push_back(rec);
  } else if (const std::uint64_t k = rng_.below(recorded_); k < kOldSample) {
    old_[k] = rec;
  }
  recent_.push_back(std::move(rec));
  if (recent_.size() > kRecent) recent_.pop_front();
}

namespace {
// Admission's streams (node_core.cpp): membership (""), Suspects (a name
// no test channel has) and one per channel.
std::string stream_of(const Message& m) {
  if (std::holds_alternative<Suspect>(m.body)) return std::string("\0suspect", 8);
  const auto* ld = std::get_if<Leadership>(&m.body);
  return ld ? ld->channel : std::string();
}
}  // namespace

void Adversary::received(std::size_t node, const Message& message, bool admitted) {
  if (!admitted) return;
  Admitted& a = admitted_[{node, message.sender}];
  a.incarnation = std::max(a.incarnation, message.time.incarnation);
  PeerTime& t = a.streams[stream_of(message)];
  t = std::max(t, message.time);
}

bool Adversary::news(std::size_t node, const Message& m) const {
  const auto it = admitted_.find({node, m.sender});
  if (it == admitted_.end()) return true;
  if (m.time.incarnation < it->second.incarnation) return false;
  const auto s = it->second.streams.find(stream_of(m));
  return s == it->second.streams.end() || m.time > s->second;
}

const Adversary::Recording* Adversary::pick_recording(bool old) {
  const TimePoint now = c_.now();
  if (old) {
    std::vector<const Recording*> aged;
    for (const Recording& r : old_) {
      if (now - r.at >= kOld) aged.push_back(&r);
    }
    if (!aged.empty()) return aged[rng_.below(aged.size())];
  }
  std::vector<const Recording*> ready;
  for (const Recording& r : recent_) {
    if (now - r.at >= options_.min_replay_age) ready.push_back(&r);
  }
  if (ready.empty()) return nullptr;
  // Mostly the latest few: the replays most likely to be news.
  const std::size_t n = ready.size();
  const std::size_t back =
      rng_.chance(0.5) ? rng_.below(std::min<std::size_t>(n, 8)) : rng_.below(n);
  return ready[n - 1 - back];
}

const Message* Adversary::latest_of(std::size_t i) const {
  const auto it = latest_.find(i);
  return it == latest_.end() ? nullptr : &it->second;
}

std::vector<std::size_t> Adversary::targets() {
  std::vector<std::size_t> out;
  if (rng_.chance(0.4)) {  // spoofed multicast: everyone hears it
    for (std::size_t i = 0; i < c_.size(); ++i) out.push_back(i);
  } else {
    out.push_back(rng_.below(c_.size()));
  }
  return out;
}

Message Adversary::mutate(Message m) {
  // Mostly with a current send time, so the mutation is not just a stale
  // recording dropped for its age.
  if (rng_.chance(0.7)) m.sent_at = wall_ns();
  switch (rng_.below(10)) {
    case 0:
      m.version = static_cast<std::uint16_t>(flip(m.version, rng_, 16));
      break;
    case 1:
      flip_char(m.cluster, rng_);
      break;
    case 2: {
      std::string id = m.sender.bytes();
      flip_char(id, rng_);
      m.sender = PeerId(id);
      break;
    }
    case 3:
      // Mostly the low bits: a small raise or drop is plausible, a high bit is not.
      m.time.incarnation = flip(m.time.incarnation, rng_, rng_.chance(0.7) ? 34 : 64);
      break;
    case 4:
      m.time.seq = flip(m.time.seq, rng_, rng_.chance(0.7) ? 14 : 64);
      break;
    case 5:
      m.sent_at = flip(m.sent_at, rng_);
      break;
    case 6:
      m.instance = flip(m.instance, rng_);
      break;
    case 7:
      if (auto* hb = std::get_if<Heartbeat>(&m.body)) {
        switch (rng_.below(4)) {
          case 0:
            if (!hb->channels.empty())
              flip_char(hb->channels[rng_.below(hb->channels.size())], rng_);
            break;
          case 1:
            hb->channels.clear();
            break;
          case 2:
            hb->metadata.push_back(static_cast<char>(rng_.next()));
            break;
          default:
            hb->timings = static_cast<std::uint32_t>(flip(hb->timings, rng_, 32));
            break;
        }
      } else if (auto* ld = std::get_if<Leadership>(&m.body)) {
        if (rng_.chance(0.5)) {
          ld->declaration = !ld->declaration;
        } else {
          flip_char(ld->channel, rng_);
        }
      } else {
        m.body = Heartbeat{{c_.channel()}, "", 0};
      }
      break;
    case 8:
      // Another kind of message with the same header.
      switch (rng_.below(3)) {
        case 0:
          m.body = Leave{};
          break;
        case 1:
          m.body = Leadership{c_.channel(), rng_.chance(0.5)};
          break;
        default:
          m.body = Heartbeat{{c_.channel()}, "", 0};
          break;
      }
      break;
    default:
      m.time.seq += 1 + rng_.below(3);  // a near-duplicate: the next sequence number
      break;
  }
  return m;
}

Message Adversary::raise(const Message& latest) {
  Message m = latest;
  const auto jitter = static_cast<std::int64_t>(rng_.below(2'000'000'000)) - 1'000'000'000;
  m.sent_at = static_cast<std::uint64_t>(static_cast<std::int64_t>(wall_ns()) + jitter);
  if (rng_.chance(0.5)) {
    // A new life: +1 ns, up to a second, up to 20 s ahead (the skew window is 30 s).
    static constexpr std::uint64_t kSteps[] = {1, 1'000'000'000, 20'000'000'000};
    m.time.incarnation += 1 + rng_.below(kSteps[rng_.below(3)]);
    m.time.seq = rng_.below(100);
  } else {
    // The same life, further on: +1, +1000, a random bit, or beyond plausibility.
    switch (rng_.below(4)) {
      case 0:
        m.time.seq += 1;
        break;
      case 1:
        m.time.seq += 1000;
        break;
      case 2:
        m.time.seq += 1 + rng_.below(5000);
        break;
      default:
        m.time.seq += std::uint64_t{1} << (20 + rng_.below(40));
        break;
    }
  }
  switch (rng_.below(4)) {
    case 0:
      m.body = Leadership{c_.channel(), true};
      break;
    case 1:
      m.body = Leadership{c_.channel(), false};
      break;
    default:
      if (!std::holds_alternative<Heartbeat>(m.body)) m.body = Heartbeat{{c_.channel()}, "", 0};
      break;
  }
  return m;
}

Message Adversary::forged_leave(const Message& latest) {
  Message m = latest;
  m.sent_at = wall_ns();
  m.time.seq += 1 + rng_.below(rng_.chance(0.5) ? 3 : 2000);
  m.body = Leave{};
  return m;
}

std::string Adversary::fake_id() {
  switch (rng_.below(3)) {
    case 0:
      return "!a";
    case 1:
      return "0";
    default: {
      std::string id = "!";
      for (int i = 0; i < 3; ++i) id.push_back(static_cast<char>('a' + rng_.below(26)));
      return id;
    }
  }
}

Message Adversary::fake_message(const std::string& id, Body body) {
  Fake& f = fakes_[id];
  if (f.incarnation == 0) f.incarnation = wall_ns();
  Message m;
  m.cluster = c_.options().cluster;
  m.sender = PeerId(id);
  m.time = {f.incarnation, ++f.seq};
  m.sent_at = wall_ns();
  m.instance = f.incarnation;
  m.body = std::move(body);
  return m;
}

Message Adversary::as_member(const Message& latest, Body body) {
  Message m = latest;
  m.sent_at = wall_ns();
  m.time.seq += 1 + rng_.below(3);
  m.body = std::move(body);
  return m;
}

std::uint64_t Adversary::current_epoch() const {
  return latest_epoch_;
}

std::optional<Message> Adversary::forged_epoch(bool implausible) {
  const std::size_t victim = rng_.below(c_.size());
  const Message* latest = latest_of(victim);
  if (latest == nullptr) return std::nullopt;
  const PeerId& id = c_.id(victim);
  const std::uint32_t tag = rng_.chance(0.8)
                                ? epoch_tag_of(id)
                                : static_cast<std::uint32_t>(rng_.below(kEpochTagMask + 1));
  const WallTime wall = c_.scheduler().wall_now();
  std::uint64_t epoch = 0;
  if (implausible) {
    // Beyond what any receiver's clock (this one's, no node has an offset)
    // plus the skew window and the slack allows: just beyond, or absurd.
    const Duration skew = TrustConfig{}.max_clock_skew;
    const std::uint64_t limit = clock_term(wall + skew) + kEpochTermSlack;
    const std::uint64_t term = rng_.chance(0.5) ? limit + 1 + rng_.below(1000)
                                                : limit + 1 + rng_.below(std::uint64_t{1} << 40);
    epoch = make_epoch(std::min(term, (std::uint64_t{1} << (64 - kEpochTagBits)) - 1), tag);
  } else {
    const std::uint64_t now_term = clock_term(wall);
    switch (rng_.below(4)) {
      case 0:  // huge but plausible: up to the slack ahead of the clock
      case 1:
        epoch = make_epoch(now_term + 1 + rng_.below(kEpochTermSlack), tag);
        break;
      case 2:  // stale: below the current leader's
        if (current_epoch() == 0) return std::nullopt;
        epoch = current_epoch() - 1 -
                rng_.below(std::min<std::uint64_t>(current_epoch() - 1, 1u << 24) + 1);
        if (epoch == 0) epoch = 1;
        break;
      default:  // the current leader's own epoch, claimed by another id
        if (current_epoch() == 0) return std::nullopt;
        epoch = current_epoch();
        break;
    }
  }
  return as_member(*latest, Leadership{c_.channel(), true, epoch, {}});
}

std::optional<Message> Adversary::forged_handoff() {
  // As if from the current leader, mostly; else from any member.
  std::size_t from = rng_.below(c_.size());
  if (const auto leaders = c_.leaders(); !leaders.empty() && rng_.chance(0.75)) {
    from = leaders[rng_.below(leaders.size())];
  }
  const Message* latest = latest_of(from);
  if (latest == nullptr) return std::nullopt;
  std::uint64_t epoch = current_epoch();
  switch (rng_.below(4)) {
    case 0:
      epoch += 1 + rng_.below(1000);
      break;
    case 1:
      epoch = epoch > 1 ? epoch - 1 - rng_.below(epoch - 1) : 0;
      break;
    default:  // the current epoch
      break;
  }
  std::size_t to = rng_.below(c_.size());
  if (rng_.chance(0.2)) to = from;
  return as_member(*latest, Leadership{c_.channel(), false, epoch, c_.id(to)});
}

void Adversary::campaign(const std::string& fake_id) {
  const bool declare = fakes_[fake_id].calls++ % 2 == 1;
  ++stats_.fakes;
  to_all(Kind::kFake, fake_message(fake_id, Heartbeat{{c_.channel()}, "", 0}));
  if (declare) to_all(Kind::kFake, fake_message(fake_id, Leadership{c_.channel(), true}));
}

void Adversary::to_all(Kind kind, const Message& m) {
  sim::Bytes datagram;
  if (options_.bytes_only) {
    if (options_.forge_codecs.empty()) return;
    const Codec& codec = options_.forge_codecs[rng_.below(options_.forge_codecs.size())];
    if (!codec.encode(m, datagram)) return;
    kind = Kind::kForeign;
  }
  for (std::size_t i = 0; i < c_.size(); ++i) {
    deliver(kind, i, m, options_.bytes_only ? &datagram : nullptr);
  }
}

void Adversary::deliver(Kind kind, std::size_t to, const std::optional<Message>& value,
                        const sim::Bytes* datagram) {
  if (!c_.running(to)) return;
  sim::Bytes encoded;
  if (!datagram && c_.options().codec) {
    // Encode here: a mutated value may break a field limit, and such a
    // message cannot be sent at all.
    if (!c_.options().codec->encode(*value, encoded)) return;
    datagram = &encoded;
  }
  if (options_.log) {
    std::string line = std::to_string(c_.now().time_since_epoch().count() / 1000000) + "ms " +
                       kind_name(static_cast<int>(kind)) + " -> " + c_.id(to).bytes() + ": ";
    if (value) {
      line += value->cluster + " " + value->sender.bytes() + " " +
              std::to_string(value->time.incarnation) + "/" + std::to_string(value->time.seq) +
              " inst " + std::to_string(value->instance) + " sent " +
              std::to_string(value->sent_at) + " ";
      if (const auto* hb = std::get_if<Heartbeat>(&value->body)) {
        line += "heartbeat " + std::to_string(hb->channels.size()) + " channels";
      } else if (const auto* ld = std::get_if<Leadership>(&value->body)) {
        line += (ld->declaration    ? "declaration "
                 : ld->is_handoff() ? "handoff "
                                    : "proposal ") +
                ld->channel + " epoch " + std::to_string(ld->epoch) +
                (ld->is_handoff() ? " to " + ld->successor.bytes() : "");
      } else {
        line += "leave";
      }
    } else {
      line += std::to_string(datagram->size()) + " bytes";
    }
    options_.log(line);
  }
  const NodeStats before = c_.core(to).stats();
  const bool was_news = value && news(to, *value);
  const LeaderInfo leader_before = c_.core(to).leadership(c_.channel());
  if (datagram) {
    c_.inject_bytes(to, *datagram);
  } else {
    c_.inject(to, *value);
  }
  ++stats_.injected;
  last_ = c_.now();
  if (!c_.running(to)) return;
  const NodeStats after = c_.core(to).stats();
  std::optional<DropReason> dropped;
  for (std::size_t r = 0; r < kDropReasonCount; ++r) {
    if (after.drops[r] > before.drops[r]) dropped = static_cast<DropReason>(r);
  }
  if (kind == Kind::kOldReplay) {
    ++stats_.old_copies;
    if (dropped != DropReason::kClockSkew) ++stats_.old_copies_not_skew;
  }
  if (kind == Kind::kRaised && value && value->sender == c_.id(to) &&
      value->instance == c_.core(to).instance() && dropped == DropReason::kIdConflict) {
    ++stats_.claims_heard_by_subject;
    if (after.refutations == before.refutations) ++stats_.claims_unrefuted;
  }
  if (kind == Kind::kImplausibleEpoch && value && dropped != DropReason::kImplausible) {
    ++stats_.implausible_epochs_not_dropped;
  }
  const bool admitted = after.messages_in > before.messages_in && !dropped;
  if (!admitted) return;
  // A follower that knows a leader is not misled by a forged epoch below
  // that leader's, nor by a handoff its leader did not send for its epoch.
  const auto* ld = value ? std::get_if<Leadership>(&value->body) : nullptr;
  if (ld && ld->channel == c_.channel() && leader_before.leader && !leader_before.is_self &&
      value->sender != c_.id(to)) {
    const LeaderInfo leader_after = c_.core(to).leadership(c_.channel());
    const bool changed = leader_after != leader_before;
    if (kind == Kind::kEpoch && ld->declaration && ld->epoch < leader_before.epoch) {
      ++stats_.stale_epochs_admitted;
      if (changed) ++stats_.stale_epochs_followed;
    }
    if (kind == Kind::kHandoff && ld->is_handoff() &&
        (value->sender != *leader_before.leader || ld->epoch != leader_before.epoch)) {
      ++stats_.wrong_handoffs_admitted;
      if (changed) ++stats_.wrong_handoffs_acted;
    }
  }
  if (kind == Kind::kReplay || kind == Kind::kOldReplay) {
    if (stats_.admitted_replays++ == 0) stats_.first_admitted_replay = c_.now();
    if (!was_news) ++stats_.admitted_stale_replays;
  } else {
    ++stats_.admitted_forgeries;
    if (stats_.admitted_forgery_kinds.size() < 8) {
      stats_.admitted_forgery_kinds.push_back(kind_name(static_cast<int>(kind)));
    }
  }
}

void Adversary::send_value(Kind kind, const Message& m) {
  if (options_.bytes_only) {
    // Without the key all the adversary can make is a datagram no key or
    // another key signed.
    if (options_.forge_codecs.empty()) return;
    const Codec& codec = options_.forge_codecs[rng_.below(options_.forge_codecs.size())];
    sim::Bytes datagram;
    if (!codec.encode(m, datagram)) return;
    send_bytes(kind, datagram);
    return;
  }
  for (std::size_t to : targets()) deliver(kind, to, m, nullptr);
}

void Adversary::send_bytes(Kind kind, const sim::Bytes& datagram) {
  for (std::size_t to : targets()) deliver(kind, to, std::nullopt, &datagram);
}

void Adversary::act() {
  const bool bytes = options_.bytes_only;
  const bool codec = c_.options().codec.has_value();
  // Weights: replay, old replay, bit flip, mutation, raised, leave, fake,
  // off, forged epoch, implausible epoch, forged handoff.
  const std::uint64_t e = options_.epoch_forgeries ? 1 : 0;
  const std::uint64_t w[] = {20, 10, codec ? 20u : 0u, 20, 12, 8, 8, 5, 10 * e, 5 * e, 10 * e};
  std::uint64_t total = 0;
  for (auto x : w) total += x;
  std::uint64_t pick = rng_.below(total);
  int kind = 0;
  while (pick >= w[kind]) pick -= w[kind++];

  if (kind <= 2) {
    const Recording* rec = pick_recording(kind == 1);
    if (rec == nullptr) return;
    if (kind == 2) {
      if (rec->datagram.empty()) return;
      sim::Bytes d = rec->datagram;
      const std::uint64_t n = 1 + rng_.below(4);
      for (std::uint64_t k = 0; k < n; ++k) {
        d[rng_.below(d.size())] ^= static_cast<std::uint8_t>(1u << rng_.below(8));
      }
      ++stats_.bit_flips;
      send_bytes(Kind::kBitFlip, d);
      return;
    }
    ++stats_.replays;
    const bool old = c_.now() - rec->at >= kOld;
    if (old) ++stats_.old_replays;
    const Kind k = old ? Kind::kOldReplay : Kind::kReplay;
    // A copy: each delivery can make nodes send, and what they send is
    // recorded, which may move or drop the recording `rec` points to.
    const Recording replayed = *rec;
    if (!replayed.datagram.empty()) {
      for (std::size_t to : targets()) deliver(k, to, replayed.message, &replayed.datagram);
    } else if (!bytes) {
      for (std::size_t to : targets()) deliver(k, to, replayed.message, nullptr);
    }
    return;
  }
  // Forgeries: made from recordings, or from nothing.
  std::optional<Message> forged;
  Kind k = Kind::kMutation;
  const std::size_t victim = rng_.below(c_.size());
  const Message* latest = latest_of(victim);
  switch (kind) {
    case 3:
      if (const Recording* rec = pick_recording(false)) {
        forged = mutate(rec->message);
        ++stats_.mutations;
      }
      break;
    case 4:
      if (latest) {
        forged = raise(*latest);
        k = Kind::kRaised;
        ++stats_.raised;
      }
      break;
    case 5:
      if (latest) {
        forged = forged_leave(*latest);
        k = Kind::kLeave;
        ++stats_.leaves;
      }
      break;
    case 6:
      forged = fake_message(fake_id(), rng_.chance(0.5) ? Body{Heartbeat{{c_.channel()}, "", 0}}
                                                        : Body{Leadership{c_.channel(), true}});
      k = Kind::kFake;
      ++stats_.fakes;
      break;
    case 8:
    case 9:
      forged = forged_epoch(kind == 9);
      k = kind == 9 ? Kind::kImplausibleEpoch : Kind::kEpoch;
      if (forged) ++(kind == 9 ? stats_.implausible_epochs : stats_.epochs);
      break;
    case 10:
      forged = forged_handoff();
      k = Kind::kHandoff;
      if (forged) ++stats_.handoffs;
      break;
    default:
      if (latest) {
        forged = *latest;
        forged->time.seq += 1;
        if (rng_.chance(0.5)) {
          forged->cluster = "not-" + c_.options().cluster;
          forged->sent_at = wall_ns();
        } else {
          // Far off: just outside the window, or hours.
          const std::uint64_t off = rng_.chance(0.5) ? 31'000'000'000ULL : 7'200'000'000'000ULL;
          forged->sent_at = rng_.chance(0.5) ? wall_ns() + off : wall_ns() - off;
        }
        k = Kind::kOff;
        ++stats_.off;
      }
      break;
  }
  if (!forged) return;
  if (bytes) {
    ++stats_.foreign;
    k = Kind::kForeign;
  }
  send_value(k, *forged);
}

TimePoint Adversary::run_bursts(Duration span, const std::function<void()>& poll) {
  const auto advance = [&](TimePoint t) {
    if (t <= c_.now()) return;
    if (poll) {
      c_.run_until(
          [&] {
            poll();
            return false;
          },
          t - c_.now());
    } else {
      c_.scheduler().run_until(t);
    }
  };
  const Duration hb = c_.profile().membership.heartbeat_interval;
  const TimePoint end = c_.now() + span;
  while (c_.now() < end) {
    advance(std::min(end, c_.now() + rng_.duration(Duration::zero(), 5 * hb)));
    if (c_.now() >= end) break;
    const TimePoint burst_end = std::min(end, c_.now() + rng_.duration(hb / 2, 8 * hb));
    const Duration step = rng_.duration(hb / 50, hb / 2);
    std::optional<std::string> fake;
    if (rng_.chance(0.3)) fake = fake_id();
    TimePoint next_campaign = c_.now();
    while (c_.now() < burst_end) {
      if (fake && c_.now() >= next_campaign) {
        campaign(*fake);
        next_campaign = c_.now() + hb / 2;
      } else {
        act();
      }
      if (poll) poll();
      advance(std::min(burst_end, c_.now() + step));
    }
  }
  return last_;
}

}  // namespace lanlord::test
