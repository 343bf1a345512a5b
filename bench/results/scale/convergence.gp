# Written by lanlord-bench --plot; redraw with: gnuplot 'bench/results/scale/convergence.gp'
# Columns: N, p50 ms, min ms, p99 ms (series); N, ms (Fabric's figure).
$s0 << EOD
3 209.111 209.111 216.845
8 211.134 211.134 248.753
32 211.251 211.251 273.516
128 239.165 239.165 262.441
512 257.644 257.644 291.866
1000 246.706 246.706 282.726
EOD
$s1 << EOD
3 51 51 51
8 51 51 51
32 51 51 51
128 51 51 51
512 51 51 51
1000 51 51 51
EOD
$f2 << EOD
3 2100
8 2100
32 2100
128 2100
512 2100
1000 2100
EOD
$f3 << EOD
3 1100
8 1100
32 1100
128 1100
512 1100
1000 1100
EOD
set terminal svg size 1410,470 dynamic enhanced font 'Helvetica,12' background rgb 'white'
set output 'bench/results/scale/convergence.svg'
set encoding utf8
set multiplot layout 1,3 title "lanlord: time until the cluster agrees on a leader, against cluster size\n{/*0.8 nproc=2; points: median (p50), bars: min to p99; wide pale line: Fabric's algorithm on the same timings}"
set logscale xy
set grid xtics ytics lc rgb '#e6e6e6' lw 1
unset key
set xlabel 'nodes (N)'
set ylabel 'time to agree (ms)'
set format y '%g'
set ytics (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000)
set bars small
set xrange [2:1500]
set xtics (3, 8, 32, 128, 512, 1000)
set title 'startup'
set yrange [31.875:1760]
plot $f3 using 1:2 with lines dt 1 lw 7 lc rgb '#b01b9e77' notitle, \
     $s1 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#1b9e77' notitle
set title 'failover'
set yrange [130.695:3360]
plot $f2 using 1:2 with lines dt 1 lw 7 lc rgb '#b01b9e77' notitle, \
     $s0 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#1b9e77' notitle
unset title
unset border
unset xtics
unset ytics
unset xlabel
unset ylabel
unset grid
unset logscale
set xrange [0:1]
set yrange [0:1]
set key center center vertical Left reverse font ',11' samplen 3 spacing 1.3 title 'profile, transport'
plot NaN with linespoints dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#1b9e77' title 'fast, sim', \
     NaN with lines dt 1 lw 7 lc rgb '#b01b9e77' title 'Fabric''s algorithm, fast timings'
unset multiplot
