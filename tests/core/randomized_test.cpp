// Randomized simulation: random clusters under random faults, then a quiet
// period, then the election's guarantees are checked. Every run is a pure
// function of its seed.
//
//   LANLORD_SIM_SEEDS=N   how many seeds to run (default 500)
//   LANLORD_SIM_SEED=S    replay exactly one seed (printed on failure)
//
// Stabilization window, from the config (G startup grace, S sample
// interval, T leader_alive_threshold, E leader_election_duration, D the
// largest one-way delay):
//
//   W = G + S            a node restarted just before the quiet period leaves startup
//     + D + 2T           a follower that heard a now-unreachable leader waits out
//                        the window it heard it in and one silent window more
//     + 2(E + T)         an election round may yield nobody (stale lower
//                        proposals from the faulty period); the next one succeeds
//     + T/2 + D          surplus leaders hear the lowest one and step down
//     + T                followers that still name a vanished leader adopt the
//                        lowest one at their next window
//     + 2D               the last declarations are delivered
//
// With heartbeat membership instead of network reachability, views first
// have to settle: a peer that crashed or was cut off leaves the view after
// alive_expiration A, one that came back joins within a heartbeat H. So
// W_membership = A + H + D + W.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include "lanlord/profile.hpp"
#include "scenario.hpp"

using namespace lanlord;
using namespace lanlord::test;

namespace {

struct RunResult {
  bool ok = true;
  std::string failure;
  Duration virtual_time{};
};

Duration stabilization_window(const ElectionConfig& c, Duration max_delay) {
  const Duration G = c.startup_grace_period, S = c.membership_sample_interval,
                 T = c.leader_alive_threshold, E = c.leader_election_duration, D = max_delay;
  return G + S + (D + 2 * T) + 2 * (E + T) + (T / 2 + D) + T + 2 * D;
}

Duration membership_window(const ElectionConfig& c, const MembershipConfig& m,
                           Duration max_delay) {
  return m.alive_expiration + m.heartbeat_interval + max_delay +
         stabilization_window(c, max_delay);
}

std::string describe(sim::SimCluster& c) {
  std::ostringstream out;
  for (std::size_t i = 0; i < c.size(); ++i) {
    out << "  " << c.id(i).bytes();
    if (!c.running(i)) {
      out << " down\n";
      continue;
    }
    const auto* e = c.core(i).election(c.channel());
    const auto l = c.core(i).leader(c.channel());
    out << " group=" << c.network().group_of(i) << " leader=" << (l ? l->bytes() : "-")
        << (c.core(i).is_leader(c.channel()) ? " LEADING" : "")
        << " phase=" << (e ? static_cast<int>(e->phase()) : -1)
        << " alive=" << c.core(i).membership().alive_count() << "\n";
  }
  return out.str();
}

// kFastMembership: Fabric's test timings (sometimes its production
// election defaults) over a membership far faster than the election, the
// nearest thing to Fabric's mocked Peers(). kProfiles: the named profiles.
enum class View { kFastMembership, kProfiles };

RunResult run_seed(std::uint64_t seed, View view = View::kFastMembership) {
  sim::Rng r(seed * 0x9e3779b97f4a7c15ULL + 1);  // the scenario's own choices

  // Reachability: mostly Fabric's test timings, sometimes Fabric's
  // production defaults. Membership: one of the named profiles, with or
  // without the fast failover path.
  Profile profile = fabric_test_profile(r.chance(0.2) ? ElectionConfig{} : fabric_test_config());
  // A membership ten times faster than the election: quick to notice, and
  // cheap enough for hundreds of seeds of up to 30 nodes.
  profile.membership.heartbeat_interval = profile.election.leader_alive_threshold / 10;
  profile.membership.alive_expiration = 3 * profile.membership.heartbeat_interval;
  if (view == View::kProfiles) {
    const auto names = profile_names();
    profile = *find_profile(names[r.below(names.size())]);
    if (r.chance(0.5)) profile.fast_failover = false;
  }
  const ElectionConfig& config = profile.election;
  const MembershipConfig& membership = profile.membership;
  const Duration T = config.leader_alive_threshold;

  // Delays stay well inside a declaration interval, as the algorithm assumes.
  sim::LinkFaults faults;
  faults.loss = r.unit() * 0.3;
  faults.duplicate = r.unit() * 0.1;
  faults.delay = r.duration(0ms, T / 50);
  faults.jitter = r.duration(0ms, T / 20);
  const Duration max_delay = faults.delay + faults.jitter;

  sim::SimClusterOptions options = Scenario::options(profile, seed);
  options.faults = faults;
  sim::SimCluster c(options);
  const int n = static_cast<int>(r.between(2, 30));
  const Duration chaos = r.duration(5 * T, 40 * T);

  // Nodes start at random times during the first part of the chaos.
  std::vector<std::size_t> all;
  std::vector<Duration> start_at;
  for (int i = 0; i < n; ++i) start_at.push_back(r.duration(0ms, chaos / 3));
  std::sort(start_at.begin(), start_at.end());
  // Random names so that the lowest id is not always the first started.
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back("n" + std::to_string(r.between(0, 9999)) + "-" +
                                              std::to_string(i));

  const TimePoint t0 = c.now();
  const TimePoint chaos_end = t0 + chaos;
  std::size_t started = 0;
  while (c.now() < chaos_end) {
    // The next fault happens after a random pause.
    TimePoint next = c.now() + r.duration(T / 10, 3 * T);
    if (started < start_at.size() && t0 + start_at[started] < next) next = t0 + start_at[started];
    if (next > chaos_end) next = chaos_end;
    c.scheduler().run_until(next);
    if (started < start_at.size() && c.now() >= t0 + start_at[started]) {
      all.push_back(c.spawn(names[started]));
      ++started;
      continue;
    }
    if (all.empty()) continue;
    const std::size_t victim = all[r.below(all.size())];
    switch (r.below(6)) {
      case 0:  // crash
        if (c.running(victim)) c.crash(victim);
        break;
      case 1:  // restart (a crashed node comes back as a new life)
        if (!c.running(victim)) c.restart(victim);
        break;
      case 2: {  // partition into 2-3 random groups
        std::vector<std::vector<std::size_t>> groups(r.between(2, 3));
        for (auto i : all) groups[r.below(groups.size())].push_back(i);
        c.partition(groups);
        break;
      }
      case 3:
        c.heal();
        break;
      case 4: {  // one bad link
        const std::size_t other = all[r.below(all.size())];
        sim::LinkFaults bad = faults;
        bad.loss = 0.5 + r.unit() * 0.5;
        c.network().set_link_faults(victim, other, bad);
        break;
      }
      default:
        c.network().clear_link_faults();
        break;
    }
  }
  while (started < start_at.size()) all.push_back(c.spawn(names[started++]));

  // Quiet period: no loss, no duplication, no new faults. Sometimes a
  // partition stays in place, and some crashed nodes stay down.
  c.network().clear_link_faults();
  sim::LinkFaults quiet = faults;
  quiet.loss = 0;
  quiet.duplicate = 0;
  c.network().set_default_faults(quiet);
  if (r.chance(0.7)) c.heal();
  for (auto i : all) {
    if (!c.running(i) && r.chance(0.5)) c.restart(i);
  }
  c.run_for(membership_window(config, membership, max_delay));

  RunResult result;
  result.virtual_time = c.now() - t0;
  std::ostringstream why;
  for (const auto& v : c.violations()) why << "  safety: " << v << "\n";
  for (const auto& component : c.components()) {
    std::vector<std::size_t> leaders;
    for (auto i : component) {
      if (c.core(i).is_leader(c.channel())) leaders.push_back(i);
    }
    if (leaders.size() != 1) {
      why << "  a component of " << component.size() << " has " << leaders.size()
          << " leaders\n";
      continue;
    }
    const PeerId& leader = c.id(leaders[0]);
    for (auto i : component) {
      const auto known = c.core(i).leader(c.channel());
      if (!known || *known != leader) {
        why << "  " << c.id(i).bytes() << " names " << (known ? known->bytes() : "nobody")
            << " but " << leader.bytes() << " leads\n";
      }
    }
  }
  if (!why.str().empty()) {
    result.ok = false;
    result.failure = why.str() + "cluster at the end:\n" + describe(c);
  }
  return result;
}

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

void run_seeds(View view, std::uint64_t default_count, const char* label) {
  const bool replay = std::getenv("LANLORD_SIM_SEED") != nullptr;
  const std::uint64_t first = env_u64("LANLORD_SIM_SEED", 1);
  const std::uint64_t count = replay ? 1 : env_u64("LANLORD_SIM_SEEDS", default_count);

  const auto wall_start = std::chrono::steady_clock::now();
  Duration virtual_total{};
  std::uint64_t failed = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    const RunResult res = run_seed(seed, view);
    virtual_total += res.virtual_time;
    if (!res.ok) {
      ++failed;
      FAIL_CHECK(std::string(label) << ": seed " << seed << " failed (replay: LANLORD_SIM_SEED=" << seed
                        << " core_tests -tc='" << label << "*')\n"
                        << res.failure);
    }
  }
  const auto wall = std::chrono::steady_clock::now() - wall_start;
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  MESSAGE(std::string(label) << ": " << count << " seeds, " << failed << " failed, "
                << duration_cast<seconds>(virtual_total).count() << " s of virtual time in "
                << duration_cast<milliseconds>(wall).count() << " ms of wall time");
  std::cout << label << ": " << count << " seeds, " << failed << " failed, "
            << duration_cast<seconds>(virtual_total).count() << " s virtual, "
            << duration_cast<milliseconds>(wall).count() << " ms wall\n";
  CHECK(failed == 0);
}

}  // namespace

TEST_CASE("randomized simulation: one agreed leader per component after faults stop") {
  run_seeds(View::kFastMembership, 500, "randomized simulation");
}

TEST_CASE("randomized simulation with the named profiles: one agreed leader per component") {
  run_seeds(View::kProfiles, 200, "randomized simulation with the named profiles");
}

TEST_CASE("randomized simulation: a seed replays exactly") {
  // Same seed, same outcome, down to the failure text and virtual time.
  const RunResult a = run_seed(12345);
  const RunResult b = run_seed(12345);
  CHECK(a.ok == b.ok);
  CHECK(a.failure == b.failure);
  CHECK(a.virtual_time == b.virtual_time);
}
