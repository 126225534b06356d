// access::no_wait: through a store's no_wait view, point reads that would need
// the disk fail with would_block and change nothing, and a write RocksDB
// would stall fails the same way; the same call through the wait view reads
// the disk (or waits out the stall); once the block is cached, the no_wait
// view reads it too. The two views share everything.
#include "helpers.hpp"

#include "storage/impl.hpp"
#include "storage/polls.hpp"

#include <doctest/doctest.h>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;

TEST_CASE("no_wait: a read that needs the disk answers would_block, the wait view reads it") {
  temp_dir t;
  auto const pk = make_pk(7);
  {
    auto d = create(t.data());
    REQUIRE(d->forum()->certify(to_bytes("token-1"), pk, "on_disk", make_cert()));
    backup(*d, t.path() / "flushed");  // a checkpoint flushes the memtables into table files
  }
  auto d = open(t.data());  // a fresh block cache, an empty memtable
  auto& wait = *d->forum();
  auto& no_wait = wait.view(access::no_wait);
  {
    auto r = no_wait.pseudonym(pk);
    REQUIRE_FALSE(r.has_value());
    CHECK(is_would_block(r.error()));
    // A write whose reads would need the disk is refused before it writes.
    auto c = no_wait.certify(to_bytes("token-2"), pk, "on_disk", make_cert("key-2", 2));
    REQUIRE_FALSE(c.has_value());
    CHECK(is_would_block(c.error()));
  }
  CHECK_FALSE(*wait.token_spent(to_bytes("token-2")));  // nothing changed
  auto r = wait.pseudonym(pk);  // the same call, waiting: from the disk
  REQUIRE(r.has_value());
  CHECK(r->handle == "on_disk");
  CHECK(r->certifications.size() == 1);
  {
    auto again = no_wait.pseudonym(pk);  // now in the block cache
    REQUIRE(again.has_value());
    CHECK(again->handle == "on_disk");
    // Keys only in the memtable never need the disk: a fresh certification
    // (absent keys are answered by the bloom filters) goes through, and the
    // wait view sees it (one store under both).
    CHECK(no_wait.certify(to_bytes("token-3"), make_pk(8), "in_memory", make_cert()).has_value());
    CHECK(wait.pseudonym(make_pk(8)).has_value());
    CHECK(no_wait.pseudonym(make_pk(8)).has_value());
    // The handle is taken in both: they share the stripes and the data.
    auto clash = wait.certify(to_bytes("token-4"), make_pk(9), "In_Memory", make_cert());
    REQUIRE_FALSE(clash.has_value());
    CHECK(clash.error() == make_error_code(errc::conflict));
  }
  // Each view leads to the other and to itself.
  CHECK(&no_wait.view(access::wait) == &wait);
  CHECK(&no_wait.view(access::no_wait) == &no_wait);
  CHECK(&wait.view(access::wait) == &wait);
  CHECK(&no_wait != &wait);
  // Another open of the flushed copy caches nothing: its no_wait view misses,
  // whatever was read through this directory's views.
  auto fresh = open(t.path() / "flushed");
  auto miss = fresh->forum()->view(access::no_wait).pseudonym(pk);
  REQUIRE_FALSE(miss.has_value());
  CHECK(is_would_block(miss.error()));
}

TEST_CASE("no_wait: a feed page on the disk answers would_block; from memory it is served") {
  temp_dir t;
  auto const pk = make_pk(3);
  {
    auto d = create(t.data());
    REQUIRE(d->forum()->certify(to_bytes("token-1"), pk, "feeder", make_cert()));
    for (int i = 0; i < 30; ++i)
      REQUIRE(d->forum()->append_post(make_post("general", pk, "post " + std::to_string(i),
                                                "nonce-feed-" + std::to_string(1000 + i)),
                                      1700000000));
    backup(*d, t.path() / "flushed");  // flushes the memtables into table files
  }
  auto d = open(t.data());
  auto& wait = *d->forum();
  auto& no_wait = wait.view(access::no_wait);
  auto miss = no_wait.feed("general", std::nullopt, 10);
  REQUIRE_FALSE(miss.has_value());
  CHECK(is_would_block(miss.error()));
  auto page = wait.feed("general", std::nullopt, 10);  // from the disk
  REQUIRE(page.has_value());
  REQUIRE(page->items.size() == 10);
  CHECK(page->items[0].body == "post 29");
  auto again = no_wait.feed("general", std::nullopt, 10);  // now cached
  REQUIRE(again.has_value());
  REQUIRE(again->items.size() == 10);
  CHECK(again->items[0].id == page->items[0].id);
  CHECK(again->next == page->next);
  // Errors stay what they are.
  auto unknown = no_wait.feed("no-such-channel", std::nullopt, 10);
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error() == make_error_code(errc::not_found));
}

TEST_CASE("no_wait: the issuer, staff and poll stores have the same two views") {
  temp_dir t;
  std::string poll_id;
  {
    auto d = create(t.data());
    REQUIRE(d->issuer()->import_roster({{"e1", "code-hash"}}));
    REQUIRE(d->staff().add_staff({"admin", staff_role::admin, "h"}));
    auto polls = open_polls(*d->forum());
    new_poll p;
    p.channel = "general";
    p.author_pk = make_pk(1);
    p.question = "lunch?";
    p.options = {"yes", "no"};
    p.closes_at = 2000000000;
    p.key_id = "key-1";
    p.nonce = "nonce-0123456789";
    p.sig = bytes(64, 0x5a);
    auto made = polls->create(p, 1000);
    REQUIRE(made);
    poll_id = made->poll.id;
    REQUIRE(polls->vote(poll_id, make_pk(2), {0, bytes(vote_salt_bytes, 0x11)}, std::nullopt, 1500));
    backup(*d, t.path() / "flushed");  // flushes every family
  }
  auto d = open(t.data());
  auto polls = open_polls(*d->forum());

  auto e = d->issuer()->view(access::no_wait).employee("e1");
  REQUIRE_FALSE(e.has_value());
  CHECK(is_would_block(e.error()));
  auto s = d->staff().view(access::no_wait).staff("admin");
  REQUIRE_FALSE(s.has_value());
  CHECK(is_would_block(s.error()));
  // (Opening the polls read the newest poll, so its record is cached; the
  // vote markers are not.)
  auto m = polls->view(access::no_wait).commitment(poll_id, make_pk(2));
  REQUIRE_FALSE(m.has_value());
  CHECK(is_would_block(m.error()));
  // A changed vote whose marker is on the disk is refused before it writes.
  vote_opening const first{0, bytes(vote_salt_bytes, 0x11)};
  vote_opening const second{1, bytes(vote_salt_bytes, 0x22)};
  auto v = polls->view(access::no_wait).vote(poll_id, make_pk(2), second, first, 1600);
  REQUIRE_FALSE(v.has_value());
  CHECK(is_would_block(v.error()));

  CHECK(d->issuer()->view(access::wait).employee("e1").has_value());
  CHECK(d->staff().view(access::wait).staff("admin").has_value());
  auto poll = polls->view(access::wait).poll(poll_id);
  REQUIRE(poll.has_value());
  CHECK(poll->tallies == std::vector<std::uint64_t>{1, 0});  // the refused vote changed nothing
  CHECK(polls->view(access::wait).commitment(poll_id, make_pk(2))->has_value());
  // Cached now: the no_wait views answer.
  CHECK(d->issuer()->view(access::no_wait).employee("e1").has_value());
  CHECK(d->staff().view(access::no_wait).staff("admin").has_value());
  CHECK(polls->view(access::no_wait).vote(poll_id, make_pk(2), second, first, 1600).has_value());
  CHECK(polls->poll(poll_id)->tallies == std::vector<std::uint64_t>{0, 1});
  CHECK(&polls->view(access::no_wait).view(access::wait) == polls.get());
  CHECK(&d->issuer()->view(access::no_wait).view(access::wait) == d->issuer());
  CHECK(&d->staff().view(access::no_wait).view(access::wait) == &d->staff());
}

TEST_CASE("no_wait: a write RocksDB would stall answers would_block; with wait it goes through") {
  temp_dir t;
  store_options opts;
  opts.sync = false;
  auto d = create(t.data(), opts);
  auto& db = detail::database_of(*d->forum());
  // No flush can run: the memtables fill up until RocksDB stops writes.
  REQUIRE(db.db()->PauseBackgroundWork().ok());
  struct resume {
    detail::rdb& db;
    ~resume() { db.db()->ContinueBackgroundWork().PermitUncheckedError(); }
  } resume_on_exit{db};

  std::string const big(1 << 20, 'x');
  std::size_t const cf = 1;  // the first family after "default"
  int written = 0;
  bool blocked = false;
  for (; written < 256 && !blocked; ++written) {
    rocksdb::WriteBatch b;
    b.Put(db.cf(cf), "k" + std::to_string(written), big);
    auto w = db.write(b, access::no_wait);
    if (!w) {
      CHECK(is_would_block(w.error()));
      blocked = true;
    }
  }
  REQUIRE(blocked);
  // The stall is counted (for /metrics): RocksDB slowed writes down (a
  // no-slowdown write is refused then already), or stopped them.
  auto const stalls = db.stalls();
  CHECK(stalls.delayed + stalls.stopped >= 1);
  CHECK(d->write_stalls().delayed == stalls.delayed);
  CHECK(d->write_stalls().stopped == stalls.stopped);
  auto const refused = "k" + std::to_string(written - 1);
  CHECK_FALSE(*db.get(cf, refused, access::wait));  // nothing of it was written
  CHECK(*db.get(cf, "k0", access::wait));

  REQUIRE(db.db()->ContinueBackgroundWork().ok());
  rocksdb::WriteBatch b;
  b.Put(db.cf(cf), refused, big);
  CHECK(db.write(b, access::wait));  // waits for the flushes, then writes
  CHECK(*db.get(cf, refused, access::wait));
}
