// Timing options for Boost.Program_options, generated from the knob table
// (lanlord::timing_knobs()), so that the CLI, its config files and the
// benchmark offer the same knobs under the same names with the same help.
//
//   po::options_description timing("Timing");
//   lanlord::app::add_timing_options(timing);
//   po::variables_map values;
//   po::store(po::parse_command_line(argc, argv, timing), values);
//   lanlord::TimingOverrides overrides;
//   if (Status s = lanlord::app::apply_timing_options(values, overrides); !s) ...
//
// Pure functions; any thread.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "lanlord/profile.hpp"
#include "lanlord/status.hpp"

namespace lanlord::app {

// Adds "--<flag> DURATION" for every knob, in the table's order, each
// described as the knob's help followed by " (<default_note>)". Values are
// kept as text, so that apply_timing_options() parses them with
// lanlord::parse_duration() and a bad value is reported in its words.
void add_timing_options(boost::program_options::options_description& options,
                        std::string_view default_note = "default: the profile's");

// Parses the value of every timing option present in `values` (added by
// add_timing_options()) into its override in `overrides`; knobs absent from
// `values` keep their override. Stops at the first bad value, named by its
// flag: "--heartbeat: bad duration '1': missing unit (ms, s or m), e.g. 1ms".
Status apply_timing_options(const boost::program_options::variables_map& values,
                            TimingOverrides& overrides);

// One knob's value, as text, into its override (for settings read one at a
// time, such as config-file lines). The message is parse_duration()'s: the
// caller says where the value came from.
Status apply_timing_value(const TimingKnob& knob, std::string_view text,
                          TimingOverrides& overrides);

// `profile`'s timings as "heartbeat 5s", "alive-expiration 25s", ... in the
// table's order, for help texts and reports.
std::vector<std::string> describe_timings(const Profile& profile);

}  // namespace lanlord::app
