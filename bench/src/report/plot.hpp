// The SVG plot: convergence time against N, one panel per scenario, one
// line per profile and transport, with Fabric's figure for the same
// timings as a dashed line. Drawn by gnuplot from a script written next to
// the SVG (FILE.gp), so the figure can be restyled and redrawn by hand.
// The script is convergence.gp.in (beside this file, embedded at build
// time) with its placeholders filled from the rows.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lanlord/status.hpp"
#include "report/report.hpp"

namespace lanlord::bench {

// `tmpl` with its placeholders filled from `values` (the rules are at the
// top of convergence.gp.in): {{name}} inside a line is replaced by its
// value, a line that is only {{name}} by its value (complete lines, or
// nothing), and lines starting with #% are dropped. Throws
// std::logic_error for a placeholder without a value (a template that
// does not match its caller).
std::string fill_template(std::string_view tmpl, const std::map<std::string, std::string>& values);

// The gnuplot script that draws `rows` into `svg_path`.
// `script_path` is only quoted in its header comment.
std::string gnuplot_script(const std::vector<Row>& rows, const std::string& svg_path,
                           const std::string& subtitle, const std::string& script_path);

// Writes the script to the SVG path with ".gp" instead of ".svg" and runs
// gnuplot on it. An error Status when the script cannot be written or
// gnuplot fails; `gnuplot_missing` is set (and the Status is an error
// naming the package to install) when there is no gnuplot to run.
Status write_plot(const std::vector<Row>& rows, const std::string& svg_path,
                  const std::string& subtitle, bool& gnuplot_missing);

}  // namespace lanlord::bench
