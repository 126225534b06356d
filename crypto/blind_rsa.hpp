// RFC 9474 RSA blind signatures on OpenSSL 3: RSABSSA-SHA384-PSS-{Randomized,
// Deterministic} and RSABSSA-SHA384-PSSZERO-{Randomized,Deterministic}.
//
// The protocol uses RSABSSA-SHA384-PSS-Randomized (variant::pss_randomized);
// the other three exist for the RFC's test vectors and interoperability.
// blind_sign() never returns a faulty signature (OpenSSL's private operation
// checks its CRT result with e); finalize() verifies the unblinded signature.
#pragma once

#include "common/errc.hpp"
#include "crypto/bytes.hpp"

#include <memory>
#include <optional>

namespace hearth::crypto::blind_rsa {

inline constexpr std::size_t prefix_bytes = 32;   // RFC 9474 §4.1 randomized prefix
inline constexpr std::size_t pss_salt_bytes = 48; // sLen for the PSS variants
inline constexpr unsigned public_exponent = 65537;
inline constexpr unsigned min_modulus_bits = 2048;  // smaller keys are refused
inline constexpr unsigned max_modulus_bits = 4096;  // larger keys are refused (bounds work per op)

enum class variant {
  pss_randomized,        // RSABSSA-SHA384-PSS-Randomized (hearth's)
  pss_deterministic,     // RSABSSA-SHA384-PSS-Deterministic
  psszero_randomized,    // RSABSSA-SHA384-PSSZERO-Randomized
  psszero_deterministic, // RSABSSA-SHA384-PSSZERO-Deterministic
};
[[nodiscard]] std::size_t salt_length(variant v) noexcept;
[[nodiscard]] bool is_randomized(variant v) noexcept;

class public_key {
 public:
  // DER SubjectPublicKeyInfo with algorithm rsaEncryption.
  // Error: bad_request (not RSA, not DER, e != 65537, fewer than 2048 bits).
  // Also refused: more than max_modulus_bits, and any encoding other than the
  // canonical DER one (so key_id() is always SHA-256 of the bytes given here).
  [[nodiscard]] static result<public_key> from_spki(byte_view der);
  [[nodiscard]] bytes spki() const;
  [[nodiscard]] bytes key_id() const;            // SHA-256 of spki()
  [[nodiscard]] unsigned bits() const noexcept;
  [[nodiscard]] std::size_t modulus_bytes() const noexcept;  // k in the RFC

  struct impl;
  explicit public_key(std::shared_ptr<impl const> p) : p_(std::move(p)) {}
  [[nodiscard]] impl const& get() const noexcept { return *p_; }

 private:
  std::shared_ptr<impl const> p_;
};

class secret_key {
 public:
  // bits ∈ {2048, 3072, 4096}; error bad_request otherwise.
  [[nodiscard]] static result<secret_key> generate(unsigned bits);
  // Unencrypted PKCS#8 DER. Error: bad_request.
  [[nodiscard]] static result<secret_key> from_pkcs8(byte_view der);
  // From big-endian p, q, d, e (known-answer tests); n = p*q, CRT values derived.
  // Error: bad_request (inconsistent or out-of-range values).
  [[nodiscard]] static result<secret_key> from_components(byte_view p, byte_view q, byte_view d,
                                                          byte_view e);
  // Empty only if OpenSSL cannot encode the key (out of memory).
  [[nodiscard]] secret_bytes pkcs8() const;
  // Qualified: an unqualified name would change meaning inside the class.
  [[nodiscard]] blind_rsa::public_key public_key() const;

  struct impl;
  explicit secret_key(std::shared_ptr<impl const> p) : p_(std::move(p)) {}
  [[nodiscard]] impl const& get() const noexcept { return *p_; }

 private:
  std::shared_ptr<impl const> p_;  // wiped (RSA_free/BN_clear_free) when the last user drops it
};

// Prepare (RFC 9474 §4.1): a fresh 32-byte random prefix for randomized
// variants, nothing for deterministic ones. prepared = prefix || msg.
struct prepared_message {
  bytes prefix;    // empty for deterministic variants
  bytes prepared;  // prefix || msg
};
[[nodiscard]] prepared_message prepare(variant v, byte_view msg);

// EMSA-PSS-ENCODE (RFC 8017 §9.1.1) of prepared with SHA-384/MGF1-SHA-384, the
// given salt (its length must be salt_length(v)) and emBits = bits(n) - 1: the
// RFC's encoded_msg (known-answer tests). Error: bad_request.
[[nodiscard]] result<bytes> emsa_pss_encode(public_key const& pk, variant v, byte_view prepared,
                                            byte_view salt);

struct blinding {
  bytes blinded_msg;  // k bytes
  secret_bytes inv;   // r^-1 mod n, k bytes big-endian
};
// Blind (RFC 9474 §4.2) with a random salt and r.
[[nodiscard]] result<blinding> blind(public_key const& pk, variant v, byte_view prepared);
// Blind with given salt and r^-1 (known-answer tests only).
[[nodiscard]] result<blinding> blind_with(public_key const& pk, variant v, byte_view prepared,
                                          byte_view salt, byte_view inv);

// BlindSign (RFC 9474 §4.3): blinded_msg must be k bytes and < n (else
// bad_request). Steps 3-4 (s^e == m) are OpenSSL's: its RSA private
// operation checks the CRT result with e and recomputes without CRT on a
// mismatch (tested on a key with a corrupted CRT exponent).
[[nodiscard]] result<bytes> blind_sign(secret_key const& sk, byte_view blinded_msg);

// Finalize (RFC 9474 §4.4): unblind and verify. Error: invalid_signature.
[[nodiscard]] result<bytes> finalize(public_key const& pk, variant v, byte_view prepared,
                                     byte_view blind_sig, secret_bytes const& inv);

// RSASSA-PSS verification of sig over prepared (SHA-384, MGF1-SHA-384,
// salt length of the variant). Error: invalid_signature (also wrong length).
[[nodiscard]] result<void> verify(public_key const& pk, variant v, byte_view prepared, byte_view sig);

}  // namespace hearth::crypto::blind_rsa
