# Runs lanlord-bench briefly and checks what it prints. Invoked by CTest:
#   cmake -DBENCH=<lanlord-bench> -DUDP=ON|OFF [-DETCD=ON|OFF] -DWORK_DIR=<dir> [-DTIME_SCALE=N]
#         -P smoke.cmake
# TIME_SCALE is the test command's factor for sanitized builds (tests/CMakeLists.txt).
cmake_minimum_required(VERSION 3.20)
if(NOT TIME_SCALE)
  set(TIME_SCALE 1)
endif()
math(EXPR run_timeout "100 * ${TIME_SCALE}")
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

set(required scenario nodes runs profile transport p50_ms p95_ms p99_ms max_ms failed
    fabric_ms dgrams_out_per_node_s wall_s auth)

# Runs the bench with ARGN, checks every JSON line; `expected_rows` rows,
# which are also left in `${name}_rows` (a list of JSON lines).
function(run_bench name expected_rows)
  execute_process(COMMAND ${BENCH} ${ARGN} --json --quiet
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT ${run_timeout})
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${name}: lanlord-bench exited with ${rc}\n${err}\n${out}")
  endif()
  string(STRIP "${out}" out)
  string(REPLACE "\n" ";" lines "${out}")
  list(LENGTH lines n)
  if(NOT n EQUAL expected_rows)
    message(FATAL_ERROR "${name}: ${n} JSON lines, expected ${expected_rows}:\n${out}")
  endif()
  foreach(line IN LISTS lines)
    foreach(field IN LISTS required)
      string(JSON value ERROR_VARIABLE json_error GET "${line}" ${field})
      if(json_error)
        message(FATAL_ERROR "${name}: no '${field}' (${json_error}) in: ${line}")
      endif()
    endforeach()
    string(JSON scenario GET "${line}" scenario)
    string(JSON nodes GET "${line}" nodes)
    string(JSON failed GET "${line}" failed)
    string(JSON p50 GET "${line}" p50_ms)
    # string(JSON GET) reads a null as an empty string, which no numeric
    # comparison catches: ask for the type.
    string(JSON p50_type TYPE "${line}" p50_ms)
    string(JSON first_failure GET "${line}" first_failure)
    if(NOT failed EQUAL 0)
      message(FATAL_ERROR "${name}: ${scenario} N=${nodes}: ${failed} runs failed: ${first_failure}")
    endif()
    if(NOT p50_type STREQUAL "NUMBER" OR p50 LESS_EQUAL 0)
      message(FATAL_ERROR "${name}: ${scenario} N=${nodes}: no convergence time: ${line}")
    endif()
    message(STATUS "${name}: ${scenario} N=${nodes} p50 ${p50} ms")
  endforeach()
  set(${name}_rows "${lines}" PARENT_SCOPE)
endfunction()

# --help names every option the issue lists.
execute_process(COMMAND ${BENCH} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "--help exited with ${rc}")
endif()
foreach(opt --scenario --transport --procs --lanlord --nodes --runs --profile --loss --delay
            --seed --json --csv --plot --auth --freeze-duration --backend --etcd-endpoints
            --lease-ttl --steady-window)
  string(FIND "${help}" "${opt}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "--help does not document ${opt}")
  endif()
endforeach()

# Bad options exit 2 with a reason: the freeze scenario's among them.
foreach(bad "--freeze-duration;0" "--freeze-duration;soon" "--scenario;thaw")
  execute_process(COMMAND ${BENCH} ${bad} --quiet OUTPUT_QUIET ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 2)
    message(FATAL_ERROR "lanlord-bench ${bad} exited with ${rc}, expected 2: ${err}")
  endif()
endforeach()
if(UDP)
  execute_process(COMMAND ${BENCH} --transport udp --scenario freeze --quiet OUTPUT_QUIET
    ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 2 OR NOT err MATCHES "--procs")
    message(FATAL_ERROR "freeze in-process udp exited with ${rc}, expected 2 naming --procs: ${err}")
  endif()
endif()

# Simulator: every scenario at N = 3 and 8, two runs each; also the CSV
# and the plot (the plot only when gnuplot is installed).
run_bench(sim 14 --transport sim --nodes 3,8 --runs 2 --scenario all --churn-duration 5s
  --csv ${WORK_DIR}/smoke.csv --plot ${WORK_DIR}/smoke.svg)
file(STRINGS ${WORK_DIR}/smoke.csv csv_lines)
list(LENGTH csv_lines csv_n)
if(NOT csv_n EQUAL 15)
  message(FATAL_ERROR "smoke.csv has ${csv_n} lines, expected a header and 14 rows")
endif()
find_program(GNUPLOT gnuplot)
if(GNUPLOT AND NOT EXISTS ${WORK_DIR}/smoke.svg)
  message(FATAL_ERROR "gnuplot is installed but no smoke.svg was drawn")
endif()

# Real sockets on loopback: startup and failover at N = 3, one run.
if(UDP)
  run_bench(udp 2 --transport udp --profile fast --nodes 3 --runs 1 --scenario startup,failover)
  # Keyed and encrypted nodes agree too (bench_tests checks the bytes).
  run_bench(udp-encrypt 1 --transport udp --profile fast --nodes 3 --runs 1 --scenario failover
    --auth encrypt)
endif()

# etcd: the same in-process Nodes electing through a private etcd that the
# bench starts (and removes): startup and failover (a crashed leader's lease
# expires on the server) at N = 3, one run, a 1 s measured window. Each row
# has its agreement time (checked above), requests to etcd, no datagrams,
# and the fast profile's 2 s lease.
if(ETCD)
  run_bench(udp-etcd 2 --backend etcd --profile fast --nodes 3 --runs 1
    --scenario startup,failover --steady-window 1s)
  foreach(line IN LISTS udp-etcd_rows)
    string(JSON transport GET "${line}" transport)
    string(JSON requests GET "${line}" etcd_requests_per_node_s)
    string(JSON keepalives GET "${line}" etcd_keepalives_per_node_s)
    string(JSON dgrams TYPE "${line}" dgrams_out_per_node_s)
    string(JSON ttl GET "${line}" lease_ttl_s)
    if(NOT transport STREQUAL "udp-etcd")
      message(FATAL_ERROR "udp-etcd: the row says transport ${transport}: ${line}")
    endif()
    if(NOT requests GREATER 0 OR NOT keepalives GREATER 0)
      message(FATAL_ERROR "udp-etcd: no requests to etcd counted: ${line}")
    endif()
    if(NOT dgrams STREQUAL "NULL")
      message(FATAL_ERROR "udp-etcd: datagram figures on an etcd row: ${line}")
    endif()
    if(NOT ttl EQUAL 2)
      message(FATAL_ERROR "udp-etcd: lease TTL ${ttl} s on the fast profile, expected 2: ${line}")
    endif()
    message(STATUS "udp-etcd: ${requests} requests/s/node")
  endforeach()
  # heal does not apply: a row that says so, not a failure.
  execute_process(COMMAND ${BENCH} --backend etcd --nodes 2 --runs 1 --scenario heal --json --quiet
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT ${run_timeout})
  if(NOT rc EQUAL 0 OR NOT out MATCHES "\"skipped\":1" OR NOT out MATCHES "loses its lease")
    message(FATAL_ERROR "udp-etcd heal: exit ${rc}, expected a skipped row:\n${out}\n${err}")
  endif()
endif()
