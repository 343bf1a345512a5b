# Checks that the code between "// [embed-begin]" and "// [embed-end]" in
# SOURCE equals the fenced block between "<!-- embed_example.cpp: begin -->"
# and "<!-- embed_example.cpp: end -->" in DOC, so the document cannot rot.
# With -DUPDATE=ON it rewrites DOC's block from SOURCE instead.
#   cmake -DSOURCE=<cpp> -DDOC=<md> [-DUPDATE=ON] -P check_snippet.cmake
foreach(var SOURCE DOC)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_snippet.cmake: -D${var}=... is required")
  endif()
endforeach()

function(slice text begin end out_before out_inside out_after)
  string(FIND "${text}" "${begin}" b)
  string(FIND "${text}" "${end}" e)
  if(b EQUAL -1 OR e EQUAL -1 OR e LESS b)
    message(FATAL_ERROR "markers '${begin}' ... '${end}' not found in order")
  endif()
  string(LENGTH "${begin}" blen)
  math(EXPR start "${b} + ${blen}")
  math(EXPR len "${e} - ${start}")
  string(SUBSTRING "${text}" 0 ${start} before)
  string(SUBSTRING "${text}" ${start} ${len} inside)
  string(SUBSTRING "${text}" ${e} -1 after)
  set(${out_before} "${before}" PARENT_SCOPE)
  set(${out_inside} "${inside}" PARENT_SCOPE)
  set(${out_after} "${after}" PARENT_SCOPE)
endfunction()

file(READ "${SOURCE}" source)
file(READ "${DOC}" doc)
slice("${source}" "// [embed-begin]\n" "// [embed-end]" _ code _)
set(block "```cpp\n${code}```\n")
slice("${doc}" "<!-- embed_example.cpp: begin -->\n" "<!-- embed_example.cpp: end -->"
  doc_before doc_block doc_after)

if(UPDATE)
  file(WRITE "${DOC}" "${doc_before}${block}${doc_after}")
  message(STATUS "updated ${DOC} from ${SOURCE}")
elseif(NOT doc_block STREQUAL block)
  message(FATAL_ERROR "${DOC}: the embedding snippet differs from ${SOURCE}.\n"
    "Update it with: cmake -DUPDATE=ON -DSOURCE=${SOURCE} -DDOC=${DOC} -P ${CMAKE_CURRENT_LIST_FILE}")
endif()
