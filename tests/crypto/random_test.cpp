#include "crypto/random.hpp"

#include "crypto/encoding.hpp"

#include <doctest/doctest.h>

using namespace hearth::crypto;

TEST_CASE("init is idempotent") {
  CHECK_NOTHROW(init());
  CHECK_NOTHROW(init());
}

TEST_CASE("random_bytes has the requested size and does not repeat") {
  CHECK(random_bytes(0).empty());
  auto a = random_bytes(32);
  auto b = random_bytes(32);
  CHECK(a.size() == 32);
  CHECK(a != b);
  auto s = random_secret(48);
  CHECK(s.size() == 48);
  CHECK_FALSE(equal(s.view(), random_secret(48).view()));
}

TEST_CASE("sha256 matches the FIPS 180-2 examples") {
  CHECK(hex_encode(sha256(as_bytes("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex_encode(sha256(as_bytes(""))) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256(as_bytes("x")).size() == sha256_bytes);
}

TEST_CASE("equal compares contents and lengths") {
  bytes const a = {1, 2, 3};
  bytes const b = {1, 2, 3};
  bytes const c = {1, 2, 4};
  bytes const d = {1, 2};
  CHECK(equal(a, b));
  CHECK_FALSE(equal(a, c));
  CHECK_FALSE(equal(a, d));
  CHECK_FALSE(equal(d, a));
  CHECK(equal(bytes{}, bytes{}));
  CHECK_FALSE(equal(bytes{}, a));
}
