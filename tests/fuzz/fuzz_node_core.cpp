// fuzz_node_core: one NodeCore on a virtual clock, driven by the fuzzer
// through the operations of node_core_input.hpp: datagrams through the
// real codec, messages built field by field (times at UINT64_MAX, the
// node's own id, names over the limits: what the codec would refuse),
// time passing, yield, join/leave channel and stop. After every timer and
// every operation it takes ready() and checks what came out, and after
// every operation the node's state too:
//   - nothing throws, no sanitizer report;
//   - what it sends is its own (id, cluster, version), in a strictly
//     growing PeerTime order (messages for all targets and those for
//     some addresses together), within the limits, and survives the codec;
//     a passive node sends nothing (in unicast mode: observer heartbeats
//     and its leave); heartbeats carry the node's address, observer flag
//     and digest as its mode says; nothing follows the leave of stop();
//   - leadership events alternate per channel and agree with is_leader();
//   - the counters agree with the events (drops, messages_out);
//   - unicast targets are capped and never the node's own address;
//   - admission holds at most one membership stream per sender heard of
//     and one leadership stream per channel it may keep for it.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "check.hpp"
#include "lanlord/node_core.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/sim/virtual_scheduler.hpp"
#include "lanlord/wire.hpp"
#include "node_core_input.hpp"

namespace {

using namespace lanlord;
using fuzz::Op;
using fuzz::OpKind;

// Printable bytes as they are, others as \xNN.
std::string escaped(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += c;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      out += hex;
    }
  }
  return out;
}

std::string describe(const Message& m) {
  std::string out = "v" + std::to_string(m.version) + " cluster \"" + escaped(m.cluster) +
                    "\" from \"" + escaped(m.sender.bytes()) + "\" time " +
                    std::to_string(m.time.incarnation) + "/" + std::to_string(m.time.seq) + " ";
  if (const auto* hb = std::get_if<Heartbeat>(&m.body)) {
    out += "heartbeat [";
    for (const std::string& c : hb->channels) out += " \"" + escaped(c) + "\"";
    out += " ] metadata " + std::to_string(hb->metadata.size()) + " B";
    if (!hb->address.empty()) out += " address " + escaped(hb->address);
    if (hb->observer) out += " observer";
    if (!hb->digest.empty()) out += " digest " + std::to_string(hb->digest.size());
  } else if (const auto* ld = std::get_if<Leadership>(&m.body)) {
    out += std::string(ld->is_handoff()  ? (ld->declaration ? "handoff+declaration" : "handoff")
                       : ld->declaration ? "declaration"
                                         : "proposal") +
           " \"" + escaped(ld->channel) + "\" epoch " + std::to_string(ld->epoch);
    if (ld->is_handoff()) out += " to \"" + escaped(ld->successor.bytes()) + "\"";
  } else {
    out += "leave";
  }
  return out;
}

// With LANLORD_FUZZ_TRACE=1 the target prints each input's setup and
// operations as it runs them: run it on one crash file to read the story.
bool tracing() {
  static const bool on = [] {
    const char* v = std::getenv("LANLORD_FUZZ_TRACE");
    return v != nullptr && std::string_view(v) == "1";
  }();
  return on;
}

void trace(const fuzz::Setup& s) {
  std::string channels;
  for (const std::string& c : s.channels) channels += " " + c;
  std::fprintf(stderr, "setup: %s%s%s profile %s%s, channels [%s ], incarnation %llu\n",
               s.passive ? "passive" : "active", s.unicast ? " unicast" : "",
               s.keyed ? " keyed" : "", std::string(profile_names().at(s.profile)).c_str(),
               s.flip_fast_failover ? " (fast_failover inverted)" : "", channels.c_str(),
               static_cast<unsigned long long>(s.incarnation));
}

void trace(const Op& op) {
  std::string line;
  switch (op.kind) {
    case OpKind::kDatagram: {
      const wire::Decoded d = wire::decode(op.datagram);
      line = "datagram " + std::to_string(op.datagram.size()) + " B: " +
             (d.ok ? describe(d.message) : std::string("refused, ") + drop_reason_name(d.reason));
      break;
    }
    case OpKind::kMessage:
      line = "message " + describe(op.message);
      break;
    case OpKind::kAdvance:
      line = "advance " + std::to_string(op.advance_ms) + " ms";
      break;
    case OpKind::kYield:
      line = "yield \"" + escaped(op.channel) + "\"";
      break;
    case OpKind::kJoin:
      line = "join \"" + escaped(op.channel) + "\"";
      break;
    case OpKind::kLeave:
      line = "leave \"" + escaped(op.channel) + "\"";
      break;
    case OpKind::kStop:
      line = "stop";
      break;
  }
  std::fprintf(stderr, "op: %s\n", line.c_str());
}

NodeCoreConfig config_of(const fuzz::Setup& s) {
  NodeCoreConfig c;
  c.id = PeerId(fuzz::kSelfId);
  c.cluster = fuzz::kCluster;
  c.channels = s.channels;
  c.passive = s.passive;
  c.profile = *find_profile(profile_names().at(s.profile));
  if (s.flip_fast_failover) c.profile.fast_failover = !c.profile.fast_failover;
  c.incarnation = s.incarnation;
  c.authenticated = s.keyed;
  if (s.unicast) {
    c.unicast.enabled = true;
    c.unicast.address = fuzz::kSelfAddress;
    c.unicast.seeds = {fuzz::kSeedAddress};
  }
  return c;
}

class Harness {
 public:
  explicit Harness(NodeCoreConfig config)
      : hooked_(scheduler_, [this] { drain(false); }), core_(hooked_, std::move(config)) {
    for (const std::string& ch : core_.config().channels) ever_joined_.insert(ch);
  }

  void start() {
    core_.start();
    drain();
  }

  void run(const Op& op) {
    switch (op.kind) {
      case OpKind::kDatagram: {
        const wire::Decoded d = wire::decode(op.datagram);
        if (d.ok) {
          LANLORD_FUZZ_CHECK(check_message(d.message));
          step(d.message);
        } else {
          core_.drop(d.reason, fuzz::kOrigin);
        }
        break;
      }
      case OpKind::kMessage:
        step(op.message);
        break;
      case OpKind::kAdvance: {
        // Beyond the input's budget of virtual time, advances are no-ops.
        const Duration d =
            std::min<Duration>(std::chrono::milliseconds(op.advance_ms),
                               fuzz::kMaxVirtualTime - scheduler_.now().time_since_epoch());
        if (d > Duration::zero()) scheduler_.run_for(d);
        break;
      }
      case OpKind::kYield:
        core_.yield(op.channel);
        break;
      case OpKind::kJoin: {
        const Status s = core_.join_channel(op.channel);
        if (s) {
          ever_joined_.insert(op.channel);
          LANLORD_FUZZ_CHECK(in_channels(op.channel));
        }
        break;
      }
      case OpKind::kLeave:
        core_.leave_channel(op.channel);
        // (A passive node's channels() are those it hears of: no leaving them.)
        if (!core_.config().passive) LANLORD_FUZZ_CHECK(!in_channels(op.channel));
        leading_.erase(op.channel);  // a leader steps down silently
        break;
      case OpKind::kStop: {
        const bool was_running = core_.running();
        core_.stop();
        LANLORD_FUZZ_CHECK(!core_.running());
        // A passive node says goodbye only in unicast mode (members send to it).
        expect_leave_ = was_running && (!core_.config().passive || core_.config().unicast.enabled);
        break;
      }
    }
    drain();
  }

  // The end of the input: a graceful stop, as a process would.
  void finish() {
    run(Op{.kind = OpKind::kStop});
    LANLORD_FUZZ_CHECK(!expect_leave_);
  }

 private:
  void step(const Message& m) {
    senders_.insert(m.sender);
    core_.step(m, fuzz::kOrigin);
  }

  bool in_channels(const std::string& channel) const {
    const std::vector<std::string> all = core_.channels();
    return std::find(all.begin(), all.end(), channel) != all.end();
  }

  // Takes every output and checks it, then (after an operation; not
  // after every timer, which would cost most of the run) the state.
  void drain(bool state = true) {
    Ready r = core_.ready();
    taken_ += r.messages.size() + r.direct.size();
    // Messages for some addresses only (unicast: heartbeats to lost
    // members) are made among the others: checked with them, in order.
    const NodeCoreConfig& c = core_.config();
    std::vector<const Message*> sent;
    for (const Message& m : r.messages) sent.push_back(&m);
    for (const Addressed& a : r.direct) {
      LANLORD_FUZZ_CHECK(c.unicast.enabled);
      LANLORD_FUZZ_CHECK(std::holds_alternative<Heartbeat>(a.message.body));
      LANLORD_FUZZ_CHECK(!a.to.empty() && a.to.size() <= c.unicast.max_targets);
      LANLORD_FUZZ_CHECK(std::find(a.to.begin(), a.to.end(), c.unicast.address) == a.to.end());
      sent.push_back(&a.message);
    }
    std::sort(sent.begin(), sent.end(),
              [](const Message* a, const Message* b) { return a->time < b->time; });
    for (const Message* m : sent) check_sent(*m);
    for (const NodeEvent& e : r.events) check_event(e);
    if (state) check_state();
  }

  void check_sent(const Message& m) {
    const NodeCoreConfig& c = core_.config();
    if (tracing()) std::fprintf(stderr, "  sent: %s\n", describe(m).c_str());
    const auto* hb = std::get_if<Heartbeat>(&m.body);
    if (c.passive) {
      LANLORD_FUZZ_CHECK(c.unicast.enabled);
      LANLORD_FUZZ_CHECK(std::holds_alternative<Leave>(m.body) ||
                         (hb != nullptr && hb->channels.empty()));
    }
    if (hb != nullptr) {
      // Multicast: no unicast field. Unicast: the node's own address, the
      // observer flag when passive, a digest only with a key, never naming
      // the node itself.
      LANLORD_FUZZ_CHECK(hb->address == (c.unicast.enabled ? c.unicast.address : ""));
      LANLORD_FUZZ_CHECK(hb->observer == (c.unicast.enabled && c.passive));
      if (!c.unicast.enabled || !c.authenticated) LANLORD_FUZZ_CHECK(hb->digest.empty());
      for (const PeerAddress& p : hb->digest) {
        LANLORD_FUZZ_CHECK(p.id != c.id);
        LANLORD_FUZZ_CHECK(p.address != c.unicast.address);
      }
    }
    LANLORD_FUZZ_CHECK(!left_);
    LANLORD_FUZZ_CHECK(m.version == kProtocolVersion);
    LANLORD_FUZZ_CHECK(m.sender == c.id);
    LANLORD_FUZZ_CHECK(m.cluster == c.cluster);
    LANLORD_FUZZ_CHECK(m.time > last_sent_);
    last_sent_ = m.time;
    LANLORD_FUZZ_CHECK(check_message(m));
    if (const auto* ld = std::get_if<Leadership>(&m.body)) {
      LANLORD_FUZZ_CHECK(ever_joined_.count(ld->channel) != 0);
    }
    if (std::holds_alternative<Leave>(m.body)) {
      LANLORD_FUZZ_CHECK(expect_leave_);
      expect_leave_ = false;
      left_ = true;
    }
    const wire::Encoded e = wire::encode(m);
    LANLORD_FUZZ_CHECK(e.status);
    const wire::Decoded d = wire::decode(e.datagram);
    LANLORD_FUZZ_CHECK(d.ok);
    // The digest is advisory: the codec leaves out entries whose address
    // cannot be sent to (learned from messages no codec checked), then cuts
    // from the back to fit the datagram. Nothing else changes.
    Message expected = m;
    if (auto* sent = std::get_if<Heartbeat>(&expected.body)) {
      std::erase_if(sent->digest,
                    [](const PeerAddress& p) { return !wire::check_address(p.address); });
      const std::size_t got = std::get<Heartbeat>(d.message.body).digest.size();
      LANLORD_FUZZ_CHECK(got <= sent->digest.size());
      sent->digest.resize(got);
    }
    LANLORD_FUZZ_CHECK(d.message == expected);
  }

  void check_event(const NodeEvent& event) {
    const NodeCoreConfig& c = core_.config();
    if (std::holds_alternative<Dropped>(event)) {
      ++dropped_events_;
    } else if (const auto* e = std::get_if<LeadershipChanged>(&event)) {
      LANLORD_FUZZ_CHECK(!c.passive);
      bool& leading = leading_[e->channel];
      LANLORD_FUZZ_CHECK(leading != e->is_leader);  // became, stopped, became, ...
      leading = e->is_leader;
    } else if (const auto* e = std::get_if<LeaderChanged>(&event)) {
      LANLORD_FUZZ_CHECK(e->is_self == (e->leader && *e->leader == c.id));
      if (c.passive) LANLORD_FUZZ_CHECK(!e->is_self);
    } else if (const auto* e = std::get_if<MemberChanged>(&event)) {
      // The node's own id never joins its member table (it is dropped
      // as self or id_conflict), unless passive: a watcher keeps no self.
      if (!c.passive) LANLORD_FUZZ_CHECK(e->member.id != c.id);
    }
  }

  void check_state() {
    const NodeCoreConfig& c = core_.config();
    const NodeStats stats = core_.stats();
    std::uint64_t drops = 0;
    for (std::uint64_t n : stats.drops) drops += n;
    LANLORD_FUZZ_CHECK(drops == dropped_events_);
    LANLORD_FUZZ_CHECK(stats.messages_out == taken_);
    // Per sender: one membership stream, one suspicion stream, and one leadership stream per
    // channel the node runs (or, passive, at most kMaxChannels).
    // The member cap bounds the senders held, and the membership with them.
    LANLORD_FUZZ_CHECK(stats.peers <= core_.config().trust.max_members);
    LANLORD_FUZZ_CHECK(core_.membership().members().size() <= stats.peers);
    const std::size_t per_sender =
        2 + (c.passive ? kMaxChannels : std::min(kMaxChannels, ever_joined_.size()));
    LANLORD_FUZZ_CHECK(stats.admission_streams <= senders_.size() * per_sender);
    const std::vector<std::string>& targets = core_.unicast_targets();
    LANLORD_FUZZ_CHECK(targets.size() <= (c.unicast.enabled ? c.unicast.max_targets : 0));
    LANLORD_FUZZ_CHECK(std::find(targets.begin(), targets.end(), c.unicast.address) ==
                       targets.end());
    const std::vector<std::string> channels = core_.channels();
    // A passive node watches the channels it hears of: as many as the
    // leadership streams it admits.
    LANLORD_FUZZ_CHECK(channels.size() <=
                       (c.passive ? senders_.size() * kMaxChannels : kMaxChannels));
    if (!core_.running()) return;
    for (const std::string& ch : channels) {
      const bool leading = core_.is_leader(ch);
      if (c.passive) {
        LANLORD_FUZZ_CHECK(!leading);
        continue;
      }
      const auto it = leading_.find(ch);
      LANLORD_FUZZ_CHECK(leading == (it != leading_.end() && it->second));
      if (leading) LANLORD_FUZZ_CHECK(core_.leader(ch) == c.id);
    }
  }

  sim::VirtualScheduler scheduler_;
  HookedScheduler hooked_;
  NodeCore core_;
  std::set<PeerId> senders_;             // every sender id stepped
  std::set<std::string> ever_joined_;    // the node's channels, past and present
  std::map<std::string, bool> leading_;  // per channel, from LeadershipChanged
  PeerTime last_sent_;
  std::uint64_t taken_ = 0;  // messages taken with ready()
  std::uint64_t dropped_events_ = 0;
  bool expect_leave_ = false;  // stop() was called on a running, active node
  bool left_ = false;          // its leave was taken
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::Input input = fuzz::read_input(data, size);
  const NodeCoreConfig config = config_of(input.setup);
  if (!config.validate()) return -1;  // e.g. active with no channel: not worth keeping
  if (tracing()) trace(input.setup);
  Harness h(config);
  h.start();
  for (const Op& op : input.ops) {
    if (tracing()) trace(op);
    h.run(op);
  }
  h.finish();
  return 0;
}
