#include "experiment/runner.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <tuple>

#include "drivers/sim_driver.hpp"
#include "experiment/fabric_model.hpp"
#ifdef LANLORD_BENCH_HAVE_UDP
#include "drivers/proc_driver.hpp"
#include "drivers/udp_driver.hpp"
#endif

namespace lanlord::bench {

namespace {

using Seconds = std::chrono::duration<double>;

// d for the analytic figures: the simulator's worst delivery, or a
// nominal 1 ms for loopback.
Duration delivery_time(const std::string& transport, const Options& o) {
  if (transport == "sim") return o.delay + o.jitter;
  return std::chrono::milliseconds(1);
}

std::string transport_label(const std::string& transport, const Options& o) {
  if (transport == "udp" && o.procs) return "udp-procs";
  if (transport == "udp" && o.unicast) return "udp-unicast";
  if (transport == "udp" && o.backend == "etcd") return "udp-etcd";
  return transport;
}

// "heartbeat=50ms election-duration=40ms": the overrides in --option form,
// in the knob table's order.
std::string overrides_text(const Options& o) {
  std::string out;
  for (const TimingKnob& k : timing_knobs()) {
    const std::optional<Duration>& d = o.timings.*k.override;
    if (!d) continue;
    std::ostringstream s;
    s << (out.empty() ? "" : " ") << k.flag << "="
      << std::chrono::duration<double, std::milli>(*d).count() << "ms";
    out += s.str();
  }
  return out;
}

// The seed a run actually uses: --seed + r mixed with the scenario and N,
// so sizes and scenarios do not all share the same random phases, while
// `--seed S+r --runs 1` with the same scenario and size replays run r.
std::uint64_t mix_seed(std::uint64_t run_seed, std::size_t n, Scenario s) {
  std::uint64_t z =
      run_seed ^ (static_cast<std::uint64_t>(n) << 32) ^ (static_cast<std::uint64_t>(s) << 56);
  // splitmix64's finaliser.
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string ms_text(double ms) {
  std::ostringstream s;
  s << static_cast<long long>(ms) << "ms";
  return s.str();
}

}  // namespace

void sort_rows(std::vector<Row>& rows) {
  const auto rank = [](const std::vector<std::string>& order, const std::string& v) {
    const auto it = std::find(order.begin(), order.end(), v);
    return static_cast<std::size_t>(it - order.begin());
  };
  const std::vector<std::string> transports = {"udp", "udp-unicast", "udp-etcd", "udp-procs",
                                               "sim"};
  const std::vector<std::string> profiles = {"fast", "lan", "fabric"};
  const std::vector<std::string> auths = {"none", "mac", "encrypt"};
  const auto key = [&](const Row& r) {
    const auto scenario = parse_scenario(r.scenario);
    const std::string base = r.profile.substr(0, r.profile.find('+'));
    return std::make_tuple(rank(transports, r.transport), rank(profiles, base), r.profile,
                           !r.fast_failover, r.overrides, rank(auths, r.auth), r.loss.value_or(0),
                           r.jitter_ms.value_or(0), scenario ? static_cast<int>(*scenario) : 99,
                           r.nodes);
  };
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const Row& a, const Row& b) { return key(a) < key(b); });
}

Duration default_limit(Scenario s, const Profile& profile) {
  // Generous against Fabric's own figure, so only a real failure to agree
  // times out; the startup wait of every scenario must fit too.
  const Duration d = std::chrono::milliseconds(1);
  const double fabric_ms =
      std::max(fabric_figure(s, profile, d).ms, fabric_figure(Scenario::kStartup, profile, d).ms);
  const auto limit = std::chrono::duration_cast<Duration>(
      std::chrono::duration<double, std::milli>(2 * fabric_ms + 2000));
  return std::max<Duration>(limit, std::chrono::seconds(5));
}

DriverFactory default_driver_factory(const Options& options) {
#ifdef LANLORD_BENCH_HAVE_UDP
  // One etcd for every run of the matrix (a private one starts at the first
  // etcd run and goes with the last copy of the factory).
  std::shared_ptr<EtcdSite> etcd;
  if (options.backend == "etcd") etcd = std::make_shared<EtcdSite>(options.etcd_endpoints);
  return [options, etcd](const std::string& transport, const std::string& profile_name,
#else
  return [options](const std::string& transport, const std::string& profile_name,
#endif
                         const Profile& profile, std::size_t nodes, std::uint64_t run_seed,
                         std::string& error) -> std::unique_ptr<ClusterDriver> {
    if (transport == "sim") {
      SimParams p;
      p.profile = profile;
      // "Start together": within about five link delays, whatever N is.
      const Duration window = 5 * (options.delay + options.jitter);
      p.max_start_gap = 2 * window / static_cast<Duration::rep>(std::max<std::size_t>(1, nodes));
      p.faults.loss = options.loss;
      p.faults.delay = options.delay;
      p.faults.jitter = options.jitter;
      p.seed = run_seed;
      return std::make_unique<SimDriver>(std::move(p));
    }
#ifdef LANLORD_BENCH_HAVE_UDP
    if (transport == "udp") {
      UdpParams p;
      p.profile_name = profile_name;
      p.profile = profile;
      p.timings = options.timings;
      p.seed = run_seed;
      p.io_threads = options.io_threads;
      p.auth = options.auth;
      p.unicast = options.unicast;
      if (etcd) {
        p.backend = Backend::kEtcd;
        p.lease_ttl = options.lease_ttl;
        p.etcd_endpoints = etcd->endpoints(error);
        if (p.etcd_endpoints.empty()) return nullptr;
      }
      if (options.procs) {
        p.lanlord_path = options.lanlord_path;
        return std::make_unique<ProcDriver>(std::move(p));
      }
      return std::make_unique<UdpDriver>(std::move(p));
    }
#else
    (void)profile_name;
#endif
    error = "transport " + transport + " is not built";
    return nullptr;
  };
}

namespace {

// One row of the matrix: what is run, and under which name.
struct Cell {
  std::string transport;
  std::string profile_name;
  Profile profile;
  Scenario scenario;
  std::size_t nodes;
  std::string label;  // "failover udp fast N=32", for progress
};

// A row's fields that do not depend on the runs.
Row row_header(const Options& o, const Cell& c) {
  Row row;
  row.scenario = std::string(scenario_name(c.scenario));
  row.transport = transport_label(c.transport, o);
  row.profile = c.profile_name + (any_override(o.timings) ? "+overrides" : "");
  row.fast_failover = c.profile.fast_failover;
  row.suspicion = c.profile.membership.suspicion;
  row.rate_classes = c.profile.membership.rate_classes();
  row.overrides = overrides_text(o);
  const bool etcd = c.transport == "udp" && o.backend == "etcd";
  row.auth = std::string(auth_name(c.transport == "sim" || etcd ? Auth::kNone : o.auth));
  // Unicast runs are keyed whatever --auth says (UdpParams::unicast).
  if (c.transport == "udp" && o.unicast && o.auth == Auth::kNone) row.auth = "mac";
  if (c.transport == "udp" && !o.procs) row.io_threads = o.io_threads;
  row.nodes = c.nodes;
  row.runs = o.runs;
  row.seed = o.seed;
  const Duration delivery = delivery_time(c.transport, o);
  const Figure fabric = fabric_figure(c.scenario, c.profile, delivery);
  row.fabric_ms = fabric.ms;
  row.fabric_formula = fabric.formula;
  // lanlord's own bounds are its protocol's; etcd's come from its lease.
  if (auto b = lanlord_bound(c.scenario, c.profile, delivery); b && !etcd) row.bound_ms = b->ms;
  if (c.scenario == Scenario::kFreeze) {
    row.freeze_ms = std::chrono::duration<double, std::milli>(
                        o.freeze_duration ? *o.freeze_duration : default_freeze_duration(c.profile))
                        .count();
  }
  if (c.transport == "sim") {
    row.loss = o.loss;
    row.delay_ms = Seconds(o.delay).count() * 1000;
    row.jitter_ms = Seconds(o.jitter).count() * 1000;
  }
  return row;
}

ScenarioParams scenario_params(const Options& o, const Cell& c) {
  ScenarioParams params;
  params.profile = c.profile;
  params.limit = o.timeout ? *o.timeout : default_limit(c.scenario, c.profile);
  params.limit_given = o.timeout.has_value();
  params.steady_window = o.steady_window;
  params.churn_rate = o.churn_rate;
  params.churn_duration = o.churn_duration;
  params.churn_crash = o.churn_crash;
  params.freeze_duration = o.freeze_duration;
  return params;
}

// Sums over the successful runs of one row, turned into its figures.
class RowTotals {
 public:
  explicit RowTotals(Scenario scenario) : scenario_(scenario) {}

  const std::vector<double>& samples() const { return samples_; }

  void add(const RunResult& r) {
    ++ok_runs_;
    samples_.insert(samples_.end(), r.samples_ms.begin(), r.samples_ms.end());
    const Usage& a = r.steady_before;
    const Usage& b = r.steady_after;
    if (b.etcd_known) {
      etcd_known_ = true;
      etcd_.etcd_requests += b.etcd_requests - a.etcd_requests;
      etcd_.etcd_request_errors += b.etcd_request_errors - a.etcd_request_errors;
      etcd_.etcd_keepalives += b.etcd_keepalives - a.etcd_keepalives;
      etcd_.etcd_watch_events += b.etcd_watch_events - a.etcd_watch_events;
      etcd_.etcd_leases_lost += b.etcd_leases_lost - a.etcd_leases_lost;
    }
    steady_.datagrams_out += b.datagrams_out - a.datagrams_out;
    steady_.bytes_out += b.bytes_out - a.bytes_out;
    steady_.datagrams_in += b.datagrams_in - a.datagrams_in;
    steady_.bytes_in += b.bytes_in - a.bytes_in;
    steady_.node_seconds += b.node_seconds - a.node_seconds;
    traffic_known_ = traffic_known_ && b.traffic_known;
    bytes_out_known_ = bytes_out_known_ && b.bytes_out_known;
    if (a.cpu_seconds && b.cpu_seconds) {
      cpu_known_ = true;
      cpu_s_ += *b.cpu_seconds - *a.cpu_seconds;
    }
    if (b.peak_rss_mb) {
      peak_known_ = true;
      peak_mb_ = std::max(peak_mb_, *b.peak_rss_mb);
    }
    if (r.stepdown_ms) stepdowns_.push_back(*r.stepdown_ms);
    if (scenario_ == Scenario::kFreeze) {
      stale_claims_ += static_cast<double>(r.stale_claims);
      if (r.stale_claims > 0) ++stale_runs_;
    }
    if (scenario_ == Scenario::kChurn) {
      changes_ += static_cast<double>(r.leader_changes);
      unagreed_ms_ += r.unagreed_ms;
      leaderless_ms_ += r.leaderless_ms;
      window_ms_ += r.churn_window_ms;
      false_deaths_ += static_cast<double>(b.false_deaths - a.false_deaths);
      deaths_ += static_cast<double>(b.deaths - a.deaths);
      events_ += static_cast<double>(r.churn_events);
    }
  }

  // Convergence, traffic, CPU, memory and churn figures into `row`.
  void fill(Row& row) const {
    row.conv = summarize(samples_);
    if (steady_.node_seconds > 0) {
      const double ns = steady_.node_seconds;
      if (traffic_known_) {
        row.dgrams_out = static_cast<double>(steady_.datagrams_out) / ns;
        row.dgrams_in = static_cast<double>(steady_.datagrams_in) / ns;
        row.bytes_in = static_cast<double>(steady_.bytes_in) / ns;
        if (bytes_out_known_) row.bytes_out = static_cast<double>(steady_.bytes_out) / ns;
      }
      if (cpu_known_) row.cpu_pct_per_node = 100.0 * cpu_s_ / ns;
    }
    if (etcd_known_ && steady_.node_seconds > 0) {
      const double ns = steady_.node_seconds;
      row.etcd_requests = static_cast<double>(etcd_.etcd_requests) / ns;
      row.etcd_errors = static_cast<double>(etcd_.etcd_request_errors) / ns;
      row.etcd_keepalives = static_cast<double>(etcd_.etcd_keepalives) / ns;
      row.etcd_watch_events = static_cast<double>(etcd_.etcd_watch_events) / ns;
    }
    if (etcd_known_ && ok_runs_ > 0) {
      row.etcd_leases_lost = static_cast<double>(etcd_.etcd_leases_lost) / ok_runs_;
    }
    if (peak_known_) row.peak_rss_mb = peak_mb_;
    if (!stepdowns_.empty()) row.stepdown = summarize(stepdowns_);
    if (scenario_ == Scenario::kFreeze && ok_runs_ > 0) {
      row.stale_claims = stale_claims_;
      row.stale_claim_runs = stale_runs_;
    }
    if (scenario_ == Scenario::kChurn && ok_runs_ > 0) {
      row.leader_changes = changes_ / ok_runs_;
      row.unagreed_pct = window_ms_ > 0 ? 100.0 * unagreed_ms_ / window_ms_ : 0.0;
      row.leaderless_pct = window_ms_ > 0 ? 100.0 * leaderless_ms_ / window_ms_ : 0.0;
      row.false_deaths = false_deaths_ / ok_runs_;
      if (window_ms_ > 0) row.false_deaths_per_hour = false_deaths_ * 3.6e6 / window_ms_;
      row.deaths = deaths_ / ok_runs_;
      row.churn_events = events_ / ok_runs_;
    }
  }

 private:
  Scenario scenario_;
  std::vector<double> samples_;
  std::vector<double> stepdowns_;  // freeze: thaw -> no longer claims
  double stale_claims_ = 0, stale_runs_ = 0;
  Usage steady_{};  // sums of the steady-window differences
  Usage etcd_{};    // the same for the etcd counters (etcd rows)
  bool etcd_known_ = false;
  bool cpu_known_ = false, traffic_known_ = true, bytes_out_known_ = true, peak_known_ = false;
  double cpu_s_ = 0, peak_mb_ = 0;
  double changes_ = 0, unagreed_ms_ = 0, leaderless_ms_ = 0, window_ms_ = 0, false_deaths_ = 0,
         deaths_ = 0, events_ = 0;
  int ok_runs_ = 0;
};

// Runs one cell `o.runs` times and returns its row.
Row run_cell(const Options& o, const DriverFactory& factory, Progress& progress, const Cell& c) {
  Row row = row_header(o, c);
  const ScenarioParams params = scenario_params(o, c);
  RowTotals totals(c.scenario);
  double virtual_s = 0;
  double deliveries = 0;
  const auto wall_start = std::chrono::steady_clock::now();
  for (int run = 0; run < o.runs; ++run) {
    const std::uint64_t run_seed = o.seed + static_cast<std::uint64_t>(run);
    std::ostringstream line;
    line << "[" << c.label << "] run " << (run + 1) << "/" << o.runs;
    if (!totals.samples().empty()) {
      line << ", p50 so far " << ms_text(summarize(totals.samples()).p50);
    }
    if (row.failed > 0) line << ", " << row.failed << " failed";
    progress.update(line.str());

    std::string error;
    const std::uint64_t seed = mix_seed(run_seed, c.nodes, c.scenario);
    std::unique_ptr<ClusterDriver> driver =
        factory(c.transport, c.profile_name, c.profile, c.nodes, seed, error);
    if (!driver) {
      ++row.failed;
      if (row.first_failure.empty()) row.first_failure = error;
      continue;
    }
    // The scenario's own randomness (settle times, churn) is apart from the
    // simulation's, so both replay from the run seed.
    sim::Rng rng(seed ^ 0x9e3779b97f4a7c15ULL);
    const RunResult r = run_scenario(c.scenario, c.nodes, *driver, params, rng);
    if (const auto ttl = driver->lease_ttl()) row.lease_ttl_s = Seconds(*ttl).count();
    virtual_s += Seconds(r.driver_time).count();
    if (c.transport == "sim") deliveries += static_cast<double>(driver->usage().datagrams_in);
    driver.reset();  // stop the nodes before the next run starts
    if (r.skipped) {
      ++row.skipped;
      if (row.first_failure.empty()) row.first_failure = r.failure;
      continue;
    }
    if (!r.ok) {
      ++row.failed;
      if (row.first_failure.empty()) {
        row.first_failure =
            r.failure + " (run " + std::to_string(run) + ", seed " + std::to_string(run_seed) + ")";
      }
      progress.note("warning: " + c.label + " run " + std::to_string(run) +
                    " failed: " + r.failure + " (seed " + std::to_string(run_seed) + ")");
      continue;
    }
    totals.add(r);
  }
  row.wall_s = Seconds(std::chrono::steady_clock::now() - wall_start).count();
  if (c.transport == "sim") {
    row.virtual_s = virtual_s;
    row.deliveries = deliveries;
    if (deliveries > 0) row.ns_per_delivery = row.wall_s * 1e9 / deliveries;
  }
  totals.fill(row);
  return row;
}

}  // namespace

std::vector<Row> run_matrix(const Options& o, const DriverFactory& factory, Progress& progress,
                            const std::function<void(const Row&)>& on_row) {
  std::vector<Row> rows;
  for (const std::string& transport : o.transports) {
    for (const std::string& profile_name : o.profiles) {
      Profile profile;
      (void)resolve_profile(profile_name, o, profile);  // checked by parse_options
      for (Scenario scenario : o.scenarios) {
        for (std::size_t n : o.nodes) {
          const std::string label = std::string(scenario_name(scenario)) + " " +
                                    transport_label(transport, o) + " " + profile_name +
                                    " N=" + std::to_string(n);
          if (n < min_nodes(scenario)) {
            progress.note("skipping " + label + ": the scenario needs at least " +
                          std::to_string(min_nodes(scenario)) + " nodes");
            continue;
          }
          rows.push_back(run_cell(o, factory, progress,
                                  Cell{transport, profile_name, profile, scenario, n, label}));
          progress.done();
          on_row(rows.back());
        }
      }
    }
  }
  return rows;
}

}  // namespace lanlord::bench
