#include "storage/codec.hpp"

#include <doctest/doctest.h>

using namespace hearth;
using namespace hearth::storage;

TEST_CASE("codec: every record kind round-trips and rejects truncation") {
  employee_record e{"emp-1", "codehash", "pwhash"};
  auto ee = codec::encode(e);
  employee_record e2;
  REQUIRE(codec::decode(ee, e2));
  CHECK(e2.employee_id == "emp-1");
  CHECK(e2.code_hash == "codehash");
  CHECK(e2.password_hash == "pwhash");
  CHECK_FALSE(codec::decode(ee.substr(0, ee.size() - 1), e2));
  CHECK_FALSE(codec::decode(ee + "x", e2));

  signing_key_record k;
  k.key_id = "kid";
  k.epoch = 7;
  k.bits = 2048;
  k.spki = {1, 2, 3};
  k.pkcs8 = secret_bytes(crypto::as_bytes("secret-pkcs8"));
  k.issue_from = -5;
  k.issue_until = 100;
  k.accept_until = 1LL << 40;
  k.state = key_state::retired;
  auto ke = codec::encode(k);
  signing_key_record k2;
  REQUIRE(codec::decode(ke, k2));
  CHECK(k2.key_id == "kid");
  CHECK(k2.epoch == 7);
  CHECK(k2.bits == 2048);
  CHECK(k2.spki == bytes{1, 2, 3});
  CHECK(crypto::to_string(k2.pkcs8.view()) == "secret-pkcs8");
  CHECK(k2.issue_from == -5);
  CHECK(k2.accept_until == (1LL << 40));
  CHECK(k2.state == key_state::retired);
  auto k3 = k2.clone();
  CHECK(crypto::to_string(k3.pkcs8.view()) == "secret-pkcs8");

  quota_record q{2, {9, 9}, {8}};
  quota_record q2;
  REQUIRE(codec::decode(codec::encode(q), q2));
  CHECK(q2.used == 2);
  CHECK(q2.last_blinded_msg == bytes{9, 9});
  CHECK(q2.last_blind_sig == bytes{8});

  staff_record s{"alice", staff_role::admin, "h"};
  staff_record s2;
  REQUIRE(codec::decode(codec::encode(s), s2));
  CHECK(s2.username == "alice");
  CHECK(s2.role == staff_role::admin);

  audit_entry a{"0000000000000001", 1700000001, "alice", staff_role::admin, "keys.rotate", "kid", "d"};
  audit_entry a2;
  REQUIRE(codec::decode(codec::encode(a), a2));
  CHECK(a2.at == 1700000001);
  CHECK(a2.actor == "alice");
  CHECK(a2.detail == "d");

  pseudonym_record p;
  p.pk = bytes(32, 1);
  p.handle = "Bob";
  p.since_epoch = 3;
  p.certifications = {{"k1", 3, 10}, {"k2", 4, 20}};
  pseudonym_record p2;
  REQUIRE(codec::decode(codec::encode(p), p2));
  CHECK(p2.handle == "Bob");
  REQUIRE(p2.certifications.size() == 2);
  CHECK(p2.certifications[1].key_id == "k2");
  CHECK(p2.certifications[1].accept_until == 20);

  post_record r;
  r.id = "00000000000000ff";
  r.channel = "general";
  r.parent = "";
  r.author_pk = bytes(32, 2);
  r.author_handle = "Bob";
  r.body = "line one\nline two \xe2\x9c\x93";
  r.created_at = 1700000040;
  r.nonce = "nonce-nonce-nonce";
  r.sig = bytes(64, 3);
  r.reactions = {{"+1", 2}, {"heart", 1}};
  r.replies = 4;
  r.hidden = true;
  post_record r2;
  REQUIRE(codec::decode(codec::encode(r), r2));
  CHECK(r2.body == r.body);
  CHECK(r2.reactions == r.reactions);
  CHECK(r2.replies == 4);
  CHECK(r2.hidden);
  CHECK_FALSE(r2.deleted);

  modlog_entry m{"0000000000000002", 60, "ban", "Bob", "spam", "moderator"};
  modlog_entry m2;
  REQUIRE(codec::decode(codec::encode(m), m2));
  CHECK(m2.action == "ban");
  CHECK(m2.actor_role == "moderator");

  channel_record c{"general", "desc"};
  channel_record c2;
  REQUIRE(codec::decode(codec::encode(c), c2));
  CHECK(c2.description == "desc");

  // An unknown format version is refused.
  auto bad = codec::encode(c);
  bad[0] = 2;
  CHECK_FALSE(codec::decode(bad, c2));
}

TEST_CASE("codec: cursors are printable, checked, and bound to their listing") {
  auto c = codec::make_cursor('f', codec::hex16(42), "general");
  for (char ch : c) CHECK((ch > 0x20 && ch < 0x7f));
  auto p = codec::parse_cursor(c, 'f', 16, "general");
  REQUIRE(p);
  CHECK(codec::parse_hex16(*p) == 42u);
  CHECK_FALSE(codec::parse_cursor(c, 'f', 16, "random"));
  CHECK_FALSE(codec::parse_cursor(c, 'm', 16, "general"));
  auto t = c;
  t[5] = t[5] == '0' ? '1' : '0';
  CHECK_FALSE(codec::parse_cursor(t, 'f', 16, "general"));
  CHECK_FALSE(codec::parse_cursor("", 'f', 16, "general"));
  CHECK_FALSE(codec::parse_cursor(c + "0", 'f', 16, "general"));
}
