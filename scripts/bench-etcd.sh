#!/usr/bin/env bash
# The etcd column of lanlord-bench next to multicast and unicast
# (bench/README.md, "etcd"), written to bench/results/etcd/:
#
#   side-by-side-{etcd,mac,unicast}.jsonl  fast profile, N = 3 and 16,
#       startup, failover, handoff (yield and stop); in-process Nodes on
#       etcd (a private etcd the bench starts on this machine), on
#       multicast with a MAC, and on unicast (keyed); the three modes
#       alternate round by round, with the same seeds within a round
#   load.jsonl  requests to etcd per node per second at N = 3, 16, 64
#       (startup, then a 6 s measured window: nine keep-alive intervals)
#   results.txt  the table of all of them; machine.txt  when, where, load
#
#   BENCH_BUILD=DIR   build directory holding bench/lanlord-bench (default:
#                     build-release, built in Release when missing)
#   ETCD_OUT=DIR      default bench/results/etcd
#   ETCD_ROUNDS=N     rounds of the three modes (default 2)
#   ETCD_RUNS=N       runs per row and round (default 5)
#
# Every run stops by itself (--timeout bounds); ~10 min on 2 cores. The
# private etcd listens on 127.0.0.1 only, on free ports, and is removed.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BENCH_BUILD:-build-release}
out=${ETCD_OUT:-bench/results/etcd}
rounds=${ETCD_ROUNDS:-2}
runs=${ETCD_RUNS:-5}
bench="$build/bench/lanlord-bench"
if [ ! -x "$bench" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLANLORD_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" --target lanlord_bench
fi
mkdir -p "$out"
rm -f "$out"/side-by-side-*.jsonl "$out/load.jsonl"

# run FILE ARGS...: one invocation, its rows appended to FILE (status 3,
# some runs did not agree, is kept: the rows say so).
run() {
  local file=$1
  shift
  echo "== lanlord-bench $* ==" >&2
  local rc=0
  nice -n 10 "$bench" "$@" --json --quiet >>"$file" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
    echo "bench-etcd.sh: lanlord-bench failed with status $rc" >&2
    exit "$rc"
  fi
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$rounds"); do
  seed=$((1 + (round - 1) * 100))
  common=(--profile fast --nodes "3,16" --runs "$runs" --scenario "startup,failover,handoff"
          --seed "$seed")
  run "$out/side-by-side-etcd.jsonl" --backend etcd "${common[@]}"
  run "$out/side-by-side-mac.jsonl" --transport udp --auth mac "${common[@]}"
  run "$out/side-by-side-unicast.jsonl" --transport udp --unicast "${common[@]}"
done
run "$out/load.jsonl" --backend etcd --profile fast --nodes 3,16,64 --runs 3 --scenario startup \
  --steady-window 6s
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

inputs=()
for f in "$out"/*.jsonl; do inputs+=(--input "$f"); done
# Status 3: some rows have failed runs (they say which); the table is whole.
"$bench" "${inputs[@]}" >"$out/results.txt" || [ $? -eq 3 ]
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "etcd: $(etcd --version 2>/dev/null | head -n1 || echo unknown)"
  echo "build: $build"
  echo "rounds: $rounds x $runs runs"
  echo "load average (1, 5, 15 min) before: $load_before; after: $load_after"
} >"$out/machine.txt"
cat "$out/results.txt"
echo "bench-etcd.sh: results in $out/" >&2
