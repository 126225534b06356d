# bench_crypto: BlindSign, RSA-PSS verify and Ed25519 verify rates beside
# OpenSSL / libsodium anchors from the same run (not a CTest test).
add_executable(bench_crypto ${CMAKE_CURRENT_LIST_DIR}/crypto_bench.cpp)
target_link_libraries(bench_crypto PRIVATE hearth_crypto OpenSSL::Crypto PkgConfig::SODIUM)
