// Polls: create, list (pinned first), vote, change, retries, closing, staff
// hide and restore, races,
// and what the files hold after votes (no choice beside any pseudonym).
#include "storage/polls.hpp"

#include "helpers.hpp"

#include <doctest/doctest.h>
#include <rocksdb/db.h>
#include <rocksdb/utilities/debug.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;

namespace {

constexpr std::int64_t t0 = 1700000123;

new_poll make_poll(std::string nonce, bytes const& pk, std::size_t options = 3, std::string channel = "general") {
  new_poll p;
  p.channel = std::move(channel);
  p.author_pk = pk;
  p.author_handle = "asker";
  p.question = "Which day for the offsite?";
  for (std::size_t i = 0; i < options; ++i) p.options.push_back("option-" + std::to_string(i));
  p.closes_at = t0 + 86400;
  p.key_id = "key-1";
  p.nonce = std::move(nonce);
  p.sig = bytes(64, 0x5a);
  return p;
}

bytes salt_of(unsigned voter, unsigned round = 0) {
  bytes s(vote_salt_bytes);
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::uint8_t>(0x9e ^ (voter * 31 + round * 7 + i * 13));
  return s;
}

vote_opening open(std::uint64_t option, bytes salt) { return vote_opening{option, std::move(salt)}; }

// Every key and value of every family of a closed forum store, as RocksDB
// reads them back, with each stored vote commitment replaced by a placeholder.
std::map<std::string, std::map<std::string, std::string>> dump(fs::path const& forum_dir,
                                                               std::vector<std::string> const& commitments) {
  std::vector<std::string> names;
  REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), forum_dir.string(), &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (auto const& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> hs;
  REQUIRE(rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), forum_dir.string(), descs, &hs, &raw).ok());
  std::map<std::string, std::map<std::string, std::string>> out;
  for (std::size_t i = 0; i < hs.size(); ++i) {
    if (names[i] == "counters") continue;  // merge operands: uint64 sums, compared by the forum store itself
    if (names[i] == "polls" || names[i] == "pollvotes") {
      // Scrubbed: one version of each key (no earlier tally, no replaced
      // commitment), and no sequence number to order the voters.
      std::vector<rocksdb::KeyVersion> versions;
      REQUIRE(rocksdb::GetAllKeyVersions(raw, hs[i], rocksdb::Slice(), rocksdb::Slice(), 1000000, &versions).ok());
      std::set<std::string> keys;
      for (auto const& v : versions) {
        INFO(names[i]);
        CHECK(v.sequence == 0);
        CHECK(keys.insert(v.user_key).second);
      }
      CHECK(!versions.empty());
    }
    std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(rocksdb::ReadOptions(), hs[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto v = it->value().ToString();
      for (auto const& c : commitments) {
        if (v == c) v = "<commitment>";
      }
      out[names[i]][it->key().ToString()] = v;
    }
  }
  for (auto* h : hs) raw->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  delete raw;
  return out;
}

}  // namespace

TEST_CASE("polls: create, read, list pinned first, retries by nonce") {
  temp_dir t;
  auto d = create(t.data());
  auto polls = open_polls(*d->forum());
  auto const pk = make_pk(1);

  auto a = polls->create(make_poll("nonce-poll-aaaa01", pk), t0);
  REQUIRE(a);
  CHECK(a->created);
  CHECK(a->poll.created_at == t0 - t0 % 60);
  CHECK(a->poll.tallies == std::vector<std::uint64_t>{0, 0, 0});
  auto again = polls->create(make_poll("nonce-poll-aaaa01", pk), t0 + 5);
  REQUIRE(again);
  CHECK_FALSE(again->created);
  CHECK(again->poll.id == a->poll.id);
  auto changed = make_poll("nonce-poll-aaaa01", pk);
  changed.question = "Another question";
  CHECK(is(polls->create(changed, t0).error(), errc::conflict));
  CHECK(is(polls->create(make_poll("nonce-poll-aaaa02", pk, 3, "nowhere"), t0).error(), errc::not_found));
  CHECK(is(polls->create(make_poll("nonce-poll-aaaa03", pk, 1), t0).error(), errc::bad_request));
  CHECK(is(polls->create(make_poll("nonce-poll-aaaa04", pk, 11), t0).error(), errc::bad_request));

  std::vector<std::string> ids{a->poll.id};
  for (int i = 0; i < 4; ++i) {
    auto p = polls->create(make_poll("nonce-poll-bbbb0" + std::to_string(i), pk), t0);
    REQUIRE(p);
    ids.push_back(p->poll.id);
  }
  // ids[0..4] oldest to newest; pin the second oldest.
  REQUIRE(polls->pin(ids[1], true));
  std::vector<std::string> seen;
  std::optional<std::string> cursor;
  do {
    auto pg = polls->list("general", cursor, 2);
    REQUIRE(pg);
    for (auto const& p : pg->items) seen.push_back(p.id);
    cursor = pg->next;
  } while (cursor);
  CHECK(seen == std::vector<std::string>{ids[1], ids[4], ids[3], ids[2], ids[0]});
  CHECK(polls->poll(ids[1])->pinned);
  REQUIRE(polls->pin(ids[1], false));
  auto pg = polls->list("general", std::nullopt, 10);
  REQUIRE(pg);
  CHECK(pg->items.front().id == ids[4]);
  CHECK(pg->items.size() == 5);
  CHECK(is(polls->list("general", std::string("P00zz"), 10).error(), errc::bad_request));
  CHECK(is(polls->list("nowhere", std::nullopt, 10).error(), errc::not_found));
  REQUIRE(d->forum()->add_channel({"other", "x"}));
  auto first = polls->list("general", std::nullopt, 1);
  REQUIRE(first);
  REQUIRE(first->next);
  CHECK(is(polls->list("other", first->next, 10).error(), errc::bad_request));  // another channel's cursor
  CHECK(is(polls->poll("0000000000000999").error(), errc::not_found));
  CHECK(is(polls->pin("nope", true).error(), errc::not_found));

  // Ids survive a reopen and are never reused.
  polls.reset();
  d.reset();
  d = open(t.data());
  polls = open_polls(*d->forum());
  auto later = polls->create(make_poll("nonce-poll-cccc01", pk), t0);
  REQUIRE(later);
  CHECK(later->poll.id > ids.back());
}

TEST_CASE("polls: vote, change with the opening, retries, closing") {
  temp_dir t;
  auto d = create(t.data());
  auto polls = open_polls(*d->forum());
  auto p = polls->create(make_poll("nonce-poll-vote01", make_pk(1)), t0);
  REQUIRE(p);
  auto const id = p->poll.id;
  auto const v = make_pk(2);

  auto r = polls->vote(id, v, open(0, salt_of(2)), std::nullopt, t0);
  REQUIRE(r);
  CHECK(r->effect == vote_effect::cast);
  CHECK(r->poll.tallies == std::vector<std::uint64_t>{1, 0, 0});
  CHECK(r->poll.votes == 1);
  auto c = polls->commitment(id, v);
  REQUIRE(c);
  REQUIRE(*c);
  CHECK(**c == vote_commitment(id, 0, salt_of(2)));
  CHECK(**c != vote_commitment(id, 1, salt_of(2)));

  // A retry is a no-op; a second vote without the opening is refused.
  r = polls->vote(id, v, open(0, salt_of(2)), std::nullopt, t0);
  REQUIRE(r);
  CHECK(r->effect == vote_effect::repeated);
  CHECK(r->poll.tallies == std::vector<std::uint64_t>{1, 0, 0});
  CHECK(is(polls->vote(id, v, open(1, salt_of(2, 1)), std::nullopt, t0).error(), errc::conflict));
  CHECK(is(polls->vote(id, v, open(0, salt_of(2, 1)), std::nullopt, t0).error(), errc::conflict));
  // A wrong opening: another option, or another salt.
  CHECK(is(polls->vote(id, v, open(1, salt_of(2, 1)), open(2, salt_of(2)), t0).error(), errc::forbidden));
  CHECK(is(polls->vote(id, v, open(1, salt_of(2, 1)), open(0, salt_of(3)), t0).error(), errc::forbidden));
  // An opening from a pseudonym that never voted.
  CHECK(is(polls->vote(id, make_pk(9), open(1, salt_of(9)), open(0, salt_of(9)), t0).error(), errc::forbidden));
  CHECK(is(polls->vote(id, v, open(3, salt_of(2, 1)), std::nullopt, t0).error(), errc::bad_request));
  CHECK(is(polls->vote(id, v, open(1, bytes(16, 1)), std::nullopt, t0).error(), errc::bad_request));
  CHECK(is(polls->vote("0000000000000999", v, open(1, salt_of(2)), std::nullopt, t0).error(), errc::not_found));
  CHECK(polls->poll(id)->tallies == std::vector<std::uint64_t>{1, 0, 0});

  // The change: old tally down, new up, the stored commitment replaced.
  r = polls->vote(id, v, open(2, salt_of(2, 1)), open(0, salt_of(2)), t0);
  REQUIRE(r);
  CHECK(r->effect == vote_effect::changed);
  CHECK(r->poll.tallies == std::vector<std::uint64_t>{0, 0, 1});
  CHECK(r->poll.votes == 1);
  CHECK(**polls->commitment(id, v) == vote_commitment(id, 2, salt_of(2, 1)));
  // Its retry (answer lost) is recognised; the old opening no longer works.
  r = polls->vote(id, v, open(2, salt_of(2, 1)), open(0, salt_of(2)), t0);
  REQUIRE(r);
  CHECK(r->effect == vote_effect::repeated);
  CHECK(is(polls->vote(id, v, open(1, salt_of(2, 2)), open(0, salt_of(2)), t0).error(), errc::forbidden));

  // Closed: no vote and no change; a retry of an accepted vote still answers.
  auto const closed = p->poll.closes_at;
  CHECK(is(polls->vote(id, make_pk(3), open(1, salt_of(3)), std::nullopt, closed).error(), errc::conflict));
  CHECK(is(polls->vote(id, v, open(1, salt_of(2, 2)), open(2, salt_of(2, 1)), closed).error(), errc::conflict));
  r = polls->vote(id, v, open(2, salt_of(2, 1)), std::nullopt, closed + 10);
  REQUIRE(r);
  CHECK(r->effect == vote_effect::repeated);
  CHECK(polls->poll(id)->tallies == std::vector<std::uint64_t>{0, 0, 1});
}

TEST_CASE("polls: staff hide and restore, logged in the same write") {
  temp_dir t;
  auto d = create(t.data());
  auto polls = open_polls(*d->forum());
  auto const pk = make_pk(1);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto p = polls->create(make_poll("nonce-poll-hide0" + std::to_string(i), pk), t0);
    REQUIRE(p);
    ids.push_back(p->poll.id);
  }
  REQUIRE(polls->vote(ids[1], make_pk(2), open(0, salt_of(2)), std::nullopt, t0));
  auto entry = [](std::string action) {
    modlog_entry e;
    e.action = std::move(action);
    e.reason = "names a colleague";
    e.actor_role = "moderator";
    e.actor = "mod1";
    return e;
  };
  auto listed = [&](bool with_hidden) {
    std::vector<std::string> out;
    std::optional<std::string> cursor;
    do {
      auto pg = polls->list("general", cursor, 1, with_hidden);
      REQUIRE(pg);
      for (auto const& p : pg->items) out.push_back(p.id);
      cursor = pg->next;
    } while (cursor);
    return out;
  };

  auto h = polls->moderate(ids[1], true, entry("poll.hide"), t0 + 70);
  REQUIRE(h);
  CHECK(h->hidden);
  CHECK(h->tallies == std::vector<std::uint64_t>{1, 0, 0});
  CHECK(polls->poll(ids[1])->hidden);
  CHECK(listed(false) == std::vector<std::string>{ids[2], ids[0]});
  CHECK(listed(true) == std::vector<std::string>{ids[2], ids[1], ids[0]});
  CHECK(is(polls->vote(ids[1], make_pk(3), open(1, salt_of(3)), std::nullopt, t0).error(), errc::not_found));
  CHECK(polls->poll(ids[1])->tallies == std::vector<std::uint64_t>{1, 0, 0});
  auto log = d->forum()->modlog(std::nullopt, 10);
  REQUIRE(log);
  REQUIRE(log->items.size() == 1);
  CHECK(log->items[0].action == "poll.hide");
  CHECK(log->items[0].target == ids[1]);
  CHECK(log->items[0].reason == "names a colleague");
  CHECK(log->items[0].at == t0 + 70 - (t0 + 70) % 60);

  // A hidden poll stays hidden (and pinned) across a pin and a reopen.
  REQUIRE(polls->pin(ids[1], true));
  polls.reset();
  d.reset();
  d = open(t.data());
  polls = open_polls(*d->forum());
  CHECK(polls->poll(ids[1])->hidden);
  CHECK(listed(false) == std::vector<std::string>{ids[2], ids[0]});
  CHECK(listed(true) == std::vector<std::string>{ids[1], ids[2], ids[0]});

  // A second hide changes nothing but is logged, as a post's is.
  REQUIRE(polls->moderate(ids[1], true, entry("poll.hide"), t0));
  auto r = polls->moderate(ids[1], false, entry("poll.restore"), t0);
  REQUIRE(r);
  CHECK_FALSE(r->hidden);
  CHECK(r->pinned);
  CHECK(listed(false) == std::vector<std::string>{ids[1], ids[2], ids[0]});
  REQUIRE(polls->vote(ids[1], make_pk(3), open(1, salt_of(3)), std::nullopt, t0));
  log = d->forum()->modlog(std::nullopt, 10);
  REQUIRE(log);
  REQUIRE(log->items.size() == 3);
  CHECK(log->items[0].action == "poll.restore");
  CHECK(log->items[1].action == "poll.hide");
  CHECK(log->items[0].id > log->items[1].id);

  // The oldest hidden: the page before it is the last one (no cursor to an empty page).
  REQUIRE(polls->moderate(ids[0], true, entry("poll.hide"), t0));
  auto two = polls->list("general", std::nullopt, 2);
  REQUIRE(two);
  CHECK(two->items.size() == 2);
  CHECK_FALSE(two->next);
  CHECK(listed(false) == std::vector<std::string>{ids[1], ids[2]});
  CHECK(listed(true) == std::vector<std::string>{ids[1], ids[2], ids[0]});
  REQUIRE(polls->moderate(ids[0], false, entry("poll.restore"), t0));

  CHECK(is(polls->moderate("0000000000000999", true, entry("poll.hide"), t0).error(), errc::not_found));
  CHECK(is(polls->moderate("nope", true, entry("poll.hide"), t0).error(), errc::not_found));
  CHECK(d->forum()->modlog(std::nullopt, 10)->items.size() == 5);  // a refused hide logs nothing
}

TEST_CASE("races: concurrent votes and changes never double count") {
  temp_dir t;
  auto d = create(t.data());
  auto polls = open_polls(*d->forum());
  auto p = polls->create(make_poll("nonce-poll-race01", make_pk(1), 4), t0);
  REQUIRE(p);
  auto const id = p->poll.id;
  constexpr int voters = 24, threads = 8;

  // Every voter votes from several threads at once (retries with the same
  // salt and fresh second tries): exactly one vote each counts.
  std::atomic<bool> go{false};
  std::atomic<int> cast{0}, repeated{0}, conflict{0};
  std::vector<std::thread> ts;
  for (int th = 0; th < threads; ++th) {
    ts.emplace_back([&, th] {
      while (!go.load()) std::this_thread::yield();
      for (int v = 0; v < voters; ++v) {
        auto const round = (th % 2) ? 0u : static_cast<unsigned>(th);
        auto r = polls->vote(id, make_pk(100 + v), open(v % 4, salt_of(v, round)), std::nullopt, t0);
        if (r && r->effect == vote_effect::cast) ++cast;
        else if (r && r->effect == vote_effect::repeated) ++repeated;
        else if (!r && is(r.error(), errc::conflict)) ++conflict;
      }
    });
  }
  go = true;
  for (auto& th : ts) th.join();
  CHECK(cast == voters);
  CHECK(cast + repeated + conflict == voters * threads);
  auto rec = polls->poll(id);
  REQUIRE(rec);
  CHECK(rec->votes == voters);
  CHECK(rec->tallies == std::vector<std::uint64_t>{6, 6, 6, 6});

  // Concurrent changes: each voter moves to option 3, the same change raced
  // from several threads; only one may apply per voter. Then the stored
  // commitments tell which salt each voter's vote was cast with.
  std::map<int, bytes> cast_salt;
  for (int v = 0; v < voters; ++v) {
    for (unsigned round : {0u, 2u, 4u, 6u}) {
      auto c = polls->commitment(id, make_pk(100 + v));
      if (**c == vote_commitment(id, v % 4, salt_of(v, round))) cast_salt[v] = salt_of(v, round);
    }
    REQUIRE(cast_salt.count(v) == 1);
  }
  std::atomic<int> changed{0};
  ts.clear();
  go = false;
  for (int th = 0; th < threads; ++th) {
    ts.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      for (int v = 0; v < voters; ++v) {
        auto r = polls->vote(id, make_pk(100 + v), open(3, salt_of(v, 99)), open(v % 4, cast_salt[v]), t0);
        if (r && r->effect == vote_effect::changed) ++changed;
      }
    });
  }
  go = true;
  for (auto& th : ts) th.join();
  CHECK(changed == voters);  // one change each (also onto the same option, with a new salt)
  rec = polls->poll(id);
  CHECK(rec->tallies == std::vector<std::uint64_t>{0, 0, 0, 24});
  CHECK(rec->votes == voters);
}

TEST_CASE("privacy: the store keeps no voter's choice") {
  // Two stores with the same voters and the same tallies, but choices swapped
  // between the voters, and the same salts: after the scrub, every key and
  // value of every family is the same in both, apart from the commitments
  // (hiding: SHA-256 over a 32-byte salt that only the voter's client keeps).
  // And no file holds a salt, or a choice beside a pseudonym.
  temp_dir t1, t2;
  constexpr unsigned voters = 6;
  auto run = [&](temp_dir& t, bool swapped, std::vector<std::string>& commitments) {
    auto d = create(t.data());
    auto polls = open_polls(*d->forum());
    auto p = polls->create(make_poll("nonce-poll-priv01", make_pk(1), 2), t0);
    REQUIRE(p);
    for (unsigned v = 0; v < voters; ++v) {
      auto option = (v % 2) ^ (swapped ? 1u : 0u);
      // The last two change their vote: the old choice must go too.
      if (v >= voters - 2) {
        REQUIRE(polls->vote(p->poll.id, make_pk(200 + v), open(1 - option, salt_of(v, 5)), std::nullopt, t0));
        REQUIRE(polls->vote(p->poll.id, make_pk(200 + v), open(option, salt_of(v)), open(1 - option, salt_of(v, 5)),
                            t0));
      } else {
        REQUIRE(polls->vote(p->poll.id, make_pk(200 + v), open(option, salt_of(v)), std::nullopt, t0));
      }
      commitments.push_back(crypto::to_string(vote_commitment(p->poll.id, option, salt_of(v))));
    }
    CHECK(polls->poll(p->poll.id)->tallies == std::vector<std::uint64_t>{3, 3});
    REQUIRE(d->scrub());
    // While open, after the scrub: no salt and no old commitment in any file.
    for (auto const& [path, content] : all_files(t.data() / "forum")) {
      INFO(path);
      for (unsigned v = 0; v < voters; ++v) {
        CHECK(content.find(crypto::to_string(salt_of(v))) == std::string::npos);
        CHECK(content.find(crypto::to_string(salt_of(v, 5))) == std::string::npos);
        for (std::uint64_t o : {0u, 1u}) {
          CHECK(content.find(crypto::to_string(vote_commitment(p->poll.id, o, salt_of(v, 5)))) ==
                std::string::npos);
        }
      }
    }
    polls.reset();
    d.reset();
  };
  std::vector<std::string> c1, c2;
  run(t1, false, c1);
  run(t2, true, c2);
  auto a = dump(t1.data() / "forum", c1);
  auto b = dump(t2.data() / "forum", c2);
  CHECK(a.at("pollvotes").size() == voters);
  CHECK(a == b);
  // Sanity: the commitments were stored and differ between the two runs.
  bool found = false;
  for (auto const& [path, content] : all_files(t1.data() / "forum"))
    found = found || content.find(c1.front()) != std::string::npos;
  CHECK(found);
  CHECK(c1 != c2);
}
