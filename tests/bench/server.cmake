# bench_server: the real `hearth serve` under load from a WebSocket client
# (issue, certify, durable posts, fan-out, idle-connection memory), each figure
# beside an anchor measured in the same run where one can be (not a CTest test).
# The Node `ws` anchor lives in node_ws_anchor/ (server.mjs, its lock file);
# bench_server runs `npm ci` there when node_modules is missing.
if(TARGET hearth_bench_common)
  add_executable(bench_server ${CMAKE_CURRENT_LIST_DIR}/server_bench.cpp)
  target_link_libraries(bench_server PRIVATE hearth_bench_common)
  target_compile_definitions(bench_server PRIVATE HEARTH_NODE_ANCHOR_DIR="${CMAKE_CURRENT_LIST_DIR}/node_ws_anchor")
endif()
