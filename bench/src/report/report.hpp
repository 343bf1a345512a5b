// One result row per (transport, profile, scenario, N), and the ways it is
// written: a table for people, JSON lines and CSV for programs.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "experiment/stats.hpp"

namespace lanlord::bench {

struct Row {
  std::string scenario;
  std::string transport;  // "sim", "udp", "udp-unicast", "udp-etcd", "udp-procs"
  std::string profile;    // the profile's name, "+overrides" when timings were overridden
  bool fast_failover = true;
  // The suspicion detector (MembershipConfig::suspicion). Rows saved before
  // the field existed read back as false, which they were.
  bool suspicion = false;
  // Heartbeat rate classes (MembershipConfig::rate_classes()). Rows saved
  // before the field existed read back as false, which they were.
  bool rate_classes = false;
  std::size_t nodes = 0;
  int runs = 0;
  int failed = 0;
  int skipped = 0;  // runs the transport cannot do (yield over udp)
  Summary conv;     // convergence (churn: episodes without an agreed leader), ms
  double fabric_ms = 0;
  std::string fabric_formula;
  std::optional<double> bound_ms;
  // Per node per second over the steady windows.
  std::optional<double> dgrams_out, dgrams_in, bytes_out, bytes_in;
  std::optional<double> cpu_pct_per_node;  // % of one core
  std::optional<double> peak_rss_mb;
  // Churn.
  std::optional<double> leader_changes;         // per run, mean
  std::optional<double> unagreed_pct;           // of the churn window
  std::optional<double> leaderless_pct;         // of the churn window: not exactly one leader
  std::optional<double> false_deaths;           // per run, mean
  std::optional<double> false_deaths_per_hour;  // all runs' false deaths / churn windows
  std::optional<double> deaths;                 // per run, mean
  std::optional<double> churn_events;           // per run, mean
  double wall_s = 0;                            // wall-clock time of all runs
  std::optional<double> virtual_s;              // sim: virtual time of all runs
  std::uint64_t seed = 0;
  // Sim network.
  std::optional<double> loss, delay_ms, jitter_ms;
  std::string first_failure;  // the first failed run's reason and seed
  // The timing overrides behind a "+overrides" profile, e.g.
  // "election-duration=40ms"; empty when none.
  std::string overrides;
  std::optional<double> io_threads;  // in-process udp
  // The datagrams' protection (--auth): "none", "mac", "encrypt". Rows
  // saved before the option existed read back as "none", which they were.
  std::string auth = "none";
  // Freeze: how long the leader was frozen; thaw -> the thawed leader no
  // longer claims (ms, over the successful runs); its claims with the old
  // epoch after the thaw (total, and runs with any).
  std::optional<double> freeze_ms;
  std::optional<Summary> stepdown;
  std::optional<double> stale_claims, stale_claim_runs;
  // Simulator cost (sim only): messages handed to a node over all runs, and
  // the wall time per delivery (wall_s / deliveries; the whole run, startup
  // and checks included).
  std::optional<double> deliveries;
  std::optional<double> ns_per_delivery;
  // The etcd backend (udp-etcd rows): requests to etcd, failed ones, lease
  // keep-alives and watch events received, per node per second over the
  // steady windows; leases the nodes lost in those windows (etcd did not
  // answer their keep-alives in time), per run; the lease TTL the nodes
  // held, seconds.
  std::optional<double> etcd_requests, etcd_errors, etcd_keepalives, etcd_watch_events;
  std::optional<double> etcd_leases_lost;
  std::optional<double> lease_ttl_s;
};

// One JSON object on one line (no trailing newline).
std::string to_json(const Row& r);
// The Row a to_json() line describes (for --input: tables and plots from
// saved results); empty when the line is not such an object.
std::optional<Row> row_from_json(const std::string& line);
// A CSV header and rows with the same fields as the JSON.
std::string csv_header();
std::string to_csv(const Row& r);
// The table: a header, then one line per row.
void print_table(std::ostream& out, const std::vector<Row>& rows);

}  // namespace lanlord::bench
