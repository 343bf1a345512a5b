#!/usr/bin/env bash
# The randomized simulation at full count (the test command runs 500 + 200
# seeds): 2,000 seeds of each sweep by default, every seed to the end, and
# the scenario scripts. Prints each sweep's summary line (seeds, failures,
# virtual and wall time, corrupted datagrams rejected).
#   LANLORD_SIM_SEEDS=N   seeds per sweep (default 2000)
#   BUILD_DIR=dir         an existing build (default build); core_tests is built in it
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ]; then
  scripts/install-deps.sh
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLANLORD_WERROR=ON >/dev/null
fi
cmake --build "$build" --target core_tests -j "$(nproc 2>/dev/null || echo 2)"

export LANLORD_SIM_SEEDS=${LANLORD_SIM_SEEDS:-2000}
export LANLORD_SIM_KEEP_GOING=1
"$build/tests/core_tests" -tc='randomized simulation*,scenario scripts*'
