// Notifications (per-pseudonym sequence, unread mark, paging, the kept
// window, reactions told once) and appeals (one per action, the queue,
// decisions, the acting moderator kept in the log but never lost).
#include "storage/notices.hpp"

#include "helpers.hpp"
#include "storage/impl.hpp"

#include <rocksdb/write_batch.h>

#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;

namespace {

constexpr std::int64_t t0 = 1700000123;

template <class T>
bool fails_with(result<T> const& r, errc e) {
  return !r && r.error() == make_error_code(e);
}

notice reply_notice(std::string post, std::string reply, std::string by) {
  notice n;
  n.kind = "reply";
  n.post_id = std::move(post);
  n.reply_id = std::move(reply);
  n.by = std::move(by);
  return n;
}

}  // namespace

TEST_CASE("notices: own sequence, coarse time, unread mark, paging") {
  temp_dir t;
  auto d = create(t.data());
  auto n = open_notices(*d->forum());
  auto const a = make_pk(1), b = make_pk(2);

  auto first = n->add(a, reply_notice("0000000000000001", "0000000000000002", "bob"), t0);
  REQUIRE(first);
  CHECK(first->id == "0000000000000001");
  CHECK(first->at == t0 - t0 % 60);
  // Another pseudonym's sequence is its own: nothing orders the two.
  auto other = n->add(b, reply_notice("0000000000000009", "000000000000000a", "amy"), t0);
  REQUIRE(other);
  CHECK(other->id == "0000000000000001");
  for (int i = 0; i < 4; ++i) REQUIRE(n->add(a, reply_notice("0000000000000001", "0000000000000003", "cy"), t0 + i));

  auto u = n->unread(a);
  REQUIRE(u);
  CHECK(*u == 5);
  auto p1 = n->list(a, std::nullopt, 2);
  REQUIRE(p1);
  CHECK(p1->unread == 5);
  REQUIRE(p1->items.size() == 2);
  CHECK(p1->items[0].id == "0000000000000005");
  CHECK(p1->items[1].id == "0000000000000004");
  REQUIRE(p1->next);
  auto p2 = n->list(a, p1->next, 10);
  REQUIRE(p2);
  REQUIRE(p2->items.size() == 3);
  CHECK(p2->items[2].id == "0000000000000001");
  CHECK(p2->items[2].by == "bob");
  CHECK(!p2->next);

  // A cursor is bound to its pseudonym.
  CHECK(fails_with(n->list(b, p1->next, 10), errc::bad_request));
  CHECK(fails_with(n->list(a, std::string("N00000000000000030000000"), 10), errc::bad_request));
  CHECK(fails_with(n->list(a, std::nullopt, 0), errc::bad_request));

  auto m = n->mark_read(a, std::string("0000000000000003"));
  REQUIRE(m);
  CHECK(*m == 2);
  auto p3 = n->list(a, std::nullopt, 10);
  REQUIRE(p3);
  CHECK(!p3->items[0].read);
  CHECK(p3->items[2].read);
  // An older mark changes nothing; an id never given is not_found.
  auto older = n->mark_read(a, std::string("0000000000000001"));
  REQUIRE(older);
  CHECK(*older == 2);
  CHECK(fails_with(n->mark_read(a, std::string("0000000000000006")), errc::not_found));
  CHECK(fails_with(n->mark_read(a, std::string("zz")), errc::not_found));
  auto all = n->mark_read(a, std::nullopt);
  REQUIRE(all);
  CHECK(*all == 0);
  auto ub = n->unread(b);
  REQUIRE(ub);
  CHECK(*ub == 1);
  CHECK(fails_with(n->add(a, notice{}, t0), errc::bad_request));

  // A poll's moderation notice keeps its poll id beside the other fields.
  notice ph;
  ph.kind = "poll.hide";
  ph.poll_id = "000000000000002a";
  ph.action_id = "0000000000000007";
  ph.reason = "names a colleague";
  REQUIRE(n->add(a, ph, t0));
  auto top = n->list(a, std::nullopt, 2);
  REQUIRE(top);
  CHECK(top->items[0].kind == "poll.hide");
  CHECK(top->items[0].poll_id == "000000000000002a");
  CHECK(top->items[0].action_id == "0000000000000007");
  CHECK(top->items[0].reason == "names a colleague");
  CHECK(top->items[0].post_id.empty());
  CHECK(top->items[1].poll_id.empty());
  CHECK(top->items[1].by == "cy");
}

TEST_CASE("notices: a reaction is told once per post, reaction and reactor; survives reopening") {
  temp_dir t;
  auto const a = make_pk(1), r1 = make_pk(7), r2 = make_pk(8);
  {
    auto d = create(t.data());
    auto n = open_notices(*d->forum());
    auto x = n->add_reaction(a, r1, "0000000000000001", "+1", t0);
    REQUIRE(x);
    REQUIRE(*x);
    CHECK((*x)->kind == "reaction");
    CHECK((*x)->by.empty());  // never who reacted
    auto again = n->add_reaction(a, r1, "0000000000000001", "+1", t0);
    REQUIRE(again);
    CHECK(!*again);
    auto heart = n->add_reaction(a, r1, "0000000000000001", "heart", t0);
    REQUIRE(heart);
    CHECK(*heart);
    auto second = n->add_reaction(a, r2, "0000000000000001", "+1", t0);
    REQUIRE(second);
    CHECK(*second);
  }
  auto d = open(t.data());
  auto n = open_notices(*d->forum());
  auto again = n->add_reaction(a, r1, "0000000000000001", "+1", t0);
  REQUIRE(again);
  CHECK(!*again);
  auto u = n->unread(a);
  REQUIRE(u);
  CHECK(*u == 3);
  auto next = n->add(a, reply_notice("0000000000000001", "0000000000000002", "bob"), t0);
  REQUIRE(next);
  CHECK(next->id == "0000000000000004");
}

TEST_CASE("notices: only the newest are kept; unread never counts what is gone") {
  temp_dir t;
  auto d = create(t.data());
  auto n = open_notices(*d->forum());
  auto const a = make_pk(1);
  for (std::uint64_t i = 0; i < max_notices + 20; ++i) REQUIRE(n->add(a, reply_notice("1", "2", "bob"), t0));
  auto u = n->unread(a);
  REQUIRE(u);
  CHECK(*u == max_notices);
  std::size_t seen = 0;
  std::optional<std::string> cur;
  do {
    auto pg = n->list(a, cur, 100);
    REQUIRE(pg);
    seen += pg->items.size();
    cur = pg->next;
  } while (cur);
  CHECK(seen == max_notices);
}

TEST_CASE("notices: concurrent adds for one pseudonym get distinct numbers") {
  temp_dir t;
  auto d = create(t.data());
  auto n = open_notices(*d->forum());
  auto const a = make_pk(1);
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> ids;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto r = n->add(a, reply_notice("1", "2", "bob"), t0);
        REQUIRE(r);
        std::lock_guard lk(mu);
        ids.insert(r->id);
      }
    });
  for (auto& th : threads) th.join();
  CHECK(ids.size() == 100);
  auto u = n->unread(a);
  REQUIRE(u);
  CHECK(*u == 100);
}

TEST_CASE("appeals: the acting moderator is kept in the log; one appeal per action; decisions") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  auto ap = open_appeals(f);
  auto const author = make_pk(1);
  REQUIRE(f.certify(to_bytes("tok-1"), author, "author", make_cert()));
  auto post = f.append_post(make_post("general", author, "hello", "nonce-0000000001"), t0);
  REQUIRE(post);
  auto entry = make_entry("rude");
  entry.actor = "mod1";
  REQUIRE(f.hide(post->post.id, entry, t0));

  std::string_view const hide_actions[] = {"hide", "restore", "appeal.overturned"};
  auto act = ap->latest_action(post->post.id, hide_actions);
  REQUIRE(act);
  REQUIRE(*act);
  CHECK((*act)->action == "hide");
  CHECK((*act)->actor == "mod1");
  auto by_id = ap->action((*act)->id);
  REQUIRE(by_id);
  CHECK(by_id->actor == "mod1");
  CHECK(by_id->target == post->post.id);
  CHECK(fails_with(ap->action("00000000000000ff"), errc::not_found));
  CHECK(fails_with(ap->action("nope"), errc::not_found));
  std::string_view const ban_actions[] = {"ban", "unban"};
  auto none = ap->latest_action("author", ban_actions);
  REQUIRE(none);
  CHECK(!*none);

  // The public view of the log reads the same entries; the actor is only
  // kept beside them (the server's view leaves it out).
  auto log = f.modlog(std::nullopt, 10);
  REQUIRE(log);
  REQUIRE(log->items.size() == 1);
  CHECK(log->items[0].actor == "mod1");

  appeal_record a;
  a.action_id = (*act)->id;
  a.action = "hide";
  a.target = post->post.id;
  a.pseudonym_pk = author;
  a.handle = "author";
  a.text = "It was a joke between friends.";
  a.sig = bytes(64, 0x11);
  auto filed = ap->file(a, t0 + 61);
  REQUIRE(filed);
  CHECK(filed->state == appeal_state::open);
  CHECK(filed->at == (t0 + 61) - (t0 + 61) % 60);
  CHECK(fails_with(ap->file(a, t0), errc::conflict));
  auto empty = a;
  empty.text.clear();
  CHECK(fails_with(ap->file(empty, t0), errc::bad_request));

  auto q = ap->open_appeals(std::nullopt, 10);
  REQUIRE(q);
  REQUIRE(q->items.size() == 1);
  CHECK(q->items[0].text == a.text);
  CHECK(q->items[0].pseudonym_pk == author);

  CHECK(fails_with(ap->decide(a.action_id, appeal_state::open, "mod2", "x", t0), errc::bad_request));
  CHECK(fails_with(ap->decide("00000000000000ff", appeal_state::upheld, "mod2", "x", t0), errc::not_found));
  CHECK(fails_with(ap->settle(a.action_id), errc::conflict));  // still open
  CHECK(fails_with(ap->settle("00000000000000ff"), errc::not_found));
  auto nothing = ap->unsettled();
  REQUIRE(nothing);
  CHECK(nothing->empty());
  auto dec = ap->decide(a.action_id, appeal_state::overturned, "mod2", "fair enough", t0 + 200);
  REQUIRE(dec);
  CHECK(dec->state == appeal_state::overturned);
  CHECK(dec->decided_by == "mod2");
  CHECK(fails_with(ap->decide(a.action_id, appeal_state::upheld, "mod3", "no", t0), errc::conflict));
  auto q2 = ap->open_appeals(std::nullopt, 10);
  REQUIRE(q2);
  CHECK(q2->items.empty());
  auto back = ap->appeal(a.action_id);
  REQUIRE(back);
  CHECK(back->decision == "fair enough");
  CHECK(appeal_state_name(back->state) == "overturned");

  // Decided, its outcome not yet applied: unsettled until settle(), across a
  // reopen of the store.
  auto pending = ap->unsettled();
  REQUIRE(pending);
  REQUIRE(pending->size() == 1);
  CHECK(pending->front().action_id == a.action_id);
  CHECK(pending->front().state == appeal_state::overturned);
  ap.reset();
  d.reset();
  d = open(t.data());
  ap = open_appeals(*d->forum());
  pending = ap->unsettled();
  REQUIRE(pending);
  CHECK(pending->size() == 1);
  q2 = ap->open_appeals(std::nullopt, 10);
  REQUIRE(q2);
  CHECK(q2->items.empty());
  REQUIRE(ap->settle(a.action_id));
  pending = ap->unsettled();
  REQUIRE(pending);
  CHECK(pending->empty());
  REQUIRE(ap->settle(a.action_id));  // again: nothing left to remove
}

TEST_CASE("appeals: the queue pages oldest first; concurrent decisions: exactly one wins") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  auto ap = open_appeals(f);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto e = make_entry("r");
    e.action = "ban";
    e.target = "h" + std::to_string(i);
    e.actor = "mod1";
    auto m = f.append_modlog(e, t0);
    REQUIRE(m);
    ids.push_back(m->id);
    appeal_record a;
    a.action_id = m->id;
    a.action = "ban";
    a.target = e.target;
    a.pseudonym_pk = make_pk(10 + i);
    a.text = "please";
    REQUIRE(ap->file(a, t0));
  }
  auto p1 = ap->open_appeals(std::nullopt, 3);
  REQUIRE(p1);
  REQUIRE(p1->items.size() == 3);
  CHECK(p1->items[0].action_id == ids[0]);
  REQUIRE(p1->next);
  auto p2 = ap->open_appeals(p1->next, 3);
  REQUIRE(p2);
  REQUIRE(p2->items.size() == 2);
  CHECK(p2->items[1].action_id == ids[4]);
  CHECK(fails_with(ap->open_appeals(std::string("A00000000000000010000000"), 3), errc::bad_request));

  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      auto r = ap->decide(ids[2], k % 2 ? appeal_state::upheld : appeal_state::overturned, "mod" + std::to_string(k + 2),
                          "decided", t0);
      if (r) ++wins;
      else if (r.error() == make_error_code(errc::conflict)) ++conflicts;
    });
  for (auto& th : threads) th.join();
  CHECK(wins == 1);
  CHECK(conflicts == 3);
}

TEST_CASE("appeals: latest_action reads the target's own entries, and a log older than its index is indexed at open") {
  temp_dir t;
  std::string_view const ban_actions[] = {"ban", "unban"};
  std::string_view const note_actions[] = {"note"};
  {
    auto d = create(t.data());
    auto& f = *d->forum();
    auto ap = open_appeals(f);
    // One target's entries buried under many others', and targets that
    // share a prefix ("ann" is a prefix of "anna").
    auto e = make_entry("first");
    e.target = "anna";
    e.action = "ban";
    REQUIRE(f.append_modlog(e, t0));
    for (int i = 0; i < 500; ++i) {
      auto other = make_entry("other");
      other.target = "user" + std::to_string(i);
      other.action = i % 2 ? "ban" : "note";
      REQUIRE(f.append_modlog(other, t0));
    }
    auto ann = make_entry("short");
    ann.target = "ann";
    ann.action = "unban";
    REQUIRE(f.append_modlog(ann, t0));
    auto later = make_entry("later");
    later.target = "anna";
    later.action = "note";  // not among the actions asked for
    REQUIRE(f.append_modlog(later, t0));

    auto a = ap->latest_action("anna", ban_actions);
    REQUIRE(a);
    REQUIRE(*a);
    CHECK((*a)->reason == "first");
    CHECK((*a)->action == "ban");
    auto n = ap->latest_action("anna", note_actions);
    REQUIRE(n);
    REQUIRE(*n);
    CHECK((*n)->reason == "later");
    auto s = ap->latest_action("ann", ban_actions);
    REQUIRE(s);
    REQUIRE(*s);
    CHECK((*s)->action == "unban");
    auto none = ap->latest_action("an", ban_actions);
    REQUIRE(none);
    CHECK(!*none);

    // As a store made before the index: no index entries and no marker.
    auto& db = detail::database_of(f);
    rocksdb::WriteBatch wipe;
    for (auto* h : db.handles())
      if (h && h->GetName() == "modtarget") wipe.DeleteRange(h, std::string(), std::string(8, '\xff'));
    wipe.Delete(db.cf(0), "modtarget.built");
    REQUIRE(db.write(wipe, access::wait));
    auto gone = ap->latest_action("anna", ban_actions);
    REQUIRE(gone);
    CHECK(!*gone);  // the lookup reads the index alone
  }
  auto d = open(t.data());
  auto ap = open_appeals(*d->forum());
  auto a = ap->latest_action("anna", ban_actions);
  REQUIRE(a);
  REQUIRE(*a);
  CHECK((*a)->reason == "first");
  auto u = ap->latest_action("user499", ban_actions);
  REQUIRE(u);
  REQUIRE(*u);
  CHECK((*u)->target == "user499");
}
