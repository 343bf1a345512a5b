// lanlord-bench: wiring only. Options in, the matrix run, rows out.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "experiment/options.hpp"
#include "experiment/progress.hpp"
#include "experiment/runner.hpp"
#include "report/plot.hpp"
#include "report/report.hpp"

namespace {

// Exit statuses, documented in --help.
constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitRunsFailed = 3;

// Rows from files of --json lines; false (with a message) when unreadable.
bool read_rows(const std::vector<std::string>& paths, std::vector<lanlord::bench::Row>& rows) {
  for (const std::string& path : paths) {
    std::ifstream in(path);
    if (!in) {
      std::cerr << "lanlord-bench: cannot read " << path << "\n";
      return false;
    }
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.empty()) continue;
      auto row = lanlord::bench::row_from_json(line);
      if (!row) {
        std::cerr << "lanlord-bench: " << path << ":" << n << ": not a lanlord-bench JSON row\n";
        return false;
      }
      rows.push_back(std::move(*row));
    }
  }
  return true;
}

std::string machine_summary() {
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return "nproc=" + std::to_string(cpus);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lanlord::bench;
  const ParsedOptions parsed = parse_options(argc, argv);
  if (parsed.action == ParsedOptions::Action::kHelp) {
    std::cout << parsed.message
              << "\nExit status: 0 done, 1 an output could not be written, 2 bad options,\n"
                 "3 done but some runs failed to agree.\n";
    return kExitOk;
  }
  if (parsed.action == ParsedOptions::Action::kError) {
    std::cerr << "lanlord-bench: " << parsed.message << "\nTry 'lanlord-bench --help'.\n";
    return kExitUsage;
  }
  const Options& o = parsed.options;

  std::ofstream csv;
  if (!o.csv_path.empty()) {
    csv.open(o.csv_path);
    if (!csv) {
      std::cerr << "lanlord-bench: cannot write " << o.csv_path << "\n";
      return kExitError;
    }
    csv << csv_header() << "\n";
  }

  Progress progress(stderr, !o.quiet);
  bool any_failed = false;
  const auto emit = [&](const Row& row) {
    any_failed = any_failed || row.failed > 0;
    if (o.json) std::cout << to_json(row) << std::endl;  // flushed: --json streams
    if (csv) csv << to_csv(row) << "\n" << std::flush;
  };
  std::vector<Row> rows;
  if (o.inputs.empty()) {
    rows = run_matrix(o, default_driver_factory(o), progress, emit);
  } else if (!read_rows(o.inputs, rows)) {
    return kExitError;
  } else {
    sort_rows(rows);
    for (const Row& r : rows) emit(r);
  }
  progress.done();
  if (!o.json) print_table(std::cout, rows);

  int status = any_failed ? kExitRunsFailed : kExitOk;
  if (csv && !csv.good()) {
    std::cerr << "lanlord-bench: writing " << o.csv_path << " failed\n";
    status = kExitError;
  }
  if (!o.plot_path.empty()) {
    bool missing = false;
    if (lanlord::Status s = write_plot(rows, o.plot_path, machine_summary(), missing); !s) {
      // A missing gnuplot is the machine's business, not a failed benchmark.
      std::cerr << "lanlord-bench: warning: no plot: " << s.message() << "\n";
      if (!missing) status = kExitError;
    }
  }
  return status;
}
