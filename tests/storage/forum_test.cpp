#include "helpers.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;

TEST_CASE("forum: certify creates, renews and spends tokens") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  auto const pk = make_pk(1);
  auto c = f.certify(to_bytes("tok1"), pk, "Alice_1", make_cert("k1", 1, 100));
  REQUIRE(c);
  CHECK(c->created);
  CHECK(c->pseudonym.handle == "Alice_1");
  CHECK(c->pseudonym.since_epoch == 1);
  CHECK(*f.token_spent(to_bytes("tok1")));
  CHECK_FALSE(*f.token_spent(to_bytes("tok2")));
  CHECK(fails_with(f.certify(to_bytes("tok1"), make_pk(2), "other", make_cert()), errc::token_spent));
  // Handles are unique case-insensitively; a failed certify spends nothing.
  CHECK(fails_with(f.certify(to_bytes("tok2"), make_pk(2), "ALICE_1", make_cert("k1")), errc::conflict));
  CHECK_FALSE(*f.token_spent(to_bytes("tok2")));
  CHECK(*f.certified_count("k1") == 1);

  // Renewal under the same key: handle ignored, count unchanged, cert updated.
  auto r = f.certify(to_bytes("tok2"), pk, "ignored", make_cert("k1", 1, 150));
  REQUIRE(r);
  CHECK_FALSE(r->created);
  CHECK(r->pseudonym.handle == "Alice_1");
  REQUIRE(r->pseudonym.certifications.size() == 1);
  CHECK(r->pseudonym.certifications[0].accept_until == 150);
  CHECK(*f.certified_count("k1") == 1);
  // Renewal under a new key: one entry per key, counted once for that key.
  REQUIRE(f.certify(to_bytes("tok3"), pk, "", make_cert("k2", 2, 300)));
  auto p = f.pseudonym(pk);
  REQUIRE(p);
  CHECK(p->certifications.size() == 2);
  CHECK(p->since_epoch == 1);
  CHECK(*f.certified_count("k2") == 1);
  CHECK(fails_with(f.pseudonym(make_pk(9)), errc::not_found));
  CHECK(f.pseudonym_by_handle("aLiCe_1")->pk == pk);
  CHECK(fails_with(f.pseudonym_by_handle("nobody"), errc::not_found));
  CHECK(fails_with(f.certify(to_bytes("tok4"), make_pk(5), "", make_cert()), errc::bad_request));
}

TEST_CASE("forum: channels") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  auto cs = f.channels();
  REQUIRE(cs->size() == 1);
  CHECK((*cs)[0].name == "general");
  REQUIRE(f.add_channel({"random", "Anything"}));
  CHECK(fails_with(f.add_channel({"random", "again"}), errc::conflict));
  CHECK(f.channels()->size() == 2);
  d.reset();
  d = open(t.data());
  CHECK(d->forum()->channels()->size() == 2);
  CHECK(d->forum()->feed("random", std::nullopt, 10)->items.empty());
}

TEST_CASE("forum: posts, replies, retries and coarse times") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  REQUIRE(f.add_channel({"random", ""}));
  auto const a = make_pk(1);
  auto const b = make_pk(2);
  REQUIRE(f.certify(to_bytes("t1"), a, "alice", make_cert()));
  REQUIRE(f.certify(to_bytes("t2"), b, "bob", make_cert()));

  auto p1 = f.append_post(make_post("general", a, "hello", "nonce-0000000001"), 1700000059);
  REQUIRE(p1);
  CHECK(p1->created);
  CHECK(p1->post.created_at == 1700000040);
  CHECK(p1->post.body == "hello");
  // Retry with same content returns the stored post.
  auto again = f.append_post(make_post("general", a, "hello", "nonce-0000000001"), 1700000200);
  REQUIRE(again);
  CHECK_FALSE(again->created);
  CHECK(again->post.id == p1->post.id);
  CHECK(again->post.created_at == 1700000040);
  CHECK(fails_with(f.append_post(make_post("general", a, "other", "nonce-0000000001"), 1), errc::conflict));
  CHECK(fails_with(f.append_post(make_post("random", a, "hello", "nonce-0000000001"), 1), errc::conflict));
  // Same nonce by another author is a different post.
  auto p2 = f.append_post(make_post("general", b, "hello", "nonce-0000000001"), 1700000100);
  REQUIRE(p2);
  CHECK(p2->created);
  CHECK(p2->post.id > p1->post.id);

  CHECK(fails_with(f.append_post(make_post("nochan", a, "x", "nonce-x1"), 1), errc::not_found));
  CHECK(fails_with(f.append_post(make_post("general", a, "x", "nonce-x2", "00000000000000ff"), 1), errc::not_found));
  CHECK(fails_with(f.append_post(make_post("general", a, "x", "nonce-x3", "not-an-id"), 1), errc::not_found));
  CHECK(fails_with(f.append_post(make_post("random", a, "x", "nonce-x4", p1->post.id), 1), errc::bad_request));

  auto r1 = f.append_post(make_post("general", b, "reply one", "nonce-r1", p1->post.id), 1700000300);
  REQUIRE(r1);
  CHECK(r1->post.parent == p1->post.id);
  CHECK(fails_with(f.append_post(make_post("general", a, "x", "nonce-x5", r1->post.id), 1), errc::bad_request));
  auto r2 = f.append_post(make_post("general", a, "reply two", "nonce-r2", p1->post.id), 1700000300);
  REQUIRE(r2);

  auto th = f.thread(p1->post.id, std::nullopt, 100);
  REQUIRE(th);
  CHECK(th->post.replies == 2);
  REQUIRE(th->replies.size() == 2);
  CHECK(th->replies[0].id == r1->post.id);
  CHECK(th->replies[1].id == r2->post.id);
  CHECK(fails_with(f.thread(r1->post.id, std::nullopt, 100), errc::bad_request));
  CHECK(fails_with(f.thread("0000000000000999", std::nullopt, 100), errc::not_found));

  auto fd = f.feed("general", std::nullopt, 50);
  REQUIRE(fd);
  REQUIRE(fd->items.size() == 2);  // replies are not in the feed
  CHECK(fd->items[0].id == p2->post.id);
  CHECK(fd->items[1].replies == 2);
  CHECK_FALSE(fd->next);
  CHECK(fails_with(f.feed("nochan", std::nullopt, 5), errc::not_found));
  CHECK(fails_with(f.feed("general", std::nullopt, 0), errc::bad_request));

  CHECK(f.pseudonym(a)->posts == 2);
  CHECK(f.pseudonym(b)->posts == 2);
  CHECK(f.post(r2->post.id)->body == "reply two");
  CHECK(fails_with(f.post("zz"), errc::not_found));
}

TEST_CASE("forum: reactions, one of each per pseudonym") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  auto const a = make_pk(1);
  auto p = f.append_post(make_post("general", a, "hi", "nonce-1"), 0);
  REQUIRE(p);
  auto r = f.react(p->post.id, a, "+1", true);
  REQUIRE(r);
  CHECK((*r)["+1"] == 1);
  CHECK((*f.react(p->post.id, a, "+1", true))["+1"] == 1);
  CHECK((*f.react(p->post.id, make_pk(2), "+1", true))["+1"] == 2);
  CHECK((*f.react(p->post.id, a, "heart", true))["heart"] == 1);
  auto off = f.react(p->post.id, a, "+1", false);
  CHECK((*off)["+1"] == 1);
  off = f.react(p->post.id, a, "heart", false);
  CHECK(off->count("heart") == 0);
  CHECK(f.react(p->post.id, a, "heart", false)->count("heart") == 0);
  CHECK(f.post(p->post.id)->reactions == std::map<std::string, std::uint64_t>{{"+1", 1}});
  CHECK(fails_with(f.react("0000000000000077", a, "+1", true), errc::not_found));
}

TEST_CASE("forum: flags, hide, restore, dismiss and the modlog") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  auto const a = make_pk(1);
  REQUIRE(f.certify(to_bytes("t"), a, "alice", make_cert()));
  auto p = f.append_post(make_post("general", a, "bad words", "nonce-1"), 0);
  auto r = f.append_post(make_post("general", a, "a reply", "nonce-2", p->post.id), 0);
  REQUIRE(p);
  REQUIRE(r);
  REQUIRE(f.flag(p->post.id, make_pk(2), "spam", "note"));
  REQUIRE(f.flag(p->post.id, make_pk(2), "other", ""));  // repeat: no-op
  REQUIRE(f.flag(p->post.id, make_pk(3), "harassment", ""));
  auto q = f.flag_queue(std::nullopt, 10);
  REQUIRE(q->items.size() == 1);
  CHECK(q->items[0].flags == 2);
  CHECK(q->items[0].reasons == std::map<std::string, std::uint64_t>{{"harassment", 1}, {"spam", 1}});
  CHECK(q->items[0].post.body == "bad words");

  auto h = f.hide(p->post.id, make_entry("rude"), 1700000099);
  REQUIRE(h);
  CHECK(h->hidden);
  CHECK(f.flag_queue(std::nullopt, 10)->items.empty());
  CHECK(f.feed("general", std::nullopt, 10)->items.empty());
  CHECK(f.post(p->post.id)->hidden);
  CHECK(f.thread(p->post.id, std::nullopt, 100)->post.hidden);
  CHECK(f.thread(p->post.id, std::nullopt, 100)->replies.size() == 1);
  CHECK(f.pseudonym(a)->posts == 1);
  CHECK(fails_with(f.react(p->post.id, a, "+1", true), errc::not_found));
  // A reply to a hidden post is refused.
  CHECK(fails_with(f.append_post(make_post("general", a, "x", "nonce-3", p->post.id), 0), errc::not_found));

  auto ml = f.modlog(std::nullopt, 10);
  REQUIRE(ml->items.size() == 1);
  CHECK(ml->items[0].action == "hide");
  CHECK(ml->items[0].target == p->post.id);
  CHECK(ml->items[0].at == 1700000040);
  CHECK(ml->items[0].reason == "rude");
  CHECK(ml->items[0].actor_role == "moderator");

  REQUIRE(f.restore(p->post.id, make_entry("ok"), 1700000100));
  CHECK(f.feed("general", std::nullopt, 10)->items.size() == 1);
  CHECK(f.pseudonym(a)->posts == 2);
  CHECK(f.modlog(std::nullopt, 10)->items[0].action == "restore");

  // Hiding a reply: parent's visible reply count drops, thread still shows it.
  REQUIRE(f.hide(r->post.id, make_entry(), 0));
  CHECK(f.post(p->post.id)->replies == 0);
  auto th = f.thread(p->post.id, std::nullopt, 100);
  REQUIRE(th->replies.size() == 1);
  CHECK(th->replies[0].hidden);
  REQUIRE(f.restore(r->post.id, make_entry(), 0));
  CHECK(f.post(p->post.id)->replies == 1);

  // Dismiss removes from the queue; a new flag puts it back.
  REQUIRE(f.flag(p->post.id, make_pk(4), "spam", ""));
  CHECK(f.flag_queue(std::nullopt, 10)->items.size() == 1);
  REQUIRE(f.dismiss(p->post.id));
  CHECK(f.flag_queue(std::nullopt, 10)->items.empty());
  REQUIRE(f.dismiss(p->post.id));
  CHECK(fails_with(f.dismiss("00000000000000aa"), errc::not_found));
  CHECK(fails_with(f.hide("00000000000000aa", make_entry(), 0), errc::not_found));
}

TEST_CASE("forum: delete erases body, nonce and sig") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  auto const a = make_pk(1);
  REQUIRE(f.certify(to_bytes("t"), a, "alice", make_cert()));
  std::string const secret_body = "UNIQUE-BODY-TO-ERASE-7f3a9c";
  auto p = f.append_post(make_post("general", a, secret_body, "nonce-erase-me-123"), 0);
  auto r = f.append_post(make_post("general", make_pk(2), "reply", "nonce-r", p->post.id), 0);
  REQUIRE(p);
  REQUIRE(r);
  REQUIRE(f.flag(p->post.id, make_pk(3), "spam", ""));
  CHECK(fails_with(f.delete_post(p->post.id, make_pk(2)), errc::forbidden));
  auto del = f.delete_post(p->post.id, a);
  REQUIRE(del);
  CHECK(del->deleted);
  CHECK(del->body.empty());
  CHECK(del->nonce.empty());
  CHECK(del->sig.empty());
  CHECK(f.delete_post(p->post.id, a)->deleted);  // idempotent for the author
  CHECK(f.feed("general", std::nullopt, 10)->items.empty());
  CHECK(f.flag_queue(std::nullopt, 10)->items.empty());
  auto th = f.thread(p->post.id, std::nullopt, 100);
  REQUIRE(th);
  CHECK(th->post.deleted);
  CHECK(th->replies.size() == 1);
  CHECK(f.pseudonym(a)->posts == 0);
  CHECK(fails_with(f.restore(p->post.id, make_entry(), 0), errc::not_found));
  CHECK(fails_with(f.flag(p->post.id, make_pk(5), "spam", ""), errc::not_found));

  // Deleting a reply lowers the parent's count.
  REQUIRE(f.delete_post(r->post.id, make_pk(2)));
  CHECK(f.post(p->post.id)->replies == 0);

  // After the erasure pass (a scrub does it too) the erased bytes are gone
  // from every file of the forum store.
  REQUIRE(d->scrub());
  for (auto const& e : fs::recursive_directory_iterator(t.data() / "forum")) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), {});
    INFO(e.path().string());
    CHECK(all.find(secret_body) == std::string::npos);
    CHECK(all.find("nonce-erase-me-123") == std::string::npos);
  }
}

TEST_CASE("forum: bans") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  auto const a = make_pk(1);
  CHECK(fails_with(f.ban(a, 100, make_entry(), 0), errc::not_found));
  REQUIRE(f.certify(to_bytes("t"), a, "alice", make_cert()));
  CHECK(!f.ban_until(a)->has_value());
  modlog_entry e = make_entry("spam");
  e.target = "alice";
  REQUIRE(f.ban(a, 5000, e, 130));
  CHECK(f.ban_until(a)->value() == 5000);
  CHECK(*f.ban_reason(a) == e.reason);
  CHECK(f.modlog(std::nullopt, 1)->items[0].action == "ban");
  CHECK(f.modlog(std::nullopt, 1)->items[0].target == "alice");
  CHECK(f.modlog(std::nullopt, 1)->items[0].at == 120);
  REQUIRE(f.unban(a, make_entry(), 0));
  CHECK(!f.ban_until(a)->has_value());
  CHECK(f.ban_reason(a)->empty());
  CHECK(fails_with(f.unban(a, make_entry(), 0), errc::not_found));
  modlog_entry k;
  k.action = "keys.rotate";
  k.target = "kid";
  k.actor_role = "admin";
  auto m = f.append_modlog(k, 61);
  REQUIRE(m);
  CHECK(m->at == 60);
  CHECK(!m->id.empty());
}

TEST_CASE("forum: ids are never reused after a restart") {
  temp_dir t;
  std::string last;
  {
    auto d = create(t.data());
    for (int i = 0; i < 5; ++i) {
      auto p = d->forum()->append_post(make_post("general", make_pk(1), "b", "nonce-" + std::to_string(i)), 0);
      REQUIRE(p);
      last = p->post.id;
    }
    REQUIRE(d->forum()->delete_post(last, make_pk(1)));
    REQUIRE(d->forum()->append_modlog(modlog_entry{"", 0, "keys.rotate", "k", "r", "admin"}, 0));
  }
  auto d = open(t.data());
  auto p = d->forum()->append_post(make_post("general", make_pk(1), "b", "nonce-new"), 0);
  REQUIRE(p);
  CHECK(p->post.id > last);
  auto m = d->forum()->append_modlog(modlog_entry{"", 0, "keys.revoke", "k", "r", "admin"}, 0);
  REQUIRE(m);
  CHECK(m->id > d->forum()->modlog(std::nullopt, 2)->items[1].id);
}
