// `lanlord leader`: placeholder until the leader command lands.
#include <iostream>

#include "commands/commands.hpp"

namespace lanlord::cli {

int run_leader(const LeaderOptions&) {
  std::cerr << "lanlord: leader is not built yet\n";
  return kExitFailure;
}

}  // namespace lanlord::cli
