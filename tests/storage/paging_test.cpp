#include "helpers.hpp"

#include <doctest/doctest.h>

#include <functional>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;

namespace {

// Walks a listing page by page; returns every page's size.
template <class T>
std::vector<std::size_t> walk(std::function<result<page<T>>(std::optional<std::string> const&)> const& get,
                              std::vector<T>& all) {
  std::vector<std::size_t> sizes;
  std::optional<std::string> cursor;
  for (int guard = 0; guard < 1000; ++guard) {
    auto p = get(cursor);
    REQUIRE(p);
    sizes.push_back(p->items.size());
    for (auto& i : p->items) all.push_back(std::move(i));
    if (!p->next) break;
    for (char c : *p->next) REQUIRE((c > 0x20 && c < 0x7f));
    cursor = p->next;
  }
  return sizes;
}

}  // namespace

TEST_CASE("paging: feed newest first, page edges and bad cursors") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  REQUIRE(f.add_channel({"other", ""}));

  std::vector<post_record> all;
  auto feed = [&](std::size_t limit) {
    return [&f, limit](std::optional<std::string> const& c) { return f.feed("general", c, limit); };
  };
  // Empty.
  CHECK(walk<post_record>(feed(5), all) == std::vector<std::size_t>{0});

  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto p = f.append_post(make_post("general", make_pk(1), "b" + std::to_string(i), "nonce-" + std::to_string(i)), 0);
    REQUIRE(p);
    ids.push_back(p->post.id);
    REQUIRE(f.append_post(make_post("other", make_pk(1), "o", "other-" + std::to_string(i)), 0));
  }
  // Exact multiple: the last full page has no next.
  all.clear();
  CHECK(walk<post_record>(feed(5), all) == std::vector<std::size_t>{5, 5});
  REQUIRE(all.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(all[i].id == ids[9 - i]);
  all.clear();
  CHECK(walk<post_record>(feed(3), all) == std::vector<std::size_t>{3, 3, 3, 1});
  all.clear();
  CHECK(walk<post_record>(feed(10), all) == std::vector<std::size_t>{10});
  all.clear();
  CHECK(walk<post_record>(feed(100), all) == std::vector<std::size_t>{10});
  all.clear();
  CHECK(walk<post_record>(feed(1), all).size() == 10);

  // Hidden posts leave the feed; paging stays exact.
  REQUIRE(f.hide(ids[4], make_entry(), 0));
  all.clear();
  CHECK(walk<post_record>(feed(3), all) == std::vector<std::size_t>{3, 3, 3});

  // Cursors the store did not issue, or issued for another listing.
  auto first = f.feed("general", std::nullopt, 2);
  REQUIRE(first->next);
  CHECK(fails_with(f.feed("general", std::string("garbage"), 2), errc::bad_request));
  CHECK(fails_with(f.feed("general", std::string(""), 2), errc::bad_request));
  CHECK(fails_with(f.feed("other", first->next, 2), errc::bad_request));
  CHECK(fails_with(f.modlog(first->next, 2), errc::bad_request));
  auto tampered = *first->next;
  tampered[3] = tampered[3] == 'a' ? 'b' : 'a';
  CHECK(fails_with(f.feed("general", tampered, 2), errc::bad_request));
  // A post newer than a cursor does not show up behind it.
  REQUIRE(f.append_post(make_post("general", make_pk(1), "new", "nonce-new"), 0));
  auto second = f.feed("general", first->next, 2);
  REQUIRE(second);
  CHECK(second->items[0].id == ids[7]);
}

TEST_CASE("paging: a thread's replies page by page, oldest first, with the post on every page") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  auto p = f.append_post(make_post("general", make_pk(1), "top", "nonce-top"), 0);
  auto q = f.append_post(make_post("general", make_pk(1), "other top", "nonce-other"), 0);
  REQUIRE(p);
  REQUIRE(q);
  // Empty thread: one page, no cursor.
  auto empty = f.thread(p->post.id, std::nullopt, 3);
  REQUIRE(empty);
  CHECK(empty->replies.empty());
  CHECK_FALSE(empty->next);

  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto r = f.append_post(make_post("general", make_pk(2), "r" + std::to_string(i), "nonce-r" + std::to_string(i),
                                     p->post.id), 0);
    REQUIRE(r);
    ids.push_back(r->post.id);
    REQUIRE(f.append_post(make_post("general", make_pk(2), "q", "nonce-q" + std::to_string(i), q->post.id), 0));
  }
  REQUIRE(f.hide(ids[4], make_entry(), 0));  // hidden replies stay, flagged, so the structure stays

  auto pages = [&](std::size_t limit) {
    std::vector<std::size_t> sizes;
    std::vector<std::string> got;
    std::optional<std::string> cursor;
    for (int guard = 0; guard < 100; ++guard) {
      auto page = f.thread(p->post.id, cursor, limit);
      REQUIRE(page);
      CHECK(page->post.id == p->post.id);
      CHECK(page->post.body == "top");
      CHECK(page->post.replies == 9);
      sizes.push_back(page->replies.size());
      for (auto const& r : page->replies) got.push_back(r.id);
      if (!page->next) break;
      for (char c : *page->next) REQUIRE((c > 0x20 && c < 0x7f));
      cursor = page->next;
    }
    CHECK(got == ids);
    return sizes;
  };
  CHECK(pages(3) == std::vector<std::size_t>{3, 3, 3, 1});
  CHECK(pages(5) == std::vector<std::size_t>{5, 5});  // an exact multiple: the last full page has no cursor
  CHECK(pages(10) == std::vector<std::size_t>{10});
  CHECK(pages(100) == std::vector<std::size_t>{10});
  CHECK(pages(1).size() == 10);
  auto first = f.thread(p->post.id, std::nullopt, 3);
  CHECK(first->replies[0].body == "r0");
  auto hidden = f.thread(p->post.id, first->next, 3);
  REQUIRE(hidden);
  CHECK(hidden->replies[1].hidden);

  // A reply added after a cursor was issued shows up on a later page.
  auto late = f.append_post(make_post("general", make_pk(3), "late", "nonce-late", p->post.id), 0);
  REQUIRE(late);
  auto rest = f.thread(p->post.id, f.thread(p->post.id, std::nullopt, 9)->next, 9);
  REQUIRE(rest);
  REQUIRE(rest->replies.size() == 2);
  CHECK(rest->replies[1].id == late->post.id);

  // Cursors the store did not issue, or issued for another thread or listing: bad_request.
  REQUIRE(first->next);
  CHECK(fails_with(f.thread(p->post.id, std::string("garbage"), 3), errc::bad_request));
  CHECK(fails_with(f.thread(p->post.id, std::string(""), 3), errc::bad_request));
  CHECK(fails_with(f.thread(q->post.id, first->next, 3), errc::bad_request));
  auto tampered = *first->next;
  tampered[5] = tampered[5] == 'a' ? 'b' : 'a';
  CHECK(fails_with(f.thread(p->post.id, tampered, 3), errc::bad_request));
  auto feed_cursor = f.feed("general", std::nullopt, 1)->next;
  REQUIRE(feed_cursor);
  CHECK(fails_with(f.thread(p->post.id, feed_cursor, 3), errc::bad_request));
  CHECK(fails_with(f.feed("general", first->next, 3), errc::bad_request));
  CHECK(fails_with(f.thread(p->post.id, std::nullopt, 0), errc::bad_request));
  CHECK(fails_with(f.thread(ids[0], std::nullopt, 3), errc::bad_request));  // a reply is not a thread
  CHECK(fails_with(f.thread("00000000000009ff", std::nullopt, 3), errc::not_found));
}

TEST_CASE("paging: flag queue most flagged first") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    auto p = f.append_post(make_post("general", make_pk(1), "b", "nonce-" + std::to_string(i)), 0);
    ids.push_back(p->post.id);
  }
  // post i gets flags: 0:1, 1:3, 2:2, 3:3, 4:1, 5:0
  int const counts[] = {1, 3, 2, 3, 1, 0};
  for (int i = 0; i < 6; ++i) {
    for (int k = 0; k < counts[i]; ++k) REQUIRE(f.flag(ids[i], make_pk(100 + k), "spam", ""));
  }
  std::vector<flag_item> all;
  auto get = [&](std::optional<std::string> const& c) { return f.flag_queue(c, 2); };
  CHECK(walk<flag_item>(get, all) == std::vector<std::size_t>{2, 2, 1});
  REQUIRE(all.size() == 5);
  CHECK(all[0].post.id == ids[1]);
  CHECK(all[1].post.id == ids[3]);
  CHECK(all[2].post.id == ids[2]);
  CHECK(all[3].post.id == ids[0]);
  CHECK(all[4].post.id == ids[4]);
  CHECK(all[0].flags == 3);
  // Re-keyed on each flag: post 4 climbs to the top.
  for (int k = 0; k < 3; ++k) REQUIRE(f.flag(ids[4], make_pk(200 + k), "other", ""));
  auto top = f.flag_queue(std::nullopt, 1);
  CHECK(top->items[0].post.id == ids[4]);
  CHECK(top->items[0].flags == 4);
  CHECK(fails_with(f.flag_queue(std::string("q123"), 2), errc::bad_request));
  all.clear();
  CHECK(walk<flag_item>([&](auto const& c) { return f.flag_queue(c, 5); }, all) == std::vector<std::size_t>{5});
}

TEST_CASE("paging: modlog and audit newest first") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  auto& is = d->staff();
  std::vector<modlog_entry> ml;
  CHECK(walk<modlog_entry>([&](auto const& c) { return f.modlog(c, 4); }, ml) == std::vector<std::size_t>{0});
  std::vector<audit_entry> au;
  CHECK(walk<audit_entry>([&](auto const& c) { return is.audit(c, 4); }, au) == std::vector<std::size_t>{0});
  for (int i = 0; i < 8; ++i) {
    REQUIRE(f.append_modlog(modlog_entry{"", 0, "keys.rotate", "k" + std::to_string(i), "r", "admin"}, 1000 + i));
    audit_entry a;
    a.at = 1000 + i;
    a.actor = "admin";
    a.action = "roster.import";
    a.target = std::to_string(i);
    auto e = is.append_audit(a);
    REQUIRE(e);
    CHECK(e->at == 1000 + i);  // staff times are kept in full seconds
  }
  CHECK(walk<modlog_entry>([&](auto const& c) { return f.modlog(c, 4); }, ml) == std::vector<std::size_t>{4, 4});
  REQUIRE(ml.size() == 8);
  for (int i = 0; i < 8; ++i) CHECK(ml[i].target == "k" + std::to_string(7 - i));
  CHECK(ml[0].at == 960);
  CHECK(walk<audit_entry>([&](auto const& c) { return is.audit(c, 3); }, au) == std::vector<std::size_t>{3, 3, 2});
  REQUIRE(au.size() == 8);
  for (int i = 0; i < 8; ++i) CHECK(au[i].target == std::to_string(7 - i));
  auto first = is.audit(std::nullopt, 3);
  CHECK(fails_with(is.audit(std::string("bogus"), 3), errc::bad_request));
  CHECK(fails_with(f.modlog(first->next, 3), errc::bad_request));
  CHECK(fails_with(is.audit(std::nullopt, 0), errc::bad_request));
}
