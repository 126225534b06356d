// RFC 9474 on untrusted inputs, with the RFC's Appendix A key
// (tests/data/rfc9474.json):
//   0  public_key::from_spki on any bytes: accepted keys are canonical DER
//      within the size bounds;
//   1  verify (what certify does with a token): any bytes, any variant;
//   2  finalize (what a client does with the issuer's answer): a result is a
//      signature verify accepts;
//   3  blind_sign (what issue does with a client's blinded_msg): accepted
//      exactly when it is k bytes below n, and then s^e mod n == blinded_msg;
//   4  the whole protocol on an arbitrary message: blind, blind_sign and
//      finalize agree, and the signature verifies.
// The input's last bytes choose the mode, the variant and the field lengths
// (FuzzedDataProvider takes integers from the end); tests/fuzz/seeds.py
// writes the seed corpus in that layout.
#include "crypto/blind_rsa.hpp"

#include "crypto/encoding.hpp"
#include "tests/fuzz/check.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <openssl/bn.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

using namespace hearth::crypto;
namespace brsa = hearth::crypto::blind_rsa;
namespace json = boost::json;

namespace {

struct bn_free {
  void operator()(BIGNUM* b) const noexcept { BN_free(b); }
};
using bn_ptr = std::unique_ptr<BIGNUM, bn_free>;
struct bn_ctx_free {
  void operator()(BN_CTX* c) const noexcept { BN_CTX_free(c); }
};

struct rfc_key {
  brsa::secret_key sk;
  brsa::public_key pk;
  bytes n, e;
};

bytes hex_field(json::object const& v, char const* name) {
  auto r = hex_decode(std::string_view(v.at(name).as_string()));
  HEARTH_FUZZ_CHECK(r.has_value());
  return *r;
}

rfc_key const& key() {
  static rfc_key const k = [] {
    std::ifstream in(HEARTH_RFC9474_JSON, std::ios::binary);
    HEARTH_FUZZ_CHECK(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    auto const doc = json::parse(ss.str());
    auto const& v = doc.at("vectors").at(0).as_object();
    auto sk = brsa::secret_key::from_components(hex_field(v, "p"), hex_field(v, "q"), hex_field(v, "d"),
                                                hex_field(v, "e"));
    HEARTH_FUZZ_CHECK(sk.has_value());
    auto pk = sk->public_key();
    return rfc_key{std::move(*sk), std::move(pk), hex_field(v, "n"), hex_field(v, "e")};
  }();
  return k;
}

bn_ptr to_bn(byte_view b) { return bn_ptr(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr)); }

// s^e mod n == m, computed here with plain BIGNUM arithmetic.
bool raw_rsa_matches(byte_view s, byte_view m) {
  auto const& k = key();
  std::unique_ptr<BN_CTX, bn_ctx_free> ctx(BN_CTX_new());
  bn_ptr sb = to_bn(s), eb = to_bn(k.e), nb = to_bn(k.n), mb = to_bn(m), out(BN_new());
  HEARTH_FUZZ_CHECK(ctx && sb && eb && nb && mb && out);
  HEARTH_FUZZ_CHECK(BN_mod_exp(out.get(), sb.get(), eb.get(), nb.get(), ctx.get()) == 1);
  return BN_cmp(out.get(), mb.get()) == 0;
}

bool below_n(byte_view m) {
  bn_ptr mb = to_bn(m), nb = to_bn(key().n);
  return BN_cmp(mb.get(), nb.get()) < 0;
}

bool is_invalid_signature(boost::system::error_code const& ec) {
  return ec == hearth::make_error_code(hearth::errc::invalid_signature);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)key();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  auto const mode = in.ConsumeIntegralInRange<int>(0, 4);
  auto const v = static_cast<brsa::variant>(in.ConsumeIntegralInRange<int>(0, 3));
  auto const& k = key();
  std::size_t const kb = k.pk.modulus_bytes();

  switch (mode) {
    case 0: {
      auto const der = in.ConsumeRemainingBytes<std::uint8_t>();
      auto pk = brsa::public_key::from_spki(der);
      if (!pk) break;
      HEARTH_FUZZ_CHECK(pk->spki() == der);
      HEARTH_FUZZ_CHECK(pk->bits() >= brsa::min_modulus_bits && pk->bits() <= brsa::max_modulus_bits);
      HEARTH_FUZZ_CHECK(pk->key_id().size() == 32);
      break;
    }
    case 1: {
      auto const sig_len = in.ConsumeIntegralInRange<std::size_t>(0, 1024);
      auto const sig = in.ConsumeBytes<std::uint8_t>(sig_len);
      auto const prepared = in.ConsumeRemainingBytes<std::uint8_t>();
      auto r = brsa::verify(k.pk, v, prepared, sig);
      if (!r) HEARTH_FUZZ_CHECK(is_invalid_signature(r.error()));
      break;
    }
    case 2: {
      auto const sig_len = in.ConsumeIntegralInRange<std::size_t>(0, 1024);
      auto const inv_len = in.ConsumeIntegralInRange<std::size_t>(0, 1024);
      auto const blind_sig = in.ConsumeBytes<std::uint8_t>(sig_len);
      secret_bytes const inv(in.ConsumeBytes<std::uint8_t>(inv_len));
      auto const prepared = in.ConsumeRemainingBytes<std::uint8_t>();
      auto sig = brsa::finalize(k.pk, v, prepared, blind_sig, inv);
      if (!sig) {
        HEARTH_FUZZ_CHECK(is_invalid_signature(sig.error()));
        break;
      }
      HEARTH_FUZZ_CHECK(sig->size() == kb);
      HEARTH_FUZZ_CHECK(brsa::verify(k.pk, v, prepared, *sig).has_value());
      break;
    }
    case 3: {
      auto const blinded = in.ConsumeRemainingBytes<std::uint8_t>();
      auto s = brsa::blind_sign(k.sk, blinded);
      bool const acceptable = blinded.size() == kb && below_n(blinded);
      HEARTH_FUZZ_CHECK(s.has_value() == acceptable);
      if (!s) {
        HEARTH_FUZZ_CHECK(s.error() == hearth::make_error_code(hearth::errc::bad_request));
        break;
      }
      HEARTH_FUZZ_CHECK(s->size() == kb);
      HEARTH_FUZZ_CHECK(raw_rsa_matches(*s, blinded));
      break;
    }
    default: {
      auto const msg = in.ConsumeRemainingBytes<std::uint8_t>();
      auto const prep = brsa::prepare(v, msg);
      HEARTH_FUZZ_CHECK(prep.prefix.size() == (brsa::is_randomized(v) ? brsa::prefix_bytes : 0));
      auto b = brsa::blind(k.pk, v, prep.prepared);
      HEARTH_FUZZ_CHECK(b.has_value());
      auto s = brsa::blind_sign(k.sk, b->blinded_msg);
      HEARTH_FUZZ_CHECK(s.has_value());
      auto sig = brsa::finalize(k.pk, v, prep.prepared, *s, b->inv);
      HEARTH_FUZZ_CHECK(sig.has_value());
      HEARTH_FUZZ_CHECK(brsa::verify(k.pk, v, prep.prepared, *sig).has_value());
      break;
    }
  }
  return 0;
}
