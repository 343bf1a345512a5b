# The loss curves of scripts/loss-curve.sh (README.md here). Reads the
# tables that script writes from churn.jsonl and failover.jsonl:
#   churn-<profile>-<on|off>.tsv     loss, false deaths/h, % not one leader, % not agreed
#   failover-<profile>-<on|off>.tsv  loss, p50 ms, p95 ms
# Zeros cannot be drawn on the log scales: a point missing there is 0.
set terminal svg size 1200,420 font "sans,11"
set output "loss.svg"
set multiplot layout 1,3 title "lanlord, N = 16, simulator: suspicion (on) against the plain detector (off)"
set xlabel "loss per datagram copy (%)"
set key top left
set grid
set logscale y
set format y "10^{%L}"
set title "false deaths per hour"
plot for [p in "fast lan"] for [m in "on off"] \
  sprintf("churn-%s-%s.tsv", p, m) using ($1*100):2 with linespoints \
  title sprintf("%s, %s", p, m)
set title "% of time without exactly one leader"
plot for [p in "fast lan"] for [m in "on off"] \
  sprintf("churn-%s-%s.tsv", p, m) using ($1*100):3 with linespoints \
  title sprintf("%s, %s", p, m)
unset logscale y
set format y "%g"
set title "crash failover p95 (ms)"
set yrange [0:*]
plot for [p in "fast"] for [m in "on off"] \
  sprintf("failover-%s-%s.tsv", p, m) using ($1*100):3 with linespoints \
  title sprintf("%s, %s", p, m)
unset multiplot
