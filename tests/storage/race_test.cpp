#include "helpers.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;

namespace {

constexpr int racers = 32;

template <class F>
void race(F&& f) {
  std::atomic<bool> go{false};
  std::vector<std::thread> ts;
  for (int i = 0; i < racers; ++i) {
    ts.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      f(i);
    });
  }
  go = true;
  for (auto& t : ts) t.join();
}

}  // namespace

TEST_CASE("races: one token, one winner") {
  temp_dir t;
  auto d = create(t.data());
  std::atomic<int> ok{0}, spent{0};
  race([&](int i) {
    auto r = d->forum()->certify(to_bytes("the-token"), make_pk(i), "h" + std::to_string(i), make_cert());
    if (r) ++ok;
    else if (is(r.error(), errc::token_spent)) ++spent;
  });
  CHECK(ok == 1);
  CHECK(spent == racers - 1);
  CHECK(*d->forum()->certified_count("key-1") == 1);
}

TEST_CASE("races: one handle, case-insensitively") {
  temp_dir t;
  auto d = create(t.data());
  std::atomic<int> ok{0}, conflict{0};
  race([&](int i) {
    std::string h = (i % 2) ? "SamePerson" : "sameperson";
    auto r = d->forum()->certify(to_bytes("tok" + std::to_string(i)), make_pk(i), h, make_cert());
    if (r) ++ok;
    else if (is(r.error(), errc::conflict)) ++conflict;
  });
  CHECK(ok == 1);
  CHECK(conflict == racers - 1);
  CHECK(*d->forum()->certified_count("key-1") == 1);
}

TEST_CASE("races: concurrent renewals keep the per-key count exact") {
  temp_dir t;
  auto d = create(t.data());
  race([&](int i) {
    // Eight pseudonyms, four tokens each, under two keys.
    auto r = d->forum()->certify(to_bytes("tok" + std::to_string(i)), make_pk(i % 8), "h" + std::to_string(i % 8),
                                make_cert(i % 2 ? "kA" : "kB"));
    CHECK(r);
  });
  CHECK(*d->forum()->certified_count("kA") == 4);  // odd i -> pseudonyms 1,3,5,7
  CHECK(*d->forum()->certified_count("kB") == 4);
}

TEST_CASE("races: commit_issue never exceeds the quota") {
  temp_dir t;
  auto d = create(t.data());
  std::atomic<int> ok{0}, exhausted{0};
  race([&](int i) {
    auto r = d->issuer()->commit_issue("emp", "k1", 3, bytes{static_cast<std::uint8_t>(i), 1}, bytes{2});
    if (r) ++ok;
    else if (is(r.error(), errc::quota_exhausted)) ++exhausted;
  });
  CHECK(ok == 3);
  CHECK(exhausted == racers - 3);
  CHECK(d->issuer()->quota("emp", "k1")->used == 3);
  CHECK(*d->issuer()->issued_count("k1") == 3);
}

TEST_CASE("races: same author and nonce make one post") {
  temp_dir t;
  auto d = create(t.data());
  std::atomic<int> created{0}, returned{0};
  std::mutex mu;
  std::set<std::string> ids;
  race([&](int) {
    auto r = d->forum()->append_post(make_post("general", make_pk(1), "body", "nonce-race-0001"), 0);
    REQUIRE(r);
    (r->created ? created : returned)++;
    std::lock_guard lk(mu);
    ids.insert(r->post.id);
  });
  CHECK(created == 1);
  CHECK(returned == racers - 1);
  CHECK(ids.size() == 1);
  CHECK(d->forum()->feed("general", std::nullopt, 100)->items.size() == 1);
}

TEST_CASE("races: one enrollment code works once") {
  temp_dir t;
  auto d = create(t.data());
  REQUIRE(d->issuer()->import_roster({{"emp", "code"}}));
  std::atomic<int> ok{0}, denied{0};
  race([&](int i) {
    auto r = d->issuer()->enroll("emp", "code", "pw" + std::to_string(i));
    if (r) ++ok;
    else if (is(r.error(), errc::unauthenticated)) ++denied;
  });
  CHECK(ok == 1);
  CHECK(denied == racers - 1);
}

TEST_CASE("races: counters stay exact under concurrent replies, reactions and posts") {
  temp_dir t;
  auto d = create(t.data());
  auto& f = *d->forum();
  REQUIRE(f.certify(to_bytes("t"), make_pk(1), "author", make_cert()));
  auto top = f.append_post(make_post("general", make_pk(1), "top", "nonce-top"), 0);
  REQUIRE(top);
  race([&](int i) {
    for (int k = 0; k < 4; ++k) {
      auto n = "nonce-" + std::to_string(i) + "-" + std::to_string(k);
      REQUIRE(f.append_post(make_post("general", make_pk(1), "r", n, top->post.id), 0));
      REQUIRE(f.react(top->post.id, make_pk(1000 + i * 4 + k), "+1", true));
    }
  });
  auto p = f.post(top->post.id);
  CHECK(p->replies == racers * 4);
  CHECK(p->reactions["+1"] == racers * 4);
  CHECK(f.pseudonym(make_pk(1))->posts == racers * 4 + 1);
}

TEST_CASE("races: directory seq compare-and-set") {
  temp_dir t;
  auto d = create(t.data());
  std::atomic<int> ok{0}, conflict{0};
  race([&](int i) {
    signing_key_record k;
    k.key_id = "k" + std::to_string(i);
    k.epoch = i + 1;
    std::vector<signing_key_record> v;
    v.push_back(std::move(k));
    auto r = d->issuer()->update_directory(0, v);
    if (r) ++ok;
    else if (is(r.error(), errc::conflict)) ++conflict;
  });
  CHECK(ok == 1);
  CHECK(conflict == racers - 1);
  CHECK(d->issuer()->signing_keys()->size() == 1);
}
