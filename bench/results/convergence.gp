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
3 294 20 582.766
8 302 20 660.924
32 314 13.134 660.314
128 307.917 37 720.497
EOD
$s2 << EOD
8 327.083 31.199 401.154
32 291.047 52.452 1162.01
EOD
$s3 << EOD
3 1589.45 66.237 7925.01
8 1725 28.838 7272.78
32 2160.32 79.039 7025.96
128 2080.56 379.618 9094.11
1000 2331.73 1072.44 5458.96
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
3 349.855 306.556 394.798
8 341.622 305.424 399.975
32 358.719 304.57 397.565
64 364.067 315.283 411.288
128 400.049 342.042 447.79
EOD
$s7 << EOD
3 352.182 325.62 374.391
8 346.678 303.955 398.605
32 360.993 323.122 399.222
EOD
$s8 << EOD
3 3516.21 3010.82 3964.29
8 3636.42 3035.98 3955.48
32 3560.35 3024.4 3981.3
128 3463.26 3009.12 3916.86
1000 3411.09 3411.09 3812.21
EOD
$s9 << EOD
32 3515.61 3337.18 3772.89
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
3 100.667 100.274 100.912
8 100.734 100.449 100.976
32 101.32 100.994 104.389
64 103.03 101.936 108.444
128 105.11 104.736 139.06
EOD
$s13 << EOD
3 101.055 100.855 101.343
8 101.683 100.914 103.9
32 108.659 102.233 124.382
EOD
$s14 << EOD
3 1002 1002 1002
8 1002 1002 1002
32 1002 1002 1002
128 1002 1002 1002
1000 1002 1002 1002
EOD
$s15 << EOD
32 1001.74 1001.58 1002.91
EOD
$s16 << EOD
3 17423.7 15346 19983.5
8 17007 15265.8 19849.2
32 17098.3 15893.3 19783.3
128 17351.3 15045.9 19812
EOD
$s17 << EOD
3 1334.72 1122.94 1564.24
8 1451.18 1107.78 1581.84
32 1368.63 1224.92 1584.37
128 1245.18 1110.54 1595.79
EOD
$s18 << EOD
3 7067.87 6171.01 10880.4
8 6900.06 5702.03 7954.93
32 7164.95 5531.36 7989.69
128 6478.61 5594.53 7858.68
EOD
$s19 << EOD
3 2927.22 1205.03 5866.13
8 3355.95 1731.2 5351.6
32 3008.17 1537.63 5933.49
128 3904.96 1354.91 5958.64
1000 1951.44 1951.44 3802.59
EOD
$s20 << EOD
3 205.482 69.955 450.569
8 286.811 149.441 562.965
32 339.794 106.148 595.689
128 281.562 139.404 519.877
1000 386.983 386.983 455.566
EOD
$s21 << EOD
3 172.749 19.581 344.478
8 235.117 6.793 490.996
32 185.924 13.503 470.632
64 273.191 153.026 469.643
128 313.001 145.061 509.221
EOD
$s22 << EOD
3 150.983 71.095 351.57
8 234.484 108.027 506.147
32 182.987 15.25 453.515
EOD
$s23 << EOD
3 1656.84 1100.16 3148.51
8 2412.93 1002.07 3343.34
32 2088.94 1002.49 3413.43
128 2245.4 1061.94 3451.83
1000 1375.14 1375.14 2055.39
EOD
$s24 << EOD
32 1021.11 506.856 2204.12
EOD
$s25 << EOD
3 6004.26 6002.34 6006.6
8 6004.78 6004.07 6007.18
32 6005.79 6004.68 6006.68
128 6005.99 6005.62 6006.61
1000 6005.93 6005.93 6006
EOD
$s26 << EOD
3 401 401 401
8 401 401 401
32 401 401 401
128 401 401 401
1000 401 401 401
EOD
$s27 << EOD
3 401.155 400.793 401.502
8 401.349 400.944 403.108
32 402.358 401.948 404.342
64 404.992 403.182 422.104
128 448.5 442.985 464.044
EOD
$s28 << EOD
3 420.452 416.907 427.682
8 427.334 418.544 467.489
32 618.109 591.298 727.684
EOD
$s29 << EOD
3 3001 3001 3001
8 3001 3001 3001
32 3001 3001 3001
128 3001 3001 3001
1000 3001 3001 3001
EOD
$s30 << EOD
32 3003.52 3002.84 3005.68
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
set yrange [250.496:32000]
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
set yrange [692.365:32000]
plot $f40 using 1:2 with lines dt 1 lw 7 lc rgb '#b0d95f02' notitle, \
     $f41 using 1:2 with lines dt 1 lw 7 lc rgb '#b01b9e77' notitle, \
     $f42 using 1:2 with lines dt 1 lw 7 lc rgb '#b0377eb8' notitle, \
     $s16 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#d95f02' notitle, \
     $s17 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#1b9e77' notitle, \
     $s18 using 1:2:3:4 with yerrorlines dt 2 lw 1.5 pt 6 ps 0.9 lc rgb '#377eb8' notitle
set title 'handoff-stop'
set yrange [62.6713:40000]
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
set yrange [4.24562:9533.82]
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
