#!/usr/bin/env bash
# The flood figure of the member cap: a member under a flood of made-up
# ids, in its own process, with what the issue pins:
#   - the `lan` profile and the default trust settings (max_members 4096,
#     new_ids_per_second 2000);
#   - 20,000 fake-id datagrams a second for 60 s (1.2 M unique ids): valid,
#     unkeyed heartbeats with the right cluster and a fresh send time;
#   - SO_RCVBUF as the node sets it: it sets none, so the kernel's default
#     applies (net.core.rmem_default, 212992 bytes on Debian; read back from
#     the kernel with ss and printed), a normal build (not under ASan).
# Two real members run (n1, measured, and n2); the flood comes from a third
# process (tests/tools/flood.cpp). Everything stays on loopback (TTL 0).
# Prints n1's RSS before and at the end, its maximum and growth, the peers
# it held, its evictions and rate-limited drops, whether any real member
# was declared dead, and what the kernel dropped. Exits 1 when a target
# is missed: growth < 10 MB, no real member dead or evicted.
#
# Knobs: FLOOD_RATE (20000), FLOOD_SECONDS (60), LANLORD_BUILD_DIR (build).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${LANLORD_BUILD_DIR:-build}
rate=${FLOOD_RATE:-20000}
seconds=${FLOOD_SECONDS:-60}
tool=$build/tests/tools/lanlord_flood
if grep -Eq '^LANLORD_(SANITIZE|TSAN):BOOL=(ON|1|TRUE|YES)' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "flood.sh: $build is a sanitizer build; the figure is for a normal build" >&2
  exit 2
fi
if [ ! -x "$tool" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target lanlord_flood
fi

# A group, port and cluster of our own (never the defaults).
group=239.$((RANDOM % 254 + 1)).$((RANDOM % 254 + 1)).$((RANDOM % 254 + 1))
port=$((20000 + RANDOM % 40000))
cluster=flood-$RANDOM
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

common=(--group "$group" --port "$port" --cluster "$cluster" --profile lan)
"$tool" node --id n1 "${common[@]}" >"$tmp/n1.jsonl" 2>"$tmp/n1.events" &
n1=$!
pids+=("$n1")
"$tool" node --id n2 "${common[@]}" >"$tmp/n2.jsonl" 2>"$tmp/n2.events" &
n2=$!
pids+=("$n2")

# A JSON field of a line: number, string or null (flat fields only).
field() { sed -n "s/.*\"$1\":\(\"[^\"]*\"\|[^,}]*\).*/\1/p"; }
last() { tail -n 1 "$tmp/$1.jsonl"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# utime + stime of a process, in clock ticks (fields 14 and 15 after the name).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# n1's socket as the kernel sees it: skmem's rb (receive buffer) and d (drops).
skmem() {
  ss -uampn "sport = :$port" 2>/dev/null | tr '\n\t' '  ' | grep -o "pid=${2:-$n1},[^s]*skmem:([^)]*)" |
    sed -n "s/.*[(,]$1\([0-9]*\).*/\1/p" | head -n 1 || true
}

echo "== flood: $rate fake ids/s for ${seconds}s at n1 (group $group:$port on lo, profile lan)"
# The cluster first: both members alive and one leader (lan: ~5-6 s).
for _ in $(seq 1 300); do
  if [ -s "$tmp/n1.jsonl" ] && [ "$(last n1 | field real_alive)" = 2 ] &&
    [ "$(last n1 | field leader)" != null ] && [ "$(last n2 | field real_alive)" = 2 ]; then
    break
  fi
  sleep 0.1
done
[ "$(last n1 | field real_alive)" = 2 ] || {
  echo "flood.sh: the two members did not find each other" >&2
  exit 1
}
leader=$(last n1 | field leader)
rcvbuf=$(skmem rb)
drops_before=$(skmem d)
in_before=$(last n1 | field datagrams_in)
rss_start=$(rss_kb "$n1")
echo "cluster up: leader $leader; n1 RSS ${rss_start} kB; n1 SO_RCVBUF ${rcvbuf:-?} bytes" \
  "(net.core.rmem_default $(cat /proc/sys/net/core/rmem_default)," \
  "rmem_max $(cat /proc/sys/net/core/rmem_max))"

"$tool" send --group "$group" --port "$port" --cluster "$cluster" --rate "$rate" \
  --seconds "$seconds" >"$tmp/send.json" &
sender=$!
pids+=("$sender")
rss_max=$rss_start
flood_ms=$(last n1 | field t_ms)
cpu_start=$(cpu_ticks "$n1")
flood_start=$SECONDS
echo "t_s rss_kb peers evictions rate_limited kernel_drops_n1 kernel_drops_n2 real_alive_n1" \
  "real_alive_n2" >"$tmp/samples.txt"
while kill -0 "$sender" 2>/dev/null; do
  sleep 1
  t=$((SECONDS - flood_start))
  r=$(rss_kb "$n1")
  [ "$r" -gt "$rss_max" ] && rss_max=$r
  l=$(last n1)
  echo "$t $r $(echo "$l" | field peers) $(echo "$l" | field evictions)" \
    "$(echo "$l" | field rate_limited) $(skmem d) $(skmem d "$n2") $(echo "$l" | field real_alive)" \
    "$(last n2 | field real_alive)" >>"$tmp/samples.txt"
done
wait "$sender" || true
cpu_flood=$(($(cpu_ticks "$n1") - cpu_start))
# One alive_expiration and a report more, so late deaths would show.
sleep 4
rss_end=$(rss_kb "$n1")
[ "$rss_end" -gt "$rss_max" ] && rss_max=$rss_end
drops_after=$(skmem d)
# The figures before the members stop (their leaves are not the flood's).
end=$(last n1)
end2=$(last n2)
kill -TERM "${pids[0]}" "${pids[1]}"
wait "${pids[0]}" "${pids[1]}" || true

sent=$(field sent <"$tmp/send.json")
peers_max=$(field peers <"$tmp/n1.jsonl" | sort -n | tail -n 1)
in_delta=$(($(echo "$end" | field datagrams_in) - in_before))
growth_kb=$((rss_max - rss_start))
events() { sed -n 's/.*"real_member_events":{\([^}]*\)}.*/\1/p'; }
real_events="n1 saw {$(echo "$end" | events)}, n2 saw {$(echo "$end2" | events)}"
# Anything but the two members joining each other at startup.
bad_events=$(echo "$end $end2" | grep -o '"\(dead\|evicted\|left\|restarted\) n[12]":[0-9]*' || true)

echo "samples (every second):"
column -t "$tmp/samples.txt" 2>/dev/null || cat "$tmp/samples.txt"
echo "sender:                 $(cat "$tmp/send.json")"
echo "n1 RSS start:           ${rss_start} kB"
echo "n1 RSS max:             ${rss_max} kB"
echo "n1 RSS end:             ${rss_end} kB"
echo "n1 RSS growth (max):    ${growth_kb} kB (target < 10240 kB)"
echo "n1 peers held at end:   $(echo "$end" | field peers) (max seen ${peers_max}; cap 4096)"
echo "n1 evictions:           $(echo "$end" | field evictions)"
echo "n1 rate_limited drops:  $(echo "$end" | field rate_limited)"
echo "n1 member_cap drops:    $(echo "$end" | field member_cap)"
echo "n1 receive_errors:      $(echo "$end" | field receive_errors)"
echo "send errors:            n1 $(echo "$end" | field send_errors) of $(echo "$end" | field datagrams_out)," \
  "n2 $(echo "$end2" | field send_errors) of $(echo "$end2" | field datagrams_out) datagrams out"
echo "n1 datagrams received:  ${in_delta} during the flood (${sent} sent, plus n1's and n2's own)"
tck=$(getconf CLK_TCK)
echo "n1 CPU during flood:    $(printf '%d.%02d' $((cpu_flood / tck)) $(((cpu_flood % tck) * 100 / tck))) s" \
  "(user + system, flood and 4 s after; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "n1 kernel drops:        $((${drops_after:-0} - ${drops_before:-0})) (socket skmem d, ss)"
echo "leader:                 before $leader, after $(echo "$end" | field leader)," \
  "changes seen by n1: $(echo "$end" | field leader_changes)"
echo "real member events:     ${real_events}"
echo "  as they happened (ms since each member started; the flood began at n1's ${flood_ms} ms;" \
  "a left at the very end is the members stopping):"
sed 's/^/    n1 /' "$tmp/n1.events"
sed 's/^/    n2 /' "$tmp/n2.events"
ok=1
if [ "$growth_kb" -ge 10240 ]; then
  echo "MISSED: RSS grew by ${growth_kb} kB" >&2
  ok=0
fi
if [ -n "$bad_events" ]; then
  echo "MISSED: a real member was declared dead, evicted, left or restarted: $bad_events" >&2
  ok=0
fi
[ "$ok" = 1 ] && echo "targets met: growth < 10 MB, no real member declared dead"
[ "$ok" = 1 ]
