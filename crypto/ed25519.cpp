#include "crypto/ed25519.hpp"

#include "crypto/random.hpp"

#include <sodium.h>

#include <algorithm>

namespace hearth::crypto::ed25519 {
namespace {

static_assert(public_key_bytes == crypto_sign_PUBLICKEYBYTES);
static_assert(secret_key_bytes == crypto_sign_SECRETKEYBYTES);
static_assert(signature_bytes == crypto_sign_BYTES);
static_assert(public_key_bytes == crypto_core_ed25519_BYTES);

constexpr std::size_t seed_bytes = crypto_sign_SEEDBYTES;

}  // namespace

keypair generate() {
  keypair kp{bytes(public_key_bytes), secret_bytes(secret_key_bytes)};
  crypto_sign_keypair(kp.public_key.data(), kp.secret_key.data());
  return kp;
}

result<keypair> from_secret_key(byte_view sk) {
  if (sk.size() != secret_key_bytes) return errc::bad_request;
  keypair kp{bytes(public_key_bytes), secret_bytes(secret_key_bytes)};
  // The stored form is seed || pk: rebuild from the seed and check the pk half.
  if (crypto_sign_seed_keypair(kp.public_key.data(), kp.secret_key.data(), sk.data()) != 0)
    return errc::internal;
  if (!equal(kp.public_key, sk.subspan(seed_bytes))) return errc::bad_request;
  return kp;
}

bytes sign(secret_bytes const& sk, byte_view msg) {
  // A wrong-sized key yields an empty signature, which no verifier accepts.
  if (sk.size() != secret_key_bytes) return {};
  bytes sig(signature_bytes);
  crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), sk.data());
  return sig;
}

bool verify(byte_view pk, byte_view msg, byte_view sig) noexcept {
  if (pk.size() != public_key_bytes || sig.size() != signature_bytes) return false;
  return crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), pk.data()) == 0;
}

bool is_valid_public_key(byte_view pk) noexcept {
  if (pk.size() != public_key_bytes) return false;
  // Canonical encoding, on the curve, not of small order, in the prime-order subgroup.
  return crypto_core_ed25519_is_valid_point(pk.data()) == 1;
}

}  // namespace hearth::crypto::ed25519
