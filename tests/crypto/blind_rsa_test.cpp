#include "crypto/blind_rsa.hpp"

#include "crypto/domain.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

#include <doctest/doctest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include <array>
#include <atomic>
#include <thread>
#include <vector>
#include <memory>

using namespace hearth::crypto;
using blind_rsa::variant;

namespace {

constexpr std::array<variant, 4> all_variants = {
    variant::pss_randomized, variant::pss_deterministic, variant::psszero_randomized,
    variant::psszero_deterministic};

// Key generation is slow: one key pair per size for the whole run.
blind_rsa::secret_key const& test_key() {
  static blind_rsa::secret_key const key = [] {
    auto k = blind_rsa::secret_key::generate(2048);
    REQUIRE(k.has_value());
    return *k;
  }();
  return key;
}

blind_rsa::secret_key const& other_key() {
  static blind_rsa::secret_key const key = [] {
    auto k = blind_rsa::secret_key::generate(2048);
    REQUIRE(k.has_value());
    return *k;
  }();
  return key;
}

struct issued {
  bytes prepared;
  bytes blinded_msg;
  secret_bytes inv;
  bytes blind_sig;
};

issued issue(variant v, byte_view msg, blind_rsa::secret_key const& sk = test_key()) {
  auto const pk = sk.public_key();
  issued out;
  out.prepared = blind_rsa::prepare(v, msg).prepared;
  auto b = blind_rsa::blind(pk, v, out.prepared);
  REQUIRE(b.has_value());
  out.blinded_msg = b->blinded_msg;
  out.inv = std::move(b->inv);
  auto s = blind_rsa::blind_sign(sk, out.blinded_msg);
  REQUIRE(s.has_value());
  out.blind_sig = *s;
  return out;
}

// A DER SPKI made directly with OpenSSL, for keys hearth itself never makes.
bytes openssl_spki(char const* type, unsigned bits = 0, unsigned exponent = 65537) {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), EVP_PKEY_CTX_free);
  REQUIRE(ctx);
  REQUIRE(EVP_PKEY_keygen_init(ctx.get()) == 1);
  if (bits != 0) {
    std::size_t e = exponent;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_uint("bits", &bits),
                           OSSL_PARAM_construct_size_t("e", &e), OSSL_PARAM_construct_end()};
    REQUIRE(EVP_PKEY_CTX_set_params(ctx.get(), params) == 1);
  }
  REQUIRE(EVP_PKEY_generate(ctx.get(), &raw) == 1);
  REQUIRE(raw != nullptr);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(raw, EVP_PKEY_free);
  int len = i2d_PUBKEY(pkey.get(), nullptr);
  REQUIRE(len > 0);
  bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  REQUIRE(i2d_PUBKEY(pkey.get(), &p) == len);
  return out;
}

}  // namespace

TEST_CASE("variant properties") {
  CHECK(blind_rsa::salt_length(variant::pss_randomized) == 48);
  CHECK(blind_rsa::salt_length(variant::pss_deterministic) == 48);
  CHECK(blind_rsa::salt_length(variant::psszero_randomized) == 0);
  CHECK(blind_rsa::salt_length(variant::psszero_deterministic) == 0);
  CHECK(blind_rsa::is_randomized(variant::pss_randomized));
  CHECK(blind_rsa::is_randomized(variant::psszero_randomized));
  CHECK_FALSE(blind_rsa::is_randomized(variant::pss_deterministic));
  CHECK_FALSE(blind_rsa::is_randomized(variant::psszero_deterministic));
}

TEST_CASE("prepare adds a fresh 32-byte prefix only for randomized variants") {
  auto const msg = as_bytes("message");
  auto r1 = blind_rsa::prepare(variant::pss_randomized, msg);
  auto r2 = blind_rsa::prepare(variant::pss_randomized, msg);
  CHECK(r1.prefix.size() == blind_rsa::prefix_bytes);
  CHECK(r1.prefix != r2.prefix);
  CHECK(r1.prepared.size() == blind_rsa::prefix_bytes + msg.size());
  CHECK(std::equal(r1.prefix.begin(), r1.prefix.end(), r1.prepared.begin()));
  CHECK(std::equal(msg.begin(), msg.end(), r1.prepared.begin() + blind_rsa::prefix_bytes));
  auto d = blind_rsa::prepare(variant::pss_deterministic, msg);
  CHECK(d.prefix.empty());
  CHECK(d.prepared == bytes(msg.begin(), msg.end()));
}

TEST_CASE("blind signing round trip, all variants") {
  auto const pk = test_key().public_key();
  auto const token_msg = domain::pseudonym_token_msg(ed25519::generate().public_key);
  for (variant v : all_variants) {
    CAPTURE(static_cast<int>(v));
    auto t = issue(v, token_msg);
    CHECK(t.blinded_msg.size() == pk.modulus_bytes());
    CHECK(t.inv.size() == pk.modulus_bytes());
    CHECK(t.blind_sig.size() == pk.modulus_bytes());
    auto sig = blind_rsa::finalize(pk, v, t.prepared, t.blind_sig, t.inv);
    REQUIRE(sig.has_value());
    CHECK(blind_rsa::verify(pk, v, t.prepared, *sig).has_value());
    // Blindness: the signer saw neither the message nor the final signature.
    CHECK(t.blinded_msg != *sig);
    CHECK(t.blind_sig != *sig);
  }
}

TEST_CASE("blinding is randomized; PSSZERO-Deterministic signatures are unique") {
  auto const pk = test_key().public_key();
  auto const msg = as_bytes("same message");
  auto a = issue(variant::psszero_deterministic, msg);
  auto b = issue(variant::psszero_deterministic, msg);
  CHECK(a.blinded_msg != b.blinded_msg);
  auto sa = blind_rsa::finalize(pk, variant::psszero_deterministic, a.prepared, a.blind_sig, a.inv);
  auto sb = blind_rsa::finalize(pk, variant::psszero_deterministic, b.prepared, b.blind_sig, b.inv);
  REQUIRE(sa.has_value());
  REQUIRE(sb.has_value());
  CHECK(*sa == *sb);
}

TEST_CASE("verify rejects a tampered signature, a wrong message and a wrong key") {
  auto const pk = test_key().public_key();
  auto const v = variant::pss_randomized;
  auto t = issue(v, as_bytes("msg"));
  auto sig = blind_rsa::finalize(pk, v, t.prepared, t.blind_sig, t.inv);
  REQUIRE(sig.has_value());

  for (std::size_t i : {std::size_t{0}, std::size_t{17}, sig->size() - 1}) {
    auto bad = *sig;
    bad[i] ^= 0x01;
    auto r = blind_rsa::verify(pk, v, t.prepared, bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == hearth::errc::invalid_signature);
  }
  auto msg = t.prepared;
  msg.back() ^= 1;
  CHECK(blind_rsa::verify(pk, v, msg, *sig).error() == hearth::errc::invalid_signature);
  CHECK(blind_rsa::verify(other_key().public_key(), v, t.prepared, *sig).error() ==
        hearth::errc::invalid_signature);
  CHECK(blind_rsa::verify(pk, variant::psszero_randomized, t.prepared, *sig).error() ==
        hearth::errc::invalid_signature);
  // Wrong lengths, zero, and a value >= n.
  bytes short_sig(sig->begin(), sig->end() - 1);
  bytes long_sig = *sig;
  long_sig.insert(long_sig.begin(), 0);
  CHECK(blind_rsa::verify(pk, v, t.prepared, short_sig).error() == hearth::errc::invalid_signature);
  CHECK(blind_rsa::verify(pk, v, t.prepared, long_sig).error() == hearth::errc::invalid_signature);
  CHECK(blind_rsa::verify(pk, v, t.prepared, {}).error() == hearth::errc::invalid_signature);
  CHECK(blind_rsa::verify(pk, v, t.prepared, bytes(pk.modulus_bytes(), 0)).error() ==
        hearth::errc::invalid_signature);
  CHECK(blind_rsa::verify(pk, v, t.prepared, bytes(pk.modulus_bytes(), 0xff)).error() ==
        hearth::errc::invalid_signature);
}

TEST_CASE("blind_sign rejects a blinded message that is not k bytes or not below n") {
  auto const& sk = test_key();
  auto const k = sk.public_key().modulus_bytes();
  auto t = issue(variant::pss_randomized, as_bytes("msg"));

  bytes shorter(t.blinded_msg.begin() + 1, t.blinded_msg.end());
  bytes longer = t.blinded_msg;
  longer.insert(longer.begin(), 0);
  for (bytes const& bad : {shorter, longer, bytes{}, bytes(k, 0xff)}) {
    auto r = blind_rsa::blind_sign(sk, bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == hearth::errc::bad_request);
  }
  // Exactly n, read back from the SPKI with OpenSSL.
  auto spki = sk.public_key().spki();
  unsigned char const* p = spki.data();
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())), EVP_PKEY_free);
  REQUIRE(pkey);
  BIGNUM* n = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(pkey.get(), "n", &n) == 1);
  bytes n_bytes(k);
  REQUIRE(BN_bn2binpad(n, n_bytes.data(), static_cast<int>(k)) == static_cast<int>(k));
  auto at_n = blind_rsa::blind_sign(sk, n_bytes);
  REQUIRE_FALSE(at_n.has_value());
  CHECK(at_n.error() == hearth::errc::bad_request);
  // n - 1 is a valid input (and 0 and 1 are harmless).
  BN_sub_word(n, 1);
  REQUIRE(BN_bn2binpad(n, n_bytes.data(), static_cast<int>(k)) == static_cast<int>(k));
  BN_free(n);
  CHECK(blind_rsa::blind_sign(sk, n_bytes).has_value());
  CHECK(blind_rsa::blind_sign(sk, bytes(k, 0)).has_value());
}

TEST_CASE("finalize rejects a wrong inverse, a wrong key and a bad blind signature") {
  auto const pk = test_key().public_key();
  auto const v = variant::pss_randomized;
  auto a = issue(v, as_bytes("first"));
  auto b = issue(v, as_bytes("first"));

  auto wrong_inv = blind_rsa::finalize(pk, v, a.prepared, a.blind_sig, b.inv);
  REQUIRE_FALSE(wrong_inv.has_value());
  CHECK(wrong_inv.error() == hearth::errc::invalid_signature);

  auto swapped = blind_rsa::finalize(pk, v, a.prepared, b.blind_sig, a.inv);
  CHECK(swapped.error() == hearth::errc::invalid_signature);

  auto other_pk = other_key().public_key();
  CHECK(blind_rsa::finalize(other_pk, v, a.prepared, a.blind_sig, a.inv).error() ==
        hearth::errc::invalid_signature);

  auto bad_sig = a.blind_sig;
  bad_sig[10] ^= 0x80;
  CHECK(blind_rsa::finalize(pk, v, a.prepared, bad_sig, a.inv).error() ==
        hearth::errc::invalid_signature);
  bytes short_sig(a.blind_sig.begin() + 1, a.blind_sig.end());
  CHECK(blind_rsa::finalize(pk, v, a.prepared, short_sig, a.inv).error() ==
        hearth::errc::invalid_signature);
  CHECK(blind_rsa::finalize(pk, v, a.prepared, a.blind_sig, secret_bytes{}).error() ==
        hearth::errc::invalid_signature);
  CHECK(blind_rsa::finalize(pk, variant::psszero_randomized, a.prepared, a.blind_sig, a.inv)
            .error() == hearth::errc::invalid_signature);
  // The right inverse still works.
  CHECK(blind_rsa::finalize(pk, v, a.prepared, a.blind_sig, a.inv).has_value());
}

TEST_CASE("blind_with rejects a wrong salt length and an unusable inverse") {
  auto const pk = test_key().public_key();
  auto const k = pk.modulus_bytes();
  bytes const prepared = blind_rsa::prepare(variant::pss_randomized, as_bytes("m")).prepared;
  bytes inv(k, 0);
  inv.back() = 3;
  CHECK(blind_rsa::blind_with(pk, variant::pss_randomized, prepared, bytes(47), inv).error() ==
        hearth::errc::bad_request);
  CHECK(blind_rsa::blind_with(pk, variant::psszero_randomized, prepared, bytes(48), inv).error() ==
        hearth::errc::bad_request);
  CHECK(blind_rsa::blind_with(pk, variant::pss_randomized, prepared, bytes(48), bytes(k, 0))
            .error() == hearth::errc::bad_request);
  CHECK(blind_rsa::blind_with(pk, variant::pss_randomized, prepared, bytes(48), bytes(k, 0xff))
            .error() == hearth::errc::bad_request);
  CHECK(blind_rsa::blind_with(pk, variant::pss_randomized, prepared, bytes(48), bytes(k + 1, 1))
            .error() == hearth::errc::bad_request);
  CHECK(blind_rsa::blind_with(pk, variant::pss_randomized, prepared, bytes(48), inv).has_value());
}

TEST_CASE("keys round-trip through PKCS#8 and SPKI with a stable key_id") {
  auto const& sk = test_key();
  auto const pk = sk.public_key();
  CHECK(pk.bits() == 2048);
  CHECK(pk.modulus_bytes() == 256);
  auto const spki = pk.spki();
  auto const id = pk.key_id();
  CHECK(id.size() == sha256_bytes);
  CHECK(id == sha256(spki));
  CHECK(pk.key_id() == id);

  auto der = sk.pkcs8();
  REQUIRE_FALSE(der.empty());
  auto sk2 = blind_rsa::secret_key::from_pkcs8(der.view());
  REQUIRE(sk2.has_value());
  CHECK(sk2->public_key().spki() == spki);
  CHECK(sk2->public_key().key_id() == id);
  CHECK(equal(sk2->pkcs8().view(), der.view()));

  auto pk2 = blind_rsa::public_key::from_spki(spki);
  REQUIRE(pk2.has_value());
  CHECK(pk2->spki() == spki);
  CHECK(pk2->key_id() == id);
  CHECK(pk2->bits() == 2048);

  // A signature made with the reloaded key verifies under the original one.
  auto t = issue(variant::pss_randomized, as_bytes("reloaded"), *sk2);
  auto sig = blind_rsa::finalize(*pk2, variant::pss_randomized, t.prepared, t.blind_sig, t.inv);
  REQUIRE(sig.has_value());
  CHECK(blind_rsa::verify(pk, variant::pss_randomized, t.prepared, *sig).has_value());
  CHECK(other_key().public_key().key_id() != id);
}

TEST_CASE("generate makes 3072-bit keys and refuses other sizes") {
  auto k = blind_rsa::secret_key::generate(3072);
  REQUIRE(k.has_value());
  CHECK(k->public_key().bits() == 3072);
  CHECK(k->public_key().modulus_bytes() == 384);
  auto t = issue(variant::pss_randomized, as_bytes("3072"), *k);
  CHECK(blind_rsa::finalize(k->public_key(), variant::pss_randomized, t.prepared, t.blind_sig,
                            t.inv)
            .has_value());
  for (unsigned bits : {0U, 1024U, 2047U, 2049U, 8192U}) {
    CAPTURE(bits);
    auto r = blind_rsa::secret_key::generate(bits);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == hearth::errc::bad_request);
  }
}

TEST_CASE("from_spki rejects garbage and unsuitable keys") {
  auto const spki = test_key().public_key().spki();
  auto bad = [](byte_view der) {
    auto r = blind_rsa::public_key::from_spki(der);
    return !r.has_value() && r.error() == hearth::errc::bad_request;
  };
  CHECK(bad({}));
  CHECK(bad(as_bytes("not a key")));
  CHECK(bad(random_bytes(294)));
  CHECK(bad(byte_view(spki).first(spki.size() - 1)));  // truncated
  bytes trailing = spki;
  trailing.push_back(0);
  CHECK(bad(trailing));  // trailing byte
  bytes flipped = spki;
  flipped[1] ^= 0x01;  // wrong outer length
  CHECK(bad(flipped));
  CHECK(bad(test_key().pkcs8().view()));               // a private key is not an SPKI
  CHECK(bad(openssl_spki("ED25519")));              // not RSA
  CHECK(bad(openssl_spki("RSA-PSS", 2048)));           // id-RSASSA-PSS, not rsaEncryption
  CHECK(bad(openssl_spki("RSA", 1024)));               // too small
  CHECK(bad(openssl_spki("RSA", 2048, 3)));            // e != 65537
  CHECK(bad(openssl_spki("RSA", 2048, 0x10003)));      // e != 65537
  CHECK_FALSE(bad(openssl_spki("RSA", 2048)));         // a plain OpenSSL key is fine
}

TEST_CASE("from_pkcs8 and from_components reject garbage and inconsistent keys") {
  auto bad8 = [](byte_view der) {
    auto r = blind_rsa::secret_key::from_pkcs8(der);
    return !r.has_value() && r.error() == hearth::errc::bad_request;
  };
  CHECK(bad8({}));
  CHECK(bad8(as_bytes("garbage")));
  CHECK(bad8(test_key().public_key().spki()));
  auto der = test_key().pkcs8();
  bytes truncated(der.data(), der.data() + der.size() - 1);
  CHECK(bad8(truncated));
  bytes trailing(der.data(), der.data() + der.size());
  trailing.push_back(0);
  CHECK(bad8(trailing));

  // p, q, d of a tiny toy key are refused (too small), and so is a wrong d.
  auto toy = blind_rsa::secret_key::from_components(bytes{61}, bytes{53}, bytes{0x0b, 0x21},
                                                    bytes{0x01, 0x00, 0x01});
  CHECK_FALSE(toy.has_value());
}

TEST_CASE("blind_sign and verify are safe to call from several threads on one key") {
  auto const& sk = test_key();
  auto const pk = sk.public_key();
  auto const v = variant::pss_randomized;
  constexpr int threads = 4;
  constexpr int per_thread = 25;
  std::vector<issued> inputs;
  for (int i = 0; i < threads * per_thread; ++i) {
    issued t;
    t.prepared = blind_rsa::prepare(v, as_bytes("concurrent")).prepared;
    auto b = blind_rsa::blind(pk, v, t.prepared);
    REQUIRE(b.has_value());
    t.blinded_msg = b->blinded_msg;
    t.inv = std::move(b->inv);
    inputs.push_back(std::move(t));
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int th = 0; th < threads; ++th) {
    pool.emplace_back([&, th] {
      for (int i = 0; i < per_thread; ++i) {
        auto& t = inputs[static_cast<std::size_t>(th * per_thread + i)];
        auto s = blind_rsa::blind_sign(sk, t.blinded_msg);
        if (!s) {
          ++failures;
          continue;
        }
        auto sig = blind_rsa::finalize(pk, v, t.prepared, *s, t.inv);
        if (!sig || !blind_rsa::verify(pk, v, t.prepared, *sig)) ++failures;
      }
    });
  }
  for (auto& t : pool) t.join();
  CHECK(failures.load() == 0);
}

// RFC 9474 §4.3 BlindSign steps 3-4 (check s^e = m so that a faulty signature
// never leaves) are done by OpenSSL's RSA private operation itself: it checks
// the CRT result with e and, on a mismatch, recomputes without CRT. blind_sign
// relies on that instead of checking a second time. This test gives a key a
// wrong CRT exponent dP (a stand-in for a fault in the p half) and shows that
// (1) the CRT result with it is wrong, and (2) blind_sign still returns a
// correct signature, so the linked OpenSSL does the check. (0) first shows
// that OpenSSL signs with the CRT parameters at all.
TEST_CASE("blind_sign never returns a faulty CRT result (OpenSSL's own check, RFC 9474 BlindSign steps 3-4)") {
  using bn = std::unique_ptr<BIGNUM, decltype(&BN_free)>;
  auto const get = [](EVP_PKEY* k, char const* name) {
    BIGNUM* v = nullptr;
    REQUIRE(EVP_PKEY_get_bn_param(k, name, &v) == 1);
    return bn(v, BN_free);
  };
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> good(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}),
                                                          EVP_PKEY_free);
  REQUIRE(good);
  auto n = get(good.get(), OSSL_PKEY_PARAM_RSA_N), e = get(good.get(), OSSL_PKEY_PARAM_RSA_E),
       d = get(good.get(), OSSL_PKEY_PARAM_RSA_D), p = get(good.get(), OSSL_PKEY_PARAM_RSA_FACTOR1),
       q = get(good.get(), OSSL_PKEY_PARAM_RSA_FACTOR2), dp = get(good.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1),
       dq = get(good.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2), qinv = get(good.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
  // The key as blind_rsa sees it (through PKCS#8), from its components.
  auto const load = [&](BIGNUM* d_used, BIGNUM* dp_used) {
    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
    REQUIRE(bld);
    for (auto const& [name, v] : {std::pair{OSSL_PKEY_PARAM_RSA_N, n.get()}, {OSSL_PKEY_PARAM_RSA_E, e.get()},
                                  {OSSL_PKEY_PARAM_RSA_D, d_used}, {OSSL_PKEY_PARAM_RSA_FACTOR1, p.get()},
                                  {OSSL_PKEY_PARAM_RSA_FACTOR2, q.get()}, {OSSL_PKEY_PARAM_RSA_EXPONENT1, dp_used},
                                  {OSSL_PKEY_PARAM_RSA_EXPONENT2, dq.get()},
                                  {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv.get()}})
      REQUIRE(OSSL_PARAM_BLD_push_BN(bld.get(), name, v) == 1);
    std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld.get()),
                                                                   OSSL_PARAM_free);
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> fctx(
        EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), EVP_PKEY_CTX_free);
    EVP_PKEY* raw = nullptr;
    REQUIRE(EVP_PKEY_fromdata_init(fctx.get()) == 1);
    REQUIRE(EVP_PKEY_fromdata(fctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) == 1);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw, EVP_PKEY_free);
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, decltype(&PKCS8_PRIV_KEY_INFO_free)> p8(EVP_PKEY2PKCS8(key.get()),
                                                                                PKCS8_PRIV_KEY_INFO_free);
    REQUIRE(p8);
    unsigned char* der = nullptr;
    int const len = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &der);
    REQUIRE(len > 0);
    bytes der_bytes(der, der + len);
    OPENSSL_free(der);
    return blind_rsa::secret_key::from_pkcs8(der_bytes);
  };
  std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)> ctx(BN_CTX_new(), BN_CTX_free);
  auto const m = random_bytes(255);  // below n
  bn m_bn(BN_bin2bn(m.data(), static_cast<int>(m.size()), nullptr), BN_free);
  bytes m_k(256, 0);
  std::copy(m.begin(), m.end(), m_k.begin() + 1);
  auto const signs_correctly = [&](blind_rsa::secret_key const& sk) {
    auto s = blind_rsa::blind_sign(sk, m_k);
    REQUIRE(s.has_value());
    bn s_bn(BN_bin2bn(s->data(), static_cast<int>(s->size()), nullptr), BN_free), back(BN_new(), BN_free);
    REQUIRE(BN_mod_exp(back.get(), s_bn.get(), e.get(), n.get(), ctx.get()) == 1);
    return BN_cmp(back.get(), m_bn.get()) == 0;
  };

  // (0) OpenSSL signs with the CRT parameters: a wrong d alone changes nothing.
  bn bad_d(BN_dup(d.get()), BN_free);
  REQUIRE(BN_add_word(bad_d.get(), 2) == 1);
  auto crt_only = load(bad_d.get(), dp.get());
  REQUIRE(crt_only.has_value());
  CHECK(signs_correctly(*crt_only));

  REQUIRE(BN_add_word(dp.get(), 2) == 1);  // the fault

  {
    // (1) Garner's CRT with the faulty dP gives s with s^e != m.
    bn m1(BN_new(), BN_free), m2(BN_new(), BN_free), h(BN_new(), BN_free), s(BN_new(), BN_free),
        back(BN_new(), BN_free);
    REQUIRE(BN_mod_exp(m1.get(), m_bn.get(), dp.get(), p.get(), ctx.get()) == 1);
    REQUIRE(BN_mod_exp(m2.get(), m_bn.get(), dq.get(), q.get(), ctx.get()) == 1);
    REQUIRE(BN_mod_sub(h.get(), m1.get(), m2.get(), p.get(), ctx.get()) == 1);
    REQUIRE(BN_mod_mul(h.get(), h.get(), qinv.get(), p.get(), ctx.get()) == 1);
    REQUIRE(BN_mul(s.get(), h.get(), q.get(), ctx.get()) == 1);
    REQUIRE(BN_add(s.get(), s.get(), m2.get()) == 1);
    REQUIRE(BN_mod_exp(back.get(), s.get(), e.get(), n.get(), ctx.get()) == 1);
    CHECK(BN_cmp(back.get(), m_bn.get()) != 0);
  }

  // (2) With the faulty dP, every signature blind_sign returns still
  // satisfies s^e = m: OpenSSL caught the CRT fault and recomputed with d.
  auto faulty = load(d.get(), dp.get());
  REQUIRE(faulty.has_value());
  for (int i = 0; i < 4; ++i) CHECK(signs_correctly(*faulty));
}
