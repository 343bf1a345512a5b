#!/usr/bin/env bash
# The README's test command (what .ci/run runs). Installs what is missing,
# then, stopping at the first failure:
#   1. format  every tracked C++ file matches .clang-format (clang-format-14)
#   2. build   RelWithDebInfo, -Werror, everything; every test
#   3. asan    AddressSanitizer + UBSan, with the benchmark; the core,
#              transport, cli and bench suites (bench: reduced counts)
#   4. tsan    ThreadSanitizer, only the threaded parts: the suites
#              labelled transport, socket or cli and what they run
#   5. fuzz    clang-14 + libFuzzer: a small build of the decoder and the
#              core only (tests/fuzz), each target 10 s (scripts/fuzz.sh)
# Real-socket tests stretch their waits and CTest timeouts by one factor
# in the sanitizer passes (tests/time_scale.hpp). Knobs:
#   LANLORD_SIM_SEEDS=N          seeds for the randomized simulation (default 500,
#                                200 with membership; the ASan pass runs 5 unless set)
#   LANLORD_ADVERSARY_SEEDS=N    seeds per mode of the simulated adversary (default 200;
#                                the ASan pass runs 6 unless set)
#   LANLORD_TEST_TIME_SCALE=N    the sanitizer passes' factor (default 5)
#   LANLORD_SKIP_SANITIZE=1      skip passes 3 and 4 (local iteration only)
#   LANLORD_SKIP_FUZZ=1          skip pass 5 (local iteration only)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
scale=${LANLORD_TEST_TIME_SCALE:-5}

# Wall and CPU time of each phase, printed at the end (also when one
# fails). CPU time (user + sys of every command) tells what a phase costs
# on a machine that others share, where wall time does not.
phases=()
phase_start=0
phase_cpu=0
phase_name=""
times_file=$(mktemp)
cpu=0
# Sets cpu to the CPU seconds this script's finished children used so far
# (`times` runs here, not in a subshell, which would count from zero).
read_cpu() {
  times >"$times_file"
  cpu=$(awk 'NR == 2 { for (i = 1; i <= 2; ++i) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] } }
             END { printf "%d", t }' "$times_file")
}
begin() {
  end_phase
  phase_name=$1
  phase_start=$SECONDS
  read_cpu
  phase_cpu=$cpu
  echo "== $1 =="
}
end_phase() {
  if [ -n "$phase_name" ]; then
    read_cpu
    phases+=("$(printf '%-26s %5ds wall %6ds CPU' "$phase_name" $((SECONDS - phase_start)) \
      $((cpu - phase_cpu)))")
    phase_name=""
  fi
}
summary() {
  local rc=$?
  end_phase
  read_cpu
  rm -f "$times_file"
  echo "== time per phase =="
  printf '  %s\n' "${phases[@]}"
  printf '  %-26s %5ds wall %6ds CPU%s\n' total "$SECONDS" "$cpu" \
    "$([ "$rc" -eq 0 ] || echo "  (failed, exit $rc)")"
}
trap summary EXIT

begin "format (clang-format-14)"
scripts/check-format.sh

begin "build"
# -g1 (line tables): stack traces keep file:line; full debug info of the
# Asio/Beast templates is most of a compile's time.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
  -DLANLORD_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
begin "tests"
ctest --test-dir build --output-on-failure -j "$jobs"

if [ "${LANLORD_SKIP_SANITIZE:-0}" != 1 ]; then
  begin "build asan+ubsan"
  # -g1 (line tables): stack traces keep file:line, the build is ~8 % faster.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
    -DLANLORD_WERROR=ON -DLANLORD_SANITIZE=ON -DLANLORD_BUILD_BENCH=ON -DLANLORD_BUILD_SHARED=OFF \
    -DLANLORD_TEST_TIME_SCALE="$scale" >/dev/null
  cmake --build build-asan -j "$jobs"
  begin "tests asan+ubsan"
  # Memory errors, not the algorithm: the first pass ran every seed.
  # One more suite than cores: the socket and process suites wait. (Twice
  # as many as cores was tried: a clean-clone run failed the three-process
  # multicast test, a member_joined not yet seen under that load.)
  LANLORD_SIM_SEEDS=${LANLORD_SIM_SEEDS:-5} LANLORD_ADVERSARY_SEEDS=${LANLORD_ADVERSARY_SEEDS:-6} \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$((jobs + 1))" -L 'core|transport|cli|bench'

  # The threaded parts only: the target lanlord_threaded_tests
  # (tests/CMakeLists.txt) builds the suites with these labels.
  begin "build tsan"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
    -DLANLORD_WERROR=ON -DLANLORD_TSAN=ON -DLANLORD_BUILD_BENCH=OFF -DLANLORD_TEST_TIME_SCALE="$scale" >/dev/null
  cmake --build build-tsan -j "$jobs" --target lanlord_threaded_tests
  begin "tests tsan"
  tsan_options=halt_on_error=1:second_deadlock_stack=1
  if [ -f tests/tsan.supp ]; then
    tsan_options+=":suppressions=$PWD/tests/tsan.supp"
  fi
  # These suites mostly wait (sockets, child processes): a quarter of the
  # wall time is CPU, so twice as many run at once as there are cores.
  TSAN_OPTIONS=$tsan_options \
    ctest --test-dir build-tsan --output-on-failure -j "$((jobs * 2))" -L 'transport|socket|cli'
fi

# The 10-minute runs are scripts/fuzz.sh's default; here a short run on
# the committed corpus replays every seed and catches what is shallow.
if [ "${LANLORD_SKIP_FUZZ:-0}" != 1 ]; then
  begin "build fuzz (clang-14)"
  scripts/fuzz.sh 0
  begin "fuzz (2 x 10 s)"
  scripts/fuzz.sh 10
fi
