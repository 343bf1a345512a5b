# Written by lanlord-bench --plot; redraw with: gnuplot 'bench/results/convergence.gp'
# Columns: N, p50 ms, min ms, p99 ms (series); N, ms (Fabric's figure).
$s0 << EOD
3 6981.85 126.65 26706.7
8 5125.63 28.838 25779.3
32 4304.72 79.039 24326.7
128 4349.54 379.618 23206.3
1000 3815.24 2449.73 17959.1
EOD
$s1 << EOD
3 294.344 20 479.92
8 302 20 660.924
32 314 13.134 660.314
128 307.917 37 720.497
EOD
$s2 << EOD
8 328.018 31.248 404.305
32 291.161 53.624 1161.11
EOD
$s3 << EOD
3 1669.21 66.237 7759.59
8 2184.34 28.838 8287.68
32 2094 79.039 7036.38
128 2119.6 148 9093.11
1000 2124.12 275 5458.96
EOD
$s4 << EOD
3 17515.7 15362.9 19793.9
8 17589.3 15830.1 19777.8
32 18107.4 15773.7 19907.8
128 16410.8 15074.9 19369.9
1000 15883.4 15883.4 16289.1
EOD
$s5 << EOD
3 354.405 310.287 395.987
8 343.508 307.166 401.976
32 352.984 302.662 401.792
128 347.641 310.425 399.732
1000 332.726 332.726 396.706
EOD
$s6 << EOD
3 350.33 306.544 394.919
8 342.673 304.355 402.752
32 362.383 307.196 400.098
64 360.782 316.721 410.503
128 416.081 385.703 464.855
EOD
$s7 << EOD
3 354.272 328.423 379.03
8 346.748 305.987 387.681
32 337.067 323.011 402.464
EOD
$s8 << EOD
3 3516.21 3010.82 3964.29
8 3636.42 3035.98 3955.48
32 3560.35 3024.4 3981.3
128 3463.26 3009.12 3916.86
1000 3411.09 3411.09 3812.21
EOD
$s9 << EOD
32 3521.13 3335.21 3772.18
EOD
$s10 << EOD
3 17425 15114.3 19864.7
8 17032.8 15014.1 19898.4
32 18600.6 15096.6 19920.1
128 17151.4 15189.1 19908.2
1000 18675.5 18675.5 19815.1
EOD
$s11 << EOD
3 102 102 102
8 102 102 102
32 102 102 102
128 102 102 102
1000 102 102 102
EOD
$s12 << EOD
3 100.542 100.361 107.157
8 100.604 100.258 102.181
32 101.377 100.951 102.459
64 102.825 101.817 109.049
128 149.292 130.881 196.154
EOD
$s13 << EOD
3 101.172 101.012 101.784
8 103.777 102.285 112.093
32 106.914 104.491 114.407
EOD
$s14 << EOD
3 1002 1002 1002
8 1002 1002 1002
32 1002 1002 1002
128 1002 1002 1002
1000 1002 1002 1002
EOD
$s15 << EOD
32 1001.61 1001.54 1001.98
EOD
$s16 << EOD
3 17423.7 15346 19983.5
8 17007 15265.8 19849.2
32 17098.3 15893.3 19783.3
128 17351.3 15045.9 19812
EOD
$s17 << EOD
3 1333.72 1122.08 1563.82
8 1450.43 1106.78 1581.23
32 1368.45 1224.91 1584.12
128 1245.17 1110.51 1595.78
EOD
$s18 << EOD
3 6879.41 6171.01 7963
8 6900.06 6061.67 7954.93
32 7164.95 6274.22 7989.69
128 6874.38 6068.4 7858.68
EOD
$s19 << EOD
3 2929.72 1206.54 5869.44
8 3356.69 1732.18 5351.68
32 3008.37 1537.72 5933.5
128 3905.02 1354.95 5958.68
1000 1951.44 1951.44 3802.6
EOD
$s20 << EOD
3 204.366 68.265 450.119
8 287.182 149.751 563.893
32 339.946 106.238 595.789
128 281.6 139.478 519.951
1000 386.986 386.986 455.573
EOD
$s21 << EOD
3 172.61 19.391 344.177
8 235.192 6.409 491.107
32 185.138 14.162 471.167
64 273.176 150.032 475.533
128 542.106 171.621 982.273
EOD
$s22 << EOD
3 145.216 70.971 347.656
8 281.041 104.642 506.277
32 221.105 11.846 512.915
EOD
$s23 << EOD
3 2259.57 1100.16 3445.56
8 2413.19 1002.56 3343.66
32 2089.05 1002.71 3413.57
128 2245.44 1061.97 3451.85
1000 1375.15 1375.15 2055.39
EOD
$s24 << EOD
32 1015.39 503.865 2203.17
EOD
$s25 << EOD
3 6001 6001 6001
8 6001 6001 6001
32 6001 6001 6001
128 6001 6001 6001
1000 6001 6001 6001
EOD
$s26 << EOD
3 401 401 401
8 401 401 401
32 401 401 401
128 401 401 401
1000 401 401 401
EOD
$s27 << EOD
3 400.951 400.836 404.597
8 401.236 400.986 411.053
32 402.236 401.478 410.525
64 407.267 402.799 416.777
128 445.712 443.276 469.61
EOD
$s28 << EOD
3 420.247 417.832 438.244
8 419.509 416.486 450.778
32 720.871 607.119 731.568
EOD
$s29 << EOD
3 2001 2001 2001
8 2001 2001 2001
32 2001 2001 2001
128 2001 2001 2001
1000 2001 2001 2001
EOD
$s30 << EOD
32 3003.01 3002.5 3004
EOD
$f31 << EOD
3 25000
8 25000
32 25000
128 25000
1000 25000
EOD
$f32 << EOD
3 2100
8 2100
32 2100
128 2100
EOD
$f33 << EOD
3 11000
8 11000
32 11000
128 11000
1000 11000
EOD
$f34 << EOD
3 25000
8 25000
32 25000
128 25000
1000 25000
EOD
$f35 << EOD
3 2100
8 2100
32 2100
64 2100
128 2100
1000 2100
EOD
$f36 << EOD
3 11000
8 11000
32 11000
128 11000
1000 11000
EOD
$f37 << EOD
3 25000
8 25000
32 25000
128 25000
1000 25000
EOD
$f38 << EOD
3 2100
8 2100
32 2100
64 2100
128 2100
1000 2100
EOD
$f39 << EOD
3 11000
8 11000
32 11000
128 11000
1000 11000
EOD
$f40 << EOD
3 20000
8 20000
32 20000
128 20000
EOD
$f41 << EOD
3 1600
8 1600
32 1600
128 1600
EOD
$f42 << EOD
3 8500
8 8500
32 8500
128 8500
EOD
$f43 << EOD
3 5001
8 5001
32 5001
128 5001
1000 5001
EOD
$f44 << EOD
3 501
8 501
32 501
64 501
128 501
1000 501
EOD
$f45 << EOD
3 2501
8 2501
32 2501
128 2501
1000 2501
EOD
$f46 << EOD
3 20000
8 20000
32 20000
128 20000
1000 20000
EOD
$f47 << EOD
3 1100
8 1100
32 1100
64 1100
128 1100
1000 1100
EOD
$f48 << EOD
3 6000
8 6000
32 6000
128 6000
1000 6000
EOD
set terminal svg size 1880,870 dynamic enhanced font 'Helvetica,12' background rgb 'white'
set output 'bench/results/convergence.svg'
set encoding utf8
set multiplot layout 2,4 title "lanlord: time until the cluster agrees on a leader, against cluster size\n{/*0.8 nproc=2; points: median (p50), bars: min to p99; wide pale line: Fabric's algorithm on the same timings}"
set logscale xy
set grid xtics ytics lc rgb '#e6e6e6' lw 1
unset key
set xlabel 'nodes (N)'
set ylabel 'time to agree (ms)'
set format y '%g'
set ytics (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000)
set bars small
set xrange [2:1500]
set xtics (3, 8, 32, 64, 128, 1000)
set title 'startup'
set yrange [250.523:32000]
plot $f46 using 1:2 with lines dt 1 lw 7 lc rgb '#b0d95f02' notitle, \
     $f47 using 1:2 with lines dt 1 lw 7 lc rgb '#b01b9e77' notitle, \
     $f48 using 1:2 with lines dt 1 lw 7 lc rgb '#b0377eb8' notitle, \
     $s25 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#d95f02' notitle, \
     $s26 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#1b9e77' notitle, \
     $s27 using 1:2:3:4 with yerrorlines dt 1 lw 2 pt 5 ps 0.8 lc rgb '#1b9e77' notitle, \
     $s28 using 1:2:3:4 with yerrorlines dt 3 lw 2 pt 9 ps 0.9 lc rgb '#1b9e77' notitle, \
     $s29 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#377eb8' notitle, \
     $s30 using 1:2:3:4 with yerrorlines dt 1 lw 2 pt 5 ps 0.8 lc rgb '#377eb8' notitle
set title 'failover'
set yrange [189.164:40000]
plot $f34 using 1:2 with lines dt 1 lw 7 lc rgb '#b0d95f02' notitle, \
     $f35 using 1:2 with lines dt 1 lw 7 lc rgb '#b01b9e77' notitle, \
     $f36 using 1:2 with lines dt 1 lw 7 lc rgb '#b0377eb8' notitle, \
     $s4 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#d95f02' notitle, \
     $s5 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#1b9e77' notitle, \
     $s6 using 1:2:3:4 with yerrorlines dt 1 lw 2 pt 5 ps 0.8 lc rgb '#1b9e77' notitle, \
     $s7 using 1:2:3:4 with yerrorlines dt 3 lw 2 pt 9 ps 0.9 lc rgb '#1b9e77' notitle, \
     $s8 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#377eb8' notitle, \
     $s9 using 1:2:3:4 with yerrorlines dt 1 lw 2 pt 5 ps 0.8 lc rgb '#377eb8' notitle
set title 'handoff-yield'
set yrange [691.74:32000]
plot $f40 using 1:2 with lines dt 1 lw 7 lc rgb '#b0d95f02' notitle, \
     $f41 using 1:2 with lines dt 1 lw 7 lc rgb '#b01b9e77' notitle, \
     $f42 using 1:2 with lines dt 1 lw 7 lc rgb '#b0377eb8' notitle, \
     $s16 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#d95f02' notitle, \
     $s17 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#1b9e77' notitle, \
     $s18 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#377eb8' notitle
set title 'handoff-stop'
set yrange [62.6612:40000]
plot $f37 using 1:2 with lines dt 1 lw 7 lc rgb '#b0d95f02' notitle, \
     $f38 using 1:2 with lines dt 1 lw 7 lc rgb '#b01b9e77' notitle, \
     $f39 using 1:2 with lines dt 1 lw 7 lc rgb '#b0377eb8' notitle, \
     $s10 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#d95f02' notitle, \
     $s11 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#1b9e77' notitle, \
     $s12 using 1:2:3:4 with yerrorlines dt 1 lw 2 pt 5 ps 0.8 lc rgb '#1b9e77' notitle, \
     $s13 using 1:2:3:4 with yerrorlines dt 3 lw 2 pt 9 ps 0.9 lc rgb '#1b9e77' notitle, \
     $s14 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#377eb8' notitle, \
     $s15 using 1:2:3:4 with yerrorlines dt 1 lw 2 pt 5 ps 0.8 lc rgb '#377eb8' notitle
set title 'heal'
set yrange [4.00562:9533.88]
plot $f43 using 1:2 with lines dt 1 lw 7 lc rgb '#b0d95f02' notitle, \
     $f44 using 1:2 with lines dt 1 lw 7 lc rgb '#b01b9e77' notitle, \
     $f45 using 1:2 with lines dt 1 lw 7 lc rgb '#b0377eb8' notitle, \
     $s19 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#d95f02' notitle, \
     $s20 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#1b9e77' notitle, \
     $s21 using 1:2:3:4 with yerrorlines dt 1 lw 2 pt 5 ps 0.8 lc rgb '#1b9e77' notitle, \
     $s22 using 1:2:3:4 with yerrorlines dt 3 lw 2 pt 9 ps 0.9 lc rgb '#1b9e77' notitle, \
     $s23 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#377eb8' notitle, \
     $s24 using 1:2:3:4 with yerrorlines dt 1 lw 2 pt 5 ps 0.8 lc rgb '#377eb8' notitle
set title 'churn: episodes without agreement'
set yrange [8.20875:42730.8]
plot $f31 using 1:2 with lines dt 1 lw 7 lc rgb '#b0d95f02' notitle, \
     $f32 using 1:2 with lines dt 1 lw 7 lc rgb '#b01b9e77' notitle, \
     $f33 using 1:2 with lines dt 1 lw 7 lc rgb '#b0377eb8' notitle, \
     $s0 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#d95f02' notitle, \
     $s1 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#1b9e77' notitle, \
     $s2 using 1:2:3:4 with yerrorlines dt 1 lw 2 pt 5 ps 0.8 lc rgb '#1b9e77' notitle, \
     $s3 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#377eb8' notitle
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
plot NaN with linespoints dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#d95f02' title 'fabric, sim', \
     NaN with linespoints dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#1b9e77' title 'fast, sim', \
     NaN with linespoints dt 1 lw 2 pt 5 ps 0.8 lc rgb '#1b9e77' title 'fast, udp', \
     NaN with linespoints dt 3 lw 2 pt 9 ps 0.9 lc rgb '#1b9e77' title 'fast, udp-procs', \
     NaN with linespoints dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#377eb8' title 'lan, sim', \
     NaN with linespoints dt 1 lw 2 pt 5 ps 0.8 lc rgb '#377eb8' title 'lan, udp', \
     NaN with lines dt 1 lw 7 lc rgb '#b0d95f02' title 'Fabric''s algorithm, fabric timings', \
     NaN with lines dt 1 lw 7 lc rgb '#b01b9e77' title 'Fabric''s algorithm, fast timings', \
     NaN with lines dt 1 lw 7 lc rgb '#b0377eb8' title 'Fabric''s algorithm, lan timings'
unset multiplot
