// Randomness, hashing and constant-time comparison (libsodium / OpenSSL).
#pragma once

#include "crypto/bytes.hpp"

#include <cstddef>

namespace hearth::crypto {

// Must be called once before any other crypto function (idempotent, thread-safe).
// Throws std::runtime_error if libsodium cannot initialise.
void init();

[[nodiscard]] bytes random_bytes(std::size_t n);
[[nodiscard]] secret_bytes random_secret(std::size_t n);

inline constexpr std::size_t sha256_bytes = 32;
inline constexpr std::size_t sha384_bytes = 48;
[[nodiscard]] bytes sha256(byte_view in);

// Constant-time equality (sodium_memcmp); different lengths compare unequal.
[[nodiscard]] bool equal(byte_view a, byte_view b) noexcept;

}  // namespace hearth::crypto
