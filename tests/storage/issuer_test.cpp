#include "helpers.hpp"

#include <doctest/doctest.h>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;

TEST_CASE("issuer: roster import, enroll once, remove") {
  temp_dir t;
  auto d = create(t.data());
  auto& is = *d->issuer();
  CHECK(fails_with(is.employee("e1"), errc::not_found));
  REQUIRE(is.import_roster({{"e1", "code1"}, {"e2", "code2"}}));
  CHECK(is.employee("e1")->code_hash == "code1");
  // A repeated id in one call imports nothing.
  CHECK(fails_with(is.import_roster({{"e3", "c"}, {"e3", "d"}}), errc::bad_request));
  CHECK(fails_with(is.employee("e3"), errc::not_found));

  CHECK(fails_with(is.enroll("e1", "wrong", "pw"), errc::unauthenticated));
  CHECK(fails_with(is.enroll("nobody", "code1", "pw"), errc::unauthenticated));
  REQUIRE(is.enroll("e1", "code1", "pw1"));
  auto e1 = is.employee("e1");
  CHECK(e1->code_hash.empty());
  CHECK(e1->password_hash == "pw1");
  CHECK(fails_with(is.enroll("e1", "code1", "pw2"), errc::unauthenticated));
  CHECK(fails_with(is.enroll("e1", "", "pw2"), errc::unauthenticated));

  // Re-import: new code, password kept until the next enrollment.
  REQUIRE(is.import_roster({{"e1", "code1b"}}));
  CHECK(is.employee("e1")->code_hash == "code1b");
  CHECK(is.employee("e1")->password_hash == "pw1");
  REQUIRE(is.enroll("e1", "code1b", "pw3"));
  CHECK(is.employee("e1")->password_hash == "pw3");

  REQUIRE(is.remove_employee("e2"));
  CHECK(fails_with(is.employee("e2"), errc::not_found));
  CHECK(fails_with(is.remove_employee("e2"), errc::not_found));
}

TEST_CASE("issuer: quota ledger, retries and issued count") {
  temp_dir t;
  auto d = create(t.data());
  auto& is = *d->issuer();
  CHECK(is.quota("e1", "k1")->used == 0);
  CHECK(*is.issued_count("k1") == 0);
  auto s1 = is.commit_issue("e1", "k1", 2, {1, 1}, {0xa1});
  REQUIRE(s1);
  CHECK(*s1 == bytes{0xa1});
  // Same blinded message again: same signature, no unit used.
  auto again = is.commit_issue("e1", "k1", 2, {1, 1}, {0xff});
  REQUIRE(again);
  CHECK(*again == bytes{0xa1});
  CHECK(is.quota("e1", "k1")->used == 1);
  REQUIRE(is.commit_issue("e1", "k1", 2, {2, 2}, {0xa2}));
  CHECK(fails_with(is.commit_issue("e1", "k1", 2, {3, 3}, {0xa3}), errc::quota_exhausted));
  auto q = is.quota("e1", "k1");
  CHECK(q->used == 2);
  CHECK(q->last_blinded_msg == bytes{2, 2});
  CHECK(q->last_blind_sig == bytes{0xa2});
  // Other key, other employee: separate ledgers.
  REQUIRE(is.commit_issue("e1", "k2", 1, {1}, {1}));
  REQUIRE(is.commit_issue("e2", "k1", 1, {1}, {1}));
  CHECK(*is.issued_count("k1") == 3);
  CHECK(*is.issued_count("k2") == 1);
}

TEST_CASE("issuer: master key, signing keys and directory seq") {
  temp_dir t;
  auto d = create(t.data());
  auto& is = *d->issuer();
  CHECK(fails_with(is.master_secret_key(), errc::not_found));
  CHECK(*is.directory_seq() == 0);
  CHECK(is.signing_keys()->empty());

  secret_bytes sk(crypto::as_bytes(std::string(64, 'M')));
  REQUIRE(is.set_master_secret_key(sk));
  CHECK(fails_with(is.set_master_secret_key(sk), errc::conflict));
  CHECK(crypto::to_string(is.master_secret_key()->view()) == std::string(64, 'M'));

  signing_key_record k1;
  k1.key_id = "kid-one";
  k1.epoch = 1;
  k1.bits = 2048;
  k1.spki = {1};
  k1.pkcs8 = secret_bytes(crypto::as_bytes("p1"));
  k1.accept_until = 100;
  std::vector<signing_key_record> ch;
  ch.push_back(k1.clone());
  REQUIRE(*is.update_directory(0, ch) == 1);
  CHECK(fails_with(is.update_directory(0, ch), errc::conflict));

  signing_key_record k2 = k1.clone();
  k2.key_id = "kid-two";
  k2.epoch = 2;
  k2.pkcs8 = secret_bytes(crypto::as_bytes("p2"));
  k1.state = key_state::retired;
  ch.clear();
  ch.push_back(k2.clone());
  ch.push_back(k1.clone());
  REQUIRE(*is.update_directory(1, ch) == 2);
  auto keys = is.signing_keys();
  REQUIRE(keys->size() == 2);
  CHECK((*keys)[0].key_id == "kid-one");
  CHECK((*keys)[0].state == key_state::retired);
  CHECK((*keys)[1].key_id == "kid-two");
  CHECK((*keys)[1].state == key_state::active);
  CHECK(crypto::to_string((*keys)[1].pkcs8.view()) == "p2");
  CHECK(*is.directory_seq() == 2);

  // Survives reopening.
  d.reset();
  d = open(t.data());
  CHECK(*d->issuer()->directory_seq() == 2);
  CHECK(d->issuer()->signing_keys()->size() == 2);
  CHECK(d->issuer()->master_secret_key()->size() == 64);
}
