// Ed25519 signatures (libsodium): pseudonym keys, the directory master key.
#pragma once

#include "common/errc.hpp"
#include "crypto/bytes.hpp"

namespace hearth::crypto::ed25519 {

inline constexpr std::size_t public_key_bytes = 32;
inline constexpr std::size_t secret_key_bytes = 64;  // libsodium's seed||pk form
inline constexpr std::size_t signature_bytes = 64;

struct keypair {
  bytes public_key;
  secret_bytes secret_key;
};

[[nodiscard]] keypair generate();
// Rebuild a key pair from a stored 64-byte secret key. Error: bad_request.
[[nodiscard]] result<keypair> from_secret_key(byte_view sk);

// An empty result if sk is not secret_key_bytes long (no verifier accepts it).
[[nodiscard]] bytes sign(secret_bytes const& sk, byte_view msg);
// False for a wrong-length key or signature as well as a bad signature.
[[nodiscard]] bool verify(byte_view pk, byte_view msg, byte_view sig) noexcept;

// A canonical encoding of a point of large (prime) order, not the identity:
// what PROTOCOL.md §6 requires of pseudonym_pk.
[[nodiscard]] bool is_valid_public_key(byte_view pk) noexcept;

}  // namespace hearth::crypto::ed25519
