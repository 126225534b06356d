#include "crypto/password.hpp"

#include <doctest/doctest.h>

using namespace hearth::crypto;

TEST_CASE("argon2id hashes and verifies") {
  auto h = hash_password("correct horse battery", pwhash_params::minimal());
  REQUIRE(h.has_value());
  CHECK(h->rfind("$argon2id$", 0) == 0);
  CHECK(verify_password(*h, "correct horse battery"));
  CHECK_FALSE(verify_password(*h, "correct horse batterz"));
  CHECK_FALSE(verify_password(*h, ""));

  auto h2 = hash_password("correct horse battery", pwhash_params::minimal());
  REQUIRE(h2.has_value());
  CHECK(*h != *h2);  // fresh salt each time
  CHECK(verify_password(*h2, "correct horse battery"));
}

TEST_CASE("argon2id handles empty and binary passwords") {
  auto empty = hash_password("", pwhash_params::minimal());
  REQUIRE(empty.has_value());
  CHECK(verify_password(*empty, ""));
  CHECK_FALSE(verify_password(*empty, "x"));

  std::string binary("a\0b", 3);
  auto h = hash_password(binary, pwhash_params::minimal());
  REQUIRE(h.has_value());
  CHECK(verify_password(*h, binary));
  CHECK_FALSE(verify_password(*h, "a"));
}

TEST_CASE("argon2id treats malformed hashes as a mismatch") {
  auto h = hash_password("pw", pwhash_params::minimal());
  REQUIRE(h.has_value());
  CHECK_FALSE(verify_password("", "pw"));
  CHECK_FALSE(verify_password("$argon2id$", "pw"));
  CHECK_FALSE(verify_password(h->substr(0, h->size() - 3), "pw"));
  std::string argon2i = *h;
  argon2i.replace(0, 10, "$argon2i$");
  CHECK_FALSE(verify_password(argon2i, "pw"));
  CHECK_FALSE(verify_password(std::string(1000, 'a'), "pw"));
  CHECK_FALSE(verify_password(*h + std::string(200, 'A'), "pw"));
}

TEST_CASE("argon2id parameter sets are ordered") {
  auto min = pwhash_params::minimal();
  auto inter = pwhash_params::interactive();
  auto mod = pwhash_params::moderate();
  CHECK(min.opslimit <= inter.opslimit);
  CHECK(min.memlimit < inter.memlimit);
  CHECK(inter.memlimit < mod.memlimit);
}
