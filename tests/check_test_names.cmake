# CTest splits a test name at ';', so a doctest case named "a; b" would be
# registered as two tests that each match nothing and pass vacuously.
# Fails when any TEST_CASE name under tests/ contains a semicolon.
#   cmake -DTESTS_DIR=<dir> -P check_test_names.cmake
file(GLOB_RECURSE sources "${TESTS_DIR}/*.cpp" "${TESTS_DIR}/*.hpp")
set(bad "")
foreach(f IN LISTS sources)
  file(STRINGS "${f}" lines REGEX "TEST_CASE\\(\"[^\"]*")
  foreach(line IN LISTS lines)
    # A ';' inside the name, escaped or not by file(STRINGS), or a name
    # cut short at it.
    if(line MATCHES "TEST_CASE\\(\"[^\"]*;" OR line MATCHES "TEST_CASE\\(\"[^\"]*$")
      list(APPEND bad "${f}: ${line}")
    endif()
  endforeach()
endforeach()
if(bad)
  string(REPLACE ";" "\n  " bad "${bad}")
  message(FATAL_ERROR "test case names must not contain ';' (CTest splits them):\n  ${bad}")
endif()
