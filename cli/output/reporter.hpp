// Connects a Node's callbacks to an EventPrinter: the one place where
// "something happened in a node" becomes "print a line".
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>
#include <variant>
#include <vector>

#include "lanlord/node.hpp"
#include "output/event_printer.hpp"

namespace lanlord::cli {

// Which events to print.
struct ReportFilter {
  bool joins_and_leaves = true;  // member_joined, member_left, member_restarted
  bool deaths = true;            // member_dead
  bool leaders = true;           // leader
  // Dropped datagrams, except this node's own looped back to it (every
  // datagram it sends, so noise rather than news).
  bool drops = false;
  // Evicted members (the member cap): one member_evicted line each, or
  // (false) a members_evicted summary at most once per kEvictionSummary,
  // since a flood of made-up ids evicts thousands a second.
  bool each_eviction = false;
  // Warnings (`watch --once` folds them into its table instead). Id
  // conflicts are always printed: they need a person.
  bool warnings = true;
};

// The shortest time between two members_evicted summaries.
inline constexpr Duration kEvictionSummary = std::chrono::seconds(1);

// Must outlive the Node it reports on; one reporter per node.
//
// The alive count in member lines is kept from the events themselves (a
// set of alive ids, O(1) per event), not by listing the members on each
// event, which would cost O(members) per event and O(members^2) for a
// cluster that starts at once.
class NodeReporter {
 public:
  using SteadyNow = std::function<Clock::time_point()>;
  // `passive`: the node is a watcher and does not count itself as alive.
  NodeReporter(EventPrinter& printer, std::string label, ReportFilter filter, bool passive = false,
               SteadyNow now = &Clock::now);
  NodeReporter(const NodeReporter&) = delete;
  NodeReporter& operator=(const NodeReporter&) = delete;

  // Callbacks that print; they capture this reporter.
  NodeCallbacks callbacks();
  // After a successful start(): prints the `started` line (when
  // `print_started`), then the warnings and id conflicts the node reported
  // while it started (e.g. "no key"), so that `started` comes first. Until
  // then those are held. Any thread.
  void announce(const Node& node, bool print_started = true);
  const std::string& label() const { return label_; }
  // Prints the evictions not yet summarised, if any. Call it every
  // kEvictionSummary or so, and at the end, so the last ones are told.
  // Any thread.
  void flush_evictions();

 private:
  void membership(MembershipEvent event, const Member& member);
  void leadership(const std::string& channel, const LeaderInfo& info);
  void evicted();
  // Prints `notice` now, or holds it until announce().
  void notice(std::variant<Warning, IdConflict> notice);
  void print(const std::variant<Warning, IdConflict>& notice);

  EventPrinter& printer_;
  const std::string label_;
  const ReportFilter filter_;
  const bool passive_;
  const SteadyNow now_;
  // The ids alive now, as told by the events (callbacks run one at a time).
  std::unordered_set<PeerId, PeerIdHash> alive_;
  // The leadership last told per channel, to tell a new term of the same
  // leader (callbacks run one at a time).
  std::map<std::string, LeaderInfo, std::less<>> leaderships_;
  std::atomic<std::size_t> alive_count_;  // alive_.size() and this node, for flush_evictions()
  std::mutex evictions_mutex_;            // flush_evictions() may run on another thread
  std::uint64_t evictions_pending_ = 0;
  Clock::time_point last_summary_{};
  bool summarised_once_ = false;
  std::mutex notices_mutex_;  // announce() runs on the thread that started the node
  bool announced_ = false;
  std::vector<std::variant<Warning, IdConflict>> held_;
};

// The `started` line's content for a running node.
StartedInfo started_info(const Node& node, const std::string& label);

}  // namespace lanlord::cli
