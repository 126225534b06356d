# bench_storage: durable post inserts and feed pages through the forum store,
# each beside raw RocksDB doing the same amount of synced work in the same run.
if(TARGET hearth_storage)
  add_executable(bench_storage ${CMAKE_CURRENT_LIST_DIR}/storage_bench.cpp)
  target_link_libraries(bench_storage PRIVATE hearth_storage hearth_rocksdb Threads::Threads)
endif()
