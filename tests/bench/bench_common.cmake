# hearth_bench_common: what bench_server and bench_load share (the WebSocket
# client and driver, server start/stop, /metrics, CPU and RSS readings,
# percentiles, the client side of issue/certify/login). Listed first by the
# glob in CMakeLists.txt, so the benches below can link it.
if(TARGET hearth_boost AND TARGET hearth_crypto)
  add_library(hearth_bench_common STATIC ${CMAKE_CURRENT_LIST_DIR}/bench_common.cpp)
  target_link_libraries(hearth_bench_common PUBLIC hearth_boost hearth_crypto Threads::Threads)
endif()
