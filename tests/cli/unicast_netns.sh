#!/usr/bin/env bash
# Unicast mode where multicast cannot work: a hub namespace with a bridge
# and five node namespaces (veth pairs, 198.18.0.0/15 addresses, nothing
# leaves this host), multicast off on every interface and no multicast
# route. Five `lanlord join --no-multicast --key-file K` processes, each
# given ONE seed (n1-n4: n5; n5: n1), must
#   1. agree on one leader;
#   2. after kill -9 of the leader, the four others agree on a new one;
#   3. in a partition into two halves (nftables in the node namespaces
#      dropping the other half's addresses) each half has a leader of its
#      own, and after the heal one leader again;
#   4. a non-seed node killed (-9) and restarted rejoins and agrees.
# Every wait polls the nodes' JSON events against a deadline (scaled by
# LANLORD_TEST_TIME_SCALE); nothing sleeps and hopes. Exit 77 (skipped)
# without root, `ip netns` or nft.
#   unicast_netns.sh LANLORD
set -euo pipefail
shopt -s nullglob
lanlord=$(readlink -f "$1")
scale=${LANLORD_TEST_TIME_SCALE:-1}
skip() {
  echo "skipped: $*"
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (ip netns, nft)"
command -v ip >/dev/null || skip "no ip command"
command -v nft >/dev/null || skip "no nft command"
command -v jq >/dev/null || skip "no jq command"
[ -x "$lanlord" ] || { echo "no lanlord binary at $lanlord" >&2; exit 1; }

n=5
prefix=lu$$
hub=$prefix-hub
dir=$(mktemp -d)
declare -A pid=() log=()
addr() { echo "198.18.0.$((10 + $1))"; }
ns() { echo "$prefix-$1"; }

cleanup() {
  local rc=$?
  for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for i in $(seq 1 "$n"); do ip netns del "$(ns "$i")" 2>/dev/null || true; done
  ip netns del "$hub" 2>/dev/null || true
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
    for f in "$dir"/*.jsonl "$dir"/*.err; do  # not the key
      echo "== $f" >&2
      tail -n 20 "$f" >&2
    done
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$hub" 2>/dev/null || skip "cannot create a network namespace"
ip netns exec "$hub" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
  net.ipv6.conf.default.disable_ipv6=1
ip -n "$hub" link add br0 type bridge
ip -n "$hub" link set br0 multicast off
ip -n "$hub" link set br0 up
for i in $(seq 1 "$n"); do
  ip netns add "$(ns "$i")"
  # IPv4 only: IPv6 would add its own multicast routes (ff00::/8).
  ip netns exec "$(ns "$i")" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1
  ip -n "$hub" link add "h$i" type veth peer name veth0 netns "$(ns "$i")"
  ip -n "$hub" link set "h$i" master br0 multicast off up
  ip -n "$(ns "$i")" addr add "$(addr "$i")/24" dev veth0
  ip -n "$(ns "$i")" link set lo multicast off up
  ip -n "$(ns "$i")" link set veth0 multicast off up
  # No interface may send multicast, and no route leads to a group.
  if ip -n "$(ns "$i")" link show | grep -q '[<,]MULTICAST[,>]' ||
    [ -n "$(ip -n "$(ns "$i")" route show table all type multicast)" ]; then
    echo "multicast is still on in $(ns "$i")" >&2
    exit 1
  fi
done

"$lanlord" keygen --output "$dir/k" 2>/dev/null

ms() { echo $(($(date +%s%N) / 1000000)); }
seed_of() { if [ "$1" -eq 5 ]; then echo 1; else echo 5; fi; }
start() {  # start I [GENERATION]: node nI, its JSON events in $dir/nI.G.jsonl
  local i=$1 g=${2:-1}
  log[$i]=$dir/n$i.$g.jsonl
  ip netns exec "$(ns "$i")" "$lanlord" join --profile fast --no-multicast \
    --interface veth0 --id "n$i" --peers "$(addr "$(seed_of "$i")"):7676" \
    --key-file "$dir/k" --json >"${log[$i]}" 2>"$dir/n$i.$g.err" &
  pid[$i]=$!
}
# The leader node I follows now, from its latest leader event ("" if none).
leader_of() {
  grep '"event":"leader"' "${log[$1]}" 2>/dev/null | tail -n 1 | jq -r '.leader // ""' || true
}
# agree DEADLINE_S NODE...: waits until every NODE follows one leader that
# is itself one of them; prints it. Fails at the deadline.
agree() {
  local limit=$(($1 * scale)) what=$2
  shift 2
  local end=$((SECONDS + limit)) i l first
  while [ "$SECONDS" -lt "$end" ]; do
    first=$(leader_of "$1")
    local ok=1
    for i in "$@"; do
      l=$(leader_of "$i")
      [ -n "$l" ] && [ "$l" = "$first" ] || ok=0
    done
    if [ "$ok" -eq 1 ] && [[ " $* " == *" ${first#n} "* ]]; then
      echo "$first"
      return 0
    fi
    sleep 0.1  # the poll interval
  done
  echo "FAIL: $what: nodes $* did not agree within ${limit}s:" >&2
  for i in "$@"; do echo "  n$i follows '$(leader_of "$i")'" >&2; done
  return 1
}
partition() {  # partition "A..." "B...": each side drops the other's addresses
  local side other i j
  for side in "$1|$2" "$2|$1"; do
    other=${side#*|}
    local set=""
    for j in $other; do set+="${set:+, }$(addr "$j")"; done
    for i in ${side%|*}; do
      ip netns exec "$(ns "$i")" nft -f - <<EOF
table inet partition {
  chain input { type filter hook input priority 0; ip saddr { $set } drop; }
  chain output { type filter hook output priority 0; ip daddr { $set } drop; }
}
EOF
    done
  done
}
heal() {
  for i in "$@"; do ip netns exec "$(ns "$i")" nft delete table inet partition; done
}

for i in $(seq 1 "$n"); do start "$i"; done
t0=$(ms)
leader=$(agree 10 "startup" 1 2 3 4 5)
echo "1. five nodes, one seed each: leader $leader ($(($(ms) - t0)) ms)"
for i in $(seq 1 "$n"); do
  head -n 1 "${log[$i]}" | grep -q '"mode":"unicast"' || {
    echo "FAIL: n$i's started event does not say unicast" >&2
    exit 1
  }
done

dead=${leader#n}
kill -9 "${pid[$dead]}"
wait "${pid[$dead]}" 2>/dev/null || true
unset "pid[$dead]"
survivors=()
for i in $(seq 1 "$n"); do [ "$i" -eq "$dead" ] || survivors+=("$i"); done
t0=$(ms)
leader=$(agree 8 "failover" "${survivors[@]}")
echo "2. kill -9 of n$dead: the others agree on $leader ($(($(ms) - t0)) ms)"

a=("${survivors[@]:0:2}")
b=("${survivors[@]:2:2}")
partition "${a[*]}" "${b[*]}"
t0=$(ms)
la=$(agree 8 "partition, side ${a[*]}" "${a[@]}")
lb=$(agree 8 "partition, side ${b[*]}" "${b[@]}")
echo "3. partition {${a[*]}} | {${b[*]}}: leaders $la and $lb ($(($(ms) - t0)) ms)"
heal "${survivors[@]}"
t0=$(ms)
leader=$(agree 8 "heal" "${survivors[@]}")
echo "   healed: one leader, $leader ($(($(ms) - t0)) ms)"

# A node that is nobody's seed, whose own seed (n5) is alive.
if [ "$dead" -eq 5 ]; then
  echo "FAIL: the seed n5 led first (expected the lowest id); cannot restart a node through it" >&2
  exit 1
fi
restart=""
for i in "${survivors[@]}"; do
  if [ "$i" -ne 5 ] && [ "$i" -ne 1 ] && [ "n$i" != "$leader" ]; then restart=$i; fi
done
kill -9 "${pid[$restart]}"
wait "${pid[$restart]}" 2>/dev/null || true
start "$restart" 2
t0=$(ms)
leader=$(agree 8 "restart" "${survivors[@]}")
grep -q '"event":"member_joined"' "${log[$restart]}" || {
  echo "FAIL: the restarted n$restart heard no member" >&2
  exit 1
}
echo "4. n$restart restarted: rejoined, agrees on $leader ($(($(ms) - t0)) ms)"
echo "PASS: ${SECONDS}s in all"
