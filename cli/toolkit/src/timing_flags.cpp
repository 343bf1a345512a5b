#include "lanlord/app/timing_flags.hpp"

#include <boost/program_options/value_semantic.hpp>

#include "lanlord/duration.hpp"

namespace lanlord::app {

namespace po = boost::program_options;

void add_timing_options(po::options_description& options, std::string_view default_note) {
  for (const TimingKnob& k : timing_knobs()) {
    const std::string flag(k.flag);
    const std::string help = std::string(k.help) + " (" + std::string(default_note) + ")";
    options.add_options()(flag.c_str(), po::value<std::string>()->value_name("DURATION"),
                          help.c_str());
  }
}

Status apply_timing_options(const po::variables_map& values, TimingOverrides& overrides) {
  for (const TimingKnob& k : timing_knobs()) {
    const auto it = values.find(std::string(k.flag));
    if (it == values.end() || it->second.empty()) continue;
    const std::string& text = it->second.as<std::string>();
    if (Status s = apply_timing_value(k, text, overrides); !s) {
      return Status::error(k.name(KnobNames::kFlags) + ": " + s.message());
    }
  }
  return Status::ok();
}

Status apply_timing_value(const TimingKnob& knob, std::string_view text,
                          TimingOverrides& overrides) {
  Duration d{};
  if (Status s = parse_duration(text, d); !s) return s;
  overrides.*knob.override = d;
  return Status::ok();
}

std::vector<std::string> describe_timings(const Profile& profile) {
  std::vector<std::string> out;
  for (const TimingKnob& k : timing_knobs()) {
    out.push_back(std::string(k.flag) + " " + format_duration(k.in(profile)));
  }
  return out;
}

}  // namespace lanlord::app
