#!/usr/bin/env bash
# Reproduces bench/README.md's results: installs what is missing, builds
# lanlord-bench and the lanlord CLI in Release, runs the standard matrix
# and writes bench/results/: one .jsonl per invocation, then the combined
# table (results.txt), results.csv, convergence.svg (+ its gnuplot
# script) and machine.txt.
#
#   BENCH_QUICK=1        a few runs per row instead of the full matrix
#                        (minutes instead of ~40 min on 2 cores)
#   BENCH_OUT=DIR        write somewhere else than bench/results
#   BENCH_BUILD=DIR      build directory (default: build-release)
#   BENCH_ONLY="a b"     run only these invocations (names below, e.g.
#                        "sim udp"), keep the other .jsonl files, recombine
#
# Every invocation stops by itself: runs are bounded by --timeout and the
# matrix is fixed. Multicast stays on loopback (lo, 239.0.0.0/8).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

build=${BENCH_BUILD:-build-release}
out=${BENCH_OUT:-bench/results}
jobs=$(nproc 2>/dev/null || echo 2)
quick=${BENCH_QUICK:-0}
only=${BENCH_ONLY:-}

echo "== build ($build, Release) ==" >&2
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLANLORD_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target lanlord_bench lanlord
bench="$build/bench/lanlord-bench"

mkdir -p "$out"
if [ -z "$only" ]; then rm -f "$out"/*.jsonl; fi

# runs N: the full count, or a few with BENCH_QUICK=1.
runs() { if [ "$quick" = 1 ]; then echo $(( ($1 + 4) / 5 )); else echo "$1"; fi; }

# bench NAME ARGS...: one invocation, its JSON lines kept in NAME.jsonl.
# Exit status 3 means some runs did not agree: kept, and shown in the table.
bench() {
  local name=$1
  shift
  if [ -n "$only" ] && [[ " $only " != *" $name "* ]]; then return; fi
  echo "== $name: lanlord-bench $* ==" >&2
  local rc=0
  "$bench" "$@" --json >"$out/$name.jsonl" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
    echo "bench.sh: $name failed with status $rc" >&2
    exit "$rc"
  fi
}

# --- Simulator (virtual time, 1 ms links) ---------------------------------
bench sim --transport sim --profile fast,lan,fabric --nodes 3,8,32,128 \
  --runs "$(runs 20)" --scenario all --churn-duration 30s
bench sim-1000 --transport sim --profile fast,lan,fabric --nodes 1000 \
  --runs "$(runs 2)" --scenario startup,failover,handoff-stop,heal
# Fabric's algorithm itself, measured: the fast timings without lanlord's
# membership fast path (the analytic figure's counterpart).
bench sim-fabric-alg --transport sim --profile fast --no-fast-failover --nodes 3,8,32,128 \
  --runs "$(runs 20)" --scenario failover,handoff-stop,heal
# A rougher network: 1% loss, up to 2 ms of jitter (copies reorder).
bench sim-lossy --transport sim --profile fast --nodes 32 --loss 0.01 --jitter 2ms \
  --runs "$(runs 20)" --scenario startup,failover,handoff-stop,heal
# The simulator's speed: 1000 nodes x 60 s of virtual time (wall_s vs virtual_s).
bench sim-speed --transport sim --profile fabric,lan --nodes 1000 --runs 1 --scenario churn \
  --churn-duration 60s
# Growth from N = 3 to 1000: startup, failover, datagrams per node and the
# simulator's wall ns per delivered message (bench/results/scale/ plots it).
bench sim-scale --transport sim --profile fast --nodes 3,8,32,128,512,1000 --runs "$(runs 2)" \
  --scenario startup,failover

# --- Real sockets on loopback ---------------------------------------------
bench udp --transport udp --profile fast --nodes 3,8,32 --runs "$(runs 30)" \
  --scenario startup,failover,handoff-stop,heal
# One io thread for 128 nodes saturates a core; two keep up on 2 cores.
bench udp-large --transport udp --profile fast --nodes 64,128 --io-threads 2 \
  --runs "$(runs 10)" --scenario startup,failover,handoff-stop,heal
bench udp-churn --transport udp --profile fast --nodes 8,32 --runs "$(runs 3)" \
  --scenario churn --churn-duration 30s
bench udp-lan --transport udp --profile lan --nodes 32 --runs "$(runs 5)" \
  --scenario startup,failover,handoff-stop,heal
# What a graceful handoff under 50 ms takes: a shorter election.
bench udp-short-election --transport udp --profile fast --election-duration 40ms --nodes 32 \
  --runs "$(runs 20)" --scenario failover,handoff-stop
bench udp-procs --transport udp --procs --profile fast --nodes 3,8,32 --runs "$(runs 10)" \
  --scenario startup,failover,handoff-stop,heal
# The same in-process Nodes electing through etcd (a private etcd that the
# bench starts on this machine); side by side: scripts/bench-etcd.sh.
bench udp-etcd --backend etcd --profile fast --nodes 3,16,64 --runs "$(runs 10)" \
  --scenario startup,failover,handoff

# --- The combined table, CSV and plot ---------------------------------------
inputs=()
for f in "$out"/*.jsonl; do inputs+=(--input "$f"); done
# machine.txt keeps one block per run of this script (BENCH_ONLY adds one).
if [ -z "$only" ]; then rm -f "$out/machine.txt"; fi
"$bench" "${inputs[@]}" --csv "$out/results.csv" --plot "$out/convergence.svg" \
  >"$out/results.txt"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel: $(uname -sr)"
  echo "compiler: $(c++ --version | head -n1)"
  echo "quick: $quick"
  echo "only: ${only:-everything}"
} >>"$out/machine.txt"
cat "$out/results.txt"
echo "bench.sh: results in $out/" >&2
