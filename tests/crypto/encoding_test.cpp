#include "crypto/encoding.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace hearth::crypto;

namespace {

std::string decode_to_string(std::string_view s) {
  auto r = base64url_decode(s);
  REQUIRE(r.has_value());
  return to_string(*r);
}

}  // namespace

TEST_CASE("base64url encodes the RFC 4648 test vectors without padding") {
  CHECK(base64url_encode(as_bytes("")) == "");
  CHECK(base64url_encode(as_bytes("f")) == "Zg");
  CHECK(base64url_encode(as_bytes("fo")) == "Zm8");
  CHECK(base64url_encode(as_bytes("foo")) == "Zm9v");
  CHECK(base64url_encode(as_bytes("foob")) == "Zm9vYg");
  CHECK(base64url_encode(as_bytes("fooba")) == "Zm9vYmE");
  CHECK(base64url_encode(as_bytes("foobar")) == "Zm9vYmFy");
}

TEST_CASE("base64url_append appends after what the string holds") {
  std::string out = "\"pk\":";
  base64url_append(out, as_bytes("fooba"));
  CHECK(out == "\"pk\":Zm9vYmE");
  base64url_append(out, as_bytes(""));
  base64url_append(out, as_bytes("f"));
  CHECK(out == "\"pk\":Zm9vYmEZg");
}

TEST_CASE("base64url uses the url-safe alphabet") {
  bytes const b = {0xfb, 0xff};
  CHECK(base64url_encode(b) == "-_8");
  auto d = base64url_decode("-_8");
  REQUIRE(d.has_value());
  CHECK(*d == b);
  bytes const all = {0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b, 0x30, 0xd3, 0x8f,
                     0x41, 0x14, 0x93, 0x51, 0x55, 0x97, 0x61, 0x96, 0x9b, 0x71, 0xd7, 0x9f,
                     0x82, 0x18, 0xa3, 0x92, 0x59, 0xa7, 0xa2, 0x9a, 0xab, 0xb2, 0xdb, 0xaf,
                     0xc3, 0x1c, 0xb3, 0xd3, 0x5d, 0xb7, 0xe3, 0x9e, 0xbb, 0xf3, 0xdf, 0xbf};
  CHECK(base64url_encode(all) ==
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
}

TEST_CASE("base64url decodes and round-trips") {
  CHECK(decode_to_string("") == "");
  CHECK(decode_to_string("Zg") == "f");
  CHECK(decode_to_string("Zm8") == "fo");
  CHECK(decode_to_string("Zm9vYmFy") == "foobar");
  for (std::size_t n = 0; n < 70; ++n) {
    bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 37 + n);
    auto d = base64url_decode(base64url_encode(b));
    REQUIRE(d.has_value());
    CHECK(*d == b);
  }
}

TEST_CASE("base64url rejects padding, foreign characters and non-canonical bits") {
  for (std::string_view bad : {
           "Zg==", "Zm8=", "Zg=", "=",       // padding
           "Zm9v+", "Zm/v", "+/8",           // standard alphabet
           "Zm9v Yg", " Zg", "Zg\n", "Zm.v",  // whitespace and punctuation
           "Z", "Zm9vY",                       // a lone trailing character
           "Zh", "Zm9", "Zm9vYh", "Zm9vYmF",   // unused low bits set
       }) {
    CAPTURE(bad);
    auto r = base64url_decode(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == hearth::errc::bad_request);
  }
  std::string with_nul = "Zm9v";
  with_nul.push_back('\0');
  with_nul += "Yg";
  CHECK_FALSE(base64url_decode(with_nul).has_value());
  std::string high_bit = "Zm9v";
  high_bit.push_back(static_cast<char>(0xc3));
  CHECK_FALSE(base64url_decode(high_bit).has_value());
}

TEST_CASE("hex encodes lowercase and decodes either case") {
  bytes const b = {0x00, 0x01, 0xab, 0xcd, 0xef, 0xff};
  CHECK(hex_encode(b) == "0001abcdefff");
  auto lower = hex_decode("0001abcdefff");
  REQUIRE(lower.has_value());
  CHECK(*lower == b);
  auto upper = hex_decode("0001ABCDEFFF");
  REQUIRE(upper.has_value());
  CHECK(*upper == b);
  CHECK(hex_encode({}) == "");
  CHECK(hex_decode("")->empty());
}

TEST_CASE("hex rejects odd lengths and non-hex characters") {
  for (std::string_view bad : {"0", "abc", "0g", "zz", " 00", "0x00", "-1"}) {
    CAPTURE(bad);
    auto r = hex_decode(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == hearth::errc::bad_request);
  }
}
