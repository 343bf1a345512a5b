// The timing-knob table: the one list of timings that the CLI's options,
// config keys, help and the benchmark's flags are generated from.
#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>
#include <string_view>

#include "lanlord/profile.hpp"

using namespace std::chrono_literals;
using lanlord::Duration;
using lanlord::KnobNames;
using lanlord::Profile;
using lanlord::TimingKnob;
using lanlord::TimingOverrides;

namespace {

Profile profile(std::string_view name) {
  auto p = lanlord::find_profile(name);
  REQUIRE(p.has_value());
  return *p;
}

// Every timing of `p` in a fixed order, read without the table.
std::vector<Duration> all_timings(const Profile& p) {
  return {p.membership.heartbeat_interval,
          p.membership.alive_expiration,
          p.membership.forget_after,
          p.election.startup_grace_period,
          p.election.membership_sample_interval,
          p.election.leader_alive_threshold,
          p.election.leader_election_duration};
}

// Every override in the same order, read without the table.
std::vector<std::optional<Duration>> all_overrides(const TimingOverrides& t) {
  return {t.heartbeat_interval, t.alive_expiration, t.forget_after,     t.startup_grace,
          t.sample_interval,    t.leader_alive,     t.election_duration};
}

}  // namespace

TEST_CASE("timing knobs: seven, each with a unique field, flag and help, in one config") {
  const auto knobs = lanlord::timing_knobs();
  CHECK(knobs.size() == 7);
  std::set<std::string_view> fields, flags;
  std::set<const void*> overrides;
  for (const TimingKnob& k : knobs) {
    CAPTURE(k.flag);
    CHECK(fields.insert(k.field).second);
    CHECK(flags.insert(k.flag).second);
    CHECK_FALSE(k.help.empty());
    CHECK((k.membership == nullptr) != (k.election == nullptr));
    REQUIRE(k.override != nullptr);
    TimingOverrides t;
    CHECK(overrides.insert(&(t.*k.override)).second == true);
    CHECK(lanlord::find_timing_knob(k.flag) == &k);
    CHECK(k.name(KnobNames::kFlags) == "--" + std::string(k.flag));
    CHECK(k.name(KnobNames::kFields) == k.field);
  }
  CHECK(flags == std::set<std::string_view>{"heartbeat", "alive-expiration", "forget-after",
                                            "startup-grace", "sample-interval", "leader-alive",
                                            "election-duration"});
  CHECK(lanlord::find_timing_knob("heartbeat_interval") == nullptr);
  CHECK(lanlord::find_timing_knob("--heartbeat") == nullptr);
}

TEST_CASE("timing knobs: each knob's override changes exactly its own field") {
  const auto knobs = lanlord::timing_knobs();
  const Profile base = profile("fabric");
  const std::vector<std::string_view> order = {
      "heartbeat",       "alive-expiration", "forget-after",     "startup-grace",
      "sample-interval", "leader-alive",     "election-duration"};
  for (std::size_t i = 0; i < order.size(); ++i) {
    const TimingKnob* k = lanlord::find_timing_knob(order[i]);
    REQUIRE(k != nullptr);
    CAPTURE(k->flag);
    TimingOverrides t;
    t.*k->override = 123ms;
    // Exactly one override is set, the i-th.
    const auto set = all_overrides(t);
    for (std::size_t j = 0; j < set.size(); ++j) CHECK(set[j].has_value() == (i == j));
    Profile p = base;
    lanlord::apply_overrides(t, p);
    const auto before = all_timings(base);
    const auto after = all_timings(p);
    for (std::size_t j = 0; j < after.size(); ++j) {
      CHECK(after[j] == (i == j ? Duration(123ms) : before[j]));
    }
    CHECK(k->in(p) == 123ms);
    CHECK(k->in(base) == before[i]);
    CHECK(p.fast_failover == base.fast_failover);
  }
  CHECK(knobs.size() == order.size());
}

TEST_CASE("timing knobs: resolve_profile applies overrides through the table") {
  TimingOverrides t;
  t.forget_after = 2s;
  t.leader_alive = 7s;
  const lanlord::Result<Profile> r = lanlord::resolve_profile("lan", t);
  REQUIRE(r.ok());
  CHECK(r->membership.forget_after == 2s);
  CHECK(r->election.leader_alive_threshold == 7s);
  CHECK(r->membership.heartbeat_interval == 1s);  // lan's
}

TEST_CASE("timing knobs: validation names the knobs as asked, with their values") {
  Profile p = profile("fast");
  p.membership.heartbeat_interval = 1s;  // above fast's alive-expiration, 300ms
  lanlord::Status s = lanlord::validate_timings(p, KnobNames::kFlags);
  CHECK(s.message() ==
        "--alive-expiration must exceed --heartbeat, or members die between two heartbeats "
        "(--alive-expiration 250ms, --heartbeat 1s)");
  s = lanlord::validate_timings(p, KnobNames::kFields);
  CHECK(s.message().find("alive_expiration must exceed heartbeat_interval") == 0);
  CHECK(s.message().find("--") == std::string::npos);

  p = profile("fast");
  p.membership.alive_expiration = 100ms;  // equal is not enough
  CHECK(lanlord::validate_timings(p, KnobNames::kFlags).message().find("--alive-expiration") == 0);

  for (const TimingKnob& k : lanlord::timing_knobs()) {
    CAPTURE(k.flag);
    p = profile("lan");
    k.in(p) = Duration::zero();
    CHECK(lanlord::validate_timings(p, KnobNames::kFlags).message() ==
          "--" + std::string(k.flag) + " must be positive");
    CHECK(p.validate().message().find(k.field) != std::string::npos);
  }

  p = profile("lan");
  p.election.leader_alive_threshold = Duration(1);
  CHECK(lanlord::validate_timings(p, KnobNames::kFlags).message().find("--leader-alive") == 0);

  for (std::string_view name : lanlord::profile_names()) {
    CHECK(lanlord::validate_timings(profile(name), KnobNames::kFlags).is_ok());
  }
}
