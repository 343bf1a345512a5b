// The SVG plot: convergence time against N, one panel per scenario, one
// line per profile and transport, with Fabric's figure for the same
// timings as a dashed line. Drawn by gnuplot from a script written next to
// the SVG (FILE.gp), so the figure can be restyled and redrawn by hand.
#pragma once

#include <string>
#include <vector>

#include "lanlord/status.hpp"
#include "report/report.hpp"

namespace lanlord::bench {

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
