// lanlord-bench's command line (Boost.Program_options).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "experiment/scenarios.hpp"
#include "lanlord/profile.hpp"
#include "lanlord/status.hpp"

namespace lanlord::bench {

// Whether `t` overrides any timing (the knob table's, lanlord/profile.hpp).
bool any_override(const TimingOverrides& t);

struct Options {
  std::vector<Scenario> scenarios;
  std::vector<std::string> transports;  // "sim", "udp"
  bool procs = false;                   // udp: one `lanlord join` process per node
  std::string lanlord_path;             // the CLI binary for --procs
  int io_threads = 1;                   // in-process udp: threads running the nodes
  Auth auth = Auth::kNone;              // in-process udp: keys on the nodes' datagrams
  bool unicast = false;                 // in-process udp: unicast mode, one port per node
  // In-process udp: where the Nodes elect (NodeConfig::backend): "udp" (the
  // default) or "etcd", at `etcd_endpoints` (empty: a private etcd that the
  // bench starts) with `lease_ttl` seconds (0: the profile's).
  std::string backend = "udp";
  std::vector<std::string> etcd_endpoints;
  int lease_ttl = 0;
  std::vector<std::size_t> nodes;
  int runs = 10;
  std::vector<std::string> profiles;
  TimingOverrides timings;            // applied to every profile (--heartbeat, ...)
  std::optional<bool> fast_failover;  // sim only: override the profile's
  std::optional<bool> suspicion;      // sim only: override MembershipConfig::suspicion
  // sim only: false turns rate classes off (MembershipConfig::idle_heartbeat_interval 0)
  std::optional<bool> rate_classes;
  // Sim links.
  double loss = 0;
  Duration delay = std::chrono::milliseconds(1);
  // No jitter by default: every copy of a broadcast then arrives together,
  // which the simulator runs as one event (1000-node clusters become cheap).
  Duration jitter = Duration::zero();
  std::uint64_t seed = 1;
  std::optional<Duration> timeout;  // per wait for agreement; default from the profile
  // The measured window after agreement (traffic, CPU, etcd requests);
  // empty: whole heartbeat intervals covering a declaration interval, or
  // one lease TTL (three keep-alive intervals) on etcd.
  std::optional<Duration> steady_window;
  double churn_rate = 1.0;
  Duration churn_duration = std::chrono::seconds(10);
  double churn_crash = 0.5;
  std::optional<Duration> freeze_duration;  // empty: 3 x the profile's alive_expiration
  // Saved JSON lines to report instead of running anything.
  std::vector<std::string> inputs;
  // Output.
  bool json = false;
  std::string csv_path;
  std::string plot_path;
  bool quiet = false;
};

struct ParsedOptions {
  enum class Action { kRun, kHelp, kError } action = Action::kRun;
  Options options;
  std::string message;  // kHelp: the help text; kError: what is wrong
};

// Parses and checks the command line. Never throws for bad input.
ParsedOptions parse_options(int argc, const char* const* argv);

// "250ms", "1.5s", "100us", "2m"; a bare number is milliseconds; 0 is
// allowed. For --delay, --jitter, --timeout and --churn-duration; the
// timing overrides take lanlord::parse_duration()'s grammar, as the CLI.
std::optional<Duration> parse_duration(std::string_view text);
// "3,8,32" (also "3, 8"); empty on any bad item.
std::optional<std::vector<std::size_t>> parse_size_list(std::string_view text);

// The named profile with `o`'s overrides applied, validated.
Status resolve_profile(const std::string& name, const Options& o, Profile& out);

}  // namespace lanlord::bench
