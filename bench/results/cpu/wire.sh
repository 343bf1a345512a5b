#!/usr/bin/env bash
# bench/results/cpu/wire.sh SYSTEM N [extra lanlord args]: N nodes (lanlord fast or memberlist
# fast) in a network namespace of their own; after a 4 s settle, counts the
# loopback interface's packets and bytes and the nodes' CPU ticks over 5 s.
# Prints one JSON line. Loopback only, in a namespace this script creates.
set -euo pipefail
SYS=$1; N=$2; shift 2
NS=cpuwire$$
ip netns add $NS
trap 'ip netns exec $NS true 2>/dev/null; for p in ${PIDS:-}; do kill -9 $p 2>/dev/null || true; done; wait 2>/dev/null; ip netns del $NS' EXIT
ip netns exec $NS ip link set lo up
PIDS=""
for i in $(seq 0 $((N-1))); do
  id=$(printf n%02d $i)
  if [ "$SYS" = lanlord ]; then
    ip netns exec $NS "$LANLORD" join --json --id $id --profile fast --interface lo --ttl 0 \
      --group 239.255.79.1 --port 47001 --cluster bench "$@" > /dev/null 2>&1 &
  else
    seed=(); [ $i -gt 0 ] && seed=(-seed 127.0.0.1:26000)
    ip netns exec $NS "$MLNODE" -name $id -port $((26000+i)) -profile fast "${seed[@]}" > /dev/null 2>&1 &
  fi
  PIDS="$PIDS $!"
done
sleep 4
ticks() { local t=0; for p in $PIDS; do set -- $(cut -d' ' -f14,15 /proc/$p/stat); t=$((t+$1+$2)); done; echo $t; }
stat() { ip netns exec $NS cat /sys/class/net/lo/statistics/$1; }
p0=$(stat tx_packets); b0=$(stat tx_bytes); t0=$(ticks); s0=$(date +%s.%N)
sleep 5
p1=$(stat tx_packets); b1=$(stat tx_bytes); t1=$(ticks); s1=$(date +%s.%N)
python3 -c "
import json,os
dt=$s1-$s0; n=$N; tck=os.sysconf('SC_CLK_TCK')
print(json.dumps({'system':'$SYS','n':n,'extra':'$*','seconds':round(dt,2),
 'packets_sent_per_node_s':round(($p1-$p0)/n/dt,1),'bytes_sent_per_node_s':round(($b1-$b0)/n/dt),
 'cpu_pct_per_node':round(100.0*($t1-$t0)/tck/(n*dt),3),'load':os.getloadavg()[0]}))"
