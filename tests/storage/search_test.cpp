// Search and the author index: words, newest-first pages, visibility (a
// hidden or deleted post leaves the results in the same write), channels,
// cursors, the erasure of a deleted post's words from every file, the build
// of the indexes for a store that predates them, and a pseudonym's posts.
#include "storage/search.hpp"

#include "helpers.hpp"

#include "crypto/random.hpp"
#include "storage/codec.hpp"

#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <fstream>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;

namespace {

std::vector<std::string> ids_of(page<post_record> const& p) {
  std::vector<std::string> out;
  for (auto const& r : p.items) out.push_back(r.id);
  return out;
}

std::string read_all(fs::path const& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// How many files of the forum store hold these bytes.
std::size_t files_holding(fs::path const& data, std::string const& needle) {
  std::size_t n = 0;
  for (auto const& e : fs::recursive_directory_iterator(data / "forum"))
    if (e.is_regular_file()) n += read_all(e.path()).find(needle) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("search: words are ASCII-folded runs of letters and digits, each once") {
  CHECK(search_terms("Hello, WORLD! hello world 42x") == std::vector<std::string>{"hello", "world", "42x"});
  CHECK(search_terms("  ...  ").empty());
  CHECK(search_terms("café-Straße") == std::vector<std::string>{"café", "straße"});
  CHECK(search_terms(std::string(100, 'a')) == std::vector<std::string>{std::string(max_term_bytes, 'a')});
}

TEST_CASE("search: visible posts and replies holding every word, newest first, paged") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  REQUIRE(f.add_channel({"random", ""}));
  auto const a = make_pk(1), b = make_pk(2);
  auto post = [&](std::string ch, bytes const& pk, std::string body, std::string parent = {}) {
    static int n = 0;
    auto r = f.append_post(make_post(std::move(ch), pk, std::move(body), "nonce-" + std::to_string(++n), parent), 0);
    REQUIRE(r);
    return r->post.id;
  };
  auto const p1 = post("general", a, "The coffee machine is broken again");
  auto const p2 = post("general", b, "Coffee is fine on floor 3", p1);
  auto const p3 = post("random", a, "who fixes the COFFEE machine?");
  auto const p4 = post("general", b, "lunch plans");
  auto const p5 = post("random", b, "machine learning reading group");

  auto all = search_posts(f, "coffee", std::nullopt, std::nullopt, 10);
  REQUIRE(all);
  CHECK(ids_of(*all) == std::vector<std::string>{p3, p2, p1});
  CHECK(!all->next);
  CHECK(ids_of(*search_posts(f, "coffee machine", std::nullopt, std::nullopt, 10)) == std::vector<std::string>{p3, p1});
  CHECK(ids_of(*search_posts(f, "MACHINE", std::nullopt, std::nullopt, 10)) == std::vector<std::string>{p5, p3, p1});
  CHECK(ids_of(*search_posts(f, "coffee", std::string("random"), std::nullopt, 10)) == std::vector<std::string>{p3});
  CHECK(search_posts(f, "nothing-like-this", std::nullopt, std::nullopt, 10)->items.empty());
  CHECK(ids_of(*search_posts(f, "lunch", std::nullopt, std::nullopt, 10)) == std::vector<std::string>{p4});

  // Pages of two: the cursor goes on where the page ended.
  auto first = search_posts(f, "coffee", std::nullopt, std::nullopt, 2);
  REQUIRE(first);
  CHECK(ids_of(*first) == std::vector<std::string>{p3, p2});
  REQUIRE(first->next);
  auto second = search_posts(f, "coffee", std::nullopt, first->next, 2);
  REQUIRE(second);
  CHECK(ids_of(*second) == std::vector<std::string>{p1});
  CHECK(!second->next);

  // Errors: no words, too many, limit 0, a cursor of another query, an unknown channel.
  CHECK(fails_with(search_posts(f, " !? ", std::nullopt, std::nullopt, 10), errc::bad_request));
  CHECK(fails_with(search_posts(f, "a b c d e f g h i", std::nullopt, std::nullopt, 10), errc::bad_request));
  CHECK(fails_with(search_posts(f, "coffee", std::nullopt, std::nullopt, 0), errc::bad_request));
  CHECK(fails_with(search_posts(f, "machine", std::nullopt, first->next, 2), errc::bad_request));
  CHECK(fails_with(search_posts(f, "coffee", std::string("random"), first->next, 2), errc::bad_request));
  CHECK(fails_with(search_posts(f, "coffee", std::nullopt, std::string("s0000000000000001deadbeef"), 2),
                   errc::bad_request));
  CHECK(fails_with(search_posts(f, "coffee", std::string("nope"), std::nullopt, 2), errc::not_found));

  // Hidden: gone at once, back on restore. Deleted: gone for good.
  REQUIRE(f.hide(p3, make_entry(), 0));
  CHECK(ids_of(*search_posts(f, "coffee", std::nullopt, std::nullopt, 10)) == std::vector<std::string>{p2, p1});
  // For staff, hidden posts stay found.
  CHECK(ids_of(*search_posts(f, "coffee", std::nullopt, std::nullopt, 10, true)) ==
        std::vector<std::string>{p3, p2, p1});
  REQUIRE(f.restore(p3, make_entry(), 0));
  CHECK(ids_of(*search_posts(f, "coffee", std::nullopt, std::nullopt, 10)) == std::vector<std::string>{p3, p2, p1});
  REQUIRE(f.delete_post(p2, b));
  CHECK(ids_of(*search_posts(f, "coffee", std::nullopt, std::nullopt, 10)) == std::vector<std::string>{p3, p1});
  CHECK(ids_of(*search_posts(f, "coffee", std::nullopt, std::nullopt, 10, true)) == std::vector<std::string>{p3, p1});
  CHECK(search_posts(f, "floor", std::nullopt, std::nullopt, 10)->items.empty());
}

TEST_CASE("search: a deleted post's words leave every file at the erasure pass; others stay found") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  auto const a = make_pk(1);
  auto gone = f.append_post(make_post("general", a, "zebracorn quagmire", "nonce-gone-1"), 0);
  auto kept = f.append_post(make_post("general", a, "quagmire stays", "nonce-kept-1"), 0);
  REQUIRE(gone);
  REQUIRE(kept);
  REQUIRE(d->scrub());  // the index entries are in table files now
  auto const h = crypto::sha256(crypto::as_bytes("zebracorn"));
  auto const hash_prefix = std::string(reinterpret_cast<char const*>(h.data()), 8);
  CHECK(files_holding(t.data(), hash_prefix) > 0);
  REQUIRE(f.delete_post(gone->post.id, a));
  CHECK(files_holding(t.data(), hash_prefix) > 0);  // until the pass
  REQUIRE(d->scrub());
  CHECK(files_holding(t.data(), hash_prefix) == 0);
  CHECK(search_posts(f, "zebracorn", std::nullopt, std::nullopt, 10)->items.empty());
  CHECK(ids_of(*search_posts(f, "quagmire", std::nullopt, std::nullopt, 10)) ==
        std::vector<std::string>{kept->post.id});
}

TEST_CASE("search: a store whose posts predate the indexes gets them built at open") {
  temp_dir t;
  std::string id;
  auto const a = make_pk(1);
  {
    auto d = create(t.data());
    auto p = d->forum()->append_post(make_post("general", a, "ancient wisdom", "nonce-old-1"), 0);
    REQUIRE(p);
    id = p->post.id;
  }
  {
    // Make it look like a store written before the indexes: no marker, no entries.
    auto const path = (t.data() / "forum").string();
    std::vector<std::string> names;
    REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (auto const& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> hs;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &hs, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "search" || names[i] == "authored")
        REQUIRE(db->DeleteRange(rocksdb::WriteOptions(), hs[i], "", std::string(64, '\xff')).ok());
      if (names[i] == "default") REQUIRE(db->Delete(rocksdb::WriteOptions(), hs[i], "search.built").ok());
    }
    for (auto* h : hs) REQUIRE(db->DestroyColumnFamilyHandle(h).ok());
  }
  auto d = open(t.data());
  CHECK(ids_of(*search_posts(*d->forum(), "wisdom", std::nullopt, std::nullopt, 10)) == std::vector<std::string>{id});
  CHECK(ids_of(*posts_by_author(*d->forum(), a, std::nullopt, 10)) == std::vector<std::string>{id});
}

TEST_CASE("search: a pseudonym's own posts, oldest first, hidden included, deleted left out") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  auto const a = make_pk(1), b = make_pk(2);
  std::vector<std::string> mine;
  for (int i = 0; i < 5; ++i) {
    auto p = f.append_post(make_post("general", a, "mine " + std::to_string(i), "nonce-a-" + std::to_string(i)), 0);
    REQUIRE(p);
    mine.push_back(p->post.id);
    REQUIRE(f.append_post(make_post("general", b, "theirs", "nonce-b-" + std::to_string(i)), 0));
  }
  auto reply = f.append_post(make_post("general", a, "my reply", "nonce-a-r", mine[0]), 0);
  REQUIRE(reply);
  mine.push_back(reply->post.id);
  REQUIRE(f.hide(mine[1], make_entry(), 0));
  REQUIRE(f.delete_post(mine[2], a));
  mine.erase(mine.begin() + 2);

  auto p1 = posts_by_author(f, a, std::nullopt, 3);
  REQUIRE(p1);
  CHECK(ids_of(*p1) == std::vector<std::string>(mine.begin(), mine.begin() + 3));
  CHECK(p1->items[1].hidden);
  CHECK(p1->items[0].sig == bytes(64, 0x5a));
  REQUIRE(p1->next);
  auto p2 = posts_by_author(f, a, p1->next, 3);
  REQUIRE(p2);
  CHECK(ids_of(*p2) == std::vector<std::string>(mine.begin() + 3, mine.end()));
  CHECK(!p2->next);
  CHECK(fails_with(posts_by_author(f, b, p1->next, 3), errc::bad_request));  // another pseudonym's cursor
  CHECK(fails_with(posts_by_author(f, a, std::nullopt, 0), errc::bad_request));
  CHECK(posts_by_author(f, make_pk(9), std::nullopt, 3)->items.empty());
}

TEST_CASE("search: a page stops after max_search_scan entries and its cursor goes on without losing a post") {
  temp_dir t;
  store_options o;
  o.sync = false;
  auto d = create(t.data(), role::forum, o);
  auto& f = *d->forum();
  auto const a = make_pk(1);
  auto both = f.append_post(make_post("general", a, "alpha beta", "nonce-both-0"), 0);
  REQUIRE(both);
  // Then posts that hold one of the two words each, alternating: the join
  // must step through all of them to reach the one post holding both.
  constexpr int n = 30000;
  for (int i = 0; i < n; ++i)
    REQUIRE(f.append_post(make_post("general", a, i % 2 ? "alpha" : "beta", "nonce-one-" + std::to_string(i)), 0));
  std::vector<std::string> found;
  std::optional<std::string> cursor;
  int pages = 0;
  do {
    auto pg = search_posts(f, "alpha beta", std::nullopt, cursor, 10);
    REQUIRE(pg);
    for (auto const& p : pg->items) found.push_back(p.id);
    cursor = pg->next;
    REQUIRE(++pages < 100);
  } while (cursor);
  CHECK(pages > 1);  // the first page stopped at the bound
  CHECK(found == std::vector<std::string>{both->post.id});
}
