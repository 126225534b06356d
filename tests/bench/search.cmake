# bench_search: search queries per second and p99 on a forum store of 1
# million posts (--quick: 100,000), through the RocksDB index the store keeps
# and through Xapian (Debian libxapian-dev) over the same posts, each beside
# a feed page read from the same store.
if(TARGET hearth_storage)
  add_executable(bench_search ${CMAKE_CURRENT_LIST_DIR}/search_bench.cpp)
  target_link_libraries(bench_search PRIVATE hearth_storage hearth_rocksdb Threads::Threads)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(XAPIAN IMPORTED_TARGET xapian-core)
  endif()
  if(XAPIAN_FOUND)
    target_link_libraries(bench_search PRIVATE PkgConfig::XAPIAN)
    target_compile_definitions(bench_search PRIVATE HEARTH_BENCH_XAPIAN=1)
  endif()
endif()
