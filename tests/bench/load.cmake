# bench_load: the real `hearth serve` under sustained, mixed, open-loop load
# with thousands of subscribed connections, feeds through the server, a grown
# store (built through hearth_storage), and cost as connections grow beside a
# Node `ws` server; every phase repeated, every reply checked (not a CTest test).
if(TARGET hearth_bench_common AND TARGET hearth_storage)
  add_executable(bench_load ${CMAKE_CURRENT_LIST_DIR}/load_bench.cpp)
  target_link_libraries(bench_load PRIVATE hearth_bench_common hearth_storage)
  target_compile_definitions(bench_load PRIVATE HEARTH_NODE_ANCHOR_DIR="${CMAKE_CURRENT_LIST_DIR}/node_ws_anchor")
endif()
# A smoke run, not a timed test: the feed phase at --quick size must run and
# every reply it checks must pass (bench_load exits non-zero on any failed
# check, whatever the speed).
if(TARGET bench_load AND TARGET hearth)
  add_test(NAME bench_load_smoke
    COMMAND bench_load --quick --phase feed --repeats 1 --no-node --hearth $<TARGET_FILE:hearth>)
  set_tests_properties(bench_load_smoke PROPERTIES TIMEOUT 90)
endif()
