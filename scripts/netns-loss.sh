#!/usr/bin/env bash
# A LAN of N network namespaces joined by a bridge (198.18.0.0/15
# addresses, benchmarking space: nothing leaves this host), one
# `lanlord join --json` per namespace, and nftables dropping LOSS % of the
# UDP each namespace receives. Counts, over SECONDS, the false deaths
# (member_dead events: nobody stops) and the leader events, and the share
# of time the nodes did not agree on one leader (sampled from the events).
# Needs root (ip netns, nft). Cleans up after itself, also on Ctrl-C.
#
#   scripts/netns-loss.sh [N] [LOSS] [SECONDS] [PROFILE]   default: 16 5 60 fast
#   LANLORD=path   the lanlord binary (default: build/cli/lanlord)
#   OUT=dir        keep each node's JSON lines there (default: a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-16}
loss=${2:-5}
seconds=${3:-60}
profile=${4:-fast}
lanlord=$(readlink -f "${LANLORD:-build/cli/lanlord}")
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
prefix=lnl$$
bridge=${prefix}br

[ "$(id -u)" -eq 0 ] || { echo "netns-loss: needs root (ip netns, nft)" >&2; exit 2; }
command -v nft >/dev/null || scripts/install-deps.sh
[ -x "$lanlord" ] || { echo "netns-loss: no lanlord binary at $lanlord" >&2; exit 2; }
[ "$n" -ge 2 ] && [ "$n" -le 200 ] || { echo "netns-loss: N must be 2..200" >&2; exit 2; }

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for i in $(seq 1 "$n"); do ip netns del "$prefix-$i" 2>/dev/null || true; done
  ip link del "$bridge" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

ip link add "$bridge" type bridge
ip link set "$bridge" up
for i in $(seq 1 "$n"); do
  ns=$prefix-$i
  ip netns add "$ns"
  ip link add "${prefix}h$i" type veth peer name eth0 netns "$ns"
  ip link set "${prefix}h$i" master "$bridge" up
  ip -n "$ns" addr add "198.18.$((i / 250)).$((i % 250 + 1))/15" dev eth0
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add 224.0.0.0/4 dev eth0
  # Drop LOSS % of the UDP this namespace receives.
  ip netns exec "$ns" nft add table inet lossy
  ip netns exec "$ns" nft add chain inet lossy input '{ type filter hook input priority 0; }'
  ip netns exec "$ns" nft add rule inet lossy input meta l4proto udp numgen random mod 100 \< "$loss" drop
done

echo "netns-loss: $n namespaces, $loss % UDP loss in, $profile, ${seconds}s; logs in $out" >&2
for i in $(seq 1 "$n"); do
  ip netns exec "$prefix-$i" "$lanlord" join --interface eth0 --profile "$profile" \
    --id "$(printf 'n%03d' "$i")" --json >"$out/n$i.jsonl" 2>"$out/n$i.err" &
  pids+=("$!")
done
sleep "$seconds"
cutoff=$(date -u +%s.%N)  # events from the shutdown on are not counted
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

# Every node starts at once and none stops before the end: every
# member_dead before the cutoff is false. Agreement: replay the leader
# events in time order; from the first moment all N nodes follow one
# leader with one epoch, count the time they do not.
cat "$out"/n*.jsonl | jq -s -r --argjson n "$n" --argjson cutoff "$cutoff" '
  def secs: (.[0:19] + "Z" | fromdateiso8601) + (.[20:23] | tonumber) / 1000;
  map(select(.ts != null) | . + {t: (.ts | secs)} | select(.t < $cutoff)) as $all |
  ($all | map(select(.event == "member_dead")) | length) as $dead |
  ($all | map(select(.event == "leader")) | sort_by(.t)) as $ev |
  def agreed: (.s | length) == $n and ([.s[]] | unique | length) == 1 and
              ([.s[]] | .[0] | startswith("null") | not);
  (reduce $ev[] as $e ({s: {}, first: null, last: null, off: 0, agreed: false};
      (if .first != null and (.agreed | not) then .off += ($e.t - .last) else . end)
      | .s[$e.node] = "\($e.leader)/\($e.epoch)" | .last = $e.t
      | .agreed = agreed
      | if .agreed and .first == null then .first = $e.t else . end)) as $r |
  ($r | if .first != null and (.agreed | not) then .off += ($cutoff - .last) else . end) as $r |
  "false deaths: \($dead)\nleader events: \($ev | length)\n" +
  (if $r.first == null then "never agreed on one leader"
   else "agreed from \(($r.first - ($all | map(.t) | min)) * 1000 | floor) ms after the first event; " +
        "not agreed \($r.off * 1000 | floor) ms of \(($cutoff - $r.first) * 1000 | floor) ms " +
        "(\(($r.off / ($cutoff - $r.first)) * 100 * 1000 | round / 1000) %)" end)'
