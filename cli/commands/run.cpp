// `lanlord run`: placeholder until the run command lands.
#include <iostream>

#include "commands/commands.hpp"

namespace lanlord::cli {

int run_run(const RunOptions&) {
  std::cerr << "lanlord: run is not built yet\n";
  return kExitFailure;
}

}  // namespace lanlord::cli
