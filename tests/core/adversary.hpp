// A simulated adversary on a SimCluster's network: it records what the
// nodes send (SimObservers::sent) and injects into them, at times the test
// chooses, replays of what it recorded (recent ones, and ones older than
// the clock-skew window), mutated copies (bit flips in every field of a
// message value, or anywhere in a datagram), and forgeries of its own:
// raised PeerTimes of real members, forged leaves, heartbeats and
// declarations from made-up ids that sort below every real one, messages
// of another cluster, send times far off; and forged epochs and handoffs:
// declarations from real members with a huge but plausible epoch, a stale
// one or the leader's own, declarations with an epoch no honest leader can
// hold yet (whose term is beyond clock_term(now + max_clock_skew) +
// kEpochTermSlack: they must be dropped as kImplausible), and handoffs
// (a Leadership naming a successor) as if from the current leader, with
// its current epoch or a wrong one, or from another member.
//
// Its choices come from its own Rng, seeded by the test, so a run with the
// adversary draws the same network randomness as the same seed without it.
//
// Two kinds of cluster:
//   * unkeyed (bytes_only false): anything goes; values through
//     SimCluster::inject (encoded when the cluster has a codec) and, with a
//     codec, bit-flipped datagrams through inject_bytes;
//   * keyed (bytes_only true): the adversary does not know the cluster key.
//     It injects datagrams only: recorded authentic ones replayed, copies
//     with bits flipped, and its forgeries encoded with `forge_codecs` (no
//     key, another key).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lanlord/message.hpp"
#include "lanlord/sim/cluster.hpp"
#include "lanlord/sim/random.hpp"

namespace lanlord::test {

struct AdversaryOptions {
  // The cluster authenticates its datagrams: inject bytes only.
  bool bytes_only = false;
  // How the adversary encodes its own forgeries as datagrams (bytes_only:
  // required, e.g. the wire codec without a key and with another key).
  std::vector<Codec> forge_codecs;
  // Every injection, one line each (what, to whom, the message), for
  // investigating a failing seed; nullptr: none.
  std::function<void(const std::string&)> log;
  // Recordings younger than this are not replayed. With the network's
  // largest one-way delay here, a replay never overtakes its original: an
  // authentic message delivered early is not an attack.
  Duration min_replay_age{};
  // Forged epochs and handoffs among the attacks (off: the attacks from
  // before epochs existed, to compare the disturbance with and without).
  bool epoch_forgeries = true;
};

// What the adversary did, and what became of it.
struct AdversaryStats {
  std::uint64_t injected = 0;     // copies handed to nodes
  std::uint64_t replays = 0;      // unmodified recordings
  std::uint64_t old_replays = 0;  // of which older than the clock-skew window (30 s)
  std::uint64_t bit_flips = 0;    // datagrams with bits flipped
  std::uint64_t mutations = 0;    // message values with a field's bit flipped
  std::uint64_t raised = 0;       // real members' PeerTimes raised
  std::uint64_t leaves = 0;       // forged leaves of real members
  std::uint64_t fakes = 0;        // heartbeats and declarations of made-up lower ids
  std::uint64_t off = 0;          // wrong cluster, send time far off
  std::uint64_t foreign = 0;      // own forgeries encoded with forge_codecs (keyed)
  std::uint64_t epochs = 0;       // declarations of real members with a forged, plausible epoch
  std::uint64_t implausible_epochs = 0;  // declarations with an epoch beyond plausibility
  std::uint64_t handoffs = 0;            // forged handoffs
  // Unkeyed, values handed to nodes: implausible epochs a node did not drop
  // as kImplausible; forged declarations below the epoch of the leader a
  // follower knows that changed its leader; forged handoffs that do not
  // match the leader and epoch a follower knows (another sender, a wrong
  // epoch) that changed its leader or made it lead. All must be none.
  std::uint64_t implausible_epochs_not_dropped = 0;
  std::uint64_t stale_epochs_followed = 0;
  std::uint64_t wrong_handoffs_acted = 0;
  // Of the above, how many reached a node that could have been misled: an
  // admitted stale declaration to a follower, an admitted mismatched
  // handoff to a follower (so that a zero above is not vacuous).
  std::uint64_t stale_epochs_admitted = 0;
  std::uint64_t wrong_handoffs_admitted = 0;
  // Copies a node admitted (stepped without a drop): only replays of
  // authentic messages may be admitted by a keyed node (their originals
  // were lost on the way), never anything the adversary made or changed.
  std::uint64_t admitted_replays = 0;
  TimePoint first_admitted_replay{};  // when the first was (TimePoint{}: never)
  std::uint64_t admitted_forgeries = 0;
  // Admitted replays that were not news to the node (it had admitted the
  // same or a newer PeerTime in that stream, or a newer life): must be none.
  std::uint64_t admitted_stale_replays = 0;
  std::vector<std::string> admitted_forgery_kinds;  // what they were (the first few)
  // Replays older than the clock-skew window handed to nodes, and of those
  // the ones not dropped for their send time (kClockSkew): must be none.
  std::uint64_t old_copies = 0;
  std::uint64_t old_copies_not_skew = 0;
  // Raised claims about a node, with its own instance, that it heard and
  // took for a newer claim than its own PeerTime (kIdConflict), and of
  // those the ones it did not refute: must be none.
  std::uint64_t claims_heard_by_subject = 0;
  std::uint64_t claims_unrefuted = 0;
};

class Adversary {
 public:
  Adversary(sim::SimCluster& cluster, std::uint64_t seed, AdversaryOptions options);

  // SimObservers::sent: remembers the message (and its datagram).
  void record(std::size_t node, const Message& message, const sim::Bytes* datagram);
  // SimObservers::received: what each node admitted, per sender and
  // stream, to tell a replay that is news (its original was lost) from one
  // a node took although it had admitted something newer.
  void received(std::size_t node, const Message& message, bool admitted);

  // One attack: a replay, a mutation or a forgery, into one random node or
  // all of them.
  void act();
  // A made-up id below every real one claims the lead: a heartbeat to every
  // node and, every other call, a declaration. Call about every half
  // heartbeat interval for as long as the campaign lasts.
  void campaign(const std::string& fake_id);
  // A fake id for a campaign: "!a", "0", or '!' and random letters.
  std::string fake_id();

  // Runs the cluster for `span` with the adversary acting in bursts (a
  // burst: a random number of attacks a random fraction of a heartbeat
  // interval apart, some with a fake-leader campaign; then a quiet gap).
  // `poll` (if any) runs after every event and every attack. Returns the
  // time of the last injection (TimePoint{} if none).
  TimePoint run_bursts(Duration span, const std::function<void()>& poll = {});

  // When the adversary last handed a node anything (TimePoint{}: never).
  TimePoint last_injection() const { return last_; }
  sim::Rng& rng() { return rng_; }
  const AdversaryStats& stats() const { return stats_; }

 private:
  struct Recording {
    TimePoint at;
    std::size_t node = 0;
    Message message;
    sim::Bytes datagram;  // empty without a codec
  };
  enum class Kind {
    kReplay,
    kOldReplay,
    kBitFlip,
    kMutation,
    kRaised,
    kLeave,
    kFake,
    kOff,
    kForeign,
    kEpoch,
    kImplausibleEpoch,
    kHandoff
  };

  std::uint64_t wall_ns() const;
  const Recording* pick_recording(bool old);
  // The latest message recorded from real node `i`, if any.
  const Message* latest_of(std::size_t i) const;
  Message mutate(Message m);
  Message raise(const Message& latest);
  Message forged_leave(const Message& latest);
  Message fake_message(const std::string& id, Body body);
  // A real member's next message (PeerTime one to three ahead, sent now)
  // carrying `body`.
  Message as_member(const Message& latest, Body body);
  // The epoch of the latest declaration recorded in the channel (0: none).
  std::uint64_t current_epoch() const;
  std::optional<Message> forged_epoch(bool implausible);
  std::optional<Message> forged_handoff();
  void send_value(Kind kind, const Message& m);
  void send_bytes(Kind kind, const sim::Bytes& datagram);
  // Every node at once (a campaign), encoded with a forge codec when bytes_only.
  void to_all(Kind kind, const Message& m);
  std::vector<std::size_t> targets();
  void deliver(Kind kind, std::size_t to, const std::optional<Message>& value,
               const sim::Bytes* datagram);

  sim::SimCluster& c_;
  sim::Rng rng_;
  AdversaryOptions options_;
  AdversaryStats stats_;
  std::deque<Recording> recent_;  // the latest recordings
  std::vector<Recording> old_;    // a sample of all recordings, kept for old replays
  std::uint64_t recorded_ = 0;
  std::map<std::size_t, Message> latest_;
  std::uint64_t latest_epoch_ = 0;  // of the latest declaration recorded
  std::optional<std::size_t> latest_declarer_;
  // Per (node, sender): the newest life admitted, and per stream ("" for
  // membership, else the channel) the newest PeerTime admitted.
  struct Admitted {
    std::uint64_t incarnation = 0;
    std::map<std::string, PeerTime> streams;
  };
  std::map<std::pair<std::size_t, PeerId>, Admitted> admitted_;
  bool news(std::size_t node, const Message& m) const;
  struct Fake {
    std::uint64_t incarnation = 0;
    std::uint64_t seq = 0;
    std::uint64_t calls = 0;
  };
  std::map<std::string, Fake> fakes_;
  TimePoint last_{};  // the latest injection
};

}  // namespace lanlord::test
