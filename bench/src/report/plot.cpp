#include "report/plot.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "experiment/scenarios.hpp"
#include "lanlord/profile.hpp"
#include "report/convergence_gp.hpp"

extern char** environ;

namespace lanlord::bench {

namespace {

// Colours follow the profile, point shapes the transport, so a panel reads
// "which timings" by colour and "which network" by shape.
std::string profile_colour(const std::string& profile) {
  const std::string base = profile.substr(0, profile.find('+'));
  if (base == "fast") return "#1b9e77";
  if (base == "lan") return "#377eb8";
  if (base == "fabric") return "#d95f02";
  return "#666666";
}

// Transports differ by line and point: real sockets solid with filled
// squares, separate processes dotted with triangles, the simulator dashed
// with open circles.
std::string transport_style(const std::string& transport) {
  if (transport == "udp") return "dt 1 lw 2 pt 5 ps 0.8";
  if (transport == "udp-procs") return "dt 3 lw 2 pt 9 ps 0.9";
  return "dt 2 lw 1.5 pt 6 ps 0.9";
}

// `key_only`: lines and points without error bars, for the legend.
std::string series_style(const Row& r, bool key_only = false) {
  return std::string(key_only ? "with linespoints " : "with yerrorlines ") +
         transport_style(r.transport) + " lc rgb '" + profile_colour(r.profile) + "'";
}

// Fabric's figure: a wide, pale line of the profile's colour under the data.
std::string fabric_style(const std::string& profile) {
  // #AARRGGBB, where AA is transparency.
  return "with lines dt 1 lw 7 lc rgb '#b0" + profile_colour(profile).substr(1) + "'";
}

// A run with the profile as named: no overrides, no loss or jitter, the
// profile's own failover mode, no --auth.
bool is_standard(const Row& r) {
  const std::string base = r.profile.substr(0, r.profile.find('+'));
  const auto p = find_profile(base);
  return r.overrides.empty() && r.profile == base && r.loss.value_or(0) == 0 &&
         r.jitter_ms.value_or(0) == 0 && p && p->fast_failover == r.fast_failover &&
         (r.auth.empty() || r.auth == "none");
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// The inside of a gnuplot double-quoted string, where \n is a line break.
std::string dquote_body(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string series_label(const Row& r) {
  std::string label = r.profile.substr(0, r.profile.find('+'));
  if (!r.overrides.empty()) label += " (" + r.overrides + ")";
  label += ", " + r.transport;
  if (!r.fast_failover && r.profile.rfind("fabric", 0) != 0) label += ", Fabric's algorithm";
  if (r.loss && *r.loss > 0) {
    std::ostringstream s;
    s << ", " << *r.loss * 100 << "% loss";
    label += s.str();
  }
  if (r.jitter_ms && *r.jitter_ms > 0) {
    std::ostringstream s;
    s << ", " << *r.jitter_ms << "ms jitter";
    label += s.str();
  }
  return label;
}

// Variants (timing overrides, loss, jitter, another failover mode) stay in
// the table: drawn together with the standard series they would bury them.
// Without any standard row, everything is drawn.
std::vector<const Row*> drawn_rows(const std::vector<Row>& rows) {
  std::vector<const Row*> drawn;
  for (const Row& r : rows) {
    if (is_standard(r)) drawn.push_back(&r);
  }
  if (drawn.empty()) {
    for (const Row& r : rows) drawn.push_back(&r);
  }
  return drawn;
}

// What the plot shows, gathered from the drawn rows.
struct PlotData {
  std::vector<std::string> panels;  // scenarios that have rows, in scenario order
  // Per scenario, the measured series by label, and Fabric's figure per
  // profile and N.
  std::map<std::string, std::map<std::string, std::vector<const Row*>>> series;
  std::map<std::string, std::map<std::string, std::map<std::size_t, double>>> fabric;
  std::map<std::string, const Row*> legend;  // every label drawn, with a row for its style
  std::set<std::string> legend_profiles;
  std::set<std::size_t> sizes;
  // Per panel, the smallest and largest value drawn, for its y range.
  std::map<std::string, std::pair<double, double>> y_extent;
  // The inline data block ($sK, $fK) of each series and Fabric line.
  std::map<std::pair<std::string, std::string>, int> series_block, fabric_block;
};

PlotData gather(const std::vector<const Row*>& drawn) {
  PlotData d;
  for (Scenario sc : all_scenarios()) {
    const std::string name(scenario_name(sc));
    for (const Row* r : drawn) {
      if (r->scenario == name) {
        d.panels.push_back(name);
        break;
      }
    }
  }
  for (const Row* r : drawn) {
    d.sizes.insert(r->nodes);
    auto it = d.y_extent.try_emplace(r->scenario, r->fabric_ms, r->fabric_ms).first;
    auto& [lo, hi] = it->second;
    lo = std::min(lo, r->fabric_ms);
    hi = std::max(hi, r->fabric_ms);
    if (r->conv.count > 0) {
      lo = std::min(lo, std::max(r->conv.min, 1.0));
      hi = std::max(hi, r->conv.p99);
      d.series[r->scenario][series_label(*r)].push_back(r);
      d.legend.emplace(series_label(*r), r);
    }
    d.fabric[r->scenario][r->profile].emplace(r->nodes, r->fabric_ms);
    d.legend_profiles.insert(r->profile);
  }
  return d;
}

// The inline data blocks, one per series and Fabric line; numbers them in
// `d` for the plot commands.
std::string data_blocks(PlotData& d) {
  std::ostringstream s;
  int block = 0;
  for (const auto& [scenario, by_label] : d.series) {
    for (const auto& [label, list] : by_label) {
      std::vector<const Row*> sorted = list;
      std::sort(sorted.begin(), sorted.end(),
                [](const Row* a, const Row* b) { return a->nodes < b->nodes; });
      s << "$s" << block << " << EOD\n";
      for (const Row* r : sorted) {
        s << r->nodes << " " << r->conv.p50 << " " << r->conv.min << " " << r->conv.p99 << "\n";
      }
      s << "EOD\n";
      d.series_block[{scenario, label}] = block++;
    }
  }
  for (const auto& [scenario, by_profile] : d.fabric) {
    for (const auto& [profile, points] : by_profile) {
      s << "$f" << block << " << EOD\n";
      for (const auto& [n, ms] : points) s << n << " " << ms << "\n";
      s << "EOD\n";
      d.fabric_block[{scenario, profile}] = block++;
    }
  }
  return s.str();
}

// An xrange around the measured sizes and a tick at each, not at powers of
// ten; nothing without sizes.
std::string x_axis(const std::set<std::size_t>& sizes) {
  if (sizes.empty()) return {};
  std::ostringstream s;
  s << "set xrange [" << std::max(0.8, static_cast<double>(*sizes.begin()) / 1.5) << ":"
    << static_cast<double>(*sizes.rbegin()) * 1.5 << "]\n";
  s << "set xtics (";
  bool first = true;
  for (std::size_t n : sizes) {
    s << (first ? "" : ", ") << n;
    first = false;
  }
  s << ")\n";
  return s.str();
}

// One panel per scenario: its title, y range and plot command.
std::string panels(const PlotData& d) {
  std::ostringstream s;
  for (const std::string& scenario : d.panels) {
    s << "set title " << quote(scenario == "churn" ? "churn: episodes without agreement" : scenario)
      << "\n";
    const auto [lo, hi] = d.y_extent.at(scenario);
    s << "set yrange [" << std::max(0.5, lo / 1.6) << ":" << hi * 1.6 << "]\n";
    std::vector<std::string> plots;
    // The reference first, so the measurements are drawn over it.
    for (const auto& [profile, points] : d.fabric.at(scenario)) {
      std::ostringstream p;
      p << "$f" << d.fabric_block.at({scenario, profile}) << " using 1:2 " << fabric_style(profile)
        << " notitle";
      plots.push_back(p.str());
    }
    if (const auto it = d.series.find(scenario); it != d.series.end()) {
      for (const auto& [label, list] : it->second) {
        std::ostringstream p;
        p << "$s" << d.series_block.at({scenario, label}) << " using 1:2:3:4 "
          << series_style(*list.front()) << " notitle";
        plots.push_back(p.str());
      }
    }
    s << "plot ";
    for (std::size_t i = 0; i < plots.size(); ++i) s << (i ? ", \\\n     " : "") << plots[i];
    s << "\n";
  }
  return s.str();
}

// The legend panel's plot items: every series label and Fabric line, with
// no data.
std::string legend(const PlotData& d) {
  std::ostringstream s;
  bool first = true;
  for (const auto& [label, r] : d.legend) {
    s << (first ? "" : ", \\\n     ") << "NaN " << series_style(*r, true) << " title "
      << quote(label);
    first = false;
  }
  for (const std::string& profile : d.legend_profiles) {
    s << (first ? "" : ", \\\n     ") << "NaN " << fabric_style(profile) << " title "
      << quote("Fabric's algorithm, " + profile + " timings");
    first = false;
  }
  return s.str();
}

}  // namespace

std::string fill_template(std::string_view tmpl, const std::map<std::string, std::string>& values) {
  const auto value = [&values](std::string_view name) -> const std::string& {
    const auto it = values.find(std::string(name));
    if (it == values.end()) {
      throw std::logic_error("template placeholder {{" + std::string(name) + "}} has no value");
    }
    return it->second;
  };
  std::string out;
  for (std::size_t pos = 0; pos < tmpl.size();) {
    const std::size_t end = std::min(tmpl.find('\n', pos), tmpl.size() - 1) + 1;
    const std::string_view line = tmpl.substr(pos, end - pos);  // with its newline, if any
    pos = end;
    const std::string_view text = line.substr(0, line.size() - (line.back() == '\n' ? 1 : 0));
    if (text.rfind("#%", 0) == 0) continue;
    const bool block = text.size() > 4 && text.rfind("{{", 0) == 0 &&
                       text.find("}}") == text.size() - 2 && text.find("{{", 2) == text.npos;
    if (block) {
      out += value(text.substr(2, text.size() - 4));  // whole lines, or nothing
      continue;
    }
    std::size_t at = 0;
    for (std::size_t open; (open = line.find("{{", at)) != line.npos;) {
      const std::size_t close = line.find("}}", open + 2);
      if (close == line.npos) break;
      out += line.substr(at, open - at);
      out += value(line.substr(open + 2, close - open - 2));
      at = close + 2;
    }
    out += line.substr(at);
  }
  return out;
}

std::string gnuplot_script(const std::vector<Row>& rows, const std::string& svg_path,
                           const std::string& subtitle, const std::string& script_path) {
  PlotData d = gather(drawn_rows(rows));
  const std::string blocks = data_blocks(d);
  // One slot per scenario and one for the legend they share.
  const std::size_t slots = d.panels.size() + 1;
  const std::size_t cols = slots <= 3 ? slots : (slots <= 6 ? 3 : 4);
  const std::size_t nrows = (slots + cols - 1) / cols;
  return fill_template(kConvergenceGnuplotTemplate,
                       {
                           {"script_path", quote(script_path)},
                           {"data_blocks", blocks},
                           {"width", std::to_string(470 * cols)},
                           {"height", std::to_string(400 * nrows + 70)},
                           {"svg_path", quote(svg_path)},
                           {"layout_rows", std::to_string(nrows)},
                           {"layout_cols", std::to_string(cols)},
                           {"subtitle", dquote_body(subtitle)},
                           {"x_axis", x_axis(d.sizes)},
                           {"panels", panels(d)},
                           {"legend", legend(d)},
                       });
}

Status write_plot(const std::vector<Row>& rows, const std::string& svg_path,
                  const std::string& subtitle, bool& gnuplot_missing) {
  gnuplot_missing = false;
  const bool svg_ext = svg_path.size() > 4 && svg_path.compare(svg_path.size() - 4, 4, ".svg") == 0;
  const std::string script_path =
      (svg_ext ? svg_path.substr(0, svg_path.size() - 4) : svg_path) + ".gp";
  {
    std::ofstream f(script_path);
    if (!f) return Status::error("cannot write " + script_path + ": " + std::strerror(errno));
    f << gnuplot_script(rows, svg_path, subtitle, script_path);
    if (!f) return Status::error("cannot write " + script_path);
  }
  // posix_spawnp: no shell, so no quoting of the path can go wrong.
  std::string prog = "gnuplot";
  char* argv[] = {prog.data(), const_cast<char*>(script_path.c_str()), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "gnuplot", nullptr, nullptr, argv, environ);
  if (rc != 0) {
    gnuplot_missing = rc == ENOENT;
    return Status::error(gnuplot_missing
                             ? "gnuplot not found; install gnuplot-nox (scripts/install-deps.sh) "
                               "and run: gnuplot " +
                                   script_path
                             : "cannot run gnuplot: " + std::string(std::strerror(rc)));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::error("gnuplot failed on " + script_path);
  }
  return Status::ok();
}

}  // namespace lanlord::bench
