// Timing options generated from the knob table, as the CLI and the
// benchmark use them with Boost.Program_options.
#include <doctest/doctest.h>

#include <boost/program_options.hpp>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "lanlord/app/timing_flags.hpp"
#include "lanlord/profile.hpp"

namespace po = boost::program_options;
using namespace std::chrono_literals;
using lanlord::Duration;
using lanlord::Status;
using lanlord::TimingKnob;
using lanlord::TimingOverrides;

namespace {

po::variables_map parse(const po::options_description& options,
                        const std::vector<std::string>& args) {
  po::variables_map values;
  po::store(po::command_line_parser(args).options(options).run(), values);
  po::notify(values);
  return values;
}

// Which overrides are set, by the knob table's order.
std::vector<bool> which(const TimingOverrides& t) {
  std::vector<bool> out;
  for (const TimingKnob& k : lanlord::timing_knobs()) out.push_back((t.*k.override).has_value());
  return out;
}

}  // namespace

TEST_CASE("add_timing_options adds one DURATION option per knob, with its help") {
  po::options_description options("Timing");
  lanlord::app::add_timing_options(options, "default: 1s");
  CHECK(options.options().size() == lanlord::timing_knobs().size());
  std::set<std::string> names;
  for (const TimingKnob& k : lanlord::timing_knobs()) {
    CAPTURE(k.flag);
    const po::option_description* o = options.find_nothrow(std::string(k.flag), false);
    REQUIRE(o != nullptr);
    CHECK(names.insert(o->long_name()).second);
    CHECK(o->description() == std::string(k.help) + " (default: 1s)");
    CHECK(o->format_parameter() == "DURATION");
  }
  std::ostringstream help;
  help << options;
  CHECK(help.str().find("--forget-after DURATION") != std::string::npos);
}

TEST_CASE("apply_timing_options sets exactly the knob that was given") {
  po::options_description options;
  lanlord::app::add_timing_options(options);
  const auto knobs = lanlord::timing_knobs();
  for (std::size_t i = 0; i < knobs.size(); ++i) {
    CAPTURE(knobs[i].flag);
    TimingOverrides t;
    const Status s = lanlord::app::apply_timing_options(
        parse(options, {"--" + std::string(knobs[i].flag), "1.5s"}), t);
    REQUIRE(s.is_ok());
    std::vector<bool> expected(knobs.size(), false);
    expected[i] = true;
    CHECK(which(t) == expected);
    CHECK(t.*knobs[i].override == Duration(1500ms));
  }
  // By name, independently of the table: the CLI's flags stay what they were.
  TimingOverrides t;
  REQUIRE(lanlord::app::apply_timing_options(
              parse(options, {"--heartbeat=1ms", "--alive-expiration=2ms", "--forget-after=3ms",
                              "--startup-grace=4ms", "--sample-interval=5ms", "--leader-alive=6ms",
                              "--election-duration=7ms"}),
              t)
              .is_ok());
  CHECK(t.heartbeat_interval == 1ms);
  CHECK(t.alive_expiration == 2ms);
  CHECK(t.forget_after == 3ms);
  CHECK(t.startup_grace == 4ms);
  CHECK(t.sample_interval == 5ms);
  CHECK(t.leader_alive == 6ms);
  CHECK(t.election_duration == 7ms);
}

TEST_CASE("apply_timing_options keeps absent knobs and names a bad value by its flag") {
  po::options_description options;
  lanlord::app::add_timing_options(options);
  TimingOverrides t;
  t.leader_alive = 9s;
  REQUIRE(lanlord::app::apply_timing_options(parse(options, {}), t).is_ok());
  CHECK(t.leader_alive == 9s);
  const Status s = lanlord::app::apply_timing_options(parse(options, {"--forget-after", "10"}), t);
  CHECK(s.message() == "--forget-after: bad duration '10': missing unit (ms, s or m), e.g. 10ms");
  CHECK_FALSE(t.forget_after.has_value());
}

TEST_CASE("describe_timings lists every knob of a profile by flag") {
  const auto fast = lanlord::find_profile("fast");
  REQUIRE(fast);
  CHECK(lanlord::app::describe_timings(*fast) ==
        std::vector<std::string>{"heartbeat 100ms", "alive-expiration 250ms", "forget-after 10s",
                                 "startup-grace 1s", "sample-interval 150ms", "leader-alive 1s",
                                 "election-duration 100ms"});
}
