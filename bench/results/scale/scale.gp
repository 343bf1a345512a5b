# How the simulated cluster grows from N = 3 to N = 1000 (fast profile).
# Data: scale.dat, made from sim.jsonl by the jq line in README.md; redraw
# with: cd bench/results/scale && gnuplot scale.gp
# Columns of scale.dat: N, startup p50 ms, failover p50 ms, datagrams
# received per node per second (failover rows), simulator wall ns per
# delivered message (failover rows), virtual s per wall s (failover rows).
set terminal svg size 1000,700 dynamic font "sans,11"
set output "scale.svg"
set multiplot layout 2,2 title "lanlord fast profile on the simulator, N = 3 to 1000"
set logscale x
set xlabel "nodes (N)"
set grid
set key top left
set title "agreed leader, p50 (virtual time)"
set ylabel "ms"
plot "scale.dat" using 1:2 with linespoints title "startup", \
     "" using 1:3 with linespoints title "crash failover"
set title "datagrams received per node per second"
set ylabel "datagrams/s"
set logscale y
plot "scale.dat" using 1:4 with linespoints title "in/s per node", \
     "" using 1:(10*($1-1)) with lines dashtype 2 title "10 (N-1): one heartbeat per 100 ms from each peer"
set title "simulator cost per delivered message"
set ylabel "wall ns"
unset logscale y
plot "scale.dat" using 1:5 with linespoints title "ns per delivery"
set title "simulator speed"
set ylabel "virtual s per wall s"
set logscale y
plot "scale.dat" using 1:6 with linespoints title "speed", 1 with lines dashtype 2 title "real time"
unset multiplot
