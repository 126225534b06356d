#include "crypto/ed25519.hpp"

#include "crypto/random.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdint>

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

namespace {

// y < p = 2^255 - 19 (the sign bit of x, bit 255, is not part of y).
bool canonical_y(std::uint8_t const* s) noexcept {
  if ((s[31] & 0x7f) != 0x7f) return true;
  for (int i = 30; i > 0; --i)
    if (s[i] != 0xff) return true;
  return s[0] < 0xed;
}

// The y coordinates of the eight points of small order (orders 1, 2, 4 and
// 8), little-endian: each stands for two encodings (either sign bit).
constexpr std::uint8_t small_order_y[5][32] = {
    {0x00},                                                       // order 4
    {0x01},                                                       // the identity
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},  // order 2
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
     0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},  // order 8
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
     0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},  // order 8
};

bool small_order_y_value(std::uint8_t const* s) noexcept {
  for (auto const& y : small_order_y) {
    bool same = (s[31] & 0x7f) == y[31];
    for (int i = 0; i < 31 && same; ++i) same = s[i] == y[i];
    if (same) return true;
  }
  return false;
}

}  // namespace

bool is_valid_public_key(byte_view pk) noexcept {
  if (pk.size() != public_key_bytes) return false;
  // PROTOCOL.md asks for a canonical point of large order: y < p, not one of
  // the eight small-order points, and on the curve. crypto_core_ed25519_add
  // decodes both operands and fails unless they are points on the curve;
  // unlike crypto_core_ed25519_is_valid_point it skips the prime-order
  // subgroup test (a scalar multiplication by the group order, about as
  // costly as a signature check), which "large order" does not ask for.
  if (!canonical_y(pk.data()) || small_order_y_value(pk.data())) return false;
  std::uint8_t sum[crypto_core_ed25519_BYTES];
  return crypto_core_ed25519_add(sum, pk.data(), pk.data()) == 0;
}

}  // namespace hearth::crypto::ed25519
