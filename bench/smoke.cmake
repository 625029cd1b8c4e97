# ctest's bench_smoke: one short run of the tiny case, then the JSON it
# wrote must parse and hold that case's rows (string(JSON) fails on bad
# JSON). Timing is not checked.
file(REMOVE ${JSON})
execute_process(
  COMMAND ${BENCH} --filter tiny --pairs 1 --min-time 0.001 --json ${JSON}
  RESULT_VARIABLE Status OUTPUT_VARIABLE Out ERROR_VARIABLE Err)
if(NOT Status EQUAL 0)
  message(FATAL_ERROR "netjit-bench exited with ${Status}:\n${Out}\n${Err}")
endif()
file(READ ${JSON} Text)
string(JSON Rows ERROR_VARIABLE JsonError LENGTH "${Text}" rows)
if(JsonError)
  message(FATAL_ERROR "netjit-bench wrote bad JSON: ${JsonError}\n${Text}")
endif()
if(Rows LESS 2)
  message(FATAL_ERROR "netjit-bench wrote ${Rows} rows, want >= 2:\n${Text}")
endif()
string(JSON Case GET "${Text}" rows 1 case)
string(JSON Seconds GET "${Text}" rows 1 median_seconds)
if(NOT Case STREQUAL "tiny/add-one" OR NOT Seconds GREATER 0)
  message(FATAL_ERROR "unexpected row 1 (${Case}, ${Seconds} s):\n${Text}")
endif()
message(STATUS "netjit-bench smoke run ok: ${Rows} rows")
