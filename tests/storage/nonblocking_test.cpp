// nonblocking_scope: point reads that would need the disk fail with
// would_block and change nothing; outside the scope the same call reads the
// disk; once the block is cached, the scope reads it too.
#include "helpers.hpp"

#include <doctest/doctest.h>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;

TEST_CASE("nonblocking: a read that needs the disk answers would_block, a cached one answers") {
  temp_dir t;
  auto const pk = make_pk(7);
  {
    auto d = create(t.data());
    REQUIRE(d->forum()->certify(to_bytes("token-1"), pk, "on_disk", make_cert()));
    backup(*d, t.path() / "flushed");  // a checkpoint flushes the memtables into table files
  }
  auto d = open(t.data());  // a fresh block cache, an empty memtable
  {
    nonblocking_scope nb;
    auto r = d->forum()->pseudonym(pk);
    REQUIRE_FALSE(r.has_value());
    CHECK(is_would_block(r.error()));
    // A write whose reads would need the disk is refused before it writes.
    auto c = d->forum()->certify(to_bytes("token-2"), pk, "on_disk", make_cert("key-2", 2));
    REQUIRE_FALSE(c.has_value());
    CHECK(is_would_block(c.error()));
  }
  CHECK_FALSE(*d->forum()->token_spent(to_bytes("token-2")));  // nothing changed
  auto r = d->forum()->pseudonym(pk);  // outside the scope: from the disk
  REQUIRE(r.has_value());
  CHECK(r->handle == "on_disk");
  CHECK(r->certifications.size() == 1);
  {
    nonblocking_scope nb;
    auto again = d->forum()->pseudonym(pk);  // now in the block cache
    REQUIRE(again.has_value());
    CHECK(again->handle == "on_disk");
    // Keys only in the memtable never need the disk: a fresh certification
    // (absent keys are answered by the bloom filters) goes through.
    CHECK(d->forum()->certify(to_bytes("token-3"), make_pk(8), "in_memory", make_cert()).has_value());
    CHECK(d->forum()->pseudonym(make_pk(8)).has_value());
  }
  // Scopes nest: the inner one's end does not end the outer one.
  {
    nonblocking_scope outer;
    { nonblocking_scope inner; }
    auto fresh = open(t.path() / "flushed");  // untouched copy: nothing cached
    auto miss = fresh->forum()->pseudonym(pk);
    REQUIRE_FALSE(miss.has_value());
    CHECK(is_would_block(miss.error()));
  }
}
