#!/usr/bin/env bash
# Builds lanlord's libFuzzer targets with clang-14 (tests/fuzz/, a small
# project of its own: lib/ and the wire codec only) and runs each for a
# while on a copy of its committed corpus, so the corpus in git stays as it
# is unless asked.
#   scripts/fuzz.sh [--merge] [seconds] [target...]
#     seconds   per target (default 600: ten minutes each); 0 builds only
#     target    decode, node_core (default: both, one after the other)
#     --merge   afterwards, add the inputs that found new coverage to the
#               committed corpus (libFuzzer -merge=1; commit them if useful)
# Prints, per target, executions per second and in total (libFuzzer's final
# stats). Exits non-zero when a target crashes, times out, runs out of
# memory or breaks an invariant, printing the file libFuzzer wrote (in
# <build dir>/artifacts/); tests/fuzz/README.md says how to replay it.
# Knobs: LANLORD_FUZZ_BUILD_DIR (default build-fuzz), LANLORD_FUZZ_JOBS
# (build jobs, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

merge=0
if [ "${1:-}" = --merge ]; then
  merge=1
  shift
fi
seconds=${1:-600}
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh [--merge] [seconds] [decode|node_core ...]" >&2
  exit 2
fi
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode node_core)
for t in "${targets[@]}"; do
  case "$t" in
    decode | node_core) ;;
    *)
      echo "fuzz: unknown target '$t' (decode, node_core)" >&2
      exit 2
      ;;
  esac
done

build=${LANLORD_FUZZ_BUILD_DIR:-build-fuzz}
for tool in clang-14 clang++-14; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz: $tool not found (scripts/install-deps.sh installs clang-14 and libclang-rt-14-dev)" >&2
    exit 2
  fi
done
cmake -S tests/fuzz -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
cmake --build "$build" -j "${LANLORD_FUZZ_JOBS:-2}" --target "${targets[@]/#/fuzz_}"
[ "$seconds" -gt 0 ] || exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for t in "${targets[@]}"; do
  corpus=tests/fuzz/corpus/$t
  artifacts=$PWD/$build/artifacts/$t
  mkdir -p "$work/$t" "$artifacts"
  cp "$corpus"/* "$work/$t/"
  before=$(ls "$work/$t" | wc -l)
  log=$PWD/$build/fuzz_$t.log
  common=(-timeout=10 -rss_limit_mb=2048 -dict=tests/fuzz/dict)
  # A datagram is at most kMaxDatagramSize (1232) bytes; longer ones are
  # refused by their size alone.
  # An operation list of up to 512 operations fits in a few kilobytes.
  if [ "$t" = decode ]; then common+=(-max_len=1232); else common+=(-max_len=4096); fi
  echo "fuzz: $t for ${seconds}s on a copy of $corpus ($before inputs); log: $log"
  rc=0
  "$build/fuzz_$t" "${common[@]}" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$work/$t" >"$log" 2>&1 || rc=$?
  stat() { awk -v k="stat::$1:" '$1 == k { v = $2 } END { print v }' "$log"; }
  echo "fuzz: $t: $(stat number_of_executed_units) executions in ${seconds}s," \
    "$(stat average_exec_per_sec)/s; $(stat new_units_added) new inputs" \
    "($before -> $(ls "$work/$t" | wc -l)); peak RSS $(stat peak_rss_mb) MB"
  if [ "$rc" -ne 0 ]; then
    failed=1
    echo "fuzz: $t FAILED (exit $rc); the end of its log:" >&2
    tail -n 60 "$log" >&2
    grep -o 'Test unit written to .*' "$log" | sed 's/^Test unit written to /fuzz: crash input: /' >&2 || true
    echo "fuzz: replay with $build/fuzz_$t <crash input> (tests/fuzz/README.md)" >&2
    continue
  fi
  if [ "$merge" = 1 ]; then
    "$build/fuzz_$t" "${common[@]}" -merge=1 "$corpus" "$work/$t" >"$log.merge" 2>&1
    echo "fuzz: $t: merged into $corpus, now $(ls "$corpus" | wc -l) inputs"
  fi
done
exit "$failed"
