#include "crypto/password.hpp"

#include <sodium.h>

#include <array>
#include <cstring>

namespace hearth::crypto {
namespace {

constexpr std::size_t encoded_hash_max = crypto_pwhash_argon2id_STRBYTES;  // includes the NUL
constexpr std::string_view argon2id_prefix = crypto_pwhash_argon2id_STRPREFIX;

}  // namespace

pwhash_params pwhash_params::interactive() noexcept {
  return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

pwhash_params pwhash_params::moderate() noexcept {
  return {crypto_pwhash_argon2id_OPSLIMIT_MODERATE, crypto_pwhash_argon2id_MEMLIMIT_MODERATE};
}

pwhash_params pwhash_params::minimal() noexcept {
  return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

result<std::string> hash_password(std::string_view password, pwhash_params params) {
  std::array<char, encoded_hash_max> out{};
  if (crypto_pwhash_argon2id_str(out.data(), password.data(), password.size(), params.opslimit,
                                 params.memlimit) != 0)
    return errc::internal;
  return std::string(out.data());
}

bool verify_password(std::string_view encoded_hash, std::string_view password) noexcept {
  if (encoded_hash.size() >= encoded_hash_max) return false;
  if (encoded_hash.substr(0, argon2id_prefix.size()) != argon2id_prefix) return false;
  std::array<char, encoded_hash_max> str{};  // NUL-terminated copy for libsodium
  std::memcpy(str.data(), encoded_hash.data(), encoded_hash.size());
  return crypto_pwhash_argon2id_str_verify(str.data(), password.data(), password.size()) == 0;
}

}  // namespace hearth::crypto
