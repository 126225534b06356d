#include "crypto/random.hpp"

#include <sodium.h>

#include <stdexcept>

namespace hearth::crypto {

void init() {
  // sodium_init is itself thread-safe and returns 1 when already initialised.
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

bytes random_bytes(std::size_t n) {
  bytes out(n);
  if (n != 0) randombytes_buf(out.data(), n);
  return out;
}

secret_bytes random_secret(std::size_t n) {
  secret_bytes out(n);
  if (n != 0) randombytes_buf(out.data(), n);
  return out;
}

bytes sha256(byte_view in) {
  static_assert(sha256_bytes == crypto_hash_sha256_BYTES);
  bytes out(sha256_bytes);
  crypto_hash_sha256(out.data(), in.data(), in.size());
  return out;
}

bool equal(byte_view a, byte_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace hearth::crypto
