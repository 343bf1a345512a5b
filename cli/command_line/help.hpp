// What `lanlord --help` and each command's --help print, and the option
// descriptions the parser checks the command line and config keys against.
#pragma once

#include <boost/program_options/options_description.hpp>

#include <string>
#include <string_view>

#include "command_line/settings.hpp"

namespace lanlord::cli {

// The options `command` takes, grouped as its help shows them. The timing
// options come from the knob table (lanlord::app::add_timing_options).
boost::program_options::options_description command_options(CommandKind command);

// `command`'s help: usage, description, `options`, durations, profiles,
// output and exit codes.
std::string command_help(CommandKind command,
                         const boost::program_options::options_description& options);

// `lanlord --help`.
std::string main_help(std::string_view version);

}  // namespace lanlord::cli
