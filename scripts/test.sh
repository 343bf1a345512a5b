#!/usr/bin/env bash
# The README's test command (what .ci/run runs). Installs what is missing,
# then, stopping at the first failure:
#   1. format  every tracked C++ file matches .clang-format (clang-format-14)
#   2. build   RelWithDebInfo, -Werror, everything; every test
#   3. asan    AddressSanitizer + UBSan, with the benchmark; the core,
#              transport, cli and bench suites (bench: reduced counts)
#   4. tsan    ThreadSanitizer, only the threaded parts: the suites
#              labelled transport, socket or cli and what they run
# Real-socket tests stretch their waits and CTest timeouts by one factor
# in the sanitizer passes (tests/time_scale.hpp). Knobs:
#   LANLORD_SIM_SEEDS=N          seeds for the randomized simulation (default 500)
#   LANLORD_TEST_TIME_SCALE=N    the sanitizer passes' factor (default 5)
#   LANLORD_SKIP_SANITIZE=1      skip passes 3 and 4 (local iteration only)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
scale=${LANLORD_TEST_TIME_SCALE:-5}

# Wall time of each phase, printed at the end (also when one fails).
phases=()
phase_start=0
phase_name=""
begin() {
  end_phase
  phase_name=$1
  phase_start=$SECONDS
  echo "== $1 =="
}
end_phase() {
  if [ -n "$phase_name" ]; then
    phases+=("$(printf '%-26s %4ds' "$phase_name" $((SECONDS - phase_start)))")
    phase_name=""
  fi
}
summary() {
  local rc=$?
  end_phase
  echo "== wall time per phase =="
  printf '  %s\n' "${phases[@]}"
  printf '  %-26s %4ds%s\n' total "$SECONDS" "$([ "$rc" -eq 0 ] || echo "  (failed, exit $rc)")"
}
trap summary EXIT

begin "format (clang-format-14)"
scripts/check-format.sh

begin "build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLANLORD_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
begin "tests"
ctest --test-dir build --output-on-failure -j "$jobs"

if [ "${LANLORD_SKIP_SANITIZE:-0}" != 1 ]; then
  begin "build asan+ubsan"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLANLORD_WERROR=ON \
    -DLANLORD_SANITIZE=ON -DLANLORD_BUILD_BENCH=ON -DLANLORD_TEST_TIME_SCALE="$scale" >/dev/null
  cmake --build build-asan -j "$jobs"
  begin "tests asan+ubsan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" -L 'core|transport|cli|bench'

  # The threaded parts only: the target lanlord_threaded_tests
  # (tests/CMakeLists.txt) builds the suites with these labels.
  begin "build tsan"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLANLORD_WERROR=ON \
    -DLANLORD_TSAN=ON -DLANLORD_BUILD_BENCH=OFF -DLANLORD_TEST_TIME_SCALE="$scale" >/dev/null
  cmake --build build-tsan -j "$jobs" --target lanlord_threaded_tests
  begin "tests tsan"
  tsan_options=halt_on_error=1:second_deadlock_stack=1
  if [ -f tests/tsan.supp ]; then
    tsan_options+=":suppressions=$PWD/tests/tsan.supp"
  fi
  TSAN_OPTIONS=$tsan_options \
    ctest --test-dir build-tsan --output-on-failure -j "$jobs" -L 'transport|socket|cli'
fi
