#include "crypto/domain.hpp"

#include "crypto/encoding.hpp"

#include <doctest/doctest.h>

using namespace hearth::crypto;

// Expected strings are written out by hand from PROTOCOL.md §3.

TEST_CASE("key directory bytes") {
  std::vector<domain::directory_line> keys = {
      {"AAAkey_one", 3, 1764000000, 1766592000, 1769184000, "retired"},
      {"BBB-key_two", 4, 1766592000, 1769184000, 1771776000, "active"},
  };
  CHECK(domain::key_directory("hearth-local", 7, keys) ==
        "hearth/keys/v1\n"
        "hearth-local\n"
        "7\n"
        "AAAkey_one 3 1764000000 1766592000 1769184000 retired\n"
        "BBB-key_two 4 1766592000 1769184000 1771776000 active");
  CHECK(domain::key_directory("acme", 0, {}) == "hearth/keys/v1\nacme\n0");
  CHECK(domain::key_directory("acme", 18446744073709551615ULL,
                              {{"k", 0, -5, 0, 9223372036854775807LL, "revoked"}}) ==
        "hearth/keys/v1\nacme\n18446744073709551615\nk 0 -5 0 9223372036854775807 revoked");
}

TEST_CASE("pseudonym token message is 52 bytes") {
  bytes pk(32);
  for (std::size_t i = 0; i < pk.size(); ++i) pk[i] = static_cast<std::uint8_t>(0xa0 + i);
  auto msg = domain::pseudonym_token_msg(pk);
  CHECK(msg.size() == domain::pseudonym_msg_bytes);
  CHECK(msg.size() == 52);
  // "hearth/pseudonym/v1" = 68 65 61 72 74 68 2f 70 73 65 75 64 6f 6e 79 6d 2f 76 31
  CHECK(hex_encode(msg) ==
        "6865617274682f70736575646f6e796d2f7631"
        "00"
        "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
}

TEST_CASE("login bytes") {
  CHECK(domain::login("hearth-local", "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k") ==
        "hearth/login/v1\nhearth-local\nq83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k");
}

TEST_CASE("post bytes") {
  CHECK(domain::post("hearth-local", "general", "", "bm9uY2Utbm9uY2UtMQ", "hello") ==
        "hearth/post/v1\nhearth-local\ngeneral\n\nbm9uY2Utbm9uY2UtMQ\nhello");
  CHECK(domain::post("acme", "team-a", "p0001", "nonce_nonce_nonce_", "line one\nline two\n") ==
        "hearth/post/v1\nacme\nteam-a\np0001\nnonce_nonce_nonce_\nline one\nline two\n");
  // The body is raw UTF-8 and goes last, unchanged.
  CHECK(domain::post("i", "c", "p", "n", "caf\xc3\xa9 \xe2\x9c\x93") ==
        "hearth/post/v1\ni\nc\np\nn\ncaf\xc3\xa9 \xe2\x9c\x93");
  CHECK(domain::post("i", "c", "", "n", "") == "hearth/post/v1\ni\nc\n\nn\n");
}

TEST_CASE("appeal bytes") {
  CHECK(domain::appeal("hearth-local", "0000000000000007", "please look again") ==
        "hearth/appeal/v1\nhearth-local\n0000000000000007\nplease look again");
  // The text goes last, newlines and all.
  CHECK(domain::appeal("acme", "00000000000000ff", "one\ntwo\n") == "hearth/appeal/v1\nacme\n00000000000000ff\none\ntwo\n");
}
