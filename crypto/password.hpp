// Argon2id password hashing (libsodium crypto_pwhash_str family). Slow by
// design: callers on an I/O thread must run these on the worker pool.
#pragma once

#include "common/errc.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::crypto {

struct pwhash_params {
  std::uint64_t opslimit;
  std::size_t memlimit;
  static pwhash_params interactive() noexcept;  // libsodium's INTERACTIVE limits
  static pwhash_params moderate() noexcept;
  static pwhash_params minimal() noexcept;      // lowest libsodium allows (tests only)
};

// The encoded "$argon2id$..." string. Error: internal (out of memory).
[[nodiscard]] result<std::string> hash_password(std::string_view password, pwhash_params params);
// True iff password matches the encoded hash; a malformed hash is false.
[[nodiscard]] bool verify_password(std::string_view encoded_hash, std::string_view password) noexcept;

}  // namespace hearth::crypto
