// Runs the matrix the options describe: every transport x profile x
// scenario x N, `runs` times each, and turns the runs into Rows.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "drivers/driver.hpp"
#include "experiment/options.hpp"
#include "experiment/progress.hpp"
#include "report/report.hpp"

namespace lanlord::bench {

// Builds a fresh driver for one run of `nodes` nodes.
using DriverFactory = std::function<std::unique_ptr<ClusterDriver>(
    const std::string& transport, const std::string& profile_name, const Profile& profile,
    std::size_t nodes, std::uint64_t run_seed, std::string& error)>;

// The drivers this build has: sim always, udp (in-process and --procs)
// when lanlord_transport was built.
DriverFactory default_driver_factory(const Options& options);

// Rows in reading order: transport (udp, udp-procs, sim), profile (fast,
// lan, fabric), variant (overrides, network), scenario, N. For --input,
// where rows come from several files.
void sort_rows(std::vector<Row>& rows);

// Runs everything; calls `on_row` as soon as each row is complete (so
// --json streams), and returns all rows.
std::vector<Row> run_matrix(const Options& options, const DriverFactory& factory,
                            Progress& progress, const std::function<void(const Row&)>& on_row);

// The longest wait for agreement in one step of a run (see --timeout).
Duration default_limit(Scenario s, const Profile& profile);

}  // namespace lanlord::bench
