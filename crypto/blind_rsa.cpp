#include "crypto/blind_rsa.hpp"

#include "crypto/random.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <climits>
#include <mutex>
#include <vector>

namespace hearth::crypto::blind_rsa {
namespace {

// ---- OpenSSL ownership ------------------------------------------------------

struct bn_deleter {
  void operator()(BIGNUM* b) const noexcept { BN_clear_free(b); }
};
struct bn_ctx_deleter {
  void operator()(BN_CTX* c) const noexcept { BN_CTX_free(c); }
};
struct mont_deleter {
  void operator()(BN_MONT_CTX* m) const noexcept { BN_MONT_CTX_free(m); }
};
struct pkey_deleter {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
struct pkey_ctx_deleter {
  void operator()(EVP_PKEY_CTX* c) const noexcept { EVP_PKEY_CTX_free(c); }
};
struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
struct p8_deleter {
  void operator()(PKCS8_PRIV_KEY_INFO* p) const noexcept { PKCS8_PRIV_KEY_INFO_free(p); }
};
struct param_bld_deleter {
  void operator()(OSSL_PARAM_BLD* b) const noexcept { OSSL_PARAM_BLD_free(b); }
};
struct param_deleter {
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};

using bn_ptr = std::unique_ptr<BIGNUM, bn_deleter>;
using bn_ctx_ptr = std::unique_ptr<BN_CTX, bn_ctx_deleter>;
using mont_ptr = std::unique_ptr<BN_MONT_CTX, mont_deleter>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, pkey_ctx_deleter>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_deleter>;
using p8_ptr = std::unique_ptr<PKCS8_PRIV_KEY_INFO, p8_deleter>;
using param_bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, param_bld_deleter>;
using param_ptr = std::unique_ptr<OSSL_PARAM, param_deleter>;

// ---- sizes --------------------------------------------------------------------

constexpr std::size_t hash_bytes = sha384_bytes;       // hLen: SHA-384
constexpr std::size_t pss_zero_pad_bytes = 8;          // M' = 0x00 * 8 || mHash || salt
constexpr std::uint8_t pss_trailer = 0xbc;             // EMSA-PSS trailer field
constexpr std::uint8_t pss_db_separator = 0x01;        // DB = PS || 0x01 || salt
constexpr std::size_t mgf1_counter_bytes = 4;          // I2OSP(counter, 4)
constexpr unsigned bits_per_byte = CHAR_BIT;
constexpr std::size_t max_der_bytes = 16 * 1024;       // far above any 4096-bit key encoding
constexpr int secret_bn_flags = BN_FLG_CONSTTIME;
constexpr std::array<unsigned, 3> generated_bits = {2048, 3072, 4096};

// OpenSSL failures are reported as hearth codes; their own queue is emptied so
// no stale error reaches unrelated code on this thread.
[[nodiscard]] boost::system::error_code fail(errc e) noexcept {
  ERR_clear_error();
  return make_error_code(e);
}

EVP_MD const* sha384_md() noexcept {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  return md;
}

[[nodiscard]] bool sha384(std::initializer_list<byte_view> parts, std::uint8_t* out) noexcept {
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!ctx || sha384_md() == nullptr || EVP_DigestInit_ex(ctx.get(), sha384_md(), nullptr) != 1)
    return false;
  for (byte_view p : parts)
    if (EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) return false;
  unsigned len = 0;
  return EVP_DigestFinal_ex(ctx.get(), out, &len) == 1 && len == hash_bytes;
}

// MGF1 with SHA-384 (RFC 8017 §B.2.1), XORed into out.
[[nodiscard]] bool mgf1_xor(byte_view seed, std::span<std::uint8_t> out) noexcept {
  std::array<std::uint8_t, hash_bytes> block{};
  std::size_t done = 0;
  for (std::uint32_t counter = 0; done < out.size(); ++counter) {
    std::array<std::uint8_t, mgf1_counter_bytes> c{};
    for (std::size_t i = 0; i < mgf1_counter_bytes; ++i)
      c[i] = static_cast<std::uint8_t>(counter >> (bits_per_byte * (mgf1_counter_bytes - 1 - i)));
    if (!sha384({seed, c}, block.data())) return false;
    std::size_t n = std::min(block.size(), out.size() - done);
    for (std::size_t i = 0; i < n; ++i) out[done + i] ^= block[i];
    done += n;
  }
  return true;
}

[[nodiscard]] bn_ptr to_bn(byte_view b, bool secret = false) {
  bn_ptr out(secret ? BN_secure_new() : BN_new());
  if (!out) return out;
  if (secret) BN_set_flags(out.get(), secret_bn_flags);
  if (BN_bin2bn(b.data(), static_cast<int>(b.size()), out.get()) == nullptr) out.reset();
  return out;
}

[[nodiscard]] bn_ptr new_bn(bool secret = false) {
  bn_ptr out(secret ? BN_secure_new() : BN_new());
  if (out && secret) BN_set_flags(out.get(), secret_bn_flags);
  return out;
}

[[nodiscard]] bn_ptr get_bn_param(EVP_PKEY const* pkey, char const* name) {
  BIGNUM* b = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &b) != 1) return nullptr;
  return bn_ptr(b);
}

template <class Buffer>
[[nodiscard]] bool to_bytes(BIGNUM const* b, Buffer& out, std::size_t k) {
  out = Buffer(k);
  return BN_bn2binpad(b, out.data(), static_cast<int>(k)) == static_cast<int>(k);
}

// Initialised EVP_PKEY_CTXs kept for reuse: setting one up (provider fetch,
// padding parameters) costs a noticeable fraction of a public-key operation.
// A context is used by one thread at a time and returned only after success.
class ctx_pool {
 public:
  [[nodiscard]] pkey_ctx_ptr take() {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) return nullptr;
    pkey_ctx_ptr c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }
  void give(pkey_ctx_ptr c) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < max_idle) idle_.push_back(std::move(c));
  }

 private:
  static constexpr std::size_t max_idle = 16;
  std::mutex mutex_;
  std::vector<pkey_ctx_ptr> idle_;
};

constexpr std::size_t variant_count = 4;

std::size_t index_of(variant v) noexcept { return static_cast<std::size_t>(v) % variant_count; }

}  // namespace

// ---- key objects ----------------------------------------------------------------

struct public_key::impl {
  pkey_ptr pkey;
  bn_ptr n;
  bn_ptr e;
  mont_ptr mont_n;  // read-only after construction: shared by all threads
  bytes spki;
  unsigned bits = 0;
  std::size_t k = 0;
  mutable std::array<ctx_pool, variant_count> verify_ctx;  // per salt length / variant
};

struct secret_key::impl {
  impl(pkey_ptr k, blind_rsa::public_key p) : pkey(std::move(k)), pub(std::move(p)) {}
  pkey_ptr pkey;  // EVP_PKEY_free → RSA_free, which clears d, p, q and the CRT values
  blind_rsa::public_key pub;
  mutable ctx_pool private_ctx;  // contexts set up for the raw private operation
};

std::size_t salt_length(variant v) noexcept {
  switch (v) {
    case variant::pss_randomized:
    case variant::pss_deterministic: return pss_salt_bytes;
    case variant::psszero_randomized:
    case variant::psszero_deterministic: return 0;
  }
  return pss_salt_bytes;
}

bool is_randomized(variant v) noexcept {
  return v == variant::pss_randomized || v == variant::psszero_randomized;
}

result<public_key> public_key::from_spki(byte_view der) {
  if (der.empty() || der.size() > max_der_bytes) return errc::bad_request;
  unsigned char const* cursor = der.data();
  pkey_ptr pkey(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der.size())));
  if (!pkey || cursor != der.data() + der.size()) return fail(errc::bad_request);
  // rsaEncryption only: an id-RSASSA-PSS key is "RSA-PSS", not "RSA".
  if (EVP_PKEY_is_a(pkey.get(), "RSA") != 1 || EVP_PKEY_is_a(pkey.get(), "RSA-PSS") == 1)
    return fail(errc::bad_request);

  auto p = std::make_shared<impl>();
  p->n = get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N);
  p->e = get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E);
  if (!p->n || !p->e) return fail(errc::bad_request);
  if (BN_is_word(p->e.get(), public_exponent) != 1) return errc::bad_request;
  int const bits = BN_num_bits(p->n.get());
  if (bits < static_cast<int>(min_modulus_bits) || bits > static_cast<int>(max_modulus_bits) ||
      BN_is_odd(p->n.get()) != 1)
    return errc::bad_request;

  // Only the canonical DER encoding is accepted, so key_id = SHA-256(input).
  int const len = i2d_PUBKEY(pkey.get(), nullptr);
  if (len <= 0) return fail(errc::bad_request);
  p->spki.resize(static_cast<std::size_t>(len));
  unsigned char* out = p->spki.data();
  if (i2d_PUBKEY(pkey.get(), &out) != len) return fail(errc::internal);
  if (!std::equal(p->spki.begin(), p->spki.end(), der.begin(), der.end()))
    return errc::bad_request;

  bn_ctx_ptr ctx(BN_CTX_new());
  p->mont_n.reset(BN_MONT_CTX_new());
  if (!ctx || !p->mont_n || BN_MONT_CTX_set(p->mont_n.get(), p->n.get(), ctx.get()) != 1)
    return fail(errc::internal);
  p->bits = static_cast<unsigned>(bits);
  p->k = static_cast<std::size_t>(BN_num_bytes(p->n.get()));
  p->pkey = std::move(pkey);
  return public_key(std::move(p));
}

bytes public_key::spki() const { return p_->spki; }
bytes public_key::key_id() const { return sha256(p_->spki); }
unsigned public_key::bits() const noexcept { return p_->bits; }
std::size_t public_key::modulus_bytes() const noexcept { return p_->k; }

namespace {

// s = m^d mod n with OpenSSL's RSA private operation (CRT, base blinding and
// its own fault check). m must be k bytes and < n.
[[nodiscard]] result<bytes> rsa_private(EVP_PKEY* pkey, ctx_pool* pool, byte_view m,
                                        std::size_t k) {
  pkey_ctx_ptr ctx = pool ? pool->take() : nullptr;
  if (!ctx) {
    ctx.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1)
      return fail(errc::internal);
  }
  bytes s(k);
  std::size_t out_len = s.size();
  if (EVP_PKEY_decrypt(ctx.get(), s.data(), &out_len, m.data(), m.size()) != 1 || out_len != k)
    return fail(errc::internal);
  if (pool) pool->give(std::move(ctx));
  return s;
}

// s^e mod n == m, both k-byte big-endian strings.
[[nodiscard]] bool check_rsa(public_key::impl const& pub, byte_view s, byte_view m) {
  bn_ctx_ptr ctx(BN_CTX_new());
  bn_ptr s_bn = to_bn(s);
  bn_ptr v = new_bn();
  if (!ctx || !s_bn || !v) return false;
  if (BN_cmp(s_bn.get(), pub.n.get()) >= 0) return false;
  if (BN_mod_exp_mont(v.get(), s_bn.get(), pub.e.get(), pub.n.get(), ctx.get(),
                      pub.mont_n.get()) != 1)
    return false;
  bytes v_bytes;
  return to_bytes(v.get(), v_bytes, pub.k) && equal(v_bytes, m);
}

[[nodiscard]] result<secret_key> make_secret_key(pkey_ptr pkey) {
  if (!pkey || EVP_PKEY_is_a(pkey.get(), "RSA") != 1 || EVP_PKEY_is_a(pkey.get(), "RSA-PSS") == 1)
    return fail(errc::bad_request);
  int const len = i2d_PUBKEY(pkey.get(), nullptr);
  if (len <= 0) return fail(errc::bad_request);
  bytes spki(static_cast<std::size_t>(len));
  unsigned char* out = spki.data();
  if (i2d_PUBKEY(pkey.get(), &out) != len) return fail(errc::internal);
  auto pub = public_key::from_spki(spki);  // also checks e and the size
  if (!pub) return pub.error();
  auto const& pi = pub->get();

  // Self-test: sign a random value below n and check it, so an inconsistent
  // key (wrong d, p or q) is refused at load rather than at the first issue.
  bn_ptr n_minus_one(BN_dup(pi.n.get()));
  bn_ptr m = new_bn();
  if (!n_minus_one || !m || BN_sub_word(n_minus_one.get(), 1) != 1 ||
      BN_rand_range(m.get(), n_minus_one.get()) != 1)
    return fail(errc::internal);
  bytes m_bytes;
  if (!to_bytes(m.get(), m_bytes, pi.k)) return fail(errc::internal);
  auto s = rsa_private(pkey.get(), nullptr, m_bytes, pi.k);
  if (!s || !check_rsa(pi, *s, m_bytes)) return fail(errc::bad_request);

  auto p = std::make_shared<secret_key::impl>(std::move(pkey), std::move(*pub));
  return secret_key(std::move(p));
}

}  // namespace

result<secret_key> secret_key::generate(unsigned bits) {
  if (std::find(generated_bits.begin(), generated_bits.end(), bits) == generated_bits.end())
    return errc::bad_request;
  pkey_ptr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
  if (!pkey) return fail(errc::internal);
  return make_secret_key(std::move(pkey));
}

result<secret_key> secret_key::from_pkcs8(byte_view der) {
  if (der.empty() || der.size() > max_der_bytes) return errc::bad_request;
  unsigned char const* cursor = der.data();
  p8_ptr p8(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &cursor, static_cast<long>(der.size())));
  if (!p8 || cursor != der.data() + der.size()) return fail(errc::bad_request);
  pkey_ptr pkey(EVP_PKCS82PKEY(p8.get()));
  if (!pkey) return fail(errc::bad_request);
  return make_secret_key(std::move(pkey));
}

result<secret_key> secret_key::from_components(byte_view p, byte_view q, byte_view d,
                                               byte_view e) {
  if (p.size() > max_der_bytes || q.size() > max_der_bytes || d.size() > max_der_bytes ||
      e.size() > max_der_bytes)
    return errc::bad_request;
  bn_ctx_ptr ctx(BN_CTX_secure_new());
  bn_ptr p_bn = to_bn(p, true), q_bn = to_bn(q, true), d_bn = to_bn(d, true), e_bn = to_bn(e);
  bn_ptr n = new_bn(), p1 = new_bn(true), q1 = new_bn(true);
  bn_ptr dmp1 = new_bn(true), dmq1 = new_bn(true), iqmp = new_bn(true);
  if (!ctx || !p_bn || !q_bn || !d_bn || !e_bn || !n || !p1 || !q1 || !dmp1 || !dmq1 || !iqmp)
    return fail(errc::internal);
  if (BN_is_zero(p_bn.get()) || BN_is_zero(q_bn.get()) || BN_is_one(p_bn.get()) ||
      BN_is_one(q_bn.get()) || BN_is_zero(d_bn.get()))
    return errc::bad_request;
  if (BN_mul(n.get(), p_bn.get(), q_bn.get(), ctx.get()) != 1 ||
      BN_sub(p1.get(), p_bn.get(), BN_value_one()) != 1 ||
      BN_sub(q1.get(), q_bn.get(), BN_value_one()) != 1 ||
      BN_mod(dmp1.get(), d_bn.get(), p1.get(), ctx.get()) != 1 ||
      BN_mod(dmq1.get(), d_bn.get(), q1.get(), ctx.get()) != 1 ||
      BN_mod_inverse(iqmp.get(), q_bn.get(), p_bn.get(), ctx.get()) == nullptr)
    return fail(errc::bad_request);

  param_bld_ptr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, d_bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p_bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q_bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dmp1.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dmq1.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, iqmp.get()) != 1)
    return fail(errc::internal);
  // Secret BIGNUMs live in secure-heap blocks, which OSSL_PARAM_free clears.
  param_ptr params(OSSL_PARAM_BLD_to_param(bld.get()));
  pkey_ctx_ptr kctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !kctx || EVP_PKEY_fromdata_init(kctx.get()) != 1 ||
      EVP_PKEY_fromdata(kctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1)
    return fail(errc::bad_request);
  return make_secret_key(pkey_ptr(raw));
}

secret_bytes secret_key::pkcs8() const {
  p8_ptr p8(EVP_PKEY2PKCS8(p_->pkey.get()));
  if (!p8) {
    ERR_clear_error();
    return {};
  }
  int const len = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), nullptr);
  if (len <= 0) {
    ERR_clear_error();
    return {};
  }
  secret_bytes out(static_cast<std::size_t>(len));
  unsigned char* cursor = out.data();
  if (i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &cursor) != len) {
    ERR_clear_error();
    return {};
  }
  return out;
}

blind_rsa::public_key secret_key::public_key() const { return p_->pub; }

// ---- the protocol steps -----------------------------------------------------------

prepared_message prepare(variant v, byte_view msg) {
  prepared_message out;
  if (is_randomized(v)) out.prefix = random_bytes(prefix_bytes);
  out.prepared.reserve(out.prefix.size() + msg.size());
  out.prepared.insert(out.prepared.end(), out.prefix.begin(), out.prefix.end());
  out.prepared.insert(out.prepared.end(), msg.begin(), msg.end());
  return out;
}

result<bytes> emsa_pss_encode(public_key const& pk, variant v, byte_view prepared,
                              byte_view salt) {
  if (salt.size() != salt_length(v)) return errc::bad_request;
  std::size_t const em_bits = pk.bits() - 1;
  std::size_t const em_len = (em_bits + bits_per_byte - 1) / bits_per_byte;
  if (em_len < hash_bytes + salt.size() + 2) return errc::bad_request;

  std::array<std::uint8_t, hash_bytes> m_hash{};
  std::array<std::uint8_t, hash_bytes> h{};
  std::array<std::uint8_t, pss_zero_pad_bytes> zeros{};
  if (!sha384({prepared}, m_hash.data()) || !sha384({zeros, m_hash, salt}, h.data()))
    return fail(errc::internal);

  // EM = maskedDB || H || 0xbc with DB = PS || 0x01 || salt.
  bytes em(em_len, 0);
  std::size_t const db_len = em_len - hash_bytes - 1;
  std::span<std::uint8_t> db(em.data(), db_len);
  db[db_len - salt.size() - 1] = pss_db_separator;
  std::copy(salt.begin(), salt.end(), db.end() - static_cast<std::ptrdiff_t>(salt.size()));
  if (!mgf1_xor(h, db)) return fail(errc::internal);
  std::size_t const unused_bits = bits_per_byte * em_len - em_bits;
  db[0] &= static_cast<std::uint8_t>(0xffU >> unused_bits);
  std::copy(h.begin(), h.end(), em.begin() + static_cast<std::ptrdiff_t>(db_len));
  em.back() = pss_trailer;
  return em;
}

namespace {

// Blind (RFC 9474 §4.2, steps 1-3 and 6-9) given r and inv = r^-1 mod n.
[[nodiscard]] result<blinding> blind_core(public_key const& pk, variant v, byte_view prepared,
                                          byte_view salt, BIGNUM const* r, BIGNUM const* inv) {
  auto const& pub = pk.get();
  auto em = emsa_pss_encode(pk, v, prepared, salt);
  if (!em) return em.error();
  bn_ctx_ptr ctx(BN_CTX_secure_new());
  bn_ptr m = to_bn(*em);
  bn_ptr gcd = new_bn();
  bn_ptr x = new_bn(true);
  bn_ptr z = new_bn();
  if (!ctx || !m || !gcd || !x || !z) return fail(errc::internal);
  // An encoded message sharing a factor with n would reveal it: invalid input.
  if (BN_gcd(gcd.get(), m.get(), pub.n.get(), ctx.get()) != 1) return fail(errc::internal);
  if (!BN_is_one(gcd.get())) return errc::bad_request;
  // x = r^e mod n, z = m * x mod n.
  if (BN_mod_exp_mont(x.get(), r, pub.e.get(), pub.n.get(), ctx.get(), pub.mont_n.get()) != 1 ||
      BN_mod_mul(z.get(), m.get(), x.get(), pub.n.get(), ctx.get()) != 1)
    return fail(errc::internal);
  blinding out;
  if (!to_bytes(z.get(), out.blinded_msg, pub.k) || !to_bytes(inv, out.inv, pub.k))
    return fail(errc::internal);
  return out;
}

}  // namespace

result<blinding> blind(public_key const& pk, variant v, byte_view prepared) {
  auto const& pub = pk.get();
  bytes const salt = random_bytes(salt_length(v));
  bn_ctx_ptr ctx(BN_CTX_secure_new());
  bn_ptr r = new_bn(true);
  bn_ptr inv = new_bn(true);
  if (!ctx || !r || !inv) return fail(errc::internal);
  // r uniform in [1, n) and invertible (a non-invertible r would factor n).
  for (;;) {
    if (BN_priv_rand_range(r.get(), pub.n.get()) != 1) return fail(errc::internal);
    if (BN_is_zero(r.get())) continue;
    if (BN_mod_inverse(inv.get(), r.get(), pub.n.get(), ctx.get()) != nullptr) break;
    ERR_clear_error();
  }
  return blind_core(pk, v, prepared, salt, r.get(), inv.get());
}

result<blinding> blind_with(public_key const& pk, variant v, byte_view prepared, byte_view salt,
                            byte_view inv) {
  auto const& pub = pk.get();
  if (inv.empty() || inv.size() > pub.k) return errc::bad_request;
  bn_ctx_ptr ctx(BN_CTX_secure_new());
  bn_ptr inv_bn = to_bn(inv, true);
  bn_ptr r = new_bn(true);
  if (!ctx || !inv_bn || !r) return fail(errc::internal);
  if (BN_is_zero(inv_bn.get()) || BN_cmp(inv_bn.get(), pub.n.get()) >= 0) return errc::bad_request;
  if (BN_mod_inverse(r.get(), inv_bn.get(), pub.n.get(), ctx.get()) == nullptr)
    return fail(errc::bad_request);
  return blind_core(pk, v, prepared, salt, r.get(), inv_bn.get());
}

result<bytes> blind_sign(secret_key const& sk, byte_view blinded_msg) {
  auto const& pub = sk.get().pub.get();
  if (blinded_msg.size() != pub.k) return errc::bad_request;
  bn_ptr m = to_bn(blinded_msg);
  if (!m) return fail(errc::internal);
  if (BN_cmp(m.get(), pub.n.get()) >= 0) return errc::bad_request;
  // RFC 9474 BlindSign steps 3-4 (s^e = m, so that a faulty signature never
  // leaves) happen inside OpenSSL's private operation: rsa_ossl_mod_exp checks
  // the CRT result with e and recomputes without CRT on a mismatch. A second
  // check here cost 3-4 % of an issue; the test "blind_sign never returns a
  // faulty CRT result" shows the linked OpenSSL doing it, on a key with a
  // corrupted CRT exponent.
  return rsa_private(sk.get().pkey.get(), &sk.get().private_ctx, blinded_msg, pub.k);
}

result<bytes> finalize(public_key const& pk, variant v, byte_view prepared, byte_view blind_sig,
                       secret_bytes const& inv) {
  auto const& pub = pk.get();
  if (blind_sig.size() != pub.k || inv.empty() || inv.size() > pub.k)
    return errc::invalid_signature;
  bn_ctx_ptr ctx(BN_CTX_secure_new());
  bn_ptr z = to_bn(blind_sig);
  bn_ptr inv_bn = to_bn(inv.view(), true);
  bn_ptr s = new_bn();
  if (!ctx || !z || !inv_bn || !s) return fail(errc::internal);
  if (BN_cmp(z.get(), pub.n.get()) >= 0 || BN_cmp(inv_bn.get(), pub.n.get()) >= 0)
    return errc::invalid_signature;
  // s = z * inv mod n
  if (BN_mod_mul(s.get(), z.get(), inv_bn.get(), pub.n.get(), ctx.get()) != 1)
    return fail(errc::internal);
  bytes sig;
  if (!to_bytes(s.get(), sig, pub.k)) return fail(errc::internal);
  if (auto ok = verify(pk, v, prepared, sig); !ok) return ok.error();
  return sig;
}

result<void> verify(public_key const& pk, variant v, byte_view prepared, byte_view sig) {
  auto const& pub = pk.get();
  if (sig.size() != pub.k) return errc::invalid_signature;
  std::array<std::uint8_t, hash_bytes> digest{};
  if (!sha384({prepared}, digest.data())) return fail(errc::internal);
  ctx_pool& pool = pub.verify_ctx[index_of(v)];
  pkey_ctx_ptr ctx = pool.take();
  if (!ctx) {
    ctx.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pub.pkey.get(), nullptr));
    if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), sha384_md()) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), sha384_md()) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), static_cast<int>(salt_length(v))) != 1)
      return fail(errc::internal);
  }
  int const rc = EVP_PKEY_verify(ctx.get(), sig.data(), sig.size(), digest.data(), digest.size());
  // A rejected signature leaves the context as it was: keep it for the next call.
  pool.give(std::move(ctx));
  if (rc != 1) return fail(errc::invalid_signature);
  return {};
}

}  // namespace hearth::crypto::blind_rsa
