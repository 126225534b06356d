#include "crypto/ed25519.hpp"

#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

using namespace hearth::crypto;

namespace {

bytes from_hex(std::string_view h) {
  auto r = hex_decode(h);
  REQUIRE(r.has_value());
  return *r;
}

}  // namespace

TEST_CASE("ed25519 signs and verifies") {
  auto kp = ed25519::generate();
  CHECK(kp.public_key.size() == ed25519::public_key_bytes);
  CHECK(kp.secret_key.size() == ed25519::secret_key_bytes);
  auto const msg = as_bytes("hearth/login/v1\nhearth-local\nbm9uY2U");
  auto sig = ed25519::sign(kp.secret_key, msg);
  CHECK(sig.size() == ed25519::signature_bytes);
  CHECK(ed25519::verify(kp.public_key, msg, sig));

  SUBCASE("tampered message") {
    bytes m(msg.begin(), msg.end());
    m.back() ^= 1;
    CHECK_FALSE(ed25519::verify(kp.public_key, m, sig));
  }
  SUBCASE("tampered signature") {
    for (std::size_t i : {std::size_t{0}, std::size_t{31}, std::size_t{32}, std::size_t{63}}) {
      auto s = sig;
      s[i] ^= 0x40;
      CHECK_FALSE(ed25519::verify(kp.public_key, msg, s));
    }
  }
  SUBCASE("wrong key") {
    auto other = ed25519::generate();
    CHECK_FALSE(ed25519::verify(other.public_key, msg, sig));
  }
  SUBCASE("wrong lengths") {
    bytes short_sig(sig.begin(), sig.end() - 1);
    bytes long_pk = kp.public_key;
    long_pk.push_back(0);
    CHECK_FALSE(ed25519::verify(kp.public_key, msg, short_sig));
    CHECK_FALSE(ed25519::verify(long_pk, msg, sig));
    CHECK_FALSE(ed25519::verify({}, msg, sig));
    CHECK(ed25519::sign(secret_bytes(3), msg).empty());
  }
}

TEST_CASE("ed25519 matches RFC 8032 test 1") {
  // RFC 8032 §7.1 TEST 1: empty message.
  auto seed = from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  auto pk = from_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  bytes sk = seed;
  sk.insert(sk.end(), pk.begin(), pk.end());
  auto kp = ed25519::from_secret_key(sk);
  REQUIRE(kp.has_value());
  CHECK(kp->public_key == pk);
  auto sig = ed25519::sign(kp->secret_key, {});
  CHECK(hex_encode(sig) ==
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  CHECK(ed25519::verify(pk, {}, sig));
}

TEST_CASE("ed25519 from_secret_key round-trips and rejects bad input") {
  auto kp = ed25519::generate();
  auto again = ed25519::from_secret_key(kp.secret_key.view());
  REQUIRE(again.has_value());
  CHECK(again->public_key == kp.public_key);
  CHECK(equal(again->secret_key.view(), kp.secret_key.view()));

  auto wrong_pk = kp.secret_key.clone();
  wrong_pk.data()[ed25519::secret_key_bytes - 1] ^= 1;
  auto r = ed25519::from_secret_key(wrong_pk.view());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == hearth::errc::bad_request);
  CHECK_FALSE(ed25519::from_secret_key(bytes(32)).has_value());
  CHECK_FALSE(ed25519::from_secret_key(bytes(65)).has_value());
}

TEST_CASE("ed25519 is_valid_public_key accepts real keys") {
  for (int i = 0; i < 16; ++i) CHECK(ed25519::is_valid_public_key(ed25519::generate().public_key));
  // The RFC 8032 test key.
  CHECK(ed25519::is_valid_public_key(
      from_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")));
}

TEST_CASE("ed25519 is_valid_public_key rejects small-order, non-canonical and off-curve points") {
  // y = 0: a point of order 4.
  CHECK_FALSE(ed25519::is_valid_public_key(bytes(32, 0)));
  // The identity (y = 1).
  CHECK_FALSE(ed25519::is_valid_public_key(
      from_hex("0100000000000000000000000000000000000000000000000000000000000000")));
  // y = -1: the point of order 2.
  CHECK_FALSE(ed25519::is_valid_public_key(
      from_hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")));
  // y = p (non-canonical encoding of 0) and y = p + 1 (non-canonical identity).
  CHECK_FALSE(ed25519::is_valid_public_key(
      from_hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")));
  CHECK_FALSE(ed25519::is_valid_public_key(
      from_hex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")));
  // The four points of order 8, either sign bit.
  for (auto const* y : {"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
                        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
                        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
                        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"})
    CHECK_FALSE(ed25519::is_valid_public_key(from_hex(y)));
  // y = 2^255 - 1 (non-canonical).
  CHECK_FALSE(ed25519::is_valid_public_key(
      from_hex("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")));
  // A valid key with the sign bit of x flipped on x = 0: the identity with sign bit.
  CHECK_FALSE(ed25519::is_valid_public_key(
      from_hex("0100000000000000000000000000000000000000000000000000000000000080")));
  // y = 2 is not on the curve.
  CHECK_FALSE(ed25519::is_valid_public_key(
      from_hex("0200000000000000000000000000000000000000000000000000000000000000")));
  // Wrong lengths.
  CHECK_FALSE(ed25519::is_valid_public_key(bytes(31, 1)));
  CHECK_FALSE(ed25519::is_valid_public_key(bytes{}));
}

TEST_CASE("ed25519 is_valid_public_key accepts a point of large order outside the prime-order subgroup") {
  // PROTOCOL.md asks for "a canonical Ed25519 point of large order": a real
  // key plus the point of order 2 has order 2L (see docs/protocol.md).
  auto kp = ed25519::generate();
  auto order2 = from_hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  bytes mixed(ed25519::public_key_bytes);
  REQUIRE(crypto_core_ed25519_add(mixed.data(), kp.public_key.data(), order2.data()) == 0);
  CHECK(crypto_core_ed25519_is_valid_point(mixed.data()) == 0);  // not in the prime-order subgroup
  CHECK(ed25519::is_valid_public_key(mixed));
  // The base point plus the point of order 2, worked out by hand.
  CHECK(ed25519::is_valid_public_key(from_hex("9599999999999999999999999999999999999999999999999999999999999999")));
}
