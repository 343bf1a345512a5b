#!/usr/bin/env bash
# Failover time of `lanlord run` after a crash: the time from `kill -9` of
# the leading `lanlord run` process to the moment the next leader's command
# has started (the command's own first action, a clock read).
#
# Each run starts a fresh cluster of RF_NODES processes on loopback:
#   lanlord run --profile fast --channel job --cluster C --port P --id rf-NN -- CMD
# with a group, port and cluster name of its own (random, never the
# defaults, TTL 0 on lo), so it cannot collide with other tests. CMD
# appends "start_ns node_id epoch pid" to a file (a short O_APPEND write is
# atomic) and then execs `sleep M`, M a number unique to this script and
# run (the marker pgrep looks for). The script waits until one command has
# started, no other start for 1 s and every node names the same leader;
# takes t0 just before `kill -9` of that leader's lanlord; waits for a
# start line from another node; then 1 s more, and checks:
#   - the new epoch is larger than the old one;
#   - the new command started after t0 (no overlap with the old leader's
#     command while it led), and the killed node's command is gone (its
#     pid, from its start line, and pgrep on the marker);
#   - exactly one command runs afterwards, and no other start happened.
# Then it stops the whole cluster (SIGTERM, then SIGKILL) and checks that
# no command is left. The whole cluster is restarted for every run, so runs
# are independent (the leader is usually rf-00 and its successor rf-01).
# Prints one line per run, then median, min, max, p95 (nearest rank) of
# the failover, and the load average before and after.
#
#   RF_LANLORD=PATH   the lanlord binary (default build/cli/lanlord)
#   RF_NODES=N        nodes per cluster (default 32)
#   RF_RUNS=R         runs (default 20)
#   RF_KEEP=1         keep the per-run logs (lanlord --json of every node);
#                     they are kept anyway when a run fails
#
# Builds nothing. Exits 1 when a check fails in some run (the figures are
# printed anyway), 2 on a usage problem.
set -euo pipefail
cd "$(dirname "$0")/.."

lanlord=${RF_LANLORD:-build/cli/lanlord}
nodes=${RF_NODES:-32}
runs=${RF_RUNS:-20}
keep=${RF_KEEP:-0}
if [ ! -x "$lanlord" ]; then
  echo "run-failover.sh: no lanlord at $lanlord (set RF_LANLORD, or build the lanlord target)" >&2
  exit 2
fi
if ! [[ "$nodes" =~ ^[0-9]+$ && "$nodes" -ge 2 && "$runs" =~ ^[0-9]+$ && "$runs" -ge 1 ]]; then
  echo "run-failover.sh: RF_NODES must be >= 2 and RF_RUNS >= 1" >&2
  exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-failover.XXXXXX")
declare -a lpids=()  # every lanlord started and not yet reaped
marker=""            # the current run's sleep argument
# A descriptor read never gets data on: `read -t` on it is a sleep without a fork.
exec {never}<> <(:)
nap() { read -r -t "$1" -u "$never" _ || true; }
now_us() { echo "${EPOCHREALTIME/./}"; }
# The pids of the current run's commands (after their exec to sleep).
marker_pids() { pgrep -f "^sleep ${marker}\$" || true; }
# Stops every lanlord still listed: SIGTERM, up to 5 s, then SIGKILL; then
# kills (by pid) any command of this run that is left, and reports it.
stop_cluster() {
  local p left
  [ "${#lpids[@]}" -gt 0 ] || return 0
  kill -TERM "${lpids[@]}" 2>/dev/null || true
  for _ in $(seq 1 100); do
    left=0
    for p in "${lpids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
    [ "$left" = 0 ] && break
    nap 0.05
  done
  kill -KILL "${lpids[@]}" 2>/dev/null || true
  for p in "${lpids[@]}"; do wait "$p" 2>/dev/null || true; done
  lpids=()
  if [ -n "$marker" ]; then
    nap 0.2
    left=$(marker_pids)
    if [ -n "$left" ]; then
      echo "run-failover.sh: commands left after the cluster stopped: $left (killed)" >&2
      # shellcheck disable=SC2086 # one pid a word
      kill -KILL $left 2>/dev/null || true
      return 1
    fi
  fi
  return 0
}
cleanup() {
  stop_cluster || true
  if [ "$keep" = 1 ]; then echo "logs kept in $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The command: one start line, then the marker sleep (the same pid: exec).
# shellcheck disable=SC2016
cmd_script='printf "%s %s %s %s\n" "$(date +%s%N)" "$LANLORD_RUN_NODE_ID" "$LANLORD_RUN_EPOCH" "$$" >>"$1"; exec sleep "$2"'

# Reads the current run's start lines into the array `starts`.
read_starts() {
  starts=()
  [ -f "$dir/starts" ] && mapfile -t starts <"$dir/starts"
  return 0
}
# How many nodes' last `leader` event names $1 (one awk over every log, so
# the check costs one process, not one per node).
agreeing() {
  awk -v want="\"leader\":\"$1\"" '
    /"event":"leader"/ { last[FILENAME] = index($0, want) > 0 }
    END { n = 0; for (f in last) n += last[f]; print n }' "$dir"/rf-*.jsonl
}
# Whether a process is gone or a zombie, without a fork (stat's state
# field follows the ")" that ends the name).
gone() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
  stat=${stat##*) }
  [ "${stat:0:1}" = Z ]
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
binary_before=$(sha256sum "$lanlord" | cut -c1-12)
echo "== run-failover: $nodes nodes, $runs runs, profile fast, lo, $(nproc) cores," \
  "load before $load_before; lanlord $lanlord"
printf '%-4s %-6s %-6s %11s %10s %10s %11s %s\n' run old new failover_ms elected_ms event_ms old_gone_ms checks
results=()
failed=0
for r in $(seq 1 "$runs"); do
  dir=$tmp/run-$r
  mkdir -p "$dir"
  port=$((20000 + RANDOM % 40000))
  group=239.$((RANDOM % 254 + 1)).$((RANDOM % 254 + 1)).$((RANDOM % 254 + 1))
  cluster=rf-$$-$r-$RANDOM
  marker=$((900000000 + ($$ % 10000) * 10000 + r))
  declare -A pid_of=()
  for i in $(seq 0 $((nodes - 1))); do
    id=$(printf 'rf-%02d' "$i")
    "$lanlord" run --profile fast --channel job --cluster "$cluster" --group "$group" \
      --port "$port" --interface lo --ttl 0 --id "$id" --kill-timeout 2s --json \
      -- sh -c "$cmd_script" rf-cmd "$dir/starts" "$marker" >"$dir/$id.jsonl" 2>&1 &
    pid_of[$id]=$!
    lpids+=("$!")
  done

  # Stable: no new start for 1 s, exactly one command alive, and every node
  # names the last starter as the leader.
  notes=()
  leader=""
  stable=0
  last_count=0
  since=$(now_us)
  deadline=$(($(now_us) + 30000000))
  while [ "$(now_us)" -lt "$deadline" ]; do
    read_starts
    if [ "${#starts[@]}" != "$last_count" ]; then
      last_count=${#starts[@]}
      since=$(now_us)
    elif [ "$last_count" -ge 1 ] && [ $(($(now_us) - since)) -ge 1000000 ]; then
      read -r _ leader _ _ <<<"${starts[-1]}"
      if [ "$(agreeing "$leader")" = "$nodes" ] && [ "$(marker_pids | wc -l)" = 1 ]; then
        stable=1
        break
      fi
    fi
    nap 0.25
  done
  if [ "$stable" != 1 ]; then
    echo "run $r: the cluster did not settle in 30 s (${#starts[@]} starts," \
      "$(agreeing "${leader:-rf-00}") of $nodes nodes name ${leader:-rf-00}; logs kept)" >&2
    failed=1
    keep=1
    stop_cluster || true
    continue
  fi
  [ "${#starts[@]}" = 1 ] || notes+=("setup:${#starts[@]}_starts")
  read -r _ old_id old_epoch old_cmd <<<"${starts[-1]}"
  count_before=${#starts[@]}

  # The crash.
  victim=${pid_of[$old_id]}
  t0_us=$(now_us)
  kill -KILL "$victim"
  wait "$victim" 2>/dev/null || true
  rest=()
  for p in "${lpids[@]}"; do [ "$p" = "$victim" ] || rest+=("$p"); done
  lpids=("${rest[@]}")

  gone_us=""
  new_line=""
  deadline=$((t0_us + 10000000))
  while [ "$(now_us)" -lt "$deadline" ]; do
    if [ -z "$gone_us" ] && gone "$old_cmd"; then gone_us=$(now_us); fi
    read_starts
    if [ "${#starts[@]}" -gt "$count_before" ]; then
      new_line=${starts[$count_before]}
      break
    fi
    nap 0.005
  done
  if [ -z "$new_line" ]; then
    echo "run $r: no new command started within 10 s of the kill (logs kept)" >&2
    failed=1
    keep=1
    stop_cluster || true
    continue
  fi
  read -r t1_ns new_id new_epoch new_cmd <<<"$new_line"

  # Settle, then the checks.
  nap 1
  read_starts
  extra=$((${#starts[@]} - count_before - 1))
  if [ -z "$gone_us" ] && gone "$old_cmd"; then gone_us=$(now_us); fi
  live=$(marker_pids | tr '\n' ' ')
  [ "$new_id" != "$old_id" ] || notes+=("same_node")
  [ "$new_epoch" -gt "$old_epoch" ] || notes+=("epoch_not_larger")
  [ "$t1_ns" -gt $((t0_us * 1000)) ] || notes+=("started_before_kill")
  [ -n "$gone_us" ] || notes+=("old_command_survived:$old_cmd")
  [ "$extra" = 0 ] || notes+=("extra_starts:$extra")
  [ "$live" = "$new_cmd " ] || notes+=("live_commands:[${live% }]")
  # The new leader's own view (ms resolution): when it saw itself elected
  # and when it reported the command started (pid known, before exec).
  ev_ms() {
    local ts
    ts=$(grep -F "\"event\":\"$1\"" "$dir/$new_id.jsonl" | grep -F "$2" | tail -n 1 |
      sed -n 's/.*"ts":"\([^"]*\)".*/\1/p' || true)
    if [ -n "$ts" ]; then echo $(($(date -d "$ts" +%s%3N) - t0_us / 1000)); else echo -; fi
  }
  elected_ms=$(ev_ms leader '"is_self":true')
  started_ms=$(ev_ms command_started "\"pid\":$new_cmd,")
  failover=$(awk -v a="$t1_ns" -v b="$t0_us" 'BEGIN { printf "%.1f", (a - b * 1000) / 1e6 }')
  gone_ms=$(awk -v a="${gone_us:-0}" -v b="$t0_us" 'BEGIN { printf "%.1f", a ? (a - b) / 1e3 : -1 }')
  if ! stop_cluster; then notes+=("left_after_stop"); fi
  check=ok
  if [ "${#notes[@]}" -gt 0 ]; then
    check=$(IFS=,; echo "${notes[*]}")
    case $check in setup:*_starts) ;; *) failed=1 keep=1 ;; esac
  fi
  printf '%-4s %-6s %-6s %11s %10s %10s %11s %s\n' "$r" "$old_id" "$new_id" "$failover" "$elected_ms" \
    "$started_ms" "$gone_ms" "$check"
  results+=("$failover")
  unset pid_of
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
binary_after=$(sha256sum "$lanlord" 2>/dev/null | cut -c1-12 || true)

echo "failover_ms = kill -9 of the leader's lanlord to the new command's first clock read;"
echo "elected_ms, event_ms = to the new leader's own leader and command_started events (ms"
echo "resolution); old_gone_ms = when the killed node's command was seen gone (polled every ~5 ms)"
if [ "${#results[@]}" -gt 0 ]; then
  printf '%s\n' "${results[@]}" | sort -n | awk -v n="$nodes" '
    { v[NR] = $1; s += $1 }
    END {
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      k = int(0.95 * NR); if (k < 0.95 * NR) k++
      printf "N=%d runs=%d failover ms: median %.1f  min %.1f  max %.1f  p95 %.1f  mean %.1f\n",
        n, NR, med, v[1], v[NR], v[k], s / NR
    }'
fi
echo "load average before: $load_before; after: $load_after; nproc $(nproc)"
echo "lanlord sha256 $binary_before"
if [ "$binary_after" != "$binary_before" ]; then
  echo "the lanlord binary changed during the runs (now ${binary_after:-unreadable}):" \
    "the figures mix two builds" >&2
  failed=1
fi
[ "$failed" = 0 ] || echo "some runs failed a check (see the checks column)" >&2
exit "$failed"
