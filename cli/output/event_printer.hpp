// What `lanlord` prints: one line per event, human or JSON (the contract
// in cli/README.md). Formatting only; the commands decide what happened.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "commands/health.hpp"
#include "lanlord/app/json_writer.hpp"
#include "lanlord/membership.hpp"
#include "lanlord/node.hpp"
#include "lanlord/peer_id.hpp"
#include "lanlord/time.hpp"

namespace lanlord::cli {

using WallClock = std::chrono::system_clock;

// "2025-11-26T05:30:00.123Z": RFC 3339, UTC, milliseconds (truncated).
std::string rfc3339(WallClock::time_point t);

// `bytes` made safe for a terminal: valid UTF-8 passes through, control
// characters and invalid bytes become \xHH, a backslash becomes "\\".
std::string printable(std::string_view bytes);

// The JSON writer is the toolkit's, shared with the benchmark.
using app::json_quote;
using app::JsonObject;

enum class Format { kHuman, kJson };

// How a node describes itself in its `started` line.
struct StartedInfo {
  std::string node;
  std::string cluster;
  std::vector<std::string> channels;
  std::string endpoint;                       // Node::describe_endpoint()
  bool unicast = false;                       // NodeConfig::multicast off
  std::vector<std::string> peers{};           // unicast: the seeds (NodeConfig::peers)
  Backend backend = Backend::kUdp;            // NodeConfig::backend
  std::vector<std::string> etcd_endpoints{};  // etcd: NodeConfig::etcd.endpoints
  std::string profile;
  bool passive = false;
  std::vector<std::string> key_ids;  // key_id_hex, primary first; empty: no key
  bool encrypt = false;
};

// How the demo describes itself and its two measurements.
struct DemoPlan {
  std::size_t nodes = 0;
  std::string profile;
  std::string endpoint;       // "239.255.76.76:7676"
  std::string timings;        // "heartbeat 100ms, alive-expiration 250ms, ..."
  Duration failover_bound{};  // the profile's crash failover bound
};

// How a command ended: its exit code, or the signal that killed it.
struct CommandStatus {
  std::optional<int> code;    // exited with this code
  std::optional<int> signal;  // or was killed by this signal
  bool success() const { return code && *code == 0; }
};

// "SIGTERM" (or "signal 64" for one without a name).
std::string signal_name(int signal);

// Writes events to `out`, one line each, flushed at once so that a reader
// at the other end of a pipe sees each event as it happens. Human warnings
// and id conflicts go to `err` (when given) so that they stand out from
// the event stream; in JSON every event goes to `out`. Thread-safe: the
// demo prints from its own thread and from the nodes' io thread.
class EventPrinter {
 public:
  using Now = std::function<WallClock::time_point()>;
  EventPrinter(std::ostream& out, Format format, Now now = &WallClock::now,
               std::ostream* err = nullptr);

  Format format() const { return format_; }

  // Called once, by whichever thread was writing, when `out` refuses a
  // write with EPIPE (its reader went away: `lanlord join --json | head
  // -1`); later writes to `out` are skipped. Needs SIGPIPE ignored (main
  // does). Other write errors are ignored and the next write tries again.
  void on_output_closed(std::function<void()> closed);

  void started(const StartedInfo& info);
  // `alive`: members alive after the event (this node included unless passive).
  void membership(std::string_view node, MembershipEvent event, const Member& member,
                  std::size_t alive);
  // The leadership of `channel` as `node` knows it: its leader (none when
  // info.leader is empty), epoch and metadata. `new_term`: the same leader
  // as in the previous line for the channel, with a new epoch.
  void leader(std::string_view node, std::string_view channel, const LeaderInfo& info,
              bool new_term = false);
  // The same without an epoch or metadata (epoch 0).
  void leader(std::string_view node, std::string_view channel, const std::optional<PeerId>& leader,
              bool is_self);
  void dropped(std::string_view node, DropReason reason, std::string_view from);
  void stopped(std::string_view node);
  // Something about the deployment looks wrong (the library's sentence).
  void warning(std::string_view node, const Warning& warning);
  // A datagram carried this node's id `id`.
  void id_conflict(std::string_view node, const IdConflict& conflict);
  // SIGHUP re-read `file`: the keys now in use, primary first.
  void keys_reloaded(std::string_view node, std::string_view file,
                     const std::vector<std::uint32_t>& key_ids);
  // --metrics-listen: Prometheus metrics are served at `address`
  // ("127.0.0.1:41234", the port chosen when 0 was asked for).
  void metrics_listening(std::string_view node, std::string_view address);
  // `count` alive members were evicted (the member cap) since the last
  // such line; `alive` after them. One line instead of one per member.
  void evictions(std::string_view node, std::uint64_t count, std::size_t alive);
  // The node's counters (on exit with --verbose).
  void stats(std::string_view node, const NodeStats& stats);

  // `watch --once`: the table and its verdict (several lines when human).
  void table(std::string_view node, const Verdict& verdict);

  // `lanlord leader`: the leader of each channel in `verdict` (one line per
  // channel when human, without timestamp; one `leaders` object in JSON).
  void leaders(std::string_view node, const Verdict& verdict);

  // The demo's narrative; `node` is "demo" in these lines.
  void demo_plan(const DemoPlan& plan);
  void demo_agreed(const PeerId& leader, std::string_view channel, std::size_t nodes,
                   Duration took);
  void demo_crash(const PeerId& leader);
  void demo_failover(const PeerId& leader, std::string_view channel, std::size_t survivors,
                     Duration took, Duration bound);
  void demo_timeout(std::string_view phase, Duration waited);
  void demo_done();

  // `lanlord run`: the life of the command this node runs while it leads
  // `channel` (cli/README.md). `pid` is the command's, also its process
  // group's id.
  void command_started(std::string_view node, std::string_view channel, int pid,
                       std::uint64_t epoch);
  // `reason`: "lost_leadership", "new_epoch" or "shutdown".
  void command_stopping(std::string_view node, std::string_view channel, int pid,
                        std::string_view reason, Duration kill_timeout);
  void command_exited(std::string_view node, std::string_view channel, int pid,
                      const CommandStatus& status, Duration ran);
  void command_restart_scheduled(std::string_view node, std::string_view channel, Duration delay);
  // This node gave up leading `channel` after its command exited (--on-exit yield).
  void yielded(std::string_view node, std::string_view channel);
  // `run` leaves the cluster and exits with `code` because the command exited.
  void exiting(std::string_view node, int code, const CommandStatus& status);

 private:
  // One event: `human` follows the timestamp and node in human format;
  // `json` gets ts, event and node prepended.
  void emit(std::string_view event, std::string_view node, const JsonObject& fields,
            const std::string& human, bool human_to_err = false);
  void write(std::ostream& to, const std::string& text);

  std::ostream& out_;
  std::ostream& err_;
  const Format format_;
  const Now now_;
  std::mutex mutex_;
  bool out_closed_ = false;  // under mutex_
  std::function<void()> on_closed_;
};

// "member_joined", ... : the JSON event name of a membership event.
std::string membership_event_name(MembershipEvent event);

// An epoch as people and scripts read it: its decimal digits. In JSON it
// is a string of them, as a number above 2^53 loses digits in a double
// (jq, JavaScript); see cli/README.md.
std::string epoch_text(std::uint64_t epoch);

// An etcd lease id as etcdctl shows it (lowercase hex), "none" for 0.
std::string lease_id_text(std::int64_t id);

// The counters of `stats` as a JSON object. The udp backend: traffic,
// trust counters, and every drop reason with a count above zero (so new
// reasons appear); etcd (stats.etcd.enabled): an "etcd" object instead of
// the datagram, drop and clock counters, which have no meaning there.
JsonObject stats_json(const NodeStats& stats);
// The same in one human line, without the trailing newline.
std::string stats_text(const NodeStats& stats);

}  // namespace lanlord::cli
