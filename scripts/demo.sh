#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and runs
# `lanlord demo` (a local cluster on loopback: election, leader crash,
# failover). Extra arguments go to `lanlord demo`, e.g. --nodes 8.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" --target lanlord
exec build/cli/lanlord demo "$@"
