#!/usr/bin/env bash
# bench/results/cpu/ab.sh N SECONDS [extra args]: runs a cluster of N `before` nodes and a
# cluster of N `after` nodes at the same time (separate groups and ports,
# loopback), and after a 4 s settle compares their CPU over the same window.
N=$1; W=$2; shift 2
: "${BEFORE:?path of the lanlord binary before}" "${AFTER:?path of the lanlord binary after}"
A=""; B=""
for i in $(seq 0 $((N-1))); do
  id=$(printf n%02d $i)
  $BEFORE join --json --id $id --profile fast --interface lo --ttl 0 --group 239.255.81.1 --port 48001 --cluster ab "$@" >/dev/null 2>&1 & A="$A $!"
  $AFTER join --json --id $id --profile fast --interface lo --ttl 0 --group 239.255.81.2 --port 48003 --cluster ab "$@" >/dev/null 2>&1 & B="$B $!"
done
sleep 4
ticks() { local t=0; for p in $*; do set -- $(cut -d' ' -f14,15 /proc/$p/stat); t=$((t+$1+$2)); done; echo $t; }
a0=$(ticks $A); b0=$(ticks $B); s0=$(date +%s.%N)
sleep $W
a1=$(ticks $A); b1=$(ticks $B); s1=$(date +%s.%N)
kill -9 $A $B; wait 2>/dev/null
python3 -c "
import json,os
dt=$s1-$s0; n=$N; tck=os.sysconf('SC_CLK_TCK')
print(json.dumps({'n':n,'extra':'$*','seconds':round(dt,2),'before_cpu_pct_per_node':round(100.0*($a1-$a0)/tck/(n*dt),3),'after_cpu_pct_per_node':round(100.0*($b1-$b0)/tck/(n*dt),3),'load':os.getloadavg()[0]}))"
