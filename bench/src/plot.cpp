#include "plot.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

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

int transport_point(const std::string& transport) {
  if (transport == "sim") return 7;  // filled circle
  if (transport == "udp") return 5;  // filled square
  return 9;                          // filled triangle: udp-procs
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// A gnuplot double-quoted string, where \n is a line break.
std::string dquote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
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

}  // namespace

std::string gnuplot_script(const std::vector<Row>& rows, const std::string& svg_path,
                           const std::string& subtitle, const std::string& script_path) {
  // Panels in the order scenarios first appear; series within a panel by label.
  std::vector<std::string> panels;
  std::map<std::string, std::map<std::string, std::vector<const Row*>>> series;
  std::map<std::string, std::map<std::string, std::map<std::size_t, double>>> fabric;
  std::size_t min_n = 0, max_n = 0;
  std::set<std::size_t> sizes;
  // Per panel, the smallest and largest value drawn, for its y range.
  std::map<std::string, std::pair<double, double>> y_extent;
  for (const Row& r : rows) {
    sizes.insert(r.nodes);
    auto it = y_extent.try_emplace(r.scenario, r.fabric_ms, r.fabric_ms).first;
    auto& [lo, hi] = it->second;
    lo = std::min(lo, r.fabric_ms);
    hi = std::max(hi, r.fabric_ms);
    if (r.conv.count > 0) {
      lo = std::min(lo, std::max(r.conv.min, 1.0));
      hi = std::max(hi, r.conv.p99);
    }
    if (std::find(panels.begin(), panels.end(), r.scenario) == panels.end()) {
      panels.push_back(r.scenario);
    }
    if (r.conv.count > 0) series[r.scenario][series_label(r)].push_back(&r);
    fabric[r.scenario][r.profile].emplace(r.nodes, r.fabric_ms);
    min_n = min_n == 0 ? r.nodes : std::min(min_n, r.nodes);
    max_n = std::max(max_n, r.nodes);
  }

  std::ostringstream s;
  s << "# Written by lanlord-bench --plot; redraw with: gnuplot " << quote(script_path) << "\n";
  s << "# Columns: N, p50 ms, min ms, p99 ms (series); N, ms (Fabric's figure).\n";
  int block = 0;
  std::map<std::pair<std::string, std::string>, int> series_block, fabric_block;
  for (const auto& [scenario, by_label] : series) {
    for (const auto& [label, list] : by_label) {
      std::vector<const Row*> sorted = list;
      std::sort(sorted.begin(), sorted.end(),
                [](const Row* a, const Row* b) { return a->nodes < b->nodes; });
      s << "$s" << block << " << EOD\n";
      for (const Row* r : sorted) {
        s << r->nodes << " " << r->conv.p50 << " " << r->conv.min << " " << r->conv.p99 << "\n";
      }
      s << "EOD\n";
      series_block[{scenario, label}] = block++;
    }
  }
  for (const auto& [scenario, by_profile] : fabric) {
    for (const auto& [profile, points] : by_profile) {
      s << "$f" << block << " << EOD\n";
      for (const auto& [n, ms] : points) s << n << " " << ms << "\n";
      s << "EOD\n";
      fabric_block[{scenario, profile}] = block++;
    }
  }

  const std::size_t cols = std::min<std::size_t>(3, std::max<std::size_t>(1, panels.size()));
  const std::size_t nrows = (panels.size() + cols - 1) / std::max<std::size_t>(1, cols);
  s << "set terminal svg size " << 520 * cols << "," << 430 * std::max<std::size_t>(1, nrows) + 60
    << " dynamic enhanced font 'Helvetica,12' background rgb 'white'\n";
  s << "set output " << quote(svg_path) << "\n";
  s << "set encoding utf8\n";
  s << "set multiplot layout " << std::max<std::size_t>(1, nrows) << "," << cols << " title "
    << dquote("lanlord: time to agree on a leader vs cluster size\n{/*0.8 " + subtitle +
              "; points: p50, bars: min to p99; dashed: Fabric's algorithm, same timings}")
    << "\n";
  s << "set logscale xy\n";
  s << "set grid xtics ytics mytics lc rgb '#e0e0e0' lw 1\n";
  s << "set key top left font ',9' samplen 2 spacing 1.1 opaque box lc rgb '#cccccc'\n";
  s << "set xlabel 'nodes (N)'\n";
  s << "set ylabel 'time to agree (ms)'\n";
  s << "set format y '%g'\n";
  // 1-2-5 ticks: a panel often spans less than a decade of a log axis.
  s << "set ytics (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, "
       "100000)\n";
  s << "set bars small\n";
  if (min_n > 0) {
    s << "set xrange [" << std::max(0.8, static_cast<double>(min_n) / 1.5) << ":"
      << static_cast<double>(max_n) * 1.5 << "]\n";
    // Ticks at the measured sizes, not at powers of ten.
    s << "set xtics (";
    bool first = true;
    for (std::size_t n : sizes) {
      s << (first ? "" : ", ") << n;
      first = false;
    }
    s << ")\n";
  }
  for (const std::string& scenario : panels) {
    s << "set title "
      << quote(scenario == "churn" ? "churn (episodes without agreement)" : scenario) << "\n";
    const auto [lo, hi] = y_extent[scenario];
    // Room above for the key, below so no point sits on the border.
    s << "set yrange [" << std::max(0.5, lo / 2) << ":" << hi * 4 << "]\n";
    std::vector<std::string> plots;
    for (const auto& [label, list] : series[scenario]) {
      const Row& r = *list.front();
      std::ostringstream p;
      p << "$s" << series_block[{scenario, label}]
        << " using 1:2:3:4 with yerrorlines lw 2 ps 0.9 lc rgb '" << profile_colour(r.profile)
        << "' pt " << transport_point(r.transport) << " title " << quote(label);
      plots.push_back(p.str());
    }
    for (const auto& [profile, points] : fabric[scenario]) {
      std::ostringstream p;
      p << "$f" << fabric_block[{scenario, profile}] << " using 1:2 with lines dt 2 lw 1.5 lc rgb '"
        << profile_colour(profile) << "' title " << quote("Fabric alg., " + profile + " timings");
      plots.push_back(p.str());
    }
    if (plots.empty()) {
      s << "set multiplot next\n";
      continue;
    }
    s << "plot ";
    for (std::size_t i = 0; i < plots.size(); ++i) s << (i ? ", \\\n     " : "") << plots[i];
    s << "\n";
  }
  s << "unset multiplot\n";
  return s.str();
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
